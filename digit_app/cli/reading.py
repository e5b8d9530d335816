"""`predict`: read the digit in each image file, or every line of digits in each photo, as the pages read them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from digit_app.cli.arguments import Command
from digit_app.cli.classifier import load_chosen
from digit_app.errors import DigitAppError, first_line

if TYPE_CHECKING:
    import numpy as np

    from digit_app.model import Classifier
    from digit_app.photo import Box, FoundLine
    from digit_app.prediction import Reading


class PhotoWithoutDigitsError(DigitAppError):
    """A photo in which no line of digits was found."""


def _predict_arguments(command: argparse.ArgumentParser) -> None:
    """`predict`'s arguments."""
    command.add_argument("images", nargs="+", metavar="IMAGE")
    command.add_argument("--model", help="a .keras model file (default: the active model)")
    command.add_argument("--photo", action="store_true",
                         help="each image is a photo of digits written on paper: read every line, as the Photo page "
                              "does")
    command.add_argument("--json", action="store_true",
                         help="one JSON object per line (with --photo: each line's digits with their probabilities "
                              "and boxes)")


def predict(args: argparse.Namespace) -> int:
    """One answer per file, read as the pages read it; a file that cannot be read gets its own line (and record)."""
    from digit_app.images import load_image, read_image_file

    classifier = load_chosen(args.model)
    failures = 0
    for name in args.images:
        try:
            image = load_image(read_image_file(name))  # a FIFO or a device is refused unopened
            record, line = (_read_photo if args.photo else _read_one_digit)(image, classifier)
        except (OSError, DigitAppError) as error:
            failures += 1
            reason = error.strerror or first_line(error) if isinstance(error, OSError) else first_line(error)
            if args.json:
                print(json.dumps({"file": name, "error": reason}))
            print(f"{name}: error: {reason}", file=sys.stderr)
            continue
        print(json.dumps({"file": name, **record}) if args.json else f"{name}: {line}")
    return 1 if failures else 0


def _read_one_digit(image: np.ndarray, classifier: Classifier) -> tuple[dict, str]:
    """The digit in an image as the Draw page reads one (`read_digit`): a JSON record and a line of text."""
    from digit_app.prediction import read_digit
    from digit_app.preprocess import NOTHING_DRAWN, EmptyDrawingError

    reading = read_digit(image, classifier)
    if reading is None:
        raise EmptyDrawingError(NOTHING_DRAWN)
    return _digit_record(reading), f"{reading.digit} ({reading.confidence:.1%})"


def _read_photo(image: np.ndarray, classifier: Classifier) -> tuple[dict, str]:
    """Every line of digits in a photo as the Photo page reads it (`read_photo`): a JSON record and a line of text.

    Boxes are (left, top, right, bottom) in the pixels of the page as read (the sheet straightened).
    """
    from digit_app.photo import read_photo

    reading = read_photo(image, classifier)
    if not reading.numbers:
        raise PhotoWithoutDigitsError("No digits found in this photo.")
    lines = [{"number": line.number.text, "confidence": round(line.confidence, 4), "sure": line.sure,
              "box": [round(float(v), 1) for v in line.box],
              "digits": [{**_digit_record(digit), "box": [round(float(v), 1) for v in box] if box else None}
                         for digit, box in zip(line.number.digits, _boxes(line))]}
             for line in reading.lines if line.number is not None]
    text = " ".join(reading.numbers) + ("" if reading.sure else " (not sure)")
    return {"numbers": list(reading.numbers), "confidence": round(reading.confidence, 4), "sure": reading.sure,
            "lines": lines}, text


def _boxes(line: FoundLine) -> list[Box | None]:
    """Each digit's box on a photo's line, or None for each when they could not be placed."""
    boxes = list(line.digit_boxes)
    return boxes if len(boxes) == len(line.number.digits) else [None] * len(line.number.digits)


def _digit_record(reading: Reading) -> dict:
    """One digit's answer as JSON: the digit, how sure, all ten probabilities."""
    return {"digit": reading.digit, "confidence": round(reading.confidence, 4),
            "probabilities": [round(float(p), 4) for p in reading.probabilities]}


COMMANDS = (  # this group's commands, in the order `--help` lists them
    Command("predict", "read the digit in each image file (or the number in each photo)", _predict_arguments, predict),
)
