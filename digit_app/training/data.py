"""MNIST from Keras (downloaded once, then cached) or from a local `.npz` with the same keys, and a preview's
first digits (`preview_images`); what the Retrain page offers to train on is `digit_app.training.sources`.

Whatever the source, the arrays are checked before training sees them, and every problem is
reported in one sentence that says what is wrong and what to do. A file is bounded before it is
read: its arrays may unpack to at most `MAX_DATA_BYTES` (by the zip directory and the .npy headers),
and they are read, checked and converted to uint8 a block of rows at a time, so checking a file
never holds more than the uint8 result and one block. Messages name a file, never its folder (a
visitor may read them); the server log keeps the full path.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from digit_app import settings
from digit_app.errors import DigitAppError
from digit_app.sizes import MNIST_SHAPE
from digit_app.store.files import is_regular_file, open_plain
from digit_app.store.npz import Member, NpzTooLargeError, iter_rows, members

KERAS_SOURCE = "mnist"  # the source name meaning "through keras.datasets.mnist"
KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_DATA_BYTES = 600 * 10**6  # a data file's arrays, unpacked, at most: well under the server's memory (MNIST: 55 MB)
BLOCK_BYTES = 8 * 2**20  # bytes of an array checked and converted at a time
PREVIEW_MAX = 256  # images the Retrain page's preview reads, at most
READ_ERRORS = (OSError, ValueError, zipfile.BadZipFile, EOFError)  # a file that cannot be read as an .npz
T = TypeVar("T")

log = logging.getLogger(__name__)


class DataError(DigitAppError, ValueError):
    """The training data cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class ReadLimits:
    """How much of a data file may be held: all its arrays unpacked, and the block checked at a time."""

    max_bytes: int = MAX_DATA_BYTES
    block_bytes: int = BLOCK_BYTES


LIMITS = ReadLimits()


@dataclass(frozen=True)
class TrainingData:
    """Digits to train and test on, MNIST-shaped (from Keras' MNIST or any .npz with its keys, corrections added):
    uint8 images (n, 28, 28) and uint8 labels (n,) for train and test."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    corrections: int = 0  # a person's corrections among the training images (each repeated)

    def describe(self) -> dict[str, object]:
        """What the metadata of a model trained on this data records."""
        return {"source": self.source, "train_images": len(self.x_train), "test_images": len(self.x_test),
                "corrections": self.corrections}

    def with_corrections(self, images: np.ndarray, labels: np.ndarray, repeat: int) -> TrainingData:
        """This data with a person's corrections added to the training images, each `repeat` times.

        A few dozen drawings among ten thousand digits would weigh nothing; repeated, they teach
        the model that person's way of writing.
        """
        if not 1 <= repeat <= 1000:
            raise DataError(f"Corrections are repeated 1 to 1000 times, not {repeat}.")
        extra = validate(images, labels, self.x_test[:1], self.y_test[:1], source="corrections")
        return replace(self, x_train=np.concatenate([self.x_train, np.repeat(extra.x_train, repeat, axis=0)]),
                       y_train=np.concatenate([self.y_train, np.repeat(extra.y_train, repeat)]),
                       corrections=self.corrections + len(images))


@dataclass(frozen=True)
class Blocks:
    """An array read a block of rows at a time (from memory or from a file), as often as a check needs."""

    shape: tuple[int, ...]
    dtype: np.dtype
    read: Callable[[], Iterator[np.ndarray]]
    whole: np.ndarray | None = None  # the array itself, when it is already in memory

    @classmethod
    def of(cls, array: np.ndarray, limits: ReadLimits = LIMITS) -> Blocks:
        """An array in memory, in blocks of about `limits.block_bytes`."""
        rows = _rows_per_block(array.shape, array.dtype, limits)
        return cls(array.shape, array.dtype, lambda: (array[i : i + rows] for i in range(0, len(array), rows)), array)

    @classmethod
    def stored(cls, archive: zipfile.ZipFile, member: Member, limits: ReadLimits = LIMITS) -> Blocks:
        """A member of an open .npz, unpacked a block at a time each time it is read."""
        rows = _rows_per_block(member.shape, member.dtype, limits)
        return cls(member.shape, member.dtype, lambda: iter_rows(archive, member, rows))


def _rows_per_block(shape: tuple[int, ...], dtype: np.dtype, limits: ReadLimits) -> int:
    row_bytes = int(np.prod(shape[1:], dtype=np.float64)) * dtype.itemsize
    return max(1, limits.block_bytes // max(1, row_bytes))


def load_training_data(source: str | os.PathLike[str] = KERAS_SOURCE, limits: ReadLimits = LIMITS) -> TrainingData:
    """Load MNIST: `"mnist"` for Keras' copy, or the path of an `.npz` with the same four keys."""
    if str(source) == KERAS_SOURCE:
        return _from_keras()
    path = Path(source)
    return _named(path, lambda: _read_npz(path, limits))


