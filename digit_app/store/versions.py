"""The models folder on this machine: the shipped model, the local copies of versions by digest, and what an old
models folder held before versions moved into the database (`digit_app.database.registry` keeps them now).

Layout of the models folder (default: the repository's `model/`, or `$DIGIT_APP_MODELS`; every
function takes another `folder` too):

    digit_cnn.keras, digit_cnn.json     the shipped model; never overwritten or deleted
    .cache/<sha256>/<id>.keras, ...     this machine's copy of a version, in a folder named by its file's digest,
                                        with its metadata and LiteRT parts beside it (as `store.model_files` names them)
    versions/<id>.keras, active.json    an old folder's versions and pointer: imported into the database once,
                                        then renamed to .versions-imported/ and .active-imported.json
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from digit_app import settings
from digit_app.settings import ENV_MODELS_DIR
from digit_app.store.files import read_plain
from digit_app.store.model_files import ModelStoreError

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "model" / "digit_cnn.keras"
SHIPPED = "shipped"  # the version id of the model that comes with the app
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # what a version id may be: a plain file name, short
SHA256 = re.compile(r"[0-9a-f]{64}")
CACHE = ".cache"  # this machine's copies of versions, by digest
OLD_VERSIONS, OLD_POINTER = "versions", "active.json"
IMPORTED_VERSIONS, IMPORTED_POINTER = ".versions-imported", ".active-imported.json"
POINTER_BYTES = 4096  # the old active pointer is a few dozen bytes: a larger file is not read


def models_dir(folder: Path | None = None) -> Path:
    """This machine's models folder: `folder` when given, else the settings' (or model/)."""
    return Path(folder) if folder is not None else settings.current().models_dir or SHIPPED_MODEL.parent



def check_writable(folder: Path | None = None) -> None:
    """Raise `ModelStoreError` unless this machine's models folder takes a new file now (its copies of versions go
    there): a read-only folder is found before an hour of training, not after it. Nothing is left behind."""
    root = models_dir(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)  # as keeping a copy would: only a missing folder is made
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            pass
    except OSError as error:
        raise ModelStoreError(f"Could not write in the models folder {root}: {error.strerror or error}. Make it "
                              f"writable or point ${ENV_MODELS_DIR} at a folder that is; nothing was changed."
                              ) from None

def shipped_model_path(folder: Path | None = None) -> Path:
    """The shipped model: in the models folder if one was copied there, else the repository's."""
    candidate = models_dir(folder) / SHIPPED_MODEL.name
    return candidate if candidate.is_file() else SHIPPED_MODEL


def is_version_id(version_id: object) -> bool:
    """True for an id that names a plain file and nothing else (no path, no '..')."""
    return isinstance(version_id, str) and (version_id == SHIPPED or VERSION_ID.fullmatch(version_id) is not None)


def cached_model_path(digest: str, version_id: str, folder: Path | None = None) -> Path:
    """Where this machine keeps its copy of a version whose Keras file has this SHA-256."""
    if not SHA256.fullmatch(digest) or not is_version_id(version_id) or version_id == SHIPPED:
        raise ValueError(f"No local copy is named by {digest[:70]!r} and {version_id[:70]!r}.")
    return models_dir(folder) / CACHE / digest / f"{version_id}.keras"


def version_id_of(path: Path | None) -> str:
    """The version id of a model file: its name in the local cache (or an old versions folder), "shipped" for the
    shipped model, and the file's own name for any other file (it is not a version)."""
    if path is None:
        return "unsaved"
    path = Path(path)
    cached = path.parent.parent.name == CACHE and SHA256.fullmatch(path.parent.name)
    if (cached or path.parent.name == OLD_VERSIONS) and is_version_id(path.stem) and path.stem != SHIPPED:
        return path.stem
    return SHIPPED if path.name == SHIPPED_MODEL.name else path.name


@dataclass(frozen=True)
class OldFolder:
    """What a models folder from before the database holds: its versions' files (oldest first) and its pointer."""

    versions: list[Path]
    active: str | None  # the pointer's version id; None when there is no pointer or it names nothing valid


def old_folder(folder: Path | None = None) -> OldFolder:
    """The versions and the active pointer an old models folder still holds (none once imported)."""
    root = models_dir(folder)
    kept = root / OLD_VERSIONS
    files = sorted((p for p in kept.glob("*.keras") if VERSION_ID.fullmatch(p.stem)), key=lambda p: p.stem) \
        if kept.is_dir() else []  # ".name" files are unfinished writes
    try:
        active = json.loads(read_plain(root / OLD_POINTER, POINTER_BYTES))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        active = None
    return OldFolder(files, active if is_version_id(active) else None)


def set_aside_old_folder(folder: Path | None = None) -> None:
    """Rename an imported folder's versions and pointer out of the way (kept, never deleted); OSError if it cannot."""
    root = models_dir(folder)
    for old, new in ((OLD_VERSIONS, IMPORTED_VERSIONS), (OLD_POINTER, IMPORTED_POINTER)):
        if (root / old).exists() and not (root / new).exists():
            (root / old).rename(root / new)
