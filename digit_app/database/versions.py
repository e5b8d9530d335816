"""Model versions in the shared database: each version's metadata and files, and which version is active.

A version holds what a folder of `digit_app.store.versions` holds for it: the Keras model file, its
metadata JSON and its LiteRT parts ("pixels", "strokes"). The files themselves are kept once each,
as blobs named by their SHA-256, so replicas need no shared disk: each keeps a local copy by digest
(`cache`) and asks only which version is active (`active`, one small query) at its next answer.
A version is added whole or not at all, in one transaction. A blob is read only after its size is
checked, and handed on only if its digest matches.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from digit_app.database import json_columns
from digit_app.database.engine import Database
from digit_app.database.errors import DatabaseError
from digit_app.database.schema import active_version, model_files, version_files, versions
from digit_app.store.metadata import TrainingSummary

SHIPPED = "shipped"  # the model that comes with the app: never stored here, active when no version is
VERSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SHA256 = re.compile(r"[0-9a-f]{64}")
PARTS = ("keras", "pixels", "strokes")  # the model file, and the LiteRT parts a model may have
MAX_FILE_BYTES = 256 * 1024 * 1024  # one model file, at most (the shipped Keras model: 7 MB)
MAX_METADATA_BYTES = 1_000_000  # a version's metadata JSON, at most
LOCK = "versions"


class VersionsTableError(DatabaseError, KeyError):
    """No such version or file, or a version that cannot be kept as given; the message says which."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class VersionInUseError(DatabaseError):
    """The version is the one in use: it is not deleted."""


@dataclass(frozen=True)
class StoredFile:
    """One file of a version: its SHA-256 (hex) and size in bytes."""

    digest: str
    size: int


@dataclass(frozen=True)
class VersionRecord:
    """One stored model version."""

    id: str
    created: float  # Unix seconds
    summary: TrainingSummary = field(default_factory=TrainingSummary)
    files: dict[str, StoredFile] = field(default_factory=dict)  # by part: "keras", "pixels", "strokes"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _metadata_text(metadata: Mapping[str, Any]) -> str:
    return json_columns.dump(metadata, MAX_METADATA_BYTES, "A version's metadata", VersionsTableError)


def _read_summary(text: str) -> TrainingSummary:
    """A version's summary as kept, checked entry by entry like a metadata file (`TrainingSummary.from_json`)."""
    return TrainingSummary.from_json(json_columns.load(text, MAX_METADATA_BYTES) or {})


def _check_id(version_id: object) -> str:
    if not isinstance(version_id, str) or version_id == SHIPPED or not VERSION_ID.fullmatch(version_id):
        raise VersionsTableError(f"There is no model version {str(version_id)[:70]!r}.")
    return version_id


def _check_digest(digest: object) -> str:
    if not isinstance(digest, str) or not SHA256.fullmatch(digest):
        raise VersionsTableError(f"{str(digest)[:70]!r} is not a SHA-256 digest.")
    return digest


