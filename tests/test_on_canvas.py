"""Pen digits drawn on a canvas as a person draws there, and read as the app reads a drawing."""

from __future__ import annotations

import numpy as np

from digit_app.preprocess import to_mnist
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS
from digit_app.strokes.on_canvas import draw_like_canvas, drawn_inputs
from digit_app.strokes.pen_digits import load_pen_digits
from tests.paths import PEN_SAMPLE


def test_a_pen_digit_drawn_like_a_canvas_reads_as_the_app_reads_a_drawing(classifier):
    pen = load_pen_digits(PEN_SAMPLE)
    rng = np.random.default_rng(3)
    canvas, strokes, brush = draw_like_canvas(pen.strokes[0], rng)
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    assert len(strokes) == len(pen.strokes[0])
    points = np.concatenate(strokes)
    assert points.min() >= 0 and points.max() <= 280  # on the canvas
    ink = canvas[..., 0] > 127
    rows, cols = np.nonzero(ink)
    assert rows.min() >= points[:, 1].min() - brush and rows.max() <= points[:, 1].max() + brush
    assert classifier.predict_proba(to_mnist(canvas)).argmax() == pen.labels[0]


def test_drawn_inputs_gives_pixels_strokes_and_labels_for_each_digit():
    pen = load_pen_digits(PEN_SAMPLE)
    pixels, strokes, labels = drawn_inputs(pen, seed=1)
    assert pixels.shape == (len(pen), 28, 28) and strokes.shape == (len(pen), STROKE_POINTS, STROKE_FEATURES)
    assert labels.tolist() == pen.labels.tolist()
    assert 0.0 <= pixels.min() and pixels.max() <= 1.0
    again, _, _ = drawn_inputs(pen, seed=1)
    np.testing.assert_array_equal(pixels, again)  # the same seed draws the same digits
