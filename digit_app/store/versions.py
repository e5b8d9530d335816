"""Model versions: saving models with metadata, retrained versions kept beside the shipped one, and which is active.

Nothing here builds or runs a network (that is `digit_app.model`, which reads models through this
module); saving writes whatever Keras model it is given.

Layout of the models folder (default: the repository's `model/`, or `$DIGIT_APP_MODELS`):

    digit_cnn.keras, digit_cnn.json     the shipped model; never overwritten or deleted
    versions/<id>.keras, <id>.json      each retrained model and its metadata
    active.json                         {"version": "<id>"}; absent means the shipped model

Every file is written to a temporary name and renamed into place, so a crash leaves either the
old file or the new one, never half of either. A missing or broken active version falls back to
the shipped model. The metadata keeps the SHA-256 of each LiteRT part, so a damaged copy is never run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digit_app.errors import DigitAppError
from digit_app import settings
from digit_app.settings import ENV_MODELS_DIR
from digit_app.store.files import atomic_write, file_digest, read_plain, staged

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "model" / "digit_cnn.keras"
SHIPPED = "shipped"  # the version id of the model that comes with the app
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # what a version id may be: a plain file name, short
LEFTOVER_AGE = 3600.0  # seconds after which an unfinished write is surely abandoned
POINTER_BYTES = 4096  # the active pointer is a few dozen bytes: a larger file is not read
LITE_PARTS = ("pixels", "strokes")  # the LiteRT copies a model may have
LITE_BYTES = 500_000_000  # a LiteRT part larger than this is not read (the shipped pixel CNN's: 6 MB)
LITE_DIGESTS = "lite_sha256"  # the metadata entry holding each LiteRT part's SHA-256, by part
SHA256 = re.compile(r"[0-9a-f]{64}")


def metadata_path(model_path: Path) -> Path:
    """Where a model's metadata JSON lives: beside it, same name, `.json`."""
    return Path(model_path).with_suffix(".json")


METADATA_BYTES = 1_000_000  # a metadata file larger than this is not ours: it is not read
# What each metadata entry must be; an entry of another kind (hand-edited, damaged) is dropped.
METADATA_KINDS: dict[str, type | tuple[type, ...]] = {
    "test_accuracy": (int, float), "held_out_writers": dict, "training": dict, "data": dict, "saved_at": str,
    "history": list, "confusion_matrix": list, "compared_with": str, "corrections_accuracy": dict,
    "train_seconds": (int, float), "images_per_second": (int, float), "train_images": int, "parameters": int,
    "tensorflow_version": str, "keras_version": str, "temperature": (int, float), LITE_DIGESTS: dict,
}


def read_metadata(model_path: Path) -> dict[str, Any]:
    """The metadata saved beside a model, checked: {} if there is none or it cannot be read, and any
    entry of the wrong kind left out, so every page can rely on what it finds."""
    return clean_metadata(_saved_metadata(model_path) or {})


def _saved_metadata(model_path: Path) -> dict[str, Any] | None:
    """The metadata file as written ({} when there is none); None when one is there but cannot be read
    (a FIFO, a device, too large, not JSON), so that it is never written over by a mere load."""
    try:
        data = json.loads(read_plain(metadata_path(model_path), METADATA_BYTES))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def clean_metadata(data: Any) -> dict[str, Any]:
    """Only the entries of the kind they should be; figures that are accuracies must lie in [0, 1]."""
    if not isinstance(data, dict):
        return {}
    kept = {key: value for key, value in data.items()
            if key not in METADATA_KINDS or (isinstance(value, METADATA_KINDS[key]) and not isinstance(value, bool))}
    if "test_accuracy" in kept and not 0.0 <= kept["test_accuracy"] <= 1.0:
        del kept["test_accuracy"]
    if "held_out_writers" in kept:
        kept["held_out_writers"] = {name: value for name, value in kept["held_out_writers"].items()
                                    if isinstance(value, (int, float)) and 0.0 <= value <= 1.0}
    if LITE_DIGESTS in kept:
        kept[LITE_DIGESTS] = {part: value for part, value in kept[LITE_DIGESTS].items()
                              if part in LITE_PARTS and isinstance(value, str) and SHA256.fullmatch(value)}
    return kept


