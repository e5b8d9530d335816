"""to_mnist: any drawing in, an MNIST-style 28x28 digit out."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from digit_app.preprocess import BOX_SIZE, CENTRE, EmptyDrawingError, UnreadableDrawingError, split_digits, to_mnist
from digit_app.render import blank_canvas, draw_strokes, paste_digit
from tests.strokes import DIGITS, draw_digit


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28x28 images: 1 for the same picture."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.05), np.flatnonzero(image.max(axis=0) > 0.05)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_mnist_shaped_centred_and_boxed():
    image = to_mnist(draw_digit(7, 60, 50, 150, brush=18))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.9
    assert np.allclose(ndimage.center_of_mass(image), (CENTRE, CENTRE), atol=0.5)
    assert max(ink_box(image)) <= BOX_SIZE + 1
    assert max(ink_box(image)) >= BOX_SIZE - 2


@pytest.mark.parametrize(
    "canvas",
    [
        np.asarray(blank_canvas()),  # the Draw page's black canvas
        np.zeros((280, 280, 4), np.uint8),  # a transparent canvas
        np.full((100, 80, 3), 255, np.uint8),  # a blank white page
        np.full((50, 50), 0.3, np.float32),  # a flat grey image
    ],
    ids=["black", "transparent", "white-rgb", "grey"],
)
def test_empty_images_raise_empty_drawing_error(canvas):
    with pytest.raises(EmptyDrawingError, match="Nothing is drawn"):
        to_mnist(canvas)


def test_empty_drawing_error_is_a_value_error():
    assert issubclass(EmptyDrawingError, ValueError)


@pytest.mark.parametrize("bad", [np.zeros((0, 0)), np.zeros((5, 5, 2)), np.zeros(10), np.array([["a"]])])
def test_non_images_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="expected"):
        to_mnist(bad)


def test_polarity_and_format_do_not_matter():
    canvas = draw_digit(2, 50, 40, 180, brush=20)
    reference = to_mnist(canvas)
    grey = canvas[..., 0]
    transparent = np.zeros_like(canvas)
    transparent[..., 3] = grey  # strokes on a transparent background
    variants = {
        "grey": grey,
        "rgb": canvas[..., :3],
        "dark on light": 255 - canvas[..., :3],
        "float grey": grey.astype(np.float32) / 255.0,
        "transparent": transparent,
    }
    for name, variant in variants.items():
        assert similarity(to_mnist(variant), reference) > 0.98, name


@pytest.mark.parametrize("digit", [0, 1, 2, 4, 7])
def test_place_size_and_brush_barely_change_the_input(digit):
    reference = to_mnist(draw_digit(digit, 70, 60, 140, brush=15))
    variants = [
        draw_digit(digit, 5, 5, 60, brush=5),  # small, thin, top-left corner
        draw_digit(digit, 200, 190, 70, brush=8),  # small, bottom-right corner
        draw_digit(digit, 10, 10, 255, brush=40),  # huge and very thick
        draw_digit(digit, 40, 30, 200, brush=5),  # big and very thin
        draw_digit(digit, 100, 20, 120, brush=30),  # thick
    ]
    for canvas in variants:
        assert similarity(to_mnist(canvas), reference) > 0.85


def test_any_canvas_size_is_accepted():
    small = to_mnist(draw_digit(7, 10, 10, 40, brush=4, canvas=64))
    large = to_mnist(draw_digit(7, 100, 100, 800, brush=60, canvas=1000))
    assert similarity(small, large) > 0.9


def test_digit_cut_by_the_edge_is_still_centred():
    canvas = draw_digit(7, 150, -10, 160, brush=18)  # the top bar runs off the canvas
    image = to_mnist(canvas)
    assert np.allclose(ndimage.center_of_mass(image), (CENTRE, CENTRE), atol=0.5)
    assert similarity(image, to_mnist(draw_digit(7, 60, 40, 160, brush=18))) > 0.7


def test_specks_are_ignored():
    clean = draw_digit(4, 60, 50, 160, brush=16)
    speckled = clean.copy()
    rng = np.random.default_rng(0)
    for y, x in rng.integers(0, 275, size=(25, 2)):
        speckled[y : y + 4, x : x + 4, :3] = 255  # 4x4 px dust
    speckled[5:15, 5:15, :3] = 255  # one blob about the brush's size, far away
    assert similarity(to_mnist(speckled), to_mnist(clean)) > 0.97


def test_separate_strokes_of_one_digit_are_kept():
    four = to_mnist(draw_digit(4, 60, 50, 160, brush=16))  # a 4 drawn in two strokes
    only_first_stroke = to_mnist(draw_digit(4, 60, 50, 160, brush=16)[:, :175])
    assert similarity(four, only_first_stroke) < 0.9


def test_mnist_digits_on_a_canvas_are_read_right(mnist_sample, classifier):
    rng = np.random.default_rng(1)
    inputs = []
    for digit in mnist_sample["x_test"]:
        side = int(rng.integers(60, 260))
        left, top = (int(v) for v in rng.integers(0, 280 - side, size=2))
        inputs.append(to_mnist(paste_digit(digit, (left, top, side))))
    predicted = classifier.predict_proba(np.stack(inputs)).argmax(axis=1)
    accuracy = float(np.mean(predicted == mnist_sample["y_test"]))
    assert accuracy >= 0.97, accuracy


def test_drawn_strokes_are_read_right(classifier):
    rng = np.random.default_rng(2)
    cases = [(digit, rng.uniform(0, 120), rng.uniform(0, 120), rng.uniform(90, 160), rng.uniform(5, 35))
             for digit in (0, 1, 2, 4, 7) for _ in range(6)]
    inputs = np.stack([to_mnist(draw_digit(d, x, y, s, brush=b)) for d, x, y, s, b in cases])
    predicted = classifier.predict_proba(inputs).argmax(axis=1)
    assert np.mean(predicted == [case[0] for case in cases]) >= 0.9


def _zigzag(rows: int, brush: float) -> np.ndarray:
    """Strokes back and forth across the whole canvas, `rows` of them."""
    step = 260 / (rows - 1)
    return draw_strokes([[(10 + (i % 2) * 260, 10 + i * step) for i in range(rows)]], brush=brush)


@pytest.mark.parametrize(
    ("drawing", "message"),
    [
        (lambda: draw_strokes([[(140, 140), (141, 141)]], brush=18), "dot"),
        (lambda: draw_strokes([[(140, 140), (146, 143)]], brush=40), "dot"),
        (lambda: draw_strokes([[(40, 40), (41, 41)], [(200, 60), (201, 60)], [(100, 230), (100, 231)]],
                              brush=6), "dot"),
        (lambda: _zigzag(45, brush=18), "fills the canvas"),  # the canvas filled in
        (lambda: _zigzag(21, brush=18), "fills the canvas"),  # rows closer than the brush: all ink
        (lambda: draw_strokes([[tuple(p) for p in np.random.default_rng(1).uniform(10, 270, (40, 2))]], 12),
         "scribble"),
        (lambda: np.maximum(draw_digit(1, 20, 70, 110, 12), draw_digit(2, 150, 70, 110, 12)), "2 digits"),
        (lambda: np.maximum(draw_digit(7, 5, 90, 80, 8), np.maximum(draw_digit(0, 100, 90, 80, 8),
                                                                 draw_digit(4, 195, 90, 80, 8))), "3 digits"),
    ],
    ids=["dot", "big dot", "specks only", "filled canvas", "zigzag", "random scribble", "two digits", "three digits"],
)
def test_what_is_not_one_digit_is_refused_with_a_reason(drawing, message):
    with pytest.raises(UnreadableDrawingError, match=message):
        to_mnist(drawing())


@pytest.mark.parametrize("brush", [5, 18, 40])
@pytest.mark.parametrize("digit", [0, 1, 2, 4, 7])
def test_real_digits_are_not_refused(digit, brush):
    size = 120 if brush < 40 else 200
    assert to_mnist(draw_digit(digit, 40, 40, size, brush=brush)).max() > 0.9


def number_canvas(digits: list[int], gap: float, size: float = 90, brush: float = 12) -> np.ndarray:
    """Digits written left to right on a wide canvas, `gap` pixels apart (negative: overlapping)."""
    strokes, left = [], 20.0
    for digit in digits:
        strokes += [[(left + x * size * 0.7, 50 + y * size) for x, y in stroke] for stroke in DIGITS[digit]]
        left += size * 0.7 + gap
    return draw_strokes(strokes, brush=brush, size=(720, 200))


@pytest.mark.parametrize("digits", [[2, 0, 2, 4], [1, 1, 7], [4, 7], [7, 0, 4, 1, 2, 0]])
def test_split_digits_finds_each_digit_left_to_right(digits):
    crops = split_digits(number_canvas(digits, gap=25))
    assert len(crops) == len(digits)
    reference = [to_mnist(number_canvas([d], gap=0)) for d in digits]  # each digit written alone
    for crop, expected in zip(crops, reference):
        assert crop.dtype == np.float32 and crop.ndim == 2
        assert crop[0].max() == 0 and crop[-1].max() == 0  # a margin all round
        assert similarity(to_mnist(crop), expected) > 0.9


def test_a_digit_in_two_strokes_and_a_stray_mark_stay_with_their_digit():
    canvas = number_canvas([4, 1], gap=40)  # the 4 is drawn in two overlapping strokes
    canvas = np.maximum(canvas, draw_strokes([[(300, 60), (318, 60)]], brush=10, size=(720, 200)))  # a short flick
    crops = split_digits(canvas)
    assert len(crops) == 2


def test_touching_digits_are_cut_apart():
    crops = split_digits(number_canvas([4, 7, 4, 7], gap=-6))
    assert len(crops) == 4


def test_split_digits_on_an_empty_canvas_raises():
    with pytest.raises(EmptyDrawingError):
        split_digits(np.asarray(blank_canvas((600, 200))))


def test_a_stroke_lifted_just_apart_is_still_one_digit():
    """A 4 whose stem starts a little right of its bar's end (closer than the brush is wide) is one digit."""
    left, top, size, brush = 60, 60, 160, 16
    bar = [(left + 0.6 * size, top), (left, top + 0.7 * size), (left + 0.7 * size, top + 0.7 * size)]
    stem_x = left + 0.7 * size + brush + 6  # 6 px of black between the bar's end and the stem
    canvas = draw_strokes([bar, [(stem_x, top + 0.3 * size), (stem_x, top + size)]], brush=brush)
    assert to_mnist(canvas).max() > 0.9
