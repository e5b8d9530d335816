"""MNIST from Keras (downloaded once, then cached) or from a local `.npz` with the same keys; what the
Retrain page offers (`data_choices`), and uploads kept whole (`keep_upload`).

Whatever the source, the arrays are checked before training sees them, and every problem is
reported in one sentence that says what is wrong and what to do.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from digit_app.store.files import is_regular_file, npz_headers, staged

KERAS_SOURCE = "mnist"  # the source name meaning "through keras.datasets.mnist"
KEYS = ("x_train", "y_train", "x_test", "y_test")
ENV_DATA_DIR = "DIGIT_APP_DATA_DIR"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
UPLOADS = "uploads"  # the data folder's subfolder for files uploaded on the Retrain page
MAX_UPLOAD_BYTES = 15 * 1024 * 1024  # as server.maxUploadSize; full MNIST as an .npz is 11 MB


class DataError(ValueError):
    """The training data cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class Mnist:
    """MNIST-shaped data: uint8 images (n, 28, 28) and uint8 labels (n,) for train and test."""

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

    def with_corrections(self, images: np.ndarray, labels: np.ndarray, repeat: int) -> Mnist:
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


def load_mnist(source: str | os.PathLike[str] = KERAS_SOURCE) -> Mnist:
    """Load MNIST: `"mnist"` for Keras' copy, or the path of an `.npz` with the same four keys."""
    if str(source) == KERAS_SOURCE:
        return _from_keras()
    return _from_npz(Path(source))


def data_folder() -> Path:
    """The folder whose .npz files the Retrain page offers: `$DIGIT_APP_DATA_DIR`, by default `data/`."""
    return Path(os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR)


def data_choices(extra: Iterable[str | os.PathLike[str]] = ()) -> dict[str, str]:
    """What the Retrain page offers to train on, by label: Keras' MNIST, the `extra` files, the data folder's .npz.

    The operator decides the list (by the folder and the files in it); a visitor picks from it and
    never types a path, so no visitor can make the server open a file of their choosing.
    """
    cached = keras_cache().is_file()
    choices = {f"MNIST through Keras ({'kept in ' + str(keras_cache().parent) if cached else 'downloads once'})":
               KERAS_SOURCE}
    folder = data_folder()
    files = [Path(path) for path in extra if path]
    files += sorted(folder.glob("*.npz")) + sorted((folder / UPLOADS).glob("*.npz"))
    for path in files:
        if is_regular_file(path) and str(path) not in choices.values():
            label = path.name if path.name not in {Path(v).name for v in choices.values()} else str(path)
            choices[f"{label} ({path.stat().st_size / 1e6:.1f} MB)"] = str(path)
    return choices


def keep_upload(content: bytes, folder: Path | None = None) -> Path:
    """Check an uploaded .npz, keep it in the data folder's uploads (named by its content); `DataError` if unusable."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise DataError(f"That file is {len(content) / 2**20:.0f} MB; an upload is at most "
                        f"{MAX_UPLOAD_BYTES / 2**20:.0f} MB.")
    uploads = (folder or data_folder()) / UPLOADS
    target = uploads / f"upload-{hashlib.sha256(content).hexdigest()[:12]}.npz"
    if target.is_file():
        return target
    uploads.mkdir(parents=True, exist_ok=True)
    with staged(target, lambda tmp: tmp.write_bytes(content)) as upload:
        try:
            load_mnist(upload.tmp)  # every check a data file gets, before it joins the list
        except DataError as problem:
            raise DataError(str(problem).replace(str(upload.tmp), "The uploaded file")) from None
        upload.commit()
    return target


def keras_cache() -> Path:
    """Where Keras keeps (and looks for) its downloaded mnist.npz."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return home / "datasets" / "mnist.npz"


