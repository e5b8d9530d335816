"""Pen digits drawn on a canvas the way a person draws there, and read the way the app reads a drawing.

`draw_like_canvas` puts a digit on a canvas at any size and place, with any brush and the uneven
points of a mouse or a finger; `drawn_inputs` turns many into what the models learn from and are
measured on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from digit_app.preprocess import UnreadableDrawingError, to_mnist
from digit_app.render import draw_strokes
from digit_app.sizes import CANVAS_SIZE, MNIST_SHAPE
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS, box, stroke_features
from digit_app.strokes.pen_digits import PenDigits

DIGIT_SIZE = (90, 250)  # the digit's longer side on a 280 px canvas
BRUSH = (6, 30)  # brush widths a person picks
POINT_SPACING = (2.0, 12.0)  # px between the points a mouse or finger reports (slow to fast strokes)
WOBBLE = 1.2  # px: at most this much hand tremor and touch noise on each point
PROGRESS_REPORTS = 50  # progress reports while drawing digits for training


def draw_like_canvas(strokes: Sequence[np.ndarray], rng: np.random.Generator,
                     size: int = CANVAS_SIZE) -> tuple[np.ndarray, list[np.ndarray], float]:
    """A pen digit drawn on a `size` canvas as a person would: (RGBA canvas, its strokes there, brush).

    Random size, place and brush; each stroke's points re-taken at the uneven spacing of a mouse or
    a finger and moved by a little tremor, as the canvas would record them.
    """
    left, top, right, bottom = box(strokes)
    extent = max(right - left, bottom - top) or 1.0
    side = rng.uniform(*DIGIT_SIZE)
    scale = side / extent
    width, height = (right - left) * scale, (bottom - top) * scale
    brush = rng.uniform(*BRUSH)
    margin = brush / 2 + 1
    x0 = rng.uniform(margin, max(margin, size - width - margin))
    y0 = rng.uniform(margin, max(margin, size - height - margin))
    wobble = rng.uniform(0, WOBBLE)
    placed = [as_pointer_moves((stroke - (left, top)) * scale + (x0, y0), rng, wobble) for stroke in strokes]
    return draw_strokes(placed, brush=brush, size=size), placed, brush


def as_pointer_moves(stroke: np.ndarray, rng: np.random.Generator, wobble: float) -> np.ndarray:
    """A stroke's path as a pointer reports it: points every few pixels, each a little off."""
    steps = np.hypot(*np.diff(stroke, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0:
        return stroke[:1] + rng.normal(0, wobble, (1, 2)).astype(np.float32)
    spacing = rng.uniform(*POINT_SPACING)
    count = max(2, int(along[-1] / spacing) + 1)
    at = np.sort(rng.uniform(0, along[-1], count))
    at[0], at[-1] = 0.0, along[-1]
    moved = np.column_stack([np.interp(at, along, stroke[:, 0]), np.interp(at, along, stroke[:, 1])])
    return (moved + rng.normal(0, wobble, moved.shape)).astype(np.float32)


def drawn_inputs(digits: PenDigits, seed: int = 0,
                 on_progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each digit drawn on a canvas and read as the app reads a drawing: (pixels, strokes, labels).

    pixels (n, 28, 28) float32 come from the app's own `to_mnist`, strokes (n, STROKE_POINTS,
    STROKE_FEATURES) from its `stroke_features`. Drawings `to_mnist` refuses are left out.
    `on_progress(done, total)` hears how far it is, PROGRESS_REPORTS times in all (it takes a while).
    """
    rng = np.random.default_rng(seed)
    pixels, features, labels = [], [], []
    every = max(1, len(digits) // PROGRESS_REPORTS)
    for done, (strokes, label) in enumerate(zip(digits.strokes, digits.labels)):
        if on_progress is not None and done % every == 0:
            on_progress(done, len(digits))
        canvas, placed, _ = draw_like_canvas(strokes, rng)
        try:
            pixels.append(to_mnist(canvas))
        except UnreadableDrawingError:
            continue
        features.append(stroke_features(placed))
        labels.append(label)
    if not labels:
        return (np.zeros((0, *MNIST_SHAPE), np.float32), np.zeros((0, STROKE_POINTS, STROKE_FEATURES), np.float32),
                np.zeros(0, np.int64))
    return np.stack(pixels), np.stack(features), np.array(labels, np.int64)
