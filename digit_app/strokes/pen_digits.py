"""The 30 writers' pen-drawn digits the app learns from, shipped with it in one compact file.

`pen_digits.npz` holds UCI's `pendigits-orig.tra` (Alpaydin & Alimoglu, CC BY 4.0): 7,494 digits
as a tablet recorded them, every stroke kept. Whole writers are held out of training
(`HELD_OUT_WRITERS`), so what a model reads of them says how it reads people it never saw.
Drawing them on a canvas as a person would is `digit_app.strokes.on_canvas`; writing several as a
number, `digit_app.strokes.pen_numbers`.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_app import settings
from digit_app.errors import DigitAppError, first_line
from digit_app.store.files import atomic_write, open_plain
from digit_app.strokes.unipen import PenDigit

PEN_DIGITS_FILE = Path(__file__).with_name("pen_digits.npz")
WRITERS = range(1, 31)
HELD_OUT_WRITERS = frozenset(range(25, 31))  # 6 of the 30: never trained on, only measured
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