def _from_keras() -> Mnist:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # urllib, socket and HTTP errors all mean the download failed
        raise DataError(
            f"Could not download MNIST ({type(error).__name__}: {error}). Without a network, "
            f"put a copy of mnist.npz at {keras_cache()} or pass the path of a local .npz "
            "with x_train, y_train, x_test and y_test."
        ) from error
    return validate(x_train, y_train, x_test, y_test, source=KERAS_SOURCE)


def _from_npz(path: Path) -> Mnist:
    if not path.exists():
        raise DataError(f"There is no data file at {path}.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give the path of an .npz file.")
    if not is_regular_file(path):
        raise DataError(f"{path} is not a plain file (a pipe or a device, say); give the path of an .npz file.")
    _check_npz_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in KEYS if key not in archive.files]
            if missing:
                raise DataError(
                    f"{path} lacks {', '.join(missing)}: an MNIST .npz holds "
                    f"{', '.join(KEYS)} (it has {', '.join(archive.files) or 'nothing'})."
                )
            arrays = {key: archive[key] for key in KEYS}
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataError(f"{path} is not a readable .npz file ({error}).") from error
    return validate(**arrays, source=str(path))


MAX_DATA_BYTES = 2_000_000_000  # all arrays of a data file, as stored uncompressed (full MNIST: 55 MB)


def _check_npz_sizes(path: Path) -> None:
    """Refuse an .npz whose arrays would take far more memory than MNIST, from their headers, before reading them."""
    try:
        headers = npz_headers(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise DataError(f"{path} is not a readable .npz file ({error}).") from None
    total = sum(int(np.prod(shape, dtype=np.float64)) * dtype.itemsize for shape, dtype in headers.values())
    if total > MAX_DATA_BYTES:
        raise DataError(f"{path} holds arrays of {total / 1e9:.1f} GB; an MNIST-like file is far smaller "
                        f"(at most {MAX_DATA_BYTES / 1e9:.0f} GB), so it was not read.")


def validate(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, source: str
) -> Mnist:
    """Check shapes, dtypes and labels; return the data as uint8 `Mnist` or raise `DataError`."""
    checked = {}
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise DataError(f"x_{split} in {source} has shape {images.shape}; expected (n, 28, 28).")
        if len(images) == 0:
            raise DataError(f"x_{split} in {source} is empty.")
        if labels.shape != (len(images),):
            raise DataError(
                f"y_{split} in {source} has shape {labels.shape}; expected ({len(images)},), one label per image."
            )
        checked[f"x_{split}"] = _as_uint8_images(images, f"x_{split}", source)
        checked[f"y_{split}"] = _as_labels(labels, f"y_{split}", source)
    return Mnist(**checked, source=source)


def _is_real_number(array: np.ndarray) -> bool:
    """Integers or floats: not text, objects, booleans or complex numbers."""
    return np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)


def _as_uint8_images(images: np.ndarray, name: str, source: str) -> np.ndarray:
    if images.dtype == np.uint8:
        return images
    if not _is_real_number(images):
        raise DataError(f"{name} in {source} has dtype {images.dtype}; expected uint8 pixels.")
    if not np.isfinite(images).all():
        raise DataError(f"{name} in {source} contains NaN or infinite values.")
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 255:
        raise DataError(f"{name} in {source} has values from {low} to {high}; expected 0 to 255.")
    scale = 255.0 if high <= 1.0 and np.issubdtype(images.dtype, np.floating) else 1.0
    return np.rint(images * scale).astype(np.uint8)


def _as_labels(labels: np.ndarray, name: str, source: str) -> np.ndarray:
    if not _is_real_number(labels):
        raise DataError(f"{name} in {source} has dtype {labels.dtype}; expected digit labels 0 to 9.")
    if not np.isfinite(labels).all():
        raise DataError(f"{name} in {source} contains NaN or infinite labels.")
    if labels.min() < 0 or labels.max() > 9 or not np.all(labels == np.rint(labels)):
        raise DataError(f"{name} in {source} has labels outside the digits 0 to 9.")
    return labels.astype(np.uint8)
