"""Numbers made up from one writer's pen digits, as the Draw page's number canvas would record them.

The segment judge learns from them which strokes make one digit, and the benchmarks and tests
read them back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digit_app.sizes import NUMBER_CANVAS
from digit_app.strokes.features import box
from digit_app.strokes.on_canvas import WOBBLE, as_pointer_moves

NUMBER_HEIGHT = (0.45, 0.75)  # a number's digits are this share of the canvas height
SPACED, CLOSE = (0.15, 0.45), (-0.06, 0.02)  # gaps between digits, as a share of the digit height


def write_number(digits: Sequence[Sequence[np.ndarray]], rng: np.random.Generator, close: bool = False,
                 size: tuple[int, int] = NUMBER_CANVAS) -> list[list[np.ndarray]]:
    """One writer's digits written left to right as a number on a canvas: each digit's strokes, in canvas pixels.

    The digits keep their sizes relative to each other (one writer, one tablet scale); each sits
    beside the last with a gap, or `close` enough to touch or overlap a little, at a slightly
    varying height, and comes out with the uneven points of a pointer, like `draw_like_canvas`.
    """
    width, height = size
    boxes = [box(strokes) for strokes in digits]
    tallest = max(bottom - top for _, top, _, bottom in boxes) or 1.0
    scale = rng.uniform(*NUMBER_HEIGHT) * height / tallest
    gaps = rng.uniform(*(CLOSE if close else SPACED), len(digits)) * tallest * scale
    total = sum((right - left) * scale for left, _, right, _ in boxes) + gaps[1:].sum()
    if total > width * 0.94:  # too wide for the canvas: write it smaller
        scale, gaps = scale * width * 0.94 / total, gaps * width * 0.94 / total
        total = width * 0.94
    x = rng.uniform(0.03 * width, width - total - 0.03 * width)
    wobble = rng.uniform(0, WOBBLE)
    written = []
    for index, (strokes, (left, top, right, bottom)) in enumerate(zip(digits, boxes)):
        if index:
            x += gaps[index]
        digit_height = (bottom - top) * scale
        middle = height / 2 + rng.uniform(-0.05, 0.05) * height
        y = min(max(middle - digit_height / 2, 2.0), height - digit_height - 2.0)
        written.append([as_pointer_moves((stroke - (left, top)) * scale + (x, y), rng, wobble) for stroke in strokes])
        x += (right - left) * scale
    return written