def preview_images(source: str | os.PathLike[str], count: int = 16, limits: ReadLimits = LIMITS) -> np.ndarray:
    """The first `count` (at most `PREVIEW_MAX`) training images of a source as uint8, read alone.

    The file's headers get every check `load_training_data` makes of them; of its arrays only those first
    images are unpacked, so the preview costs the same for MNIST and for a file of 600 MB.
    """
    count = max(1, min(count, PREVIEW_MAX))
    if str(source) == KERAS_SOURCE and not is_regular_file(keras_cache()):
        return _from_keras().x_train[:count]
    path = keras_cache() if str(source) == KERAS_SOURCE else Path(source)
    return _named(path, lambda: _read_first(path, count, limits))


def keras_cache() -> Path:
    """Where Keras keeps (and looks for) its downloaded mnist.npz."""
    home = settings.current().keras_home or Path.home() / ".keras"
    return home / "datasets" / "mnist.npz"


def _from_keras() -> TrainingData:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # urllib, socket and HTTP errors all mean the download failed
        log.warning("Downloading MNIST failed; Keras looks for its copy at %s", keras_cache(), exc_info=True)
        raise DataError(
            f"Could not download MNIST ({type(error).__name__}). Without a network, put a copy of "
            "mnist.npz in Keras' datasets folder on the server (~/.keras/datasets, or $KERAS_HOME/datasets) "
            "or pass the path of a local .npz with x_train, y_train, x_test and y_test."
        ) from error
    return validate(x_train, y_train, x_test, y_test, source=KERAS_SOURCE)


def check_file(path: Path, shown: str, limits: ReadLimits = LIMITS) -> TrainingData:
    """Every check a local .npz gets before training reads it (`DataError` naming it as `shown` if it fails)."""
    return _named(path, lambda: _read_npz(path, limits), shown=shown)


def _named(path: Path, read: Callable[[], T], shown: str | None = None) -> T:
    """`read()`, its `DataError` naming the file as `shown` (its name by default), never its folder.

    A visitor may read the message; the server log keeps the full path.
    """
    try:
        return read()
    except DataError as problem:
        log.warning("Data file %s refused: %s", path, problem)
        message = str(problem)
        for spelling in sorted({str(path.resolve()), str(path)}, key=len, reverse=True):
            message = message.replace(spelling, shown or path.name)
        raise DataError(message) from None


def _read_npz(path: Path, limits: ReadLimits) -> TrainingData:
    """Every array of a local .npz, checked and converted a block at a time; messages name `path`."""
    with _archive(path) as archive:
        found = _check_headers(archive, path, limits)
        try:
            arrays = _convert({key: Blocks.stored(archive, found[key], limits) for key in KEYS}, str(path))
        except DataError:
            raise
        except READ_ERRORS as error:
            raise DataError(f"{path} is not a readable .npz file ({_reason(error)}).") from None
    return TrainingData(**arrays, source=str(path))


