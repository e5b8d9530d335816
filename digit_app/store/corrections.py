"""The corrections' file formats: the `.npz` they are exported to and imported from, and where the old file was.

Corrections themselves live in the database (`digit_app.database.corrections`). An `.npz` of
corrections holds the keys `images` (n, 28, 28), `labels` (n,) and `predicted` (-1 where unknown);
reading one is checked whole before anything is kept, every member bounded before a byte of it is
unpacked. Before the database, corrections were kept in their own SQLite file
(`$DIGIT_APP_CORRECTIONS`, by default `data/corrections.sqlite`); `default_path` still names it, so
the database can take its rows in once.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from digit_app import settings
from digit_app.errors import DigitAppError
from digit_app.sizes import MNIST_SIDE
from digit_app.store.npz import Member, NpzTooLargeError, members, read_array

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "corrections.sqlite"
MAX_IMPORT_ROWS = 10_000  # corrections in one imported file, at most
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # an imported file's size, at most
MAX_ITEMSIZE = 8  # bytes per pixel or label in an imported file, at most (float64, int64)
PIXELS = MNIST_SIDE * MNIST_SIDE
# An imported file's members unpacked, at most: the largest honest one (float64 images, labels and
# read-as for 10,000 corrections, 63 MB) and a little room for headers.
MAX_IMPORT_UNPACKED = MAX_IMPORT_ROWS * (PIXELS + 2) * MAX_ITEMSIZE + 2**20


class CorrectionsError(DigitAppError, ValueError):
    """A correction or a corrections file cannot be used; the message says why."""


def default_path() -> Path:
    """The corrections file of before the database (`$DIGIT_APP_CORRECTIONS`, or data/corrections.sqlite)."""
    return settings.current().corrections_path or DEFAULT_PATH


def write_npz(images: np.ndarray, labels: np.ndarray, predicted: list[int | None]) -> bytes:
    """Corrections as an `.npz` file's bytes: images (n, 28, 28) uint8, labels (n,), read-as (-1 for unknown)."""
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        images=np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28),
        labels=np.asarray(labels, dtype=np.uint8).reshape(-1),
        predicted=np.array([-1 if guess is None else guess for guess in predicted], dtype=np.int8),
    )
    return buffer.getvalue()


def read_npz(data: bytes) -> list[tuple[np.ndarray, int, int | None]]:
    """The corrections in an `.npz` made by `write_npz`: (pixels (28, 28) uint8, label, read-as or None) each.

    The whole file is checked first (every member's size from its headers before it is read,
    shapes, labels 0-9 as whole numbers, pixels): one bad entry refuses the file (`CorrectionsError`).
    """
    images, labels, predicted = _read_import(data)
    return [(as_pixels(image), int(label), None if guess < 0 else int(guess))
            for image, label, guess in zip(images, labels, predicted)]


def _read_import(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, labels, predicted) of an imported file, every one checked; `CorrectionsError` names what is wrong.

    Every member is bounded before a byte of it is unpacked: all of them together by the zip
    directory, and each array by its .npy header, which must match the number of images.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise CorrectionsError(f"That file is {len(data) / 1e6:.0f} MB; a corrections file is at most "
                               f"{MAX_IMPORT_BYTES / 1e6:.0f} MB.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = _import_members(archive)
            images, labels = read_array(archive, found["images"]), read_array(archive, found["labels"])
            predicted = (read_array(archive, found["predicted"]) if "predicted" in found
                         else np.full(len(labels), -1))
    except CorrectionsError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise CorrectionsError(f"That is not a corrections file with images and labels ({error}).") from None
    if not _whole_numbers(predicted):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    if not _whole_numbers(labels) or (len(labels) and (labels.min() < 0 or labels.max() > 9)):
        raise CorrectionsError("Every label in a corrections file must be a whole number from 0 to 9; "
                               "this file has others, so nothing was imported.")
    for image in images:
        as_pixels(image)  # raises for pixels that are not uint8 or floats from 0 to 1
    return images, labels.astype(np.int64), predicted.astype(np.int64)


def _import_members(archive: zipfile.ZipFile) -> dict[str, Member]:
    """The members an import reads, their sizes, shapes and kinds checked from the zip directory and their headers."""
    try:
        found = members(archive, MAX_IMPORT_UNPACKED)
    except NpzTooLargeError as large:
        raise CorrectionsError(f"That file unpacks to {large.size / 1e6:,.0f} MB; a corrections file of "
                               f"{MAX_IMPORT_ROWS} entries unpacks to at most {large.limit / 1e6:.0f} MB, "
                               "so it was not read.") from None
    images, labels = found.get("images"), found.get("labels")
    rows = images.shape[0] if images is not None and images.shape else 0
    if rows > MAX_IMPORT_ROWS:
        raise CorrectionsError(f"That file holds {rows} corrections; one import takes at most {MAX_IMPORT_ROWS}.")
    if images is None or labels is None or images.shape[1:] != (28, 28) or labels.shape != (rows,):
        raise CorrectionsError(f"A corrections file holds images (n, 28, 28) and labels (n,); this one has "
                               f"{_shape(images)} and {_shape(labels)}.")
    if "predicted" in found and found["predicted"].shape != (rows,):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    if not (images.dtype == np.uint8 or images.dtype.kind == "f") or images.dtype.itemsize > MAX_ITEMSIZE:
        raise CorrectionsError("A correction's pixels must be uint8, or floats from 0 to 1.")
    if labels.dtype.kind not in "iuf" or labels.dtype.itemsize > MAX_ITEMSIZE:
        raise CorrectionsError("Every label in a corrections file must be a whole number from 0 to 9; "
                               "this file has others, so nothing was imported.")
    guesses = found.get("predicted")
    if guesses is not None and (guesses.dtype.kind not in "iuf" or guesses.dtype.itemsize > MAX_ITEMSIZE):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    return found


def _shape(member: Member | None) -> tuple[int, ...] | None:
    return None if member is None else member.shape


def _whole_numbers(values: np.ndarray) -> bool:
    if np.issubdtype(values.dtype, np.integer):
        return True
    if not np.issubdtype(values.dtype, np.floating):
        return False
    return bool(np.isfinite(values).all() and (values == np.round(values)).all())


def as_pixels(image: np.ndarray) -> np.ndarray:
    """A (28, 28) model input (floats in [0, 1] or uint8) as the uint8 pixels a correction keeps."""
    array = np.asarray(image)
    if array.shape != (28, 28):
        raise CorrectionsError(f"A correction is a (28, 28) model input, got shape {array.shape}.")
    if array.dtype == np.uint8:
        return array
    in_range = np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1
    if not np.issubdtype(array.dtype, np.floating) or not in_range:
        raise CorrectionsError("A correction's pixels must be uint8, or floats from 0 to 1.")
    return np.rint(array * 255).astype(np.uint8)