def save_model(model: Any, path: str | os.PathLike[str], metadata: dict[str, Any],
               lite: dict[str, bytes] | None = None) -> Path:
    """Save `model`, its metadata JSON and its LiteRT parts (`lite`, from `digit_app.model.lite_parts`)
    atomically: each file is complete or not there, and a failure leaves the old files as they were.

    Versions of TensorFlow and Keras and the date are added to the metadata.
    """
    import keras
    import tensorflow as tf

    model_path = Path(path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        **metadata,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "parameters": int(model.count_params()),
        **({LITE_DIGESTS: lite_digests(lite)} if lite else {}),
    }
    # Every file is written to a temporary name first: a failure (a full disk, a bad path) changes
    # nothing. Then metadata and the LiteRT parts are put in place before the model, so no model
    # appears without them.
    with contextlib.ExitStack() as files:
        meta = files.enter_context(staged(metadata_path(model_path), _json_writer(record)))
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


def update_metadata(model_path: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """Set entries of a model's metadata (written whole), leaving the model and its LiteRT parts as they are."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelStoreError(f"No model file at {model_path}: there is no metadata to change.")
    record = {**read_metadata(model_path), **changes}
    try:
        atomic_write(metadata_path(model_path), _json_writer(record))
    except OSError as error:
        raise ModelStoreError(f"Could not write {metadata_path(model_path)}: {error.strerror or error}; "
                              "nothing was changed.") from error
    return record


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
    expected = read_metadata(model_path).get(LITE_DIGESTS, {})
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
        saved = _saved_metadata(model_path)
        if saved is not None:
            atomic_write(metadata_path(model_path), _json_writer({**saved, LITE_DIGESTS: lite_digests(parts)}))
    except OSError:
        return False
    _remove_stale_lite(model_path, digest)
    return True


def _writer(content: bytes) -> Any:
    return lambda tmp: tmp.write_bytes(content)


def _json_writer(record: dict[str, Any]) -> Any:
    """Writes a model's metadata the one way it is written: indented JSON, one trailing newline."""
    return lambda tmp: tmp.write_text(json.dumps(record, indent=2) + "\n")


def _remove_stale_lite(model_path: Path, digest: str) -> None:
    """LiteRT copies of an earlier file of this name are of no use: delete them (best effort)."""
    for path in Path(model_path).parent.glob(f"{Path(model_path).stem}.*.tflite"):
        if path.name.split(".")[1] != digest:
            with contextlib.suppress(OSError):
                path.unlink()


class ModelStoreError(DigitAppError, RuntimeError):
    """The models folder cannot be written (read-only, missing, full); nothing was changed."""


@contextmanager
def _writing(what: str) -> Iterator[None]:
    """Turn a failed write in the models folder into one clear `ModelStoreError`."""
    try:
        yield
    except OSError as error:
        raise ModelStoreError(
            f"Could not {what} in the models folder {models_dir()}: {error.strerror or error}. "
            f"Make it writable or point ${ENV_MODELS_DIR} at a folder that is; nothing was changed."
        ) from error


@dataclass(frozen=True)
class ModelVersion:
    """One model the app can use."""

    id: str
    path: Path
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_shipped(self) -> bool:
        return self.id == SHIPPED

    @property
    def test_accuracy(self) -> float | None:
        value = self.metadata.get("test_accuracy")
        return float(value) if isinstance(value, (int, float)) else None


def models_dir() -> Path:
    """Where versions and the active pointer live."""
    return settings.current().models_dir or SHIPPED_MODEL.parent


def shipped_model_path() -> Path:
    """The shipped model: in the models folder if one was copied there, else the repository's."""
    candidate = models_dir() / SHIPPED_MODEL.name
    return candidate if candidate.is_file() else SHIPPED_MODEL


def list_versions() -> list[ModelVersion]:
    """The shipped model first, then retrained versions, newest first."""
    shipped = ModelVersion(SHIPPED, shipped_model_path(), read_metadata(shipped_model_path()))
    folder = models_dir() / "versions"
    files = [p for p in folder.glob("*.keras") if is_version_id(p.stem)] if folder.is_dir() else []
    trained = [ModelVersion(p.stem, p, read_metadata(p)) for p in files]  # ".name" files are unfinished writes
    return [shipped, *sorted(trained, key=lambda v: v.id, reverse=True)]


def is_version_id(version_id: object) -> bool:
    """True for an id that names a file inside the versions folder and nothing else (no path, no '..')."""
    return isinstance(version_id, str) and (version_id == SHIPPED or VERSION_ID.fullmatch(version_id) is not None)


def get_version(version_id: str) -> ModelVersion:
    """The version with this id; `KeyError` with a clear message if there is none."""
    if not is_version_id(version_id):
        raise KeyError(f"There is no model version {str(version_id)[:70]!r}.")
    for version in list_versions():
        if version.id == version_id:
            return version
    raise KeyError(f"There is no model version {version_id!r}.")


def active_version_id() -> str:
    """The id in the active pointer, or the shipped model's when the pointer is absent or bad."""
    return _read_pointer()[0]


def _read_pointer() -> tuple[str, str | None]:
    """The active version's id, and why the pointer could not be followed (None when it could, or is absent).

    Read on every page run, so only a plain file of at most POINTER_BYTES: a FIFO would block the
    page, a link to /dev/zero never end, a 200 MB file cost every answer.
    """
    path = models_dir() / "active.json"
    try:
        version_id = json.loads(read_plain(path, POINTER_BYTES))["version"]
    except FileNotFoundError:
        return SHIPPED, None
    except OSError as error:
        reason = f"{path}: {error.strerror}" if error.strerror else str(error).rstrip(".")
        return SHIPPED, f"The active model pointer cannot be used ({reason}); the shipped model is in use."
    except (ValueError, KeyError, TypeError):
        return SHIPPED, f"The active model pointer {path} cannot be read; the shipped model is in use."
    if not is_version_id(version_id):  # a path, a '..', a name too long for a file: never followed
        return SHIPPED, f"The active model pointer {path} names no valid version; the shipped model is in use."
    if version_id != SHIPPED and not (models_dir() / "versions" / f"{version_id}.keras").is_file():
        return SHIPPED, f"The active model {version_id} is gone; the shipped model is in use."
    return version_id, None


def active_model_path() -> Path:
    """The file of the active model (the shipped one unless another was activated)."""
    return active_model()[0]


def active_model() -> tuple[Path, str | None]:
    """The active model's file and, when the pointer could not be followed, why: one read of the pointer."""
    version_id, problem = _read_pointer()
    if version_id == SHIPPED:
        return shipped_model_path(), problem
    return models_dir() / "versions" / f"{version_id}.keras", problem


def activate(version_id: str) -> ModelVersion:
    """Make a version the one the app uses; the pointer is replaced atomically."""
    version = get_version(version_id)
    folder = models_dir()
    with _writing("switch the active model"):
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "active.json", lambda tmp: tmp.write_text(json.dumps({"version": version.id}) + "\n"))
    return version


