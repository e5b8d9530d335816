"""Photographed numbers: held-out writers' digits in ink on paper, photographed, read by the Photo page's path.

    python benchmarks/photos.py [--count N] [--seed S] [--old-path] [--skip-large | --only-large] [--reader DIR]
    python benchmarks/photos.py --fit-confidence [--count N]   (default: 40 of each kind and hand)

Makes its own photos, the same for a seed: numbers of 1-5 digits by one of the 6 held-out writers
(their pen strokes, laid out by `write_number`), drawn with an ink pen of varied width on paper,
then lit unevenly, shadowed, blurred, grainy and saved as JPEG. Kinds:
- spaced, close (touching): a close-up of the paper, turned up to 10 degrees;
- askew on a table: the whole sheet lying on a textured table, turned up to 10 degrees, in perspective;
- ruled: ruled or squared paper, written on the lines;
- dim light: dark and noisy;
- two lines: two numbers one above the other;
- blank page: nothing written (plain, ruled or squared; close-up or on the table): no number is right;
- fonts (when the Debian handwriting fonts are installed): a number typed in one of them.
Each photo is read as the Photo page reads it: `load_image`, then `digit_app.photo.read_photo`
(the sheet and the lines found), or with --old-path `photo_ink` and `read_number` on the whole
photo, as before the sheet was looked for. Prints, per kind, the numbers read right, the digit
count right and the digits right where the count is; then the median time and the server's extra
memory for one 12-megapixel (4000x3000) photo.

With --fit-confidence it makes the same kinds of photos, `--count` of each, from the line reader's
calibration writers (22-24) and as many in MNIST training digits 9,000-9,999 (neither ever trained the
line reader; never the held-out writers above), reads them the same way, fits the confidence shown for
a line to what both readers said (`digit_app.photos.confidence`) and keeps it in model/ for this line
reader: run it again whenever the line reader or the reading changes. It prints how well a fit made on
one hand's lines alone is calibrated on the other's, and the fit's reliability table.

The 12 MP time is measured on a shared machine (two cores, other work running): it moves with the load.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drawn_digits  # noqa: E402
from digit_app.images import load_image  # noqa: E402
from digit_app.photos.sheet import homography  # noqa: E402
from digit_app.render import draw_lines  # noqa: E402
from digit_app.strokes.pen_digits import PenDigits, load_pen_digits  # noqa: E402
from digit_app.strokes.pen_numbers import write_number  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("spaced", "close", "askew on a table", "ruled", "dim light", "two lines", "blank page")
CLOSE_UP = (1600, 1200)  # a phone photo of the writing, landscape (width, height)
ON_TABLE = (1200, 1600)  # a phone photo of a whole sheet on a table, portrait
SHEET = (1000, 1414)  # the sheet, A-series proportions, in its own pixels
LARGE = (4000, 3000)  # a 12-megapixel photo, for the time and memory
DIGITS = (1, 5)  # digits in a number
CLOSE_UP_HEIGHT = (0.05, 0.18)  # digit height, share of a close-up's height
SHEET_HEIGHT = (0.03, 0.07)  # digit height, share of the sheet's height
PEN = (0.05, 0.11)  # pen width, share of the digit height
TURN = 10.0  # degrees: a close-up or a sheet turned up to this much either way
WRITING_TURN = 3.0  # degrees: the writing turned on its sheet
KEYSTONE = 0.1  # the far edge of a sheet photographed in perspective is up to this much shorter
INK_COLOURS = ((0.08, 0.08, 0.12), (0.1, 0.15, 0.45), (0.05, 0.05, 0.05))  # black, blue ballpoint, pencil-dark
TABLE_COLOURS = ((0.45, 0.3, 0.18), (0.6, 0.45, 0.3), (0.3, 0.22, 0.16), (0.5, 0.5, 0.5))
RULING_COLOUR = (0.55, 0.7, 0.95)  # light blue, printed
MARGIN_COLOUR = (0.95, 0.55, 0.55)  # the red margin line
TIMING_RUNS = 5
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Photo:
    """One made-up photo: its JPEG file, and the numbers written on it, top to bottom (none: blank)."""

    kind: str
    data: bytes
    texts: tuple[str, ...]


# ---- writing ---------------------------------------------------------------------------------------

Stroke = tuple[np.ndarray, float]  # (k, 2) points in pixels, pen width


def written_number(pen: PenDigits, rng: np.random.Generator, digit_height: float, close: bool,
                   width: float) -> tuple[list[Stroke], str]:
    """A number by one held-out writer, its strokes in a box `width` wide, its digits about `digit_height` tall."""
    writer = rng.choice(np.unique(pen.writers))
    chosen = rng.choice(np.flatnonzero(pen.writers == writer), rng.integers(DIGITS[0], DIGITS[1] + 1), replace=False)
    height = digit_height / 0.6  # write_number makes the digits 0.45-0.75 of its canvas' height
    written = write_number([pen.strokes[i] for i in chosen], rng, close=close, size=(int(width), int(height)))
    brush = max(2.0, digit_height * rng.uniform(*PEN))
    strokes = [(points - (0, height / 2), brush) for digit in written for points in digit]  # centred on y = 0
    return strokes, "".join(str(pen.labels[i]) for i in chosen)


def font_number(font_path: str, rng: np.random.Generator, digit_height: float) -> tuple[np.ndarray, str]:
    """A number typed in a handwriting font: (white on black grey picture, text)."""
    text = "".join(str(d) for d in rng.integers(0, 10, size=rng.integers(DIGITS[0], DIGITS[1] + 1)))
    font = ImageFont.truetype(font_path, int(digit_height * 1.4))
    left, top, right, bottom = font.getbbox(text)
    glyphs = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(glyphs).text((4 - left, 4 - top), text, fill=255, font=font)
    return np.asarray(glyphs, np.float32) / 255.0, text


def placed(strokes: list[Stroke], centre: tuple[float, float], angle: float) -> list[Stroke]:
    """Strokes centred on x = 0 moved to `centre` and turned by `angle` degrees about it."""
    points = np.concatenate([p for p, _ in strokes])
    middle = (points[:, 0].min() + points[:, 0].max()) / 2
    turn = np.radians(angle)
    rotation = np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
    return [(((p - (middle, 0)) @ rotation) + centre, brush) for p, brush in strokes]


def ink_layer(size: tuple[int, int], strokes: Sequence[Stroke]) -> np.ndarray:
    """Ink strength in [0, 1] of these strokes on a picture of `size`, slightly soaked into the paper."""
    layer = Image.new("L", size, 0)
    for points, brush in strokes:
        draw_lines(layer, [points], brush)
    return np.asarray(layer.filter(ImageFilter.GaussianBlur(0.6)), np.float32) / 255.0


# ---- paper, table, light, camera ---------------------------------------------------------------------

def paper(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Off-white paper with a little fibre, (H, W, 3) float32."""
    width, height = size
    tint = np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.98)], np.float32) * rng.uniform(0.88, 0.97)
    fibre = ndimage.gaussian_filter(rng.normal(0, 1, (height, width)).astype(np.float32), 1.0) * 0.015
    return tint * (1.0 + fibre[..., None])


