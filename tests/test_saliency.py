"""Why this answer: occlusion maps point at the strokes that decided it."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.preprocess import to_mnist
from digit_app.saliency import PATCH, occlusion_maps, overlay
from tests.strokes import draw_digit


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