def _read_first(path: Path, count: int, limits: ReadLimits) -> np.ndarray:
    """The first `count` training images of a local .npz, after the checks its headers allow."""
    with _archive(path) as archive:
        member = _check_headers(archive, path, limits)["x_train"]
        try:
            first = next(iter_rows(archive, member, min(count, member.rows)))
        except READ_ERRORS as error:
            raise DataError(f"{path} is not a readable .npz file ({_reason(error)}).") from None
    return _as_uint8_images(Blocks.of(first), "x_train", str(path))


@contextmanager
def _archive(path: Path) -> Iterator[zipfile.ZipFile]:
    """A local .npz opened as a zip, a plain file only; failing to open it is a `DataError` naming the file."""
    if not path.exists():
        raise DataError(f"There is no data file at {path}.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the path of an .npz file.")
    if not is_regular_file(path):
        raise DataError(f"{path} is not a plain file (a pipe or a device, say); give the path of an .npz file.")
    try:
        file = open_plain(path)
    except OSError as error:
        raise DataError(f"{path} cannot be opened ({_reason(error)}).") from None
    with file:
        try:
            archive = zipfile.ZipFile(file)
        except READ_ERRORS as error:
            raise DataError(f"{path} is not a readable .npz file ({_reason(error)}).") from None
        with archive:
            yield archive


def _reason(error: BaseException) -> str:
    """Why reading failed, in a few words: an OSError's reason without the file name it may carry."""
    return (error.strerror or type(error).__name__) if isinstance(error, OSError) else str(error)


def _check_headers(archive: zipfile.ZipFile, path: Path, limits: ReadLimits) -> dict[str, Member]:
    """The four arrays' headers, checked (size, keys, shapes, dtypes) before any array is read."""
    try:
        found = members(archive, limits.max_bytes)
    except NpzTooLargeError as large:
        raise DataError(f"{path} holds arrays of {_size(large.size)}; an MNIST-like file is far smaller "
                        f"(at most {_size(limits.max_bytes)}), so it was not read.") from None
    except READ_ERRORS as error:
        raise DataError(f"{path} is not a readable .npz file ({_reason(error)}).") from None
    missing = [key for key in KEYS if key not in found]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}: an MNIST .npz holds {', '.join(KEYS)} "
                        f"(it has {', '.join(sorted(found)) or 'nothing'}).")
    for split in ("train", "test"):
        images, labels = found[f"x_{split}"], found[f"y_{split}"]
        _check_split(split, images.shape, labels.shape, str(path))
        _check_dtypes(split, images.dtype, labels.dtype, str(path))
        if images.fortran_order:
            raise DataError(f"x_{split} in {path} is stored in Fortran order; save it with "
                            "np.ascontiguousarray(...) so its images can be read one block at a time.")
    return found


def _size(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def validate(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, source: str
) -> TrainingData:
    """Check shapes, dtypes and labels; return the data as uint8 `TrainingData` or raise `DataError`."""
    arrays = {key: np.asarray(value) for key, value in zip(KEYS, (x_train, y_train, x_test, y_test))}
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        _check_split(split, images.shape, labels.shape, source)
        _check_dtypes(split, images.dtype, labels.dtype, source)
    return TrainingData(**_convert({key: Blocks.of(value) for key, value in arrays.items()}, source), source=source)


def _check_split(split: str, images: tuple[int, ...], labels: tuple[int, ...], source: str) -> None:
    """Images (n, 28, 28), not empty, and one label per image: from the shapes alone."""
    if len(images) != 3 or images[1:] != MNIST_SHAPE:
        raise DataError(f"x_{split} in {source} has shape {images}; expected (n, 28, 28).")
    if images[0] == 0:
        raise DataError(f"x_{split} in {source} is empty.")
    if labels != (images[0],):
        raise DataError(f"y_{split} in {source} has shape {labels}; expected ({images[0]},), one label per image.")


def _check_dtypes(split: str, images: np.dtype, labels: np.dtype, source: str) -> None:
    """Pixels and labels that are numbers: not text, objects, booleans or complex numbers."""
    if not _is_real_number(images):
        raise DataError(f"x_{split} in {source} has dtype {images}; expected uint8 pixels.")
    if not _is_real_number(labels):
        raise DataError(f"y_{split} in {source} has dtype {labels}; expected digit labels 0 to 9.")


def _convert(blocks: dict[str, Blocks], source: str) -> dict[str, np.ndarray]:
    """The four arrays as uint8, each checked block by block, in the order a person would fix them."""
    converted = {}
    for split in ("train", "test"):
        converted[f"x_{split}"] = _as_uint8_images(blocks[f"x_{split}"], f"x_{split}", source)
        converted[f"y_{split}"] = _as_labels(blocks[f"y_{split}"], f"y_{split}", source)
    return converted


def _is_real_number(dtype: np.dtype) -> bool:
    """Integers or floats: not text, objects, booleans or complex numbers."""
    return np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)


