"""Small synthetic photos for the photo tests: a sheet with digits (or ruling) on it, on a table at known corners."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from digit_app.photos.sheet import homography
from tests.test_preprocess import number_canvas

FRAME = (900, 1200)  # width, height of a photo of a sheet on a table
SHEET = (600, 848)  # width, height of the sheet, upright
PAPER = (0.93, 0.91, 0.86)
INK = (0.1, 0.12, 0.3)


def sheet(rows: list[list[int]] = (), ruled: float = 0.0, size: tuple[int, int] = SHEET,
          digit_size: float = 90) -> np.ndarray:
    """An upright sheet, float RGB: `rows` of digits written one under the other, on ruled lines `ruled` px apart."""
    width, height = size
    picture = np.ones((height, width, 3), np.float32) * np.array(PAPER, np.float32)
    if ruled:
        lines = Image.new("L", size, 0)
        for y in np.arange(ruled, height, ruled):
            ImageDraw.Draw(lines).line([(0, y), (width, y)], fill=255, width=2)
        picture *= 1.0 - np.asarray(lines, np.float32)[..., None] / 255.0 * 0.25
    top = int(height * 0.3)
    for digits in rows:
        ink = number_canvas(digits, gap=25, size=digit_size, brush=digit_size / 9)[..., 0].astype(np.float32) / 255.0
        rows_used, columns_used = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        ink = ink[rows_used[0] : rows_used[-1] + 1, columns_used[0] : columns_used[-1] + 1]
        left = (width - ink.shape[1]) // 2
        area = picture[top : top + ink.shape[0], left : left + ink.shape[1]]
        area[:] = area * (1 - ink[..., None]) + np.array(INK, np.float32) * ink[..., None]
        top += int(digit_size * 1.8)
    return picture


def table(size: tuple[int, int] = FRAME, seed: int = 0) -> np.ndarray:
    """A brown table top with grain running across it, seams between its boards and dark knots, float RGB."""
    width, height = size
    rng = np.random.default_rng(seed)
    grain = np.repeat(rng.normal(0, 0.06, (height, 1)), width, axis=1) + rng.normal(0, 0.02, (height, width))
    wood = Image.fromarray((np.clip(0.5 * (1 + grain), 0, 1) * 255).astype(np.uint8))
    pen = ImageDraw.Draw(wood)
    for y in range(150, height, 300):
        pen.line([(0, y), (width, y)], fill=40, width=3)  # seams
    for x, y in rng.uniform(0, 1, (12, 2)) * size:
        pen.ellipse((x - 14, y - 8, x + 14, y + 8), outline=30, width=4)  # knots
    shade = np.asarray(wood, np.float32)[..., None] / 127.5
    return np.clip(np.array([0.45, 0.3, 0.18], np.float32) * shade, 0, 1).astype(np.float32)


def corners(angle: float = 0.0, keystone: float = 0.0, scale: float = 0.75, centre=(0.5, 0.5)) -> np.ndarray:
    """Where a sheet lands in the frame: turned `angle` degrees, its top `keystone` narrower; TL, TR, BR, BL."""
    half = np.array(SHEET, np.float64) * scale * FRAME[1] / SHEET[1] / 2
    points = np.array([[-half[0] * (1 - keystone), -half[1]], [half[0] * (1 - keystone), -half[1]],
                       [half[0], half[1]], [-half[0], half[1]]])
    turn = np.radians(angle)
    points = points @ np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
    return points + np.array(centre) * FRAME


def on_table(upright: np.ndarray, where: np.ndarray, seed: int = 0, shadow: float = 0.0) -> np.ndarray:
    """The sheet laid on a table at corners `where`, a little grain (and a shadow across its right half); RGB uint8."""
    height, width = upright.shape[:2]
    flat = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    back = homography(where, flat)  # for each photo pixel, where on the sheet it comes from
    coefficients = tuple((back / back[2, 2]).ravel()[:8])
    laid = Image.fromarray((upright * 255).astype(np.uint8)).transform(
        FRAME, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR)
    cover = Image.new("L", (width, height), 255).transform(
        FRAME, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR)
    cover = np.asarray(cover, np.float32)[..., None] / 255.0
    photo = table(seed=seed) * (1 - cover) + np.asarray(laid, np.float32) / 255.0 * cover
    if shadow:
        photo[:, FRAME[0] // 2 :] *= 1 - shadow
    rng = np.random.default_rng(seed)
    photo = photo + rng.normal(0, 0.01, photo.shape[:2])[..., None]
    return (np.clip(photo, 0, 1) * 255).astype(np.uint8)


def close_up(rows: list[list[int]] = (), ruled: float = 0.0, angle: float = 0.0, digit_size: float = 90) -> np.ndarray:
    """A photo of paper only (no sheet edge in it), the writing turned `angle` degrees clockwise; RGB uint8."""
    page = Image.fromarray((sheet(rows, ruled, size=(1400, 1100), digit_size=digit_size) * 255).astype(np.uint8))
    page = page.rotate(-angle, Image.Resampling.BILINEAR, fillcolor=tuple(int(c * 255) for c in PAPER))
    return np.asarray(page.crop((150, 100, 1250, 950)))


def jpeg(photo: np.ndarray) -> bytes:
    """The photo as a phone would send it."""
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
