"""Draw digits onto canvas-like images: pen strokes, glyphs and pasted bitmaps.

The benchmarks and tests use these to make the images a person's drawing would produce in the
app: white strokes on a black, opaque 280x280 RGBA canvas, like the Draw page's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from PIL import Image, ImageDraw

from digit_app.sizes import CANVAS_SIZE

Stroke = Sequence[tuple[float, float]]
Size = int | tuple[int, int]  # a square side, or (width, height)
SPACING = 0.125  # share of the brush: points closer than this to the last one drawn add nothing visible


class PenStroke(Protocol):
    """A stroke with its own brush, such as a `CanvasStroke`: (k, 2) points and a width in pixels."""

    points: np.ndarray
    width: float


def blank_canvas(size: Size = CANVAS_SIZE) -> Image.Image:
    """An opaque black RGBA canvas, the Draw page's background."""
    return Image.new("RGBA", (size, size) if isinstance(size, int) else size, (0, 0, 0, 255))


def draw_strokes(strokes: Sequence[Stroke], brush: float, size: Size = CANVAS_SIZE) -> np.ndarray:
    """Draw polylines of (x, y) canvas points with a round white brush on a `size` canvas; return RGBA uint8."""
    canvas = blank_canvas(size)
    draw_lines(canvas, strokes, brush)
    return np.asarray(canvas)


def draw_canvas(strokes: Sequence[PenStroke], size: Size, max_brush: float = float("inf"),
                grey: bool = False) -> np.ndarray:
    """Strokes drawn as the canvas shows them, each with its own brush (at most `max_brush`).

    Returns the canvas' RGBA uint8 pixels, or with `grey` the same ink as one (H, W) uint8 channel
    (a quarter of the work, for reading). The Draw page draws its pixels here from the strokes the
    canvas sent, so no image crosses the network.
    """
    canvas = Image.new("L", (size, size) if isinstance(size, int) else size, 0) if grey else blank_canvas(size)
    for stroke in strokes:
        draw_lines(canvas, [stroke.points], min(stroke.width, max_brush))
    return np.asarray(canvas)


def draw_lines(image: Image.Image, strokes: Sequence[Stroke], brush: float) -> None:
    """Draw white polylines of (x, y) points onto `image` in place, with round caps and joints.

    A disc of the brush at every point kept makes the caps and joints round. Points closer than
    `SPACING` of the brush to the last one kept are skipped: their disc lies within the line (a
    pointer reports a point every pixel or two, and work grows with the points).
    """
    pen = ImageDraw.Draw(image)
    white = 255 if image.mode == "L" else "white"
    radius = brush / 2
    for stroke in strokes:
        points = _spaced(np.asarray(stroke, np.float64).reshape(-1, 2), max(1.0, SPACING * brush))
        if len(points) > 1:
            pen.line(points, fill=white, width=max(1, round(brush)))
        for x, y in points:
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=white)


def _spaced(points: np.ndarray, spacing: float) -> list[tuple[float, float]]:
    """The points at least `spacing` apart (in x or y) from the one kept before, the first and last always."""
    kept, last = [], None
    for x, y in points.tolist():
        if last is None or max(abs(x - last[0]), abs(y - last[1])) >= spacing:
            kept.append((x, y))
            last = (x, y)
    if len(points) and kept[-1] != tuple(points[-1].tolist()):
        kept.append(tuple(points[-1].tolist()))
    return kept


def paste_digit(digit: np.ndarray, box: tuple[int, int, int], size: int = CANVAS_SIZE) -> np.ndarray:
    """Scale a white-on-black grey digit to a `side` x `side` square at (left, top); return RGBA.

    `box` is (left, top, side). Used to put MNIST digits on a canvas at another size and place.
    """
    left, top, side = box
    grey = np.asarray(digit, dtype=np.float32)
    if grey.max() <= 1.0:
        grey = grey * 255.0
    glyph = Image.fromarray(grey.astype(np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
    canvas = blank_canvas(size)
    canvas.paste(Image.merge("RGBA", (glyph, glyph, glyph, Image.new("L", glyph.size, 255))), (left, top))
    return np.asarray(canvas)
