"""The app's model versions: the shipped model, and the retrained ones every process shares through the database.

Every reader (the Draw page, `predict`, training's comparison) asks `active_model()`: one query for
the active version, then its files from this machine's models folder, fetched by digest from the
database the first time (`store.versions` names the copies). So "Use this model" on one replica
reaches every other one at its next answer, and replicas share no disk. The shipped model comes
with the app on every machine and is never stored. An old models folder (versions and the active
pointer beside the shipped model) is imported once, the first time this process uses it.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from digit_app.database.engine import Database, open_database
from digit_app.database.errors import DatabaseError, DatabaseUnavailableError
from digit_app.database.versions import MAX_FILE_BYTES, StoredFile, VersionRecord, VersionsTable, VersionsTableError
from digit_app.store import versions as local
from digit_app.store.files import atomic_write, read_plain
from digit_app.store.metadata import TrainingSummary, json_writer, metadata_path, read_summary
from digit_app.store.model_files import ModelStoreError, lite_path, read_lite, save_model

SHIPPED = local.SHIPPED
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelVersion:
    """One model the app can use: the shipped one, or one kept in the database."""

    id: str
    summary: TrainingSummary = field(default_factory=TrainingSummary)
    files: dict[str, StoredFile] = field(default_factory=dict)  # by part; none for the shipped model

    @property
    def is_shipped(self) -> bool:
        return self.id == SHIPPED

    @property
    def test_accuracy(self) -> float | None:
        return self.summary.test_accuracy


@dataclass(frozen=True)
class ActiveModel:
    """The model to answer with now: its local file, what its answers depend on, and why another could not be."""

    version_id: str
    path: Path
    key: str  # changes whenever the answers may: the version, its file's digest, its metadata
    problem: str | None = None  # why the active version is not the one answering (None: it is)


_imported: set[tuple[str, str]] = set()
_importing = threading.Lock()
_last_active: dict[tuple[str, str], ActiveModel] = {}
_copies: dict[tuple[str, str], Path] = {}  # (models folder, ActiveModel.key) -> the local copy made for it


def versions_table(database: Database | None = None, folder: Path | None = None) -> VersionsTable:
    """The shared versions table, after this machine's old models folder (if any) was imported into it."""
    table = VersionsTable(database or open_database())
    key = (str(table.database.url), str(local.models_dir(folder)))
    if key not in _imported:
        with _importing:
            if key not in _imported:
                import_old_folder(table, folder)
                _imported.add(key)
    return table


def import_old_folder(table: VersionsTable, folder: Path | None = None) -> list[str]:
    """Add an old models folder's versions to the database (those it lacks) and, if its pointer names one added
    now, activate it; then set the old files aside. Running it again adds nothing. Returns the ids added."""
    old = local.old_folder(folder)
    added = []
    for path in old.versions:
        try:
            files = {"keras": read_plain(path, MAX_FILE_BYTES), **read_lite(path)[0]}
            table.add(path.stem, read_summary(path), files)
        except VersionsTableError as error:  # kept already (an earlier import, another replica), or refused
            log.info("Not imported: %s: %s", path.name, error)
            continue
        except OSError as error:
            log.warning("Could not import the old model %s: %s", path, error)
            continue
        added.append(path.stem)
    if old.active in added and table.active() == SHIPPED:
        table.activate(old.active)
    if old.versions or old.active:
        try:
            local.set_aside_old_folder(folder)
        except OSError as error:  # a read-only folder: left as it is; what was added is not added twice
            log.warning("Could not set the imported models folder aside: %s", error)
    return added


def _version(record: VersionRecord) -> ModelVersion:
    return ModelVersion(record.id, record.summary, record.files)


def shipped_version(folder: Path | None = None) -> ModelVersion:
    """The shipped model, with the summary saved beside it."""
    return ModelVersion(SHIPPED, read_summary(local.shipped_model_path(folder)))


def list_versions(database: Database | None = None, folder: Path | None = None) -> list[ModelVersion]:
    """The shipped model first, then the kept versions, newest first."""
    return [shipped_version(folder), *map(_version, versions_table(database, folder).list())]


def get_version(version_id: str, database: Database | None = None, folder: Path | None = None) -> ModelVersion:
    """The version with this id; `KeyError` with a clear message if there is none."""
    if version_id == SHIPPED:
        return shipped_version(folder)
    return _version(versions_table(database, folder).get(version_id))


def active_version_id(database: Database | None = None, folder: Path | None = None) -> str:
    """The id of the version every process answers with ("shipped" when no other was activated)."""
    return versions_table(database, folder).active()


def activate(version_id: str, database: Database | None = None, folder: Path | None = None) -> None:
    """Make a version the one every process answers with, from its next answer on."""
    versions_table(database, folder).activate(version_id)


