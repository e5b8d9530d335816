"""What the Retrain page offers to train on: Keras' MNIST, the operator's .npz files, and uploads kept whole.

The operator decides the list (by the data folder and the files in it); a visitor picks from it
and never types a path, so no visitor can make the server open a file of their choosing. A label
names a file, never its folder. Reading and checking a source is `digit_app.training.data`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from digit_app import settings
from digit_app.store.files import is_regular_file, staged
from digit_app.training.data import KERAS_SOURCE, LIMITS, DataError, ReadLimits, check_file, keras_cache

UPLOADS = "uploads"  # the data folder's subfolder for files uploaded on the Retrain page
MAX_UPLOAD_BYTES = 15 * 1024 * 1024  # as server.maxUploadSize; full MNIST as an .npz is 11 MB


def data_stamp(source: str | os.PathLike[str]) -> tuple[int, int] | None:
    """A source's (size, modification time in ns), or None: what a cache of its preview is keyed on, read cheaply."""
    path = keras_cache() if str(source) == KERAS_SOURCE else Path(source)
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def data_folder() -> Path:
    """The folder whose .npz files the Retrain page offers: `$DIGIT_APP_DATA_DIR`, by default `data/`."""
    return settings.current().data_dir or settings.DEFAULT_DATA_DIR


def default_local_data() -> str:
    """The local .npz the Retrain page offers first: $DIGIT_APP_DATA ("" when unset: none)."""
    return settings.current().local_data


def data_choices(extra: Iterable[str | os.PathLike[str]] = ()) -> dict[str, str]:
    """What the Retrain page offers to train on, by label: Keras' MNIST, the `extra` files, the data folder's .npz."""
    cached = is_regular_file(keras_cache())
    choices = {f"MNIST through Keras ({'kept on this server' if cached else 'downloads once'})": KERAS_SOURCE}
    folder = data_folder()
    files = [Path(path) for path in extra if path]
    files += sorted(folder.glob("*.npz")) + sorted((folder / UPLOADS).glob("*.npz"))
    for path in files:
        if is_regular_file(path) and str(path) not in choices.values():
            choices[f"{_unique_name(path.name, choices)} ({path.stat().st_size / 1e6:.1f} MB)"] = str(path)
    return choices


def _unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name (2)`, `name (3)`...: the first that no label in `taken` starts with."""
    labels = list(taken)
    candidate, number = name, 1
    while any(label.startswith(f"{candidate} (") for label in labels):
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def keep_upload(content: bytes, folder: Path | None = None, limits: ReadLimits = LIMITS) -> Path:
    """Check an uploaded .npz, keep it in the data folder's uploads (named by its content); `DataError` if unusable."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise DataError(f"That file is {len(content) / 2**20:.0f} MB; an upload is at most "
                        f"{MAX_UPLOAD_BYTES / 2**20:.0f} MB.")
    uploads = (folder or data_folder()) / UPLOADS
    target = uploads / f"upload-{hashlib.sha256(content).hexdigest()[:12]}.npz"
    if is_regular_file(target):
        return target
    uploads.mkdir(parents=True, exist_ok=True)
    with staged(target, lambda tmp: tmp.write_bytes(content)) as upload:
        # every check a data file gets, before it joins the list
        check_file(upload.tmp, "The uploaded file", limits)
        upload.commit()
    return target
