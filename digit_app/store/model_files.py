"""A saved model on disk: the .keras file, its metadata beside it and its LiteRT copies, each written whole.

    <name>.keras                        the Keras model (a zip archive)
    <name>.json                         its `TrainingSummary` (`digit_app.store.metadata`)
    <name>.<digest>.<part>.tflite       its LiteRT copies ("pixels", "strokes"), made from exactly that file

Every file is written to a temporary name and renamed into place, so a crash leaves either the
old file or the new one, never half of either. The metadata keeps the SHA-256 of each LiteRT
part, so a damaged copy is never run. Nothing here builds or runs a network; saving writes
whatever Keras model it is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digit_app.errors import DigitAppError
from digit_app.store.files import atomic_write, file_digest, read_plain, staged
from digit_app.store.metadata import (LITE_PARTS, TrainingSummary, json_writer, metadata_path, read_summary,
                                      saved_record, write_summary)

LITE_BYTES = 500_000_000  # a LiteRT part larger than this is not read (the shipped pixel CNN's: 6 MB)


class ModelStoreError(DigitAppError, RuntimeError):
    """The models folder cannot be written (read-only, missing, full); nothing was changed."""


def save_model(model: Any, path: str | os.PathLike[str], summary: TrainingSummary,
               lite: dict[str, bytes] | None = None) -> Path:
    """Save `model`, its summary as JSON and its LiteRT parts (`lite`, from `digit_app.model.lite_parts`)
    atomically: each file is complete or not there, and a failure leaves the old files as they were.

    Versions of TensorFlow and Keras and the date are added to the metadata.
    """
    import keras
    import tensorflow as tf

    model_path = Path(path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    record = summary.with_changes(
        saved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), tensorflow_version=tf.__version__,
        keras_version=keras.__version__, parameters=int(model.count_params()),
        lite_sha256=lite_digests(lite) if lite else {}).to_json()
    # Every file is written to a temporary name first: a failure (a full disk, a bad path) changes
    # nothing. Then metadata and the LiteRT parts are put in place before the model, so no model
    # appears without them.
    with contextlib.ExitStack() as files:
        meta = files.enter_context(staged(metadata_path(model_path), json_writer(record)))
        weights = files.enter_context(staged(model_path, lambda tmp: model.save(tmp)))
        digest = file_digest(weights.tmp)
        parts = [files.enter_context(staged(lite_path(model_path, digest, part), _writer(flat)))
                 for part, flat in (lite or {}).items()]
        meta.commit()
        for part in parts:
            part.commit()
        weights.commit()
    _remove_stale_lite(model_path, digest)
    return model_path


def update_summary(model_path: Path, **changes: Any) -> TrainingSummary:
    """Set entries of a model's summary (written whole), leaving the model and its LiteRT parts as they are."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelStoreError(f"No model file at {model_path}: there is no metadata to change.")
    summary = read_summary(model_path).with_changes(**changes)
    try:
        write_summary(model_path, summary)
    except OSError as error:
        raise ModelStoreError(f"Could not write {metadata_path(model_path)}: {error.strerror or error}; "
                              "nothing was changed.") from error
    return summary


def lite_path(model_path: Path, digest: str, part: str) -> Path:
    """Where the LiteRT copy of one part ("pixels" or "strokes") of the model with this file digest lives."""
    return Path(model_path).with_name(f"{Path(model_path).stem}.{digest}.{part}.tflite")


def lite_digests(parts: dict[str, bytes]) -> dict[str, str]:
    """Each LiteRT part's SHA-256 (hex), kept in the model's metadata: a flipped bit is found before the part runs."""
    return {part: hashlib.sha256(flat).hexdigest() for part, flat in parts.items()}


def read_lite(model_path: Path) -> tuple[dict[str, bytes], list[str]]:
    """The LiteRT parts made from exactly this model file that match the SHA-256 in its metadata, and the
    parts on disk that do not match it (damaged: never to be run).

    A part whose metadata has no digest (saved before digests were kept) is left out, neither trusted
    nor called damaged: the loader makes it again from the model, and records its digest.
    """
    digest = file_digest(model_path)
    expected = read_summary(model_path).lite_sha256
    parts, damaged = {}, []
    for part in LITE_PARTS:
        try:
            flat = read_plain(lite_path(model_path, digest, part), LITE_BYTES)
        except FileNotFoundError:
            continue
        except OSError:
            damaged.append(part)
            continue
        if part not in expected:
            continue
        if lite_digests({part: flat})[part] == expected[part]:
            parts[part] = flat
        else:
            damaged.append(part)
    return parts, damaged


def write_lite(model_path: Path, parts: dict[str, bytes]) -> bool:
    """Keep LiteRT parts beside a model that lacked them (each file atomic) and their digests in its metadata;
    False if the folder is not writable.

    Metadata that is there but cannot be read is left as it is (the parts then go unused).
    """
    digest = file_digest(model_path)
    try:
        for part, flat in parts.items():
            atomic_write(lite_path(model_path, digest, part), _writer(flat))
        saved = saved_record(model_path)
        if saved is not None:
            atomic_write(metadata_path(model_path), json_writer({**saved, "lite_sha256": lite_digests(parts)}))
    except OSError:
        return False
    _remove_stale_lite(model_path, digest)
    return True


def _writer(content: bytes) -> Any:
    return lambda tmp: tmp.write_bytes(content)


def _remove_stale_lite(model_path: Path, digest: str) -> None:
    """LiteRT copies of an earlier file of this name are of no use: delete them (best effort)."""
    for path in Path(model_path).parent.glob(f"{Path(model_path).stem}.*.tflite"):
        if path.name.split(".")[1] != digest:
            with contextlib.suppress(OSError):
                path.unlink()
