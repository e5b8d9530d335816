"""The 30 writers' pen-drawn digits the app learns from, shipped with it in one compact file.

`pen_digits.npz` holds UCI's `pendigits-orig.tra` (Alpaydin & Alimoglu, CC BY 4.0): 7,494 digits
as a tablet recorded them, every stroke kept. Whole writers are held out of training
(`HELD_OUT_WRITERS`), so what a model reads of them says how it reads people it never saw.
`draw_like_canvas` puts a digit on a canvas the way a person draws it there: any size and place,
any brush, the uneven points of a mouse or a finger.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_app import settings
from digit_app.errors import DigitAppError, first_line
from digit_app.preprocess import UnreadableDrawingError, to_mnist
from digit_app.render import draw_strokes
from digit_app.sizes import CANVAS_SIZE, MNIST_SHAPE, NUMBER_CANVAS
from digit_app.store.files import atomic_write, open_plain
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS, box, stroke_features
from digit_app.strokes.unipen import PenDigit

PEN_DIGITS_FILE = Path(__file__).with_name("pen_digits.npz")
WRITERS = range(1, 31)
HELD_OUT_WRITERS = frozenset(range(25, 31))  # 6 of the 30: never trained on, only measured
DIGIT_SIZE = (90, 250)  # the digit's longer side on a 280 px canvas
BRUSH = (6, 30)  # brush widths a person picks
POINT_SPACING = (2.0, 12.0)  # px between the points a mouse or finger reports (slow to fast strokes)
WOBBLE = 1.2  # px: at most this much hand tremor and touch noise on each point
MAX_STEP = np.iinfo(np.int16).max  # tablet units between two points: steps are packed as int16
MAX_WRITER = np.iinfo(np.uint8).max  # writers are packed as uint8 (UCI's are 1 to 44)
# What a damaged or cut-short .npz raises while it is read: all of them mean "restore the file".
READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


class PenDataError(DigitAppError, ValueError):
    """The pen digits file is missing or damaged; the message says which and what to do."""


@dataclass(frozen=True)
class PenDigits:
    """Digits as strokes of (x, y) points (y down, tablet units), with their labels and writers."""

    strokes: tuple[tuple[np.ndarray, ...], ...]
    labels: np.ndarray  # (n,) int64
    writers: np.ndarray  # (n,) int64, 1 to 30

    def __len__(self) -> int:
        return len(self.labels)

    def of_writers(self, writers: Iterable[int]) -> PenDigits:
        """Only the digits by these writers."""
        keep = np.flatnonzero(np.isin(self.writers, list(writers)))
        return PenDigits(tuple(self.strokes[i] for i in keep), self.labels[keep], self.writers[keep])

    def for_training(self) -> PenDigits:
        return self.of_writers(w for w in WRITERS if w not in HELD_OUT_WRITERS)

    def held_out(self) -> PenDigits:
        return self.of_writers(HELD_OUT_WRITERS)


def from_unipen(digits: Sequence[PenDigit]) -> PenDigits:
    """The digits read by `digit_app.strokes.unipen.read_unipen`."""
    return PenDigits(tuple(d.strokes for d in digits), np.array([d.label for d in digits], np.int64),
                     np.array([d.writer for d in digits], np.int64))


def save_pen_digits(digits: PenDigits, path: str | os.PathLike[str] = PEN_DIGITS_FILE) -> None:
    """Pack the digits into one compressed file (written whole or not at all): the steps between points,
    and how many per stroke and digit.

    Steps of a few tablet units compress to about half the size of the points themselves.
    """
    strokes = [stroke for digit in digits.strokes for stroke in digit]
    points = np.rint(np.concatenate(strokes)).astype(np.int64)
    steps = np.diff(points, axis=0, prepend=np.zeros((1, 2), np.int64))
    _check_packable(steps, digits)
    arrays = {
        "steps": steps.astype(np.int16),
        "stroke_points": np.array([len(s) for s in strokes], np.int32),
        "digit_strokes": np.array([len(d) for d in digits.strokes], np.int32),
        "labels": digits.labels.astype(np.uint8),
        "writers": digits.writers.astype(np.uint8),
    }

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as file:  # a file, not a name: numpy would add ".npz" to a name without it
            np.savez_compressed(file, **arrays)

    atomic_write(Path(path), write)

def _check_packable(steps: np.ndarray, digits: PenDigits) -> None:
    """Refuse (PenDataError) what the packed types cannot hold, rather than let it wrap around unseen."""
    if np.abs(steps).max(initial=0) > MAX_STEP:
        raise PenDataError(f"A pen moves more than {MAX_STEP} tablet units between two points: these are not "
                           "tablet coordinates, so nothing was written.")
    outside = digits.writers[(digits.writers < 0) | (digits.writers > MAX_WRITER)]
    if len(outside):
        raise PenDataError(f"Writers are numbered 0 to {MAX_WRITER}, not {outside[0]}: nothing was written.")


def load_pen_digits(path: str | os.PathLike[str] | None = None) -> PenDigits:
    """The shipped pen digits ($DIGIT_APP_PEN_DIGITS, or another file written by `save_pen_digits`), checked."""
    path = path or settings.current().pen_digits or PEN_DIGITS_FILE
    try:
        with open_plain(path) as file, np.load(file, allow_pickle=False) as packed:
            steps, stroke_points, digit_strokes, labels, writers = (
                packed[key] for key in ("steps", "stroke_points", "digit_strokes", "labels", "writers"))
    except READ_ERRORS as error:
        reason = first_line(error).rstrip(".")
        raise PenDataError(f"Could not read the pen digits in {path} ({reason}): restore the file from the "
                           "repository, or train without drawn digits.") from None
    points = np.cumsum(steps, axis=0, dtype=np.int32) if steps.ndim == 2 else steps
    if (points.ndim != 2 or points.shape[1:] != (2,) or stroke_points.sum() != len(points)
            or digit_strokes.sum() != len(stroke_points) or not len(labels) == len(digit_strokes) == len(writers)
            or (stroke_points < 1).any() or (digit_strokes < 1).any() or labels.max(initial=0) > 9):
        raise PenDataError(f"The pen digits in {path} are inconsistent: restore the file from the repository.")
    strokes = np.split(points.astype(np.float32), np.cumsum(stroke_points)[:-1])
    bounds = np.cumsum(digit_strokes)
    digits = tuple(tuple(strokes[end - count:end]) for end, count in zip(bounds, digit_strokes))
    return PenDigits(digits, labels.astype(np.int64), writers.astype(np.int64))


def draw_like_canvas(strokes: Sequence[np.ndarray], rng: np.random.Generator,
                     size: int = CANVAS_SIZE) -> tuple[np.ndarray, list[np.ndarray], float]:
    """A pen digit drawn on a `size` canvas as a person would: (RGBA canvas, its strokes there, brush).

    Random size, place and brush; each stroke's points re-taken at the uneven spacing of a mouse or
    a finger and moved by a little tremor, as the canvas would record them.
    """
    left, top, right, bottom = box(strokes)
    extent = max(right - left, bottom - top) or 1.0
    side = rng.uniform(*DIGIT_SIZE)
    scale = side / extent
    width, height = (right - left) * scale, (bottom - top) * scale
    brush = rng.uniform(*BRUSH)
    margin = brush / 2 + 1
    x0 = rng.uniform(margin, max(margin, size - width - margin))
    y0 = rng.uniform(margin, max(margin, size - height - margin))
    wobble = rng.uniform(0, WOBBLE)
    placed = [as_pointer_moves((stroke - (left, top)) * scale + (x0, y0), rng, wobble) for stroke in strokes]
    return draw_strokes(placed, brush=brush, size=size), placed, brush


def as_pointer_moves(stroke: np.ndarray, rng: np.random.Generator, wobble: float) -> np.ndarray:
    """A stroke's path as a pointer reports it: points every few pixels, each a little off."""
    steps = np.hypot(*np.diff(stroke, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0:
        return stroke[:1] + rng.normal(0, wobble, (1, 2)).astype(np.float32)
    spacing = rng.uniform(*POINT_SPACING)
    count = max(2, int(along[-1] / spacing) + 1)
    at = np.sort(rng.uniform(0, along[-1], count))
    at[0], at[-1] = 0.0, along[-1]
    moved = np.column_stack([np.interp(at, along, stroke[:, 0]), np.interp(at, along, stroke[:, 1])])
    return (moved + rng.normal(0, wobble, moved.shape)).astype(np.float32)


def drawn_inputs(digits: PenDigits, seed: int = 0,
                 on_progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each digit drawn on a canvas and read as the app reads a drawing: (pixels, strokes, labels).

    pixels (n, 28, 28) float32 come from the app's own `to_mnist`, strokes (n, STROKE_POINTS,
    STROKE_FEATURES) from its `stroke_features`. Drawings `to_mnist` refuses are left out.
    `on_progress(done, total)` hears how far it is, PROGRESS_REPORTS times in all (it takes a while).
    """
    rng = np.random.default_rng(seed)
    pixels, features, labels = [], [], []
    every = max(1, len(digits) // PROGRESS_REPORTS)
    for done, (strokes, label) in enumerate(zip(digits.strokes, digits.labels)):
        if on_progress is not None and done % every == 0:
            on_progress(done, len(digits))
        canvas, placed, _ = draw_like_canvas(strokes, rng)
        try:
            pixels.append(to_mnist(canvas))
        except UnreadableDrawingError:
            continue
        features.append(stroke_features(placed))
        labels.append(label)
    if not labels:
        return (np.zeros((0, *MNIST_SHAPE), np.float32), np.zeros((0, STROKE_POINTS, STROKE_FEATURES), np.float32),
                np.zeros(0, np.int64))
    return np.stack(pixels), np.stack(features), np.array(labels, np.int64)


PROGRESS_REPORTS = 50  # progress reports while drawing digits for training
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
