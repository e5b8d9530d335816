"""A reader for UNIPEN pen-trajectory files, such as UCI's `pendigits-orig.tra`.

Each digit is a `.SEGMENT DIGIT ... "<label>"` line, a `.COMMENT <label> <writer> <sample>` line,
then one `.PEN_DOWN` ... `.PEN_UP` block of `x y` lines per stroke. Tablet y points up; the strokes
returned here point down, like a canvas.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

import numpy as np

from digit_app.errors import DigitAppError
from digit_app.store.files import open_plain

MAX_BYTES = 100_000_000  # a UNIPEN file larger than this is not read (UCI's pendigits-orig.tra: about 5 MB)
_SEGMENT = re.compile(r'^\.SEGMENT\s+DIGIT\s+\S+\s+\S+\s+"(\d)"\s*$')
_IGNORED = (".INCLUDE", ".LEXICON", ".HIERARCHY", ".DT", ".COORD", ".X_DIM", ".Y_DIM", ".POINTS_PER_SECOND")


class UnipenFormatError(DigitAppError, ValueError):
    """A UNIPEN file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class PenDigit:
    """One digit as a pen wrote it: strokes of (x, y) points in drawing order, y pointing down."""

    label: int
    writer: int
    strokes: tuple[np.ndarray, ...]  # each (k, 2) float32


def read_unipen(path: str | os.PathLike[str]) -> list[PenDigit]:
    """Every digit in a UNIPEN file, in file order. Raises `UnipenFormatError` naming the bad line.

    A FIFO or a device (/dev/zero would be read until memory ran out) is refused unopened (OSError).
    """
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[np.ndarray] = []
    points: list[tuple[float, float]] | None = None  # the stroke being read, between PEN_DOWN and PEN_UP
    number = 0

    def fail(number: int, why: str) -> UnipenFormatError:
        return UnipenFormatError(f"{path}, line {number}: {why}; this is not a UNIPEN digit file.")

    def finish(number: int) -> None:
        if label is None:
            return
        if points is not None:
            raise fail(number, "a stroke has no .PEN_UP")
        if not strokes:
            raise fail(number, "a digit has no strokes")
        digits.append(PenDigit(label, writer if writer is not None else 0, tuple(strokes)))

    try:
        with open_plain(path) as raw, io.TextIOWrapper(raw, encoding="ascii") as lines:
            if os.fstat(raw.fileno()).st_size > MAX_BYTES:
                raise UnipenFormatError(f"{path} is larger than {MAX_BYTES // 1_000_000} MB; "
                                        "this is not a UNIPEN digit file.")
            for number, line in enumerate(lines, start=1):
                text = line.strip()
                if not text:
                    continue
                if text.startswith(".SEGMENT"):
                    finish(number)
                    match = _SEGMENT.match(text)
                    if match is None:
                        raise fail(number, "a .SEGMENT line without a digit label")
                    label, writer, strokes, points = int(match.group(1)), None, [], None
                elif text.startswith(".COMMENT"):
                    parts = text.split()
                    if label is not None and len(parts) >= 3 and parts[2].isdigit():
                        writer = int(parts[2])
                elif text == ".PEN_DOWN":
                    if label is None or points is not None:
                        raise fail(number, ".PEN_DOWN outside a digit or inside a stroke")
                    points = []
                elif text == ".PEN_UP":
                    if not points:
                        raise fail(number, ".PEN_UP without the points of a stroke")
                    stroke = np.array(points, dtype=np.float32)
                    stroke[:, 1] *= -1.0  # y up on the tablet, down on a canvas
                    strokes.append(stroke)
                    points = None
                elif text.startswith(_IGNORED):
                    continue
                elif text.startswith("."):
                    raise fail(number, f"an unknown keyword {text.split()[0]}")
                else:
                    if points is None:
                        raise fail(number, "a point outside .PEN_DOWN/.PEN_UP")
                    values = text.split()
                    try:
                        x, y = (float(v) for v in values[:2])
                    except ValueError:
                        raise fail(number, f"expected two numbers, got {text[:40]!r}") from None
                    if len(values) < 2 or not (np.isfinite(x) and np.isfinite(y)):
                        raise fail(number, f"expected two numbers, got {text[:40]!r}")
                    points.append((x, y))
            finish(number + 1)
    except UnicodeDecodeError as error:
        raise UnipenFormatError(f"{path} is not a text file ({error.reason}); "
                                "this is not a UNIPEN digit file.") from None
    if not digits:
        raise UnipenFormatError(f"{path} holds no digits; this is not a UNIPEN digit file.")
    return digits