class VersionsTable:
    """The model versions every replica and the trainer share: add, list, get, activate, delete, and their files."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _insert(self, table: sa.Table):
        return (postgresql.insert if self.database.is_postgres else sqlite.insert)(table)

    def add(self, version_id: str, summary: TrainingSummary, files: Mapping[str, bytes]) -> VersionRecord:
        """Keep a new version with its files (at least the "keras" one); all of it or, on any failure, nothing."""
        _check_id(version_id)
        text = _metadata_text(summary.to_json())
        if "keras" not in files or set(files) - set(PARTS):
            raise VersionsTableError(f"A version's files are the Keras model and LiteRT parts {PARTS[1:]}, "
                                     f"not {sorted(files)}.")
        for part, content in files.items():
            if not isinstance(content, bytes) or not 0 < len(content) <= MAX_FILE_BYTES:
                raise VersionsTableError(f"A model file ({part}) is 1 byte to {MAX_FILE_BYTES // 2**20} MB.")
        stored = {part: StoredFile(sha256(content), len(content)) for part, content in files.items()}
        now = time.time()
        with self.database.write(lock=LOCK) as db:
            if db.execute(sa.select(versions.c.id).where(versions.c.id == version_id)).first():
                raise VersionsTableError(f"There is already a model version {version_id!r}.")
            for part, content in files.items():
                db.execute(self._insert(model_files).values(digest=stored[part].digest, size=len(content),
                                                            content=content, created=now)
                           .on_conflict_do_nothing(index_elements=["digest"]))
            db.execute(versions.insert().values(id=version_id, created=now, metadata=text))
            db.execute(version_files.insert(), [{"version_id": version_id, "part": part, "digest": f.digest}
                                                for part, f in stored.items()])
        return VersionRecord(version_id, now, _read_summary(text), stored)

    def list(self) -> list[VersionRecord]:
        """Every stored version, newest first (the shipped model is not stored here)."""
        with self.database.read() as db:
            rows = db.execute(sa.select(versions).order_by(versions.c.created.desc(), versions.c.id.desc())).all()
            files = db.execute(sa.select(version_files.c.version_id, version_files.c.part, version_files.c.digest,
                                         model_files.c.size)
                               .join(model_files, model_files.c.digest == version_files.c.digest)).all()
        by_version: dict[str, dict[str, StoredFile]] = {}
        for version_id, part, digest, size in files:
            by_version.setdefault(version_id, {})[part] = StoredFile(digest, int(size))
        return [VersionRecord(row.id, float(row.created), _read_summary(row.metadata), by_version.get(row.id, {}))
                for row in rows]

    def get(self, version_id: str) -> VersionRecord:
        """The version with this id; `VersionsTableError` (a `KeyError`) if there is none."""
        _check_id(version_id)
        for record in self.list():
            if record.id == version_id:
                return record
        raise VersionsTableError(f"There is no model version {version_id!r}.")

    def active(self) -> str:
        """The active version's id, or "shipped" when none is (or the active one was deleted)."""
        with self.database.read() as db:
            value = db.execute(sa.select(active_version.c.version_id).where(active_version.c.id == 1)).scalar()
        return value or SHIPPED

    def active_files(self) -> tuple[str, str, dict[str, StoredFile]] | None:
        """The active version's id, its metadata's SHA-256 and its files, in one query with nothing parsed: what a
        replica asks at each answer. None when the shipped model is active."""
        query = (sa.select(versions.c.id, versions.c.metadata, version_files.c.part, version_files.c.digest,
                           model_files.c.size)
                 .select_from(active_version.join(versions, versions.c.id == active_version.c.version_id)
                              .join(version_files, version_files.c.version_id == versions.c.id)
                              .join(model_files, model_files.c.digest == version_files.c.digest))
                 .where(active_version.c.id == 1))
        with self.database.read() as db:
            rows = db.execute(query).all()
        if not rows:
            return None
        files = {row.part: StoredFile(row.digest, int(row.size)) for row in rows}
        return rows[0].id, sha256(rows[0].metadata.encode()), files

    def activate(self, version_id: str) -> None:
        """Make a stored version (or "shipped") the one every replica answers with from its next answer on."""
        if version_id != SHIPPED:
            _check_id(version_id)
        with self.database.write(lock=LOCK) as db:
            if version_id != SHIPPED and not db.execute(sa.select(versions.c.id)
                                                        .where(versions.c.id == version_id)).first():
                raise VersionsTableError(f"There is no model version {version_id!r}.")
            db.execute(active_version.update().where(active_version.c.id == 1)
                       .values(version_id=None if version_id == SHIPPED else version_id))

    def update_summary(self, version_id: str, **changes: Any) -> TrainingSummary:
        """Set entries of a version's summary (a new temperature from `calibrate`), kept whole; returns the new one."""
        _check_id(version_id)
        with self.database.write(lock=LOCK) as db:
            text = db.execute(sa.select(versions.c.metadata).where(versions.c.id == version_id)).scalar()
            if text is None:
                raise VersionsTableError(f"There is no model version {version_id!r}.")
            summary = _read_summary(text).with_changes(**changes)
            db.execute(versions.update().where(versions.c.id == version_id)
                       .values(metadata=_metadata_text(summary.to_json())))
        return summary

    def delete(self, version_id: str, keep_active: bool = False) -> bool:
        """Delete a version and the files no other version uses; if it was active, the shipped model is (or, with
        `keep_active`, the active one is refused). False if there was no such version."""
        _check_id(version_id)
        with self.database.write(lock=LOCK) as db:
            in_use = db.execute(sa.select(active_version.c.version_id).where(active_version.c.id == 1)).scalar()
            if keep_active and in_use == version_id:
                raise VersionInUseError(f"{version_id} is the model in use: activate another version first.")
            digests = [d for (d,) in db.execute(sa.select(version_files.c.digest)
                                                .where(version_files.c.version_id == version_id))]
            db.execute(active_version.update().where(active_version.c.version_id == version_id)
                       .values(version_id=None))
            db.execute(version_files.delete().where(version_files.c.version_id == version_id))
            gone = db.execute(versions.delete().where(versions.c.id == version_id)).rowcount > 0
            still_used = sa.select(version_files.c.digest).where(version_files.c.digest == model_files.c.digest)
            if digests:
                db.execute(model_files.delete().where(model_files.c.digest.in_(digests), ~sa.exists(still_used)))
        return gone

    def file(self, digest: str) -> bytes:
        """A stored file's content, its size checked before it is read and its SHA-256 after."""
        _check_digest(digest)
        with self.database.read() as db:
            size = db.execute(sa.select(model_files.c.size).where(model_files.c.digest == digest)).scalar()
            if size is None:
                raise VersionsTableError(f"There is no model file {digest[:12]} in the database.")
            if not 0 < size <= MAX_FILE_BYTES:
                raise VersionsTableError(f"The model file {digest[:12]} is {size:,} bytes; at most "
                                         f"{MAX_FILE_BYTES:,} are read.")
            content = db.execute(sa.select(model_files.c.content).where(model_files.c.digest == digest)).scalar()
        content = bytes(content)
        if len(content) != size or sha256(content) != digest:
            raise VersionsTableError(f"The model file {digest[:12]} in the database is damaged (its content no "
                                     "longer matches its digest); it is not used.")
        return content

    def cache(self, digest: str, folder: str | os.PathLike[str]) -> Path:
        """The file with this digest in a local folder (`folder/<digest>`), fetched from the database the first time."""
        return self.cache_as(digest, Path(folder) / _check_digest(digest))

    def cache_as(self, digest: str, path: str | os.PathLike[str]) -> Path:
        """The file with this digest at `path`, fetched from the database unless it is there already.

        The copy is written to a temporary name and renamed into place, so a replica never reads half of one.
        `path` must name this digest's content alone (its name or its folder carries the digest).
        """
        _check_digest(digest)
        path = Path(path)
        if path.is_file():
            return path
        content = self.file(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{digest[:12]}-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(name, 0o644)
            os.replace(name, path)
        finally:
            Path(name).unlink(missing_ok=True)
        return path
