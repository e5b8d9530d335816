"""Hand-made pen strokes for tests: digits as polylines in a unit box, placed on a canvas."""

from __future__ import annotations

import numpy as np

from digit_app.render import draw_strokes

# Each digit: strokes of (x, y) points in a unit box, y pointing down, as a person draws them.
DIGITS: dict[int, list[list[tuple[float, float]]]] = {
    0: [[(0.5 + 0.4 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
    1: [[(0.42, 0.15), (0.55, 0.0), (0.55, 1.0)]],
    2: [[(0.1, 0.25), (0.3, 0.03), (0.65, 0.0), (0.85, 0.2), (0.8, 0.45), (0.1, 1.0), (0.95, 1.0)]],
    3: [[(0.1, 0.1), (0.5, 0.0), (0.85, 0.15), (0.8, 0.4), (0.4, 0.5), (0.85, 0.6), (0.9, 0.85), (0.5, 1.0),
         (0.1, 0.9)]],
    4: [[(0.65, 0.0), (0.05, 0.7), (0.95, 0.7)], [(0.7, 0.35), (0.7, 1.0)]],
    5: [[(0.2, 0.0), (0.15, 0.45), (0.6, 0.4), (0.85, 0.65), (0.7, 0.95), (0.35, 1.0), (0.1, 0.9)],
        [(0.2, 0.0), (0.9, 0.0)]],
    7: [[(0.05, 0.02), (0.95, 0.02), (0.35, 1.0)]],
}


def digit_strokes(digit: int, left: float, top: float, size: float) -> list[np.ndarray]:
    """`digit`'s strokes as (k, 2) canvas points in a size x size box at (left, top), in drawing order."""
    return [np.array([(left + x * size, top + y * size) for x, y in stroke], np.float32) for stroke in DIGITS[digit]]


def draw_digit(digit: int, left: float, top: float, size: float, brush: float, canvas: int = 280) -> np.ndarray:
    """An RGBA canvas with `digit` drawn in a size x size box at (left, top)."""
    strokes = [[(left + x * size, top + y * size) for x, y in stroke] for stroke in DIGITS[digit]]
    return draw_strokes(strokes, brush=brush, size=canvas)