def _as_uint8_images(blocks: Blocks, name: str, source: str) -> np.ndarray:
    """uint8 pixels from integers 0-255 or floats 0-255 (0-1 is scaled up); NaN and others are named with the image."""
    if blocks.dtype == np.uint8 and blocks.whole is not None:
        return blocks.whole
    floating = np.issubdtype(blocks.dtype, np.floating)
    high = 0.0
    if floating:  # the scale depends on the whole array's maximum: one pass to check, one to convert
        for start, block in _numbered(blocks):
            high = max(high, _check_pixels(block, start, name, source))
    scale = 255.0 if floating and high <= 1.0 else 1.0
    out = np.empty(blocks.shape, np.uint8)
    for start, block in _numbered(blocks):
        if not floating:
            _check_pixels(block, start, name, source)
        out[start : start + len(block)] = _rounded(block, scale) if floating else block
    return out


def _rounded(block: np.ndarray, scale: float) -> np.ndarray:
    """`block * scale` rounded to whole numbers, in one temporary array of the block's size."""
    scaled = block * scale
    return np.rint(scaled, out=scaled)


def _check_pixels(block: np.ndarray, start: int, name: str, source: str) -> float:
    """A block's largest pixel; `DataError` naming the first image with NaN or a value outside 0-255."""
    flat = block.reshape(len(block), -1)
    if np.issubdtype(block.dtype, np.floating):
        bad = ~np.isfinite(flat).all(axis=1)
        if bad.any():
            raise DataError(f"{name} in {source} contains NaN or infinite values (image {start + _first(bad)}).")
    low, high = flat.min(), flat.max()
    if low < 0 or high > 255:
        image = start + _first(((flat < 0) | (flat > 255)).any(axis=1))
        raise DataError(f"{name} in {source} has values from {float(low)} to {float(high)} around image {image}; "
                        "expected 0 to 255.")
    return float(high)


def _as_labels(blocks: Blocks, name: str, source: str) -> np.ndarray:
    """uint8 labels from whole numbers 0-9 of any numeric dtype; the first bad one is named."""
    out = np.empty(blocks.shape, np.uint8)
    for start, block in _numbered(blocks):
        if np.issubdtype(block.dtype, np.floating) and not np.isfinite(block).all():
            raise DataError(f"{name} in {source} contains NaN or infinite labels "
                            f"(label {start + _first(~np.isfinite(block))}).")
        wrong = (block < 0) | (block > 9)
        if np.issubdtype(block.dtype, np.floating):
            wrong |= block != np.rint(block)
        if wrong.any():
            index = _first(wrong)
            raise DataError(f"{name} in {source} has labels outside the digits 0 to 9 "
                            f"(label {start + index} is {block[index]}).")
        out[start : start + len(block)] = block
    return out


def _numbered(blocks: Blocks) -> Iterator[tuple[int, np.ndarray]]:
    """Each block with the index of its first row."""
    start = 0
    for block in blocks.read():
        yield start, block
        start += len(block)


def _first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))
