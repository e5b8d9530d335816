"""Handwriting styles MNIST lacks, drawn onto MNIST digits to widen what the model knows.

MNIST was written in the United States: its 1s are bare strokes and its 7s have no bar. Much of
the world writes a 1 with a long flag and a 7 with a crossbar, and a pen tablet that records one
trajectory joins a 5's bar to its belly. These functions add those strokes to real MNIST digits,
where the digit's own skeleton says they belong, at the digit's own stroke width.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage.morphology import skeletonize

from digit_app.preprocess import stroke_width
from digit_app.render import draw_lines
from digit_app.sizes import MNIST_SIDE

SCALE = 4  # strokes are added on a 4x enlargement and averaged back down: anti-aliased
STYLED_DIGITS = (1, 5, 7)


def add_styles(images: np.ndarray, labels: np.ndarray, share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Styled copies of a random `share` of the 1s, 5s and 7s; returns (images uint8, labels)."""
    rng = np.random.default_rng(seed)
    eligible = np.flatnonzero(np.isin(labels, STYLED_DIGITS))
    chosen = rng.permutation(eligible)[: int(round(share * len(eligible)))]
    styled, styled_labels = [], []
    for index in np.sort(chosen):
        digit = restyle(images[index], int(labels[index]), rng)
        if digit is not None:
            styled.append(digit)
            styled_labels.append(labels[index])
    return (np.asarray(styled, dtype=np.uint8).reshape(-1, MNIST_SIDE, MNIST_SIDE),
            np.asarray(styled_labels, dtype=labels.dtype))


def restyle(image: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray | None:
    """One digit with its style stroke added, or None when its shape gives no place for it."""
    side = MNIST_SIDE * SCALE
    big = Image.fromarray(np.asarray(image, dtype=np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
    mask = np.asarray(big) > 127
    points = np.argwhere(skeletonize(mask))  # (row, column)
    if len(points) < 10:
        return None
    top, bottom = points[points[:, 0].argmin()], points[points[:, 0].argmax()]
    height = float(bottom[0] - top[0])
    strokes = {1: _flag_one, 5: _join_five, 7: _cross_seven}[label](points, top, bottom, height, rng)
    if not strokes:
        return None
    draw_lines(big, [[(x, y) for y, x in stroke] for stroke in strokes], brush=max(2.0, stroke_width(mask)))
    return np.asarray(big.reduce(SCALE))


def _flag_one(points, top, bottom, height, rng) -> list:
    """A flag from the top of a 1, down and to the left, sometimes with a foot."""
    angle = np.radians(rng.uniform(25, 65))
    length = rng.uniform(0.3, 0.8) * height
    flag_end = (top[0] + length * np.sin(angle), top[1] - length * np.cos(angle))
    strokes = [[tuple(top), flag_end]]
    if rng.random() < 0.25:
        half = rng.uniform(0.15, 0.3) * height
        strokes.append([(bottom[0], bottom[1] - half), (bottom[0], bottom[1] + half)])
    return strokes


def _cross_seven(points, top, bottom, height, rng) -> list:
    """A bar across the stem of a 7, sometimes joined to the stem's foot as a tablet records it."""
    row = top[0] + rng.uniform(0.4, 0.7) * height
    stem = points[np.abs(points[:, 0] - row) <= 2]
    if len(stem) == 0:
        return []
    column = float(stem[:, 1].mean())
    left, right = column - rng.uniform(0.15, 0.3) * height, column + rng.uniform(0.15, 0.3) * height
    strokes = [[(row, left), (row, right)]]
    if rng.random() < 0.75:
        strokes.append([tuple(bottom), (row, left)])
    return strokes


def _join_five(points, top, bottom, height, rng) -> list:
    """The pen-up move of a 5 drawn in one trajectory: from the belly's end up to the bar's start."""
    corner = points[(points[:, 0] + points[:, 1]).argmin()]  # top-left, where the bar starts
    lower = points[points[:, 0] > top[0] + 0.6 * height]
    if len(lower) == 0:
        return []
    belly_end = lower[lower[:, 1].argmin()]  # the leftmost point low down
    if abs(belly_end[0] - corner[0]) < 0.4 * height:
        return []
    return [[tuple(belly_end), tuple(corner)]]