def delete(version_id: str, database: Database | None = None, folder: Path | None = None) -> None:
    """Delete a kept version: never the shipped one nor the one in use (`ModelStoreError`); `KeyError` if gone."""
    if version_id == SHIPPED:
        raise ModelStoreError("The shipped model cannot be deleted.")
    if not versions_table(database, folder).delete(version_id, keep_active=True):
        raise VersionsTableError(f"There is no model version {version_id!r}.")


def update_summary(version_id: str, database: Database | None = None, folder: Path | None = None,
                   **changes: Any) -> TrainingSummary:
    """Set entries of a kept version's summary (a new temperature) for every process."""
    if version_id == SHIPPED:
        raise ModelStoreError("The shipped model's metadata is the repository's: it is not changed here.")
    return versions_table(database, folder).update_summary(version_id, **changes)


def new_version_id() -> str:
    """A new version's id: when it was made (UTC), and a few random digits so two at once differ."""
    return f"v{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def save_version(model: Any, summary: TrainingSummary, lite: dict[str, bytes] | None = None,
                 database: Database | None = None, folder: Path | None = None) -> ModelVersion:
    """Keep a newly trained model (and its LiteRT parts) as a new version for every process (not active until
    `activate`): listed only once all its files are in the database."""
    version_id = new_version_id()
    with tempfile.TemporaryDirectory(prefix="digit-app-save-") as staging:
        try:
            path = save_model(model, Path(staging) / f"{version_id}.keras", summary, lite)
            files = {"keras": read_plain(path, MAX_FILE_BYTES), **read_lite(path)[0]}
        except OSError as error:
            raise ModelStoreError(f"Could not write the new model to a temporary folder: {error.strerror or error}; "
                                  "nothing was kept.") from error
        record = versions_table(database, folder).add(version_id, read_summary(path), files)
    return _version(record)


def model_file(version_id: str, database: Database | None = None, folder: Path | None = None) -> Path:
    """A version's Keras file on this machine (metadata and LiteRT parts beside it), fetched if it is not here."""
    if version_id == SHIPPED:
        return local.shipped_model_path(folder)
    table = versions_table(database, folder)
    return _local_copy(table, table.get(version_id), folder)


def _local_copy(table: VersionsTable, record: VersionRecord, folder: Path | None) -> Path:
    """This machine's copy of a version, made or completed from the database by digest; metadata kept current."""
    digest = record.files["keras"].digest
    path = local.cached_model_path(digest, record.id, folder)
    table.cache_as(digest, path)
    for part, stored in record.files.items():
        if part != "keras":
            table.cache_as(stored.digest, lite_path(path, digest[:12], part))
    text = json.dumps(record.summary.to_json(), indent=2) + "\n"
    meta = metadata_path(path)
    if not meta.is_file() or meta.read_text(encoding="utf-8", errors="replace") != text:
        atomic_write(meta, json_writer(record.summary.to_json()))
    return path


def active_model(database: Database | None = None, folder: Path | None = None) -> ActiveModel:
    """The model to answer with now: the active version's local copy (one query, plus a fetch the first time).

    The database out of reach: the model this process last answered with, and why. The active
    version's files missing, damaged or not writable here: the shipped model, and why.
    """
    shipped = local.shipped_model_path(folder)
    memo = (str(database.url) if database else "", str(local.models_dir(folder)))
    try:
        table = versions_table(database, folder)
        active = table.active_files()
    except DatabaseUnavailableError as error:
        last = _last_active.get(memo, ActiveModel(SHIPPED, shipped, SHIPPED))
        return ActiveModel(last.version_id, last.path, last.key, f"{error} Meanwhile {last.version_id} answers.")
    except DatabaseError as error:
        return ActiveModel(SHIPPED, shipped, SHIPPED, f"{error} The shipped model is in use.")
    if active is None:
        found = ActiveModel(SHIPPED, shipped, SHIPPED)
    else:
        version_id, metadata_digest, files = active
        key = f"{version_id}:{files['keras'].digest}:{metadata_digest[:16]}"
        path = _copies.get((memo[1], key))
        if path is None or not path.is_file():  # new here, or its metadata changed: (re)made from the database
            try:
                path = _local_copy(table, table.get(version_id), folder)
            except (DatabaseError, OSError) as error:
                problem = f"The active model {version_id} cannot be fetched ({error}); the shipped model is in use."
                return ActiveModel(SHIPPED, shipped, SHIPPED, problem)
            _copies[(memo[1], key)] = path
        found = ActiveModel(version_id, path, key)
    _last_active[memo] = found
    return found


def check_database() -> None:
    """Open the configured database now, so a wrong URL or a server out of reach is found before training, not
    after it (`DatabaseError`)."""
    versions_table()