def delete(version_id: str) -> None:
    """Delete a retrained version (never the shipped one); if it was active, the shipped one is."""
    if version_id == SHIPPED:
        raise ModelStoreError("The shipped model cannot be deleted.")
    version = get_version(version_id)
    if active_version_id() == version_id:
        activate(SHIPPED)
    with _writing(f"delete {version_id}"):
        version.path.unlink(missing_ok=True)  # the model first: no version is left without metadata
        version.path.with_suffix(".json").unlink(missing_ok=True)
        for lite in version.path.parent.glob(f"{version.id}.*.tflite"):
            lite.unlink(missing_ok=True)


def check_writable() -> None:
    """Raise `ModelStoreError` unless the models folder (and its versions folder, if there is one yet) takes a
    new file now: a read-only folder is found before an hour of training, not after it. Nothing is left behind."""
    with _writing("write"):
        models_dir().mkdir(parents=True, exist_ok=True)  # as saving would: only a missing folder is made
        for folder in (models_dir(), models_dir() / "versions"):
            if folder.is_dir():
                with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
                    pass


def save_version(model: Any, metadata: dict[str, Any], lite: dict[str, bytes] | None = None) -> ModelVersion:
    """Keep a newly trained model (and its LiteRT parts) as a new version (not active until `activate`)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    version_id = f"v{stamp}-{secrets.token_hex(2)}"
    folder = models_dir() / "versions"
    with _writing("save the new model"):
        _remove_leftovers(folder)
        path = save_model(model, folder / f"{version_id}.keras", metadata, lite)
    return ModelVersion(version_id, path, read_metadata(path))


def _remove_leftovers(folder: Path) -> None:
    """Delete what a killed save left behind: temporary files, and metadata whose model never came.

    Only files older than LEFTOVER_AGE, so a save running in another process is not disturbed.
    """
    if not folder.is_dir():
        return
    cutoff = time.time() - LEFTOVER_AGE
    for path in folder.iterdir():
        orphan = path.suffix in (".json", ".tflite") and not (folder / f"{path.name.split('.')[0]}.keras").exists()
        unfinished = path.name.startswith(".") or orphan
        if unfinished and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def version_id_of(path: Path | None) -> str:
    """The version id of a model file: its name inside the versions folder, "shipped" for the shipped model,
    and the file's own name for any other file (it is not a version)."""
    if path is None:
        return "unsaved"
    path = Path(path)
    if path.parent.name == "versions" and is_version_id(path.stem):
        return path.stem
    return SHIPPED if path.name == SHIPPED_MODEL.name else path.name
