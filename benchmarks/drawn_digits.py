"""Drawn-digit test sets for the benchmarks: pen strokes, handwriting fonts, MNIST on a canvas.

Each maker returns (canvases, labels): RGBA 280x280 canvases, white ink on black, the way the
Draw page hands a drawing to `to_mnist`, at random size, place, brush and slant.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from digit_app.render import CANVAS_SIZE, draw_strokes, paste_digit

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PENDIGITS = SHARED_DATA / "pendigits.tra"
MNIST_SUBSET = SHARED_DATA / "mnist_subset.npz"
# The handwriting fonts DESIGN.md names, as Debian installs them.
FONT_PATTERNS = (
    "/usr/share/fonts/opentype/bwht/*.otf",
    "/usr/share/fonts/truetype/fifthhorseman/dkg*.ttf",
    "/usr/share/fonts/truetype/breip/*.ttf",
    "/usr/share/fonts/truetype/klee/*.ttf",
    "/usr/share/fonts/truetype/humor-sans/*.ttf",
    "/usr/share/fonts/truetype/rufscript/*.ttf",
)
DIGIT_SIZE = (90, 250)  # the digit's longer side on the canvas, in pixels
BRUSH = (6, 30)  # brush widths a person picks on a 280 px canvas
SLANT = 0.25  # font digits are slanted by up to this shear either way


def pendigit_points(path: Path = PENDIGITS, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """UCI pen digits as (n, 8, 2) (x, y) points in a unit box, y pointing down, and their labels."""
    rows = np.loadtxt(path, delimiter=",", dtype=str)[:limit]
    points = np.array([[int(v) for v in row[:16]] for row in rows], dtype=np.float32).reshape(-1, 8, 2) / 100.0
    points[:, :, 1] = 1.0 - points[:, :, 1]  # pendigits' y points up; the canvas' points down
    return points, np.array([row[16].index("1") for row in rows])


def pendigits(path: Path = PENDIGITS, limit: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """UCI pen digits drawn as one brush stroke through their 8 points, random size/place/brush."""
    canvases, _, labels = pendigit_drawings(path, limit, seed)
    return canvases, labels


def pendigit_drawings(path: Path = PENDIGITS, limit: int | None = None,
                      seed: int = 0) -> tuple[np.ndarray, list[list[np.ndarray]], np.ndarray]:
    """UCI pen digits drawn as one brush stroke through their 8 points: canvases, each one's stroke, labels."""
    rng = np.random.default_rng(seed)
    points, labels = pendigit_points(path, limit)
    canvases, strokes = [], []
    for digit in points:
        side = rng.uniform(*DIGIT_SIZE)
        left, top = rng.uniform(0, CANVAS_SIZE - side, size=2)
        stroke = (digit * side + (left, top)).astype(np.float32)
        canvases.append(draw_strokes([stroke], brush=rng.uniform(*BRUSH)))
        strokes.append([stroke])
    return np.stack(canvases), strokes, labels


def font_files() -> list[str]:
    """The handwriting fonts installed here (none if the Debian packages are missing)."""
    return sorted(f for pattern in FONT_PATTERNS for f in glob.glob(pattern))


def font_digits(samples_per_digit: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each digit in each handwriting font, at random size, place and slant."""
    rng = np.random.default_rng(seed)
    canvases, labels = [], []
    for font_path in font_files():
        for digit in range(10):
            for _ in range(samples_per_digit):
                canvases.append(font_canvas(font_path, str(digit), rng))
                labels.append(digit)
    return np.stack(canvases), np.array(labels)


def font_canvas(font_path: str, text: str, rng: np.random.Generator, slant: float | None = None) -> np.ndarray:
    """`text` in a font on a canvas at random size and place, slanted by `slant` (default: at random)."""
    size = int(rng.uniform(*DIGIT_SIZE))
    font = ImageFont.truetype(font_path, size)
    glyph = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(glyph).text((size // 2, size // 4), text, fill=255, font=font)
    slant = rng.uniform(-SLANT, SLANT) if slant is None else slant
    glyph = glyph.transform(glyph.size, Image.Transform.AFFINE, (1, slant, -slant * size, 0, 1, 0),
                            Image.Resampling.BILINEAR)
    glyph = glyph.crop(glyph.getbbox())
    scale = min(1.0, (CANVAS_SIZE - 4) / max(glyph.size))
    glyph = glyph.resize((max(1, int(glyph.width * scale)), max(1, int(glyph.height * scale))))
    canvas = Image.new("L", (CANVAS_SIZE, CANVAS_SIZE), 0)
    left = int(rng.uniform(0, CANVAS_SIZE - glyph.width + 1))
    top = int(rng.uniform(0, CANVAS_SIZE - glyph.height + 1))
    canvas.paste(glyph, (left, top))
    return np.asarray(Image.merge("RGBA", (canvas, canvas, canvas, Image.new("L", canvas.size, 255))))


def mnist_on_canvas(images: np.ndarray, seed: int = 0) -> Iterator[np.ndarray]:
    """MNIST digits scaled up and put at a random place on a canvas."""
    rng = np.random.default_rng(seed)
    for image in images:
        side = int(rng.uniform(*DIGIT_SIZE))
        left, top = (int(v) for v in rng.uniform(0, CANVAS_SIZE - side, size=2))
        yield paste_digit(image, (left, top, side))


def plain_resize(canvas: np.ndarray) -> np.ndarray:
    """What most digit apps do: the whole canvas squeezed to 28x28, grey, nothing else."""
    grey = Image.fromarray(np.ascontiguousarray(canvas[..., :3])).convert("L").resize(
        (28, 28), Image.Resampling.BILINEAR)
    return np.asarray(grey, dtype=np.float32) / 255.0
