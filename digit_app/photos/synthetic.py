"""Lines of digits composed to teach the line reader: written, laid on paper, photographed, and found again.

Each line is written by one hand: a training writer's pen digits (their strokes drawn with an
ink pen of varied width) or MNIST training digits, spaced, touching or overlapping, at slightly
varying heights, turned a little. It is laid on off-white paper, often ruled or squared, lit
unevenly, shadowed, blurred and grainy, and then its ink is found by the same steps the Photo
page takes (`digit_app.photos.ink`, `digit_app.photos.ruling`): what the reader learns from is the
picture it will be given. Some lines are blank or ruled only, and must read as nothing.

Only training data goes in: MNIST's training digits and the pen digits of writers 1-24
(`PenDigits.for_training`); the held-out writers 25-30 measure, never teach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from digit_app.photos.ink import GRAIN_SIGMA, ink_darkness, ink_mask, line_picture
from digit_app.photos.ruling import remove_ruling
from digit_app.render import draw_lines
from digit_app.strokes.pen_digits import HELD_OUT_WRITERS, PenDigits

DIGITS = (1, 6)  # digits in a composed line
BLANK = 0.08  # share of lines with nothing written (plain, ruled or squared paper)
CLOSE = 0.6  # share of lines written close: touching or overlapping
SPACED_GAP, CLOSE_GAP = (0.08, 0.55), (-0.3, 0.04)  # gaps between digits, share of the digit height (< 0: crossing)
DIGIT_HEIGHT = (24, 72)  # px: a digit's height on the page read
PEN = (0.025, 0.13)  # pen width, share of the digit height ...
MIN_PEN = 1.5  # ... and at least this many px (a thinner line barely marks the page it is read from)
THIN = 0.25  # share of MNIST digits written thinner (their ink worn down by a pixel)
BROKEN = 0.2  # share of digits whose strokes break: the pen skipped in a few small places
SKIPS, SKIP_SIZE = (1, 3), (0.05, 0.1)  # places a broken digit's pen skipped, and their radius (share of its height)
MNIST_SHARE = 0.4  # share of lines written with MNIST digits (the rest: pen digits)
RULED, SQUARED = 0.4, 0.15  # share of lines on ruled, on squared paper
TURN = 3.0  # degrees: the line is turned up to this much (read_photo levels the page, not each line exactly)
SIZE_JITTER = 0.12  # each digit's size varies this much
LIFT = 0.07  # each digit sits up to this share of the height above or below the line
PAGE_HEIGHTS = 16  # the side of the page a line is cut from is about this many digit heights
DOT = 0.1  # share of lines with a stray dot beside them (left out of the text)
SLANT = 0.3  # each digit is sheared up to this much (x moves by this share of y) ...
SHAPE_TURN = 8.0  # ... turned up to this many degrees ...
STRETCH = (0.8, 1.2)  # ... and made this much wider or narrower: 21 writers' digits stand for many more hands


@dataclass(frozen=True)
class DigitPool:
    """Digits to write lines with: MNIST images with labels, and pen digits with labels and writers."""

    mnist: np.ndarray  # (n, 28, 28) uint8
    mnist_labels: np.ndarray  # (n,)
    pen: PenDigits

    def __post_init__(self) -> None:
        if not len(self.mnist) and not len(self.pen):
            raise ValueError("Lines are composed from some digits: the pool is empty.")
        if np.isin(self.pen.writers, list(HELD_OUT_WRITERS)).any():
            raise ValueError("Held-out writers' digits never compose training lines.")


def compose_line(pool: DigitPool, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One composed line as the Photo page would see it: (its picture, white on black float32, the text written).

    The text is empty for a blank line; the picture is then what the ink finding left (often nothing).
    """
    height = float(rng.uniform(*DIGIT_HEIGHT))
    count = 0 if rng.random() < BLANK else int(rng.integers(DIGITS[0], DIGITS[1] + 1))
    if count and (not len(pool.pen) or len(pool.mnist) and rng.random() < MNIST_SHARE):
        chosen = rng.integers(len(pool.mnist), size=count)
        digits = [_mnist_ink(pool.mnist[i], height, rng) for i in chosen]
        digits = [_thinned(d) if rng.random() < THIN else d for d in digits]
        text = "".join(str(int(pool.mnist_labels[i])) for i in chosen)
    elif count:
        writer = rng.choice(np.unique(pool.pen.writers))
        own = np.flatnonzero(pool.pen.writers == writer)
        chosen = rng.choice(own, count, replace=len(own) < count)
        pen = max(MIN_PEN, height * rng.uniform(*PEN))
        digits = [_pen_ink(pool.pen.strokes[i], height, pen, rng) for i in chosen]
        text = "".join(str(int(pool.pen.labels[i])) for i in chosen)
    else:
        digits, text = [], ""
    digits = [_broken(d, height, rng) if rng.random() < BROKEN else d for d in digits]
    ink = _laid_out(digits, height, rng)
    page = _photographed(ink, height, rng)
    darkness = remove_ruling(ink_darkness(ndimage.gaussian_filter(page, GRAIN_SIGMA), board=False),
                             side=PAGE_HEIGHTS * height)
    mask = ink_mask(darkness, min_mark=0.12 * height, hysteresis=True)
    return _line_of(mask, height), text