def rule(picture: np.ndarray, rng: np.random.Generator, spacing: float, angle: float, squared: bool,
         offset: float = 0.0) -> None:
    """Print ruled (or squared) lines, `spacing` apart and turned by `angle`, onto `picture` in place."""
    height, width = picture.shape[:2]
    layer = Image.new("L", (width, height), 0)
    pen = ImageDraw.Draw(layer)
    thickness = max(1, int(round(rng.uniform(1.0, 2.5))))
    reach = int(np.hypot(width, height))
    turn = np.radians(angle)
    along, across = np.array([np.cos(turn), np.sin(turn)]), np.array([-np.sin(turn), np.cos(turn)])
    centre = np.array([width / 2, height / 2])
    for step in np.arange(-(reach // spacing) - 1, reach // spacing + 2) * spacing + offset % spacing:
        for direction, normal in ((along, across), (across, along)) if squared else ((along, across),):
            start, end = centre + normal * step - direction * reach, centre + normal * step + direction * reach
            pen.line([tuple(start), tuple(end)], fill=255, width=thickness)
    strength = np.asarray(layer, np.float32)[..., None] / 255.0 * rng.uniform(0.5, 0.9)
    picture *= 1.0 - strength * (1.0 - np.array(RULING_COLOUR, np.float32))
    if not squared and rng.random() < 0.5:  # a red margin line
        margin = Image.new("L", (width, height), 0)
        start = centre + along * (width * rng.uniform(0.08, 0.15) - width / 2)
        ImageDraw.Draw(margin).line([tuple(start - across * reach), tuple(start + across * reach)], fill=255,
                                    width=thickness)
        picture *= 1.0 - np.asarray(margin, np.float32)[..., None] / 255.0 * 0.6 * (1 - np.array(MARGIN_COLOUR))


def lay_ink(picture: np.ndarray, ink: np.ndarray, rng: np.random.Generator) -> None:
    """Put ink of one colour and strength on `picture` in place."""
    colour = np.array(INK_COLOURS[rng.integers(len(INK_COLOURS))], np.float32)
    strength = ink[..., None] * rng.uniform(0.75, 0.95)
    picture *= 1.0 - strength
    picture += strength * colour


def table(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A wooden (or grey) table top with grain and seams between boards, (H, W, 3) float32."""
    width, height = size
    colour = np.array(TABLE_COLOURS[rng.integers(len(TABLE_COLOURS))], np.float32) * rng.uniform(0.8, 1.1)
    across = rng.random() < 0.5  # the boards run across the photo, or along it
    shape = (width, height) if across else (height, width)
    coarse = ndimage.gaussian_filter(rng.normal(0, 1, (shape[0] // 8, shape[1])).astype(np.float32), (5, 1.5))
    grain = ndimage.zoom(coarse, (shape[0] / coarse.shape[0], 1), order=1)
    grain = grain / max(float(grain.std()), 1e-6) * 0.08
    grain += ndimage.gaussian_filter1d(rng.normal(0, 1, shape[1]).astype(np.float32), 4)[None, :] * 0.1
    board = rng.uniform(200, 400)
    for x in np.arange(rng.uniform(0, board), shape[1], board).astype(int):
        grain[:, x : x + 3] -= 0.4  # seams
    wood = colour * (1.0 + (grain.T if across else grain)[..., None])
    return np.ascontiguousarray(wood)


def shadowed(picture: np.ndarray, rng: np.random.Generator, dim: bool) -> np.ndarray:
    """Uneven light: brighter on one side, a soft shadow across part of it (a hand, the phone), dim or not."""
    height, width = picture.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    turn = rng.uniform(0, 2 * np.pi)
    across = ((x - width / 2) * np.cos(turn) + (y - height / 2) * np.sin(turn)) / max(width, height)
    light = 1.0 - rng.uniform(0.05, 0.35) * (across + 0.5)
    if rng.random() < 0.6:
        edge = rng.uniform(-0.3, 0.4)
        turn = rng.uniform(0, 2 * np.pi)
        distance = ((x - width / 2) * np.cos(turn) + (y - height / 2) * np.sin(turn)) / max(width, height) - edge
        light *= 1.0 - rng.uniform(0.2, 0.45) / (1.0 + np.exp(-distance / rng.uniform(0.004, 0.04)))
    if dim:
        light *= rng.uniform(0.15, 0.3)
    lit = picture * light[..., None]
    if dim:
        lit *= np.array([1.0, 0.9, 0.7], np.float32)  # warm indoor light
    return lit


def camera(picture: np.ndarray, rng: np.random.Generator, dim: bool, size: tuple[int, int] | None = None) -> bytes:
    """What a phone makes of it: blur, grain (more in dim light), and a JPEG."""
    image = Image.fromarray((np.clip(picture, 0, 1) * 255).astype(np.uint8))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.4)))
    if size is not None:
        image = image.resize(size, Image.Resampling.BICUBIC)
    grain = rng.normal(0, 255 * (rng.uniform(0.02, 0.04) if dim else rng.uniform(0.006, 0.02)),
                       (image.height, image.width, 1)).astype(np.float32)
    image = Image.fromarray(np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(60, 92)))
    return buffer.getvalue()


# ---- the scenes ---------------------------------------------------------------------------------------

def close_up(kind: str, pen: PenDigits, rng: np.random.Generator,
             fonts: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """A photo of the paper only, turned up to TURN degrees: (picture, numbers written)."""
    width, height = CLOSE_UP
    angle = rng.uniform(-TURN, TURN)
    picture = paper(CLOSE_UP, rng)
    digit_height = height * rng.uniform(*CLOSE_UP_HEIGHT)
    if kind == "fonts":
        picture, text = font_scene(picture, fonts, rng, digit_height, angle)
        return picture, (text,)
    ruled = kind == "ruled" or (kind == "blank page" and rng.random() < 0.6)
    squared = rng.random() < 0.35
    rule_spacing = digit_height * (rng.uniform(0.5, 0.8) if squared else rng.uniform(1.15, 1.6))
    lines = 0 if kind == "blank page" else 2 if kind == "two lines" else 1
    spacing = digit_height * rng.uniform(1.6, 2.2)
    if ruled:
        spacing = rule_spacing * np.ceil(spacing / rule_spacing)  # each line on a printed line
    baseline = height / 2 + rng.uniform(-0.15, 0.15) * height - spacing * (lines - 1) / 2
    centre_x = width / 2 + rng.uniform(-0.1, 0.1) * width
    texts, strokes = [], []
    for index in range(lines):
        writing, text = written_number(pen, rng, digit_height, kind == "close", width * 0.75)
        bottom = max(float(points[:, 1].max()) for points, _ in writing)
        writing = [(points - (0, bottom), brush) for points, brush in writing]  # y = 0 at the writing's foot
        foot = turned(np.array([centre_x, baseline + index * spacing]), angle, CLOSE_UP)
        strokes += placed(writing, tuple(foot), angle + rng.uniform(-WRITING_TURN, WRITING_TURN) / 3)
        texts.append(text)
    if ruled:
        rule(picture, rng, rule_spacing, angle, squared, offset=baseline - height / 2)
    if strokes:
        lay_ink(picture, ink_layer(CLOSE_UP, strokes), rng)
    return picture, tuple(texts)


def turned(point: np.ndarray, angle: float, size: tuple[int, int]) -> np.ndarray:
    """A point of the paper turned by `angle` degrees about the middle of a picture of `size`."""
    middle = np.array(size, np.float64) / 2
    turn = np.radians(angle)
    return (point - middle) @ np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]]) + middle


def font_scene(picture: np.ndarray, fonts: Sequence[str], rng: np.random.Generator, digit_height: float,
               angle: float) -> tuple[np.ndarray, str]:
    """A number in a handwriting font laid on the paper, turned by `angle`."""
    glyphs, text = font_number(fonts[rng.integers(len(fonts))], rng, digit_height)
    turned = np.asarray(Image.fromarray(glyphs).rotate(angle, Image.Resampling.BILINEAR, expand=True), np.float32)
    height, width = picture.shape[:2]
    ink = np.zeros((height, width), np.float32)
    top, left = (height - turned.shape[0]) // 2, (width - turned.shape[1]) // 2
    ink[top : top + turned.shape[0], left : left + turned.shape[1]] = turned[: height - top, : width - left]
    lay_ink(picture, ink, rng)
    return picture, text


def on_table(kind: str, pen: PenDigits, rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """A whole sheet lying askew on a table: (picture, numbers written, the sheet's corners in it)."""
    sheet = paper(SHEET, rng)
    width, height = SHEET
    digit_height = height * rng.uniform(*SHEET_HEIGHT)
    if rng.random() < 0.3:
        rule(sheet, rng, digit_height * rng.uniform(1.15, 1.6), 0.0, rng.random() < 0.3)
    texts: tuple[str, ...] = ()
    if kind != "blank page":
        writing, text = written_number(pen, rng, digit_height, rng.random() < 0.5, width * 0.8)
        centre = (width / 2 + rng.uniform(-0.05, 0.05) * width, height * rng.uniform(0.2, 0.8))
        lay_ink(sheet, ink_layer(SHEET, placed(writing, centre, rng.uniform(-WRITING_TURN, WRITING_TURN))), rng)
        texts = (text,)
    corners = sheet_corners(rng)
    frame = table(ON_TABLE, rng)
    rgb = Image.fromarray((np.clip(sheet, 0, 1) * 255).astype(np.uint8))
    laid = np.asarray(warp_quad_inverse(rgb, corners), np.float32) / 255.0
    cover = np.asarray(warp_quad_inverse(Image.new("L", SHEET, 255), corners), np.float32)[..., None] / 255.0
    drop = ndimage.shift(ndimage.gaussian_filter(cover[..., 0], 8), (10, 6), order=1)[..., None]
    frame *= 1.0 - 0.35 * drop
    return frame * (1.0 - cover) + laid * cover, texts, corners


def sheet_corners(rng: np.random.Generator) -> np.ndarray:
    """Where a sheet lands in the frame: turned up to TURN degrees, in perspective, wholly inside."""
    frame_width, frame_height = ON_TABLE
    while True:
        scale = frame_height * rng.uniform(0.6, 0.85) / SHEET[1]
        half = np.array([SHEET[0], SHEET[1]]) * scale / 2
        squeeze = rng.uniform(0, KEYSTONE)
        corners = np.array([[-half[0] * (1 - squeeze), -half[1]], [half[0] * (1 - squeeze), -half[1]],
                            [half[0], half[1]], [-half[0], half[1]]])
        corners += rng.normal(0, 0.01 * frame_width, corners.shape)
        turn = np.radians(rng.uniform(-TURN, TURN))
        corners = corners @ np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])
        corners += (frame_width / 2 + rng.uniform(-0.05, 0.05) * frame_width,
                    frame_height / 2 + rng.uniform(-0.05, 0.05) * frame_height)
        margin = 0.02 * frame_width
        if (corners >= margin).all() and (corners[:, 0] <= frame_width - margin).all() and \
                (corners[:, 1] <= frame_height - margin).all():
            return corners


def warp_quad_inverse(sheet: Image.Image, corners: np.ndarray) -> Image.Image:
    """The upright `sheet` laid onto the frame at `corners` (the inverse of straightening it)."""
    width, height = sheet.size
    upright = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    back = homography(corners, upright)  # for each frame pixel, where on the sheet it comes from
    return sheet.transform(ON_TABLE, Image.Transform.PERSPECTIVE, tuple((back / back[2, 2]).ravel()[:8]),
                           Image.Resampling.BILINEAR)


def make_photo(kind: str, pen: PenDigits, rng: np.random.Generator, fonts: Sequence[str] = (),
               size: tuple[int, int] | None = None) -> Photo:
    """One photo of `kind`, made from `rng`."""
    if kind == "askew on a table" or (kind == "blank page" and rng.random() < 0.4):
        picture, texts, _ = on_table(kind, pen, rng)
    else:
        picture, texts = close_up(kind, pen, rng, fonts)
    dim = kind == "dim light"
    return Photo(kind, camera(shadowed(np.clip(picture, 0, 1), rng, dim), rng, dim, size), texts)


def photos(count: int, seed: int, fonts: Sequence[str]) -> list[Photo]:
    """`count` photos of each kind (and in fonts when installed), the same for a seed."""
    pen = load_pen_digits().held_out()
    rng = np.random.default_rng(seed)
    kinds = KINDS + (("fonts",) if fonts else ())
    return [make_photo(kind, pen, rng, fonts) for kind in kinds for _ in range(count)]


# ---- reading them ----------------------------------------------------------------------------------

Read = tuple[tuple[str, ...], float, bool]  # the numbers read, the confidence shown, whether it is "sure"
Reader = Callable[[np.ndarray], Read]


def new_reader(classifier, cut: bool = False, line_reader=None) -> Reader:
    """The Photo page's path: the sheet and its lines found, each line read whole by the line reader (the shipped
    one, or `line_reader`), or, with `cut`, cut into digits each read by the pixel CNN."""
    from digit_app.photo import read_photo

    def read(image: np.ndarray) -> Read:
        reading = read_photo(image, classifier, line_reader, cut=cut)
        return reading.numbers, reading.confidence, reading.sure

    return read


def old_reader(classifier) -> Reader:
    """The path before the sheet was looked for: the ink of the whole photo read as one number."""
    from digit_app.photo import photo_ink
    from digit_app.prediction import read_number

    def read(image: np.ndarray) -> Read:
        number = read_number(photo_ink(image), classifier)
        return ((number.text,), number.confidence, number.is_sure) if number else ((), 0.0, False)

    return read


def report(kind: str, read: list[tuple[str, ...]], truth: list[tuple[str, ...]]) -> None:
    """One row: numbers right, digit count right, digits right where the count is (digit by digit)."""
    right = np.mean([r == t for r, t in zip(read, truth)])
    if kind == "blank page":
        print(f"{kind:<18} n={len(truth):>4}  no number found {right:.3f}")
        return
    counted = [(r, t) for rs, ts in zip(read, truth) for r, t in zip(rs, ts) if len(rs) == len(ts) and len(r) == len(t)]
    count_right = np.mean([len(rs) == len(ts) and all(len(r) == len(t) for r, t in zip(rs, ts))
                           for rs, ts in zip(read, truth)])
    digits = np.mean([a == b for r, t in counted for a, b in zip(r, t)]) if counted else float("nan")
    print(f"{kind:<18} n={len(truth):>4}  numbers right {right:.3f}   digit count right {count_right:.3f}   "
          f"digits right where counted right {digits:.3f}")


def honesty(shown: list[tuple[float, bool, bool]]) -> None:
    """How honest the confidence shown is, over every photo that showed a number: (confidence, sure, right)."""
    if not shown:
        return
    chances, sure, right = (np.array(column, np.float64) for column in zip(*shown))
    print(f"confidence shown on {len(shown)} photos with a number:", end=" ")
    reliability(chances, sure > 0.5, right)


def reliability(chances: np.ndarray, sure: np.ndarray, right: np.ndarray, table: bool = True) -> None:
    """Print the calibration error (ten bins of the chance shown), the wrong readings flagged "not sure", the right
    ones flagged, and (with `table`) each bin: how many, the mean chance shown, the share right."""
    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(chances, edges[1:-1]), 0, 9)
    error = sum((which == b).mean() * abs(chances[which == b].mean() - right[which == b].mean())
                for b in range(10) if (which == b).any())
    wrong = right < 0.5
    flagged = float((~sure[wrong]).mean()) if wrong.any() else float("nan")
    print(f"mean {chances.mean():.3f}, right {right.mean():.3f}, calibration error {error:.3f}; wrong readings "
          f"flagged \"not sure\" {flagged:.3f} ({int(wrong.sum())} wrong); right ones flagged "
          f"{float((~sure[~wrong]).mean()) if (~wrong).any() else float('nan'):.3f}")
    if table:
        for b in range(10):
            if (which == b).any():
                print(f"  shown {edges[b]:.1f}-{edges[b + 1]:.1f}: n={int((which == b).sum()):>4}  mean shown "
                      f"{chances[which == b].mean():.3f}  right {right[which == b].mean():.3f}")


def large_photo(seed: int) -> bytes:
    """A 12-megapixel phone photo of a sheet on a table with a number on it: 4000x3000 pixels stored
    landscape, with the EXIF orientation that turns them upright, as a phone held upright saves them."""
    rng = np.random.default_rng(seed + 1)
    upright = Image.open(io.BytesIO(make_photo("askew on a table", load_pen_digits().held_out(), rng,
                                               size=(LARGE[1], LARGE[0])).data))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # the camera's pixels are to be turned 90 degrees clockwise to be seen upright
    buffer = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


PROBE = """
import sys
from pathlib import Path
from digit_app.images import load_image
from digit_app.model import load_classifier

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

classifier = load_classifier()
data = Path(sys.argv[1]).read_bytes()
old = sys.argv[2] == "old"
if old:
    from digit_app.photo import photo_ink
    from digit_app.prediction import read_number
    read = lambda image: read_number(photo_ink(image), classifier)
else:
    from digit_app.photo import read_photo
    read = lambda image: read_photo(image, classifier)
read(load_image(data))  # everything imported and warmed up
Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from what is resident now
before = status("VmRSS")
read(load_image(data))
print(f"{status('VmHWM') - before:.0f}")
"""


def timing(classifier, reader: Reader, data: bytes, old: bool) -> None:
    """The median time of TIMING_RUNS readings of a 12-megapixel photo, and the server's extra peak memory."""
    times = []
    for _ in range(TIMING_RUNS):
        start = time.perf_counter()
        reader(load_image(data))
        times.append(time.perf_counter() - start)
    with Path("/tmp/photos-benchmark-large.jpg").open("wb") as file:
        file.write(data)
    probe = subprocess.run([sys.executable, "-c", PROBE, file.name, "old" if old else "new"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    print(f"12-megapixel photo ({LARGE[0]}x{LARGE[1]}, {len(data) / 1e6:.1f} MB JPEG): median "
          f"{np.median(times) * 1000:.0f} ms (load_image and reading), extra peak memory "
          f"{probe.stdout.strip().splitlines()[-1]} MB")


CONFIDENCE_SEED = 12345  # the calibration photos, for --fit-confidence
MNIST_GROUP = 20  # MNIST keeps no writers: a number in MNIST digits takes its digits from one group of this many
MNIST_TRACE = 4  # an MNIST digit's centre line is traced at this many times its size


def mnist_pen_digits(images: np.ndarray, labels: np.ndarray) -> PenDigits:
    """MNIST digits as pen digits, so they are written like them: each digit's centre line, traced pixel to pixel
    (8-neighbours) at MNIST_TRACE times its size, as two-point strokes; MNIST_GROUP digits to a made-up writer."""
    from skimage.morphology import skeletonize

    strokes = []
    for image in images:
        big = np.asarray(Image.fromarray(image).resize((28 * MNIST_TRACE,) * 2, Image.Resampling.BILINEAR)) > 127
        line = skeletonize(big)
        rows, columns = np.nonzero(line)
        pieces = [np.array([[x, y], [x + dx, y + dy]], np.float64) for y, x in zip(rows, columns)
                  for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1))
                  if 0 <= y + dy < line.shape[0] and 0 <= x + dx < line.shape[1] and line[y + dy, x + dx]]
        strokes.append(tuple(pieces) or (np.array([[x, y] for y, x in zip(rows, columns)], np.float64),))
    return PenDigits(tuple(strokes), np.asarray(labels, np.int64), 1000 + np.arange(len(labels)) // MNIST_GROUP)


def calibration_hands() -> dict[str, PenDigits]:
    """The hands the confidence is fitted on: never the held-out writers the benchmark reads.

    The line reader's calibration writers (22-24: the line reader never trained on them, the pixel
    CNN did), MNIST training digits 9,000-9,999 (the same), and MNIST test digits (neither ever
    trained on them, nor on their writers): the hands the judge never saw read about as badly as
    the held-out writers'.
    """
    from digit_app.photos.line_reader import CALIBRATION_WRITERS, MNIST_CALIBRATION
    from digit_app.training.data import load_training_data

    data = load_training_data(drawn_digits.MNIST_SUBSET)
    train = slice(MNIST_CALIBRATION, MNIST_CALIBRATION + MNIST_DIGITS)
    return {"pen writers 22-24": load_pen_digits().of_writers(CALIBRATION_WRITERS),
            "MNIST training 9000+": mnist_pen_digits(data.x_train[train], data.y_train[train]),
            "MNIST test": mnist_pen_digits(data.x_test[:MNIST_DIGITS], data.y_test[:MNIST_DIGITS])}


MNIST_DIGITS = 1000  # MNIST digits of each part written on the calibration photos
FIT_HANDS = ("pen writers 22-24", "MNIST training 9000+", "MNIST test")  # the hands --fit-confidence fits on


def calibration_photos(count: int, hands: Sequence[str] | None = None) -> tuple[list[Photo], list[str]]:
    """(`count` photos of each kind in each calibration hand, or only those named; each one's hand). A hand's photos
    are the same for a count whichever others are made."""
    made, names = [], []
    for index, (name, pen) in enumerate(calibration_hands().items()):
        if hands is None or name in hands:
            rng = np.random.default_rng([CONFIDENCE_SEED, index])
            made += [make_photo(kind, pen, rng) for kind in KINDS for _ in range(count)]
            names += [name] * (count * len(KINDS))
    return made, names


def shown_lines(made: Sequence[Photo], classifier, reader) -> tuple[list, np.ndarray, np.ndarray]:
    """(each line's evidence, whether its number is right, which photo it is on) for every line read with a number;
    a line of a photo read with the wrong count of numbers (a blank page's) is wrong."""
    from digit_app.photo import read_photo

    evidence, right, where = [], [], []
    for index, photo in enumerate(made):
        read = [line for line in read_photo(load_image(photo.data), classifier, reader).lines if line.number]
        for line, text in zip(read, photo.texts if len(read) == len(photo.texts) else [None] * len(read)):
            if line.evidence is not None:
                evidence.append(line.evidence)
                right.append(line.number.text == text)
                where.append(index)
    return evidence, np.array(right, np.float64), np.array(where)


def fit_confidence(classifier, count: int) -> None:
    """Fit the confidence shown to the calibration photos, `count` of each kind in each of FIT_HANDS, and keep it in
    model/ for the shipped line reader."""
    from digit_app.photos.confidence import fit_shown_confidence, save_shown_confidence
    from digit_app.photos.line_reader import shipped_line_reader

    reader = shipped_line_reader()
    made, names = calibration_photos(count, FIT_HANDS)
    evidence, right, where = shown_lines(made, classifier, reader)
    features = np.array([e.vector() for e in evidence])
    hand = np.array(names)[where]
    for name in FIT_HANDS if len(FIT_HANDS) > 1 else ():
        alone = fit_shown_confidence(features[hand != name], right[hand != name])
        chances = np.array([alone(e) for e, h in zip(evidence, hand) if h == name])
        print(f"fitted without {name}, on its {int((hand == name).sum())} lines:", end=" ")
        reliability(chances, chances >= alone.unsure_below, right[hand == name], table=False)
    fit = fit_shown_confidence(features, right, reader.sha256)
    save_shown_confidence(fit)
    chances = np.array([fit(e) for e in evidence])
    print(f"confidence shown: fitted on {len(right)} lines of {len(made)} photos ({', '.join(FIT_HANDS)}; "
          f"{np.mean(right):.3f} right); weights {np.round(fit.weights, 3).tolist()}, offset {fit.offset:.3f}, "
          f"not sure below {fit.unsure_below:.3f}; on those lines:")
    reliability(chances, chances >= fit.unsure_below, right)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="photos of each kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--old-path", action="store_true", help="photo_ink and read_number on the whole photo")
    parser.add_argument("--cut-path", action="store_true", help="read_photo with each line cut into digits")
    parser.add_argument("--skip-large", action="store_true", help="no 12-megapixel timing")
    parser.add_argument("--only-large", action="store_true", help="only the 12-megapixel timing")
    parser.add_argument("--kinds", nargs="*", help="only these kinds")
    parser.add_argument("--reader", type=Path, help="a folder holding a candidate line reader (line_reader.tflite "
                        "and .json, as `line-reader --output` writes them) to read with instead of the shipped one")
    parser.add_argument("--fit-confidence", action="store_true",
                        help="fit the confidence shown on the calibration writers' photos and keep it in model/")
    args = parser.parse_args()
    from digit_app.model import load_classifier

    classifier = load_classifier()
    if args.fit_confidence:
        fit_confidence(classifier, args.count)
        return
    candidate = None
    if args.reader is not None:
        from digit_app.photos.line_reader import READER_FILE, METADATA_FILE, load_line_reader

        candidate = load_line_reader(args.reader / READER_FILE.name, args.reader / METADATA_FILE.name)
    reader = old_reader(classifier) if args.old_path else new_reader(classifier, args.cut_path, candidate)
    if args.only_large:
        timing(classifier, reader, large_photo(args.seed), args.old_path)
        return
    fonts = drawn_digits.font_files()
    if not fonts:
        print("handwriting fonts: not installed (apt-get install fonts-bwht fonts-dkg-handwriting ...)")
    made = photos(args.count, args.seed, fonts)
    path = "old path: photo_ink and read_number" if args.old_path else \
        "read_photo, lines cut into digits" if args.cut_path else \
        f"read_photo, line reader in {args.reader}" if args.reader else "read_photo, line reader"
    print(f"{path}, {len(made)} photos, seed {args.seed}")
    shown = []
    for kind in dict.fromkeys(photo.kind for photo in made):
        if args.kinds and kind not in args.kinds:
            continue
        chosen = [photo for photo in made if photo.kind == kind]
        reads = [reader(load_image(photo.data)) for photo in chosen]
        report(kind, [numbers for numbers, _, _ in reads], [photo.texts for photo in chosen])
        shown += [(confidence, sure, numbers == photo.texts)
                  for (numbers, confidence, sure), photo in zip(reads, chosen) if numbers]
    honesty(shown)
    if not args.skip_large:
        timing(classifier, reader, large_photo(args.seed), args.old_path)


if __name__ == "__main__":
    main()
