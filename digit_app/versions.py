"""Model versions: every retrained model kept beside the shipped one, and which one is active.

Layout of the models folder (default: the repository's `model/`, or `$DIGIT_APP_MODELS`):

    digit_cnn.keras, digit_cnn.json     the shipped model; never overwritten or deleted
    versions/<id>.keras, <id>.json      each retrained model and its metadata
    active.json                         {"version": "<id>"}; absent means the shipped model

Every file is written to a temporary name and renamed into place, so a crash leaves either the
old file or the new one, never half of either. A missing or broken active version falls back to
the shipped model.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digit_app.model import SHIPPED_MODEL, atomic_write, read_metadata, save_model

SHIPPED = "shipped"  # the version id of the model that comes with the app
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # what a version id may be: a plain file name, short
ENV_MODELS_DIR = "DIGIT_APP_MODELS"
LEFTOVER_AGE = 3600.0  # seconds after which an unfinished write is surely abandoned


class ModelStoreError(RuntimeError):
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
    return Path(os.environ.get(ENV_MODELS_DIR) or SHIPPED_MODEL.parent)


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
    try:
        pointer = json.loads((models_dir() / "active.json").read_text()[:4096])
        version_id = pointer["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return SHIPPED
    if not is_version_id(version_id):  # a path, a '..', a name too long for a file: never followed
        return SHIPPED
    if version_id != SHIPPED and not (models_dir() / "versions" / f"{version_id}.keras").is_file():
        return SHIPPED
    return version_id


def active_model_path() -> Path:
    """The file of the active model (the shipped one unless another was activated)."""
    version_id = active_version_id()
    if version_id == SHIPPED:
        return shipped_model_path()
    return models_dir() / "versions" / f"{version_id}.keras"


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
        raise ValueError("The shipped model cannot be deleted.")
    version = get_version(version_id)
    if active_version_id() == version_id:
        activate(SHIPPED)
    with _writing(f"delete {version_id}"):
        version.path.unlink(missing_ok=True)  # the model first: no version is left without metadata
        version.path.with_suffix(".json").unlink(missing_ok=True)


def save_version(model: Any, metadata: dict[str, Any]) -> ModelVersion:
    """Keep a newly trained model as a new version (not active until `activate`)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    version_id = f"v{stamp}-{secrets.token_hex(2)}"
    folder = models_dir() / "versions"
    with _writing("save the new model"):
        _remove_leftovers(folder)
        path = save_model(model, folder / f"{version_id}.keras", metadata)
    return ModelVersion(version_id, path, read_metadata(path))


def _remove_leftovers(folder: Path) -> None:
    """Delete what a killed save left behind: temporary files, and metadata whose model never came.

    Only files older than LEFTOVER_AGE, so a save running in another process is not disturbed.
    """
    if not folder.is_dir():
        return
    cutoff = time.time() - LEFTOVER_AGE
    for path in folder.iterdir():
        unfinished = path.name.startswith(".") or (path.suffix == ".json" and not path.with_suffix(".keras").exists())
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
