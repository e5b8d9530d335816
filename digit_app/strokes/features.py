"""One digit's strokes as the fixed-size sequence the stroke model reads.

A tablet records a point every few milliseconds, a mouse whenever it moves, a finger whenever the
phone reports it: the same 3 comes as 30 points or 300. So the points are not counted but measured:
the strokes, joined in drawing order by the pen's moves between them, are resampled to
`STROKE_POINTS` points evenly spaced along their length, in a box whose longer side is 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

STROKE_POINTS = 64  # points along one digit's trajectory
STROKE_FEATURES = 5  # each point: x, y, pen down (1) or moving between strokes (0), and the step dx, dy
Strokes = Sequence[np.ndarray]  # one digit: strokes of (k, 2) (x, y) points in drawing order, y down


def clean_strokes(strokes: Sequence[np.ndarray | Sequence[Sequence[float]]]) -> list[np.ndarray]:
    """Strokes as float32 (k, 2) arrays with finite values; empty strokes dropped.

    Raises `ValueError` for points that are not (x, y) pairs of finite numbers.
    """
    cleaned = []
    for stroke in strokes:
        points = np.asarray(stroke, dtype=np.float32)
        if points.size == 0:
            continue
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"a stroke must be (k, 2) points, got an array of shape {points.shape}")
        if not np.isfinite(points).all():
            raise ValueError("a stroke has a point that is not a finite number")
        cleaned.append(points)
    return cleaned


def box(strokes: Strokes) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of all the points."""
    points = np.concatenate(list(strokes))
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    return float(left), float(top), float(right), float(bottom)


def resample(strokes: Strokes, count: int = STROKE_POINTS) -> np.ndarray:
    """(count, 3) points x, y, pen evenly spaced along the trajectory, in a unit box centred on 0.

    The pen's moves between strokes are part of the trajectory (pen = 0 there), so where and in
    which order the strokes were written is kept. Aspect ratio is kept: a 1 stays thin.
    """
    strokes = [s for s in strokes if len(s)]
    if not strokes:
        raise ValueError("there are no strokes to read")
    left, top, right, bottom = box(strokes)
    scale = max(right - left, bottom - top) or 1.0
    centre = np.array([(left + right) / 2, (top + bottom) / 2], dtype=np.float32)
    path = (np.concatenate(strokes) - centre) / scale
    # Pen state of the segment leading from each point to the next: down inside a stroke, up between.
    pen_down = np.concatenate([np.r_[np.ones(len(s) - 1), 0.0] for s in strokes])[:-1]
    steps = np.hypot(*np.diff(path, axis=0).T) if len(path) > 1 else np.zeros(0)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0.0:  # a dot: every point at the centre
        return np.column_stack([np.zeros((count, 2)), np.ones(count)]).astype(np.float32)
    at = np.linspace(0.0, along[-1], count)
    x = np.interp(at, along, path[:, 0])
    y = np.interp(at, along, path[:, 1])
    segment = np.clip(np.searchsorted(along, at, side="right") - 1, 0, len(pen_down) - 1)
    return np.column_stack([x, y, pen_down[segment]]).astype(np.float32)


def stroke_features(strokes: Strokes, count: int = STROKE_POINTS) -> np.ndarray:
    """(count, STROKE_FEATURES) float32: x, y, pen, and the step to the next point (dx, dy)."""
    points = resample(strokes, count)
    step = np.diff(points[:, :2], axis=0, append=points[-1:, :2])
    return np.concatenate([points, step * (count / 4)], axis=1).astype(np.float32)  # steps scaled near unit size
