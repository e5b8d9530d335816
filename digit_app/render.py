"""Draw digits onto canvas-like images: pen strokes, glyphs and pasted bitmaps.

The benchmarks and tests use these to make the images a person's drawing would produce in the
app: white strokes on a black, opaque 280x280 RGBA canvas, like the Draw page's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 280
Stroke = Sequence[tuple[float, float]]
Size = int | tuple[int, int]  # a square side, or (width, height)


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


def draw_canvas(strokes: Sequence[PenStroke], size: Size, max_brush: float = float("inf")) -> np.ndarray:
    """Strokes drawn as the canvas shows them, each with its own brush (at most `max_brush`); return RGBA uint8.

    The Draw page draws its pixels here from the strokes the canvas sent, so no image crosses the network.
    """
    canvas = blank_canvas(size)
    for stroke in strokes:
        draw_lines(canvas, [stroke.points], min(stroke.width, max_brush))
    return np.asarray(canvas)


def draw_lines(image: Image.Image, strokes: Sequence[Stroke], brush: float) -> None:
    """Draw white polylines of (x, y) points onto `image` in place, with round caps and joints."""
    pen = ImageDraw.Draw(image)
    white = 255 if image.mode == "L" else "white"
    radius = brush / 2
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke]
        if len(points) > 1:
            pen.line(points, fill=white, width=max(1, round(brush)), joint="curve")
        for x, y in points:
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=white)


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