def _mnist_ink(image: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit's ink, cropped to it and scaled to about `height` pixels tall."""
    rows, columns = np.flatnonzero(image.max(axis=1) > 40), np.flatnonzero(image.max(axis=0) > 40)
    crop = image[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1] if len(rows) else image
    crop = _reshaped(crop, rng)
    scale = height * rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER) / crop.shape[0]
    size = (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale)))
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), np.float32) / 255.0


def _pen_ink(strokes: tuple[np.ndarray, ...], height: float, pen: float, rng: np.random.Generator) -> np.ndarray:
    """A pen digit's strokes drawn with an ink pen `pen` pixels wide, about `height` pixels tall."""
    shape = _shape_change(rng)
    strokes = tuple(stroke @ shape.T for stroke in strokes)
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = height * rng.uniform(1 - SIZE_JITTER, 1 + SIZE_JITTER) / max(float(high[1] - low[1]), 1.0)
    margin = pen
    size = (int((high[0] - low[0]) * scale + 2 * margin) + 2, int((high[1] - low[1]) * scale + 2 * margin) + 2)
    layer = Image.new("L", size, 0)
    draw_lines(layer, [(stroke - low) * scale + margin for stroke in strokes], pen)
    return np.asarray(layer, np.float32) / 255.0


def _thinned(ink: np.ndarray) -> np.ndarray:
    """A digit's ink worn down by one pixel all round (a finer pen), kept whole if that would leave nothing."""
    thinner = ndimage.grey_erosion(ink, size=(2, 2))
    return thinner if thinner.max() > 0.5 else ink


