"""Why this answer: occlusion maps point at the strokes that decided it."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.preprocess import to_mnist
from digit_app.render import draw_strokes
from digit_app.saliency import PATCH, along, input_frame, occlusion_maps, overlay, sample, stroke_colours
from tests.strokes import digit_strokes, draw_digit


def cover(image: np.ndarray, top: int, left: int, side: int) -> np.ndarray:
    covered = image.copy()
    covered[top : top + side, left : left + side] = 0.0
    return covered


@pytest.mark.parametrize("digit", [0, 2, 4, 7])
def test_covering_the_salient_square_hurts_the_answer_more_than_a_random_square_of_ink(classifier, digit):
    image = to_mnist(draw_digit(digit, 60, 50, 160, brush=16))
    answer = int(classifier.predict_proba(image)[0].argmax())
    saliency = occlusion_maps(classifier, image, [answer])[0]
    assert saliency.shape == (28, 28)
    side = 2 * PATCH
    squares = [(top, left) for top in range(0, 28 - side + 1) for left in range(0, 28 - side + 1)
               if image[top : top + side, left : left + side].sum() > 2.0]  # squares with ink in them
    scores = [saliency[top : top + side, left : left + side].sum() for top, left in squares]
    top, left = squares[int(np.argmax(scores))]
    after_salient = classifier.predict_proba(cover(image, top, left, side))[0, answer]
    rng = np.random.default_rng(digit)
    random_picks = [squares[i] for i in rng.choice(len(squares), size=10, replace=False)]
    after_random = np.mean([classifier.predict_proba(cover(image, t, l, side))[0, answer] for t, l in random_picks])
    assert after_salient < after_random


def test_the_overlay_is_an_rgb_picture_coloured_where_the_evidence_is(classifier):
    image = to_mnist(draw_digit(7, 60, 50, 160, brush=16))
    toward, runner_up = occlusion_maps(classifier, image, [7, 1])
    picture = overlay(image, toward, runner_up)
    assert picture.shape == (28, 28, 3) and picture.min() >= 0.0 and picture.max() <= 1.0
    strongest = np.unravel_index(np.argmax(toward), toward.shape)
    assert picture[strongest][0] > picture[strongest][2]  # red where the answer's evidence is


def test_a_wrong_shape_is_refused(classifier):
    with pytest.raises(ValueError, match="28, 28"):
        occlusion_maps(classifier, np.zeros((20, 20)), [1])


@pytest.mark.parametrize("digit, left, top, size", [(7, 50, 40, 190), (4, 150, 20, 100), (0, 20, 120, 140)])
def test_the_strokes_land_on_the_ink_the_model_saw(digit, left, top, size):
    strokes = digit_strokes(digit, left, top, size)
    image = to_mnist(draw_strokes(strokes, 16))
    scale, shift = input_frame(np.concatenate(strokes), image)
    dense = np.concatenate([along(points, 2.0) for points in strokes])
    on_ink = sample(image, scale * dense + shift)
    assert np.median(on_ink) > 0.5
    assert np.median(sample(image, scale * dense + shift + 6)) < np.median(on_ink) - 0.3  # a frame that is off
    # is off the ink: the check can tell


def test_sampling_is_the_pixel_at_a_pixel_linear_between_and_nothing_outside():
    evidence = np.zeros((28, 28), np.float32)
    evidence[10, 10], evidence[10, 11] = 1.0, 0.5
    assert sample(evidence, np.array([[10, 10], [11, 10], [10.5, 10], [10, 10.5], [-3, 40]])).tolist() == [
        1.0, 0.5, 0.75, 0.5, 0.0]


def test_stroke_colours_are_red_where_the_evidence_for_the_answer_is_and_grey_where_none_is():
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0  # a 1: one upright stroke
    toward = np.zeros((28, 28), np.float32)
    toward[4:12] = 0.3  # its top made the answer
    stroke = np.array([[140.0, 40.0], [140.0, 240.0]])
    (colours,) = stroke_colours([along(stroke, 5.0)], image, toward, np.zeros((28, 28), np.float32))
    top, bottom = colours[0], colours[-1]
    assert top[0] > 0.9 and top[0] > top[2] + 0.3  # red at the top
    assert np.allclose(bottom, 0.35)  # overlay's grey at the bottom, where nothing decided it


def test_along_puts_a_point_every_step_and_keeps_the_ends():
    points = along(np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 5.0]]), 2.0)
    assert points[0].tolist() == [0.0, 0.0] and points[-1].tolist() == [10.0, 5.0]
    assert np.hypot(*np.diff(points, axis=0).T).max() <= 2.0 + 1e-6
    assert along(np.array([[3.0, 4.0]]), 2.0).tolist() == [[3.0, 4.0]]  # a dot stays a dot
