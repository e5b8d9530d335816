"""Model versions: retrained models kept beside the shipped one, and which is active (the registry).

Layout of the models folder (default: the repository's `model/`, or `$DIGIT_APP_MODELS`; every
function takes another `folder` too):

    digit_cnn.keras, digit_cnn.json     the shipped model; never overwritten or deleted
    versions/<id>.keras, <id>.json      each retrained model and its metadata
    active.json                         {"version": "<id>"}; absent means the shipped model

Each model is saved whole by `digit_app.store.model_files`. A missing or broken active version
falls back to the shipped model.
"""

from __future__ import annotations

import json
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

from digit_app import settings
from digit_app.settings import ENV_MODELS_DIR
from digit_app.store.files import atomic_write, read_plain
from digit_app.store.metadata import TrainingSummary, read_summary
from digit_app.store.model_files import ModelStoreError, save_model

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "model" / "digit_cnn.keras"
SHIPPED = "shipped"  # the version id of the model that comes with the app
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # what a version id may be: a plain file name, short
LEFTOVER_AGE = 3600.0  # seconds after which an unfinished write is surely abandoned
POINTER_BYTES = 4096  # the active pointer is a few dozen bytes: a larger file is not read


@contextmanager
def _writing(what: str, folder: Path) -> Iterator[None]:
    """Turn a failed write in the models folder into one clear `ModelStoreError`."""
    try:
        yield
    except OSError as error:
        raise ModelStoreError(
            f"Could not {what} in the models folder {folder}: {error.strerror or error}. "
            f"Make it writable or point ${ENV_MODELS_DIR} at a folder that is; nothing was changed."
        ) from error


@dataclass(frozen=True)
class ModelVersion:
    """One model the app can use."""

    id: str
    path: Path
    summary: TrainingSummary = field(default_factory=TrainingSummary)

    @property
    def is_shipped(self) -> bool:
        return self.id == SHIPPED

    @property
    def test_accuracy(self) -> float | None:
        return self.summary.test_accuracy


def models_dir(folder: Path | None = None) -> Path:
    """Where versions and the active pointer live: `folder` when given, else the settings' (or model/)."""
    return Path(folder) if folder is not None else settings.current().models_dir or SHIPPED_MODEL.parent


def shipped_model_path(folder: Path | None = None) -> Path:
    """The shipped model: in the models folder if one was copied there, else the repository's."""
    candidate = models_dir(folder) / SHIPPED_MODEL.name
    return candidate if candidate.is_file() else SHIPPED_MODEL


def list_versions(folder: Path | None = None) -> list[ModelVersion]:
    """The shipped model first, then retrained versions, newest first."""
    shipped = ModelVersion(SHIPPED, shipped_model_path(folder), read_summary(shipped_model_path(folder)))
    kept = models_dir(folder) / "versions"
    files = [p for p in kept.glob("*.keras") if is_version_id(p.stem)] if kept.is_dir() else []
    trained = [ModelVersion(p.stem, p, read_summary(p)) for p in files]  # ".name" files are unfinished writes
    return [shipped, *sorted(trained, key=lambda v: v.id, reverse=True)]


def is_version_id(version_id: object) -> bool:
    """True for an id that names a file inside the versions folder and nothing else (no path, no '..')."""
    return isinstance(version_id, str) and (version_id == SHIPPED or VERSION_ID.fullmatch(version_id) is not None)


def get_version(version_id: str, folder: Path | None = None) -> ModelVersion:
    """The version with this id; `KeyError` with a clear message if there is none."""
    if not is_version_id(version_id):
        raise KeyError(f"There is no model version {str(version_id)[:70]!r}.")
    for version in list_versions(folder):
        if version.id == version_id:
            return version
    raise KeyError(f"There is no model version {version_id!r}.")


def active_version_id(folder: Path | None = None) -> str:
    """The id in the active pointer, or the shipped model's when the pointer is absent or bad."""
    return _read_pointer(folder)[0]


def _read_pointer(folder: Path | None = None) -> tuple[str, str | None]:
    """The active version's id, and why the pointer could not be followed (None when it could, or is absent).

    Read on every page run, so only a plain file of at most POINTER_BYTES: a FIFO would block the
    page, a link to /dev/zero never end, a 200 MB file cost every answer.
    """
    path = models_dir(folder) / "active.json"
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
    if version_id != SHIPPED and not (models_dir(folder) / "versions" / f"{version_id}.keras").is_file():
        return SHIPPED, f"The active model {version_id} is gone; the shipped model is in use."
    return version_id, None


def active_model_path(folder: Path | None = None) -> Path:
    """The file of the active model (the shipped one unless another was activated)."""
    return active_model(folder)[0]


def active_model(folder: Path | None = None) -> tuple[Path, str | None]:
    """The active model's file and, when the pointer could not be followed, why: one read of the pointer."""
    version_id, problem = _read_pointer(folder)
    if version_id == SHIPPED:
        return shipped_model_path(folder), problem
    return models_dir(folder) / "versions" / f"{version_id}.keras", problem


def activate(version_id: str, folder: Path | None = None) -> ModelVersion:
    """Make a version the one the app uses; the pointer is replaced atomically."""
    version = get_version(version_id, folder)
    folder = models_dir(folder)
    with _writing("switch the active model", folder):
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "active.json", lambda tmp: tmp.write_text(json.dumps({"version": version.id}) + "\n"))
    return version


def delete(version_id: str, folder: Path | None = None) -> None:
    """Delete a retrained version (never the shipped one); if it was active, the shipped one is."""
    if version_id == SHIPPED:
        raise ModelStoreError("The shipped model cannot be deleted.")
    version = get_version(version_id, folder)
    if active_version_id(folder) == version_id:
        activate(SHIPPED, folder)
    with _writing(f"delete {version_id}", models_dir(folder)):
        version.path.unlink(missing_ok=True)  # the model first: no version is left without metadata
        version.path.with_suffix(".json").unlink(missing_ok=True)
        for lite in version.path.parent.glob(f"{version.id}.*.tflite"):
            lite.unlink(missing_ok=True)


def check_writable(folder: Path | None = None) -> None:
    """Raise `ModelStoreError` unless the models folder (and its versions folder, if there is one yet) takes a
    new file now: a read-only folder is found before an hour of training, not after it. Nothing is left behind."""
    root = models_dir(folder)
    with _writing("write", root):
        root.mkdir(parents=True, exist_ok=True)  # as saving would: only a missing folder is made
        for place in (root, root / "versions"):
            if place.is_dir():
                with tempfile.NamedTemporaryFile(dir=place, prefix=".probe-"):
                    pass


def save_version(model: Any, summary: TrainingSummary, lite: dict[str, bytes] | None = None,
                 folder: Path | None = None) -> ModelVersion:
    """Keep a newly trained model (and its LiteRT parts) as a new version (not active until `activate`)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    version_id = f"v{stamp}-{secrets.token_hex(2)}"
    kept = models_dir(folder) / "versions"
    with _writing("save the new model", models_dir(folder)):
        _remove_leftovers(kept)
        path = save_model(model, kept / f"{version_id}.keras", summary, lite)
    return ModelVersion(version_id, path, read_summary(path))


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