def _broken(ink: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """A digit's ink with its strokes broken in a few small places, as a pen that skips leaves them."""
    inked = np.argwhere(ink > 0.5)
    if not len(inked):
        return ink
    rows, columns = np.mgrid[0 : ink.shape[0], 0 : ink.shape[1]]
    broken = ink.copy()
    for row, column in inked[rng.integers(len(inked), size=int(rng.integers(SKIPS[0], SKIPS[1] + 1)))]:
        radius = max(1.0, height * rng.uniform(*SKIP_SIZE))
        broken[(rows - row) ** 2 + (columns - column) ** 2 <= radius**2] = 0.0
    return broken


def _shape_change(rng: np.random.Generator) -> np.ndarray:
    """A 2x2 map of a digit's points (x, y; y down) slanted, turned and stretched a little, at random."""
    turn = np.radians(rng.uniform(-SHAPE_TURN, SHAPE_TURN))
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    slant = np.array([[1.0, -rng.uniform(-SLANT, SLANT)], [0.0, 1.0]])
    return rotation @ slant @ np.diag([rng.uniform(*STRETCH), 1.0])


def _reshaped(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An MNIST digit's picture slanted, turned and stretched like a pen digit's points (`_shape_change`)."""
    shape = _shape_change(rng)
    rows, columns = image.shape
    corners = np.array([[0, 0], [columns, 0], [0, rows], [columns, rows]], np.float64) @ shape.T
    low, high = corners.min(axis=0), corners.max(axis=0)
    size = (int(np.ceil(high[0] - low[0])) + 2, int(np.ceil(high[1] - low[1])) + 2)
    back = np.linalg.inv(shape)  # for each output pixel, where in the digit it comes from
    offset = low @ back.T
    coefficients = (back[0, 0], back[0, 1], offset[0], back[1, 0], back[1, 1], offset[1])
    return np.asarray(Image.fromarray(image).transform(size, Image.Transform.AFFINE, coefficients,
                                                       Image.Resampling.BILINEAR))


def _laid_out(digits: list[np.ndarray], height: float, rng: np.random.Generator) -> np.ndarray:
    """The digits side by side on one strip of paper (ink strength in [0, 1]), spaced or close, a little turned."""
    margin = int(height * rng.uniform(0.4, 1.2))
    strip_height = int(height * 2.2)
    if not digits:
        return np.zeros((strip_height, int(height * rng.uniform(2, 6)) + 2 * margin), np.float32)
    gaps = rng.uniform(*(CLOSE_GAP if rng.random() < CLOSE else SPACED_GAP), len(digits)) * height
    width = int(sum(d.shape[1] for d in digits) + gaps[1:].sum()) + 2 * margin + 2
    ink = np.zeros((strip_height, max(width, 2 * margin + 4)), np.float32)
    x = float(margin)
    for index, digit in enumerate(digits):
        x += gaps[index] if index else 0.0
        lift = rng.uniform(-LIFT, LIFT) * height
        top = int(np.clip(strip_height * 0.55 - digit.shape[0] / 2 + lift, 0, strip_height - digit.shape[0]))
        left = int(np.clip(x, 0, ink.shape[1] - digit.shape[1]))
        window = ink[top : top + digit.shape[0], left : left + digit.shape[1]]
        np.maximum(window, digit[: window.shape[0], : window.shape[1]], out=window)
        x += digit.shape[1]
    if rng.random() < DOT:
        radius = height * rng.uniform(0.03, 0.06)
        centre = (rng.uniform(margin / 2, ink.shape[1] - margin / 2), strip_height * 0.55 + height * 0.45)
        dot = Image.fromarray((ink * 255).astype(np.uint8))
        ImageDraw.Draw(dot).ellipse((centre[0] - radius, centre[1] - radius, centre[0] + radius,
                                     centre[1] + radius), fill=255)
        ink = np.asarray(dot, np.float32) / 255.0
    turned = Image.fromarray(ink).rotate(rng.uniform(-TURN, TURN), Image.Resampling.BILINEAR, expand=False)
    return np.asarray(turned, np.float32)


def _photographed(ink: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """Grey levels in [0, 1] of the ink on paper: fibre, ruling, uneven light, a shadow, blur and grain."""
    rows, columns = ink.shape
    paper = np.full(ink.shape, rng.uniform(0.75, 0.97), np.float32)
    paper *= 1.0 + ndimage.gaussian_filter(rng.normal(0, 1, ink.shape).astype(np.float32), 1.0) * 0.015
    kind = rng.random()
    if kind < RULED + SQUARED:
        spacing = height * (rng.uniform(0.5, 0.8) if kind >= RULED else rng.uniform(1.15, 1.6))
        strength = rng.uniform(0.15, 0.45)
        thickness = max(1, round(rng.uniform(1.0, 2.5)))
        lines = np.zeros(ink.shape, np.float32)
        foot = rows * 0.55 + height * rng.uniform(0.45, 0.65)  # digits sit on a printed line
        for y in np.arange(foot % spacing, rows, spacing).astype(int):
            lines[y : y + thickness] = 1.0
        if kind >= RULED:
            for x in np.arange(rng.uniform(0, spacing), columns, spacing).astype(int):
                lines[:, x : x + thickness] = 1.0
        paper *= 1.0 - strength * lines
    y, x = np.mgrid[0:rows, 0:columns].astype(np.float32)
    turn = rng.uniform(0, 2 * np.pi)
    across = ((x - columns / 2) * np.cos(turn) + (y - rows / 2) * np.sin(turn)) / max(rows, columns)
    light = 1.0 - rng.uniform(0.0, 0.3) * (across + 0.5)
    if rng.random() < 0.4:
        edge = rng.uniform(-0.4, 0.4)
        distance = across - edge
        light *= 1.0 - rng.uniform(0.2, 0.45) / (1.0 + np.exp(-distance / rng.uniform(0.004, 0.04)))
    light *= rng.uniform(0.2, 0.4) if rng.random() < 0.15 else 1.0  # dim light
    ink_colour = rng.uniform(0.03, 0.25)
    strength = ink * rng.uniform(0.7, 0.97)
    page = (paper * (1.0 - strength) + ink_colour * strength) * light
    page = ndimage.gaussian_filter(page, rng.uniform(0.4, 1.4))
    grain = rng.uniform(0.004, 0.03) * float(page.mean()) * 4
    return np.clip(page + rng.normal(0, grain, page.shape).astype(np.float32), 0.0, 1.0)


def _line_of(mask: np.ndarray, height: float) -> np.ndarray:
    """The found ink cut to its box (with a little paper around it) and drawn as the Photo page draws a line.

    Nothing found: an empty picture about the size a line of this height would have.
    """
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return np.zeros((min(64, int(height)), min(64, int(height)) * 3), np.float32)
    margin = 4
    top, bottom = max(0, rows[0] - margin), min(mask.shape[0], rows[-1] + 1 + margin)
    left, right = max(0, columns[0] - margin), min(mask.shape[1], columns[-1] + 1 + margin)
    return line_picture(mask[top:bottom, left:right])[0]


def training_pools(mnist: np.ndarray, mnist_labels: np.ndarray, pen: PenDigits,
                   calibration_writers: frozenset[int], mnist_split: int) -> tuple[DigitPool, DigitPool]:
    """(the pool the line reader trains on, the pool it is calibrated on): MNIST training digits before and from
    `mnist_split`, and the training writers without and with only `calibration_writers`."""
    training = pen.for_training()
    own = sorted(set(training.writers.tolist()) - calibration_writers)
    return (DigitPool(mnist[:mnist_split], mnist_labels[:mnist_split], training.of_writers(own)),
            DigitPool(mnist[mnist_split:], mnist_labels[mnist_split:], training.of_writers(calibration_writers)))
