"""MNIST digits retraced as coarse pen trajectories: a handful of points joined by straight lines.

A pen tablet, or a mouse moved quickly across the canvas, records only a few points along the
writer's path, so curves come out as polygons (a 9's loop as a triangle); pen data sets also
stretch each digit to fill a square. MNIST has neither. These functions order the skeleton of an
MNIST digit into one path the way a pen goes (from the top, back over a branch when it ends),
keep a few points along it, and draw the polygon through them with the app's own pen, so the
model learns what such drawings look like.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage.morphology import skeletonize

from digit_app.preprocess import draw_centre_line
from digit_app.sizes import MNIST_SIDE

SCALE = 4  # digits are thinned at 4x, where a skeleton follows the strokes closely
POINTS = (7, 13)  # points kept along the path: pendigits keeps 8, a quick mouse stroke a few more
MAX_RETRACE = 0.2  # a path more than this share spent going back over itself is not how a pen goes
SQUARE_SHARE = 0.5  # share of retraced digits also stretched to fill a square, as pen data sets do
START_BAND = 0.2  # the pen starts at a stroke end this near the top (share of height), else the top
_STEPS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def trace_path(skeleton: np.ndarray) -> tuple[np.ndarray, float]:
    """Order skeleton pixels into one pen path: (k, 2) (row, column) points, and the share retraced.

    The walk starts at the top, goes straight on at forks, and when a branch ends goes back over
    it to the last fork (a pen drawing a 4's bar does the same); separate strokes are joined by a
    straight move, as a tablet recording one trajectory joins them.
    """
    pixels = set(map(tuple, np.argwhere(skeleton)))
    if not pixels:
        return np.zeros((0, 2)), 0.0

    def neighbours(p: tuple[int, int]) -> list[tuple[int, int]]:
        return [q for dy, dx in _STEPS if (q := (p[0] + dy, p[1] + dx)) in pixels]

    top = min(pixels)[0]
    height = max(pixels)[0] - top
    ends = [p for p in pixels if len(neighbours(p)) == 1 and p[0] - top <= START_BAND * height]
    start = min(ends or pixels, key=lambda p: p[0] + 0.5 * p[1])
    path, seen, stack, heading, retraced = [start], {start}, [start], (0, 0), 0
    while len(seen) < len(pixels):
        here = stack[-1]
        ahead = [q for q in neighbours(here) if q not in seen]
        if ahead:
            step = max(ahead, key=lambda q: (q[0] - here[0]) * heading[0] + (q[1] - here[1]) * heading[1])
            heading = (step[0] - here[0], step[1] - here[1])
            stack.append(step)
        elif len(stack) > 1:  # a branch ended: back over it to the last fork
            stack.pop()
            path.append(stack[-1])
            retraced += 1
            continue
        else:  # a separate stroke: move straight to its nearest pixel
            rest = np.array([q for q in pixels if q not in seen])
            step = tuple(rest[np.abs(rest - np.array(here)).sum(axis=1).argmin()])
            stack = [step]
        seen.add(step)
        path.append(step)
    return np.asarray(path, dtype=np.float32), retraced / len(path)


def resample(path: np.ndarray, count: int) -> np.ndarray:
    """`count` points spaced evenly along a path, as a tablet's resampling keeps them."""
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    wanted = np.linspace(0.0, along[-1], count)
    return np.stack([np.interp(wanted, along, path[:, axis]) for axis in (0, 1)], axis=1)


def polygon_pixels(corners: np.ndarray, size: float = 96.0) -> np.ndarray:
    """Points every half pixel along straight lines through `corners`, scaled to `size`."""
    low = corners.min(axis=0)
    scaled = (corners - low) * (size / max(float((corners.max(axis=0) - low).max()), 1e-6))
    pieces = [np.linspace(a, b, max(2, int(np.linalg.norm(b - a) * 2))) for a, b in zip(scaled[:-1], scaled[1:])]
    return np.concatenate(pieces)


def retrace(image: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """One MNIST digit (28, 28) as a coarse pen polygon in MNIST form, or None if no pen path fits it."""
    side = MNIST_SIDE * SCALE
    big = Image.fromarray(np.asarray(image, dtype=np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
    path, retraced = trace_path(skeletonize(np.asarray(big) > 127))
    if len(path) < 10 or retraced > MAX_RETRACE:
        return None
    corners = resample(path, int(rng.integers(POINTS[0], POINTS[1] + 1)))
    if rng.random() < SQUARE_SHARE:  # stretch to a square, as pen data sets normalise
        low = corners.min(axis=0)
        corners = (corners - low) / np.maximum(corners.max(axis=0) - low, 1.0)
    return draw_centre_line(polygon_pixels(corners))


def retrace_digits(images: np.ndarray, share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Retrace a random `share` of digits as coarse pen polygons; returns (indices, float32 digits).

    Digits whose skeleton gives no pen-like path (a walk mostly going back over itself) are skipped.
    """
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(len(images))[: int(round(share * len(images)))])
    kept, out = [], []
    for index in chosen:
        digit = retrace(images[index], rng)
        if digit is not None:
            kept.append(index)
            out.append(digit)
    return np.asarray(kept, dtype=np.int64), np.asarray(out, dtype=np.float32).reshape(-1, MNIST_SIDE, MNIST_SIDE)
