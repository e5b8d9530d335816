"""Corrections: drawings the model read wrong, with the digit the person meant, kept to train on.

Each correction is the 28x28 input the model saw and the right label, in one SQLite file
(`$DIGIT_APP_CORRECTIONS`, by default `data/corrections.sqlite` in the repository). SQLite keeps
two sessions (or two server processes) writing at once safe; every call opens its own connection.
Corrections can be exported to, and imported from, an `.npz` with the keys `images`, `labels` and
`predicted` (-1 where unknown). An import is checked whole before anything is kept, and adds only
the corrections not already there: importing the same file twice adds nothing.
"""

from __future__ import annotations

import io
import os
import sqlite3
import time
import zipfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digit_app.store.files import npz_headers

ENV_CORRECTIONS = "DIGIT_APP_CORRECTIONS"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "corrections.sqlite"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another to finish
SETUP_RETRY = 0.02  # seconds between tries while another process sets a new file up
MAX_IMPORT_ROWS = 10_000  # corrections in one imported file, at most
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # an imported file's size, at most
SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER,
    image BLOB NOT NULL,
    created TEXT NOT NULL
)
"""


class CorrectionsError(ValueError):
    """A correction or a corrections file cannot be used; the message says why."""


@dataclass(frozen=True)
class Correction:
    """One stored correction."""

    id: int
    label: int
    predicted: int | None
    image: np.ndarray  # (28, 28) uint8, white digit on black
    created: str


@dataclass(frozen=True)
class Damaged:
    """A stored row that is not a usable correction, and why."""

    id: int
    problem: str


def _read_row(row: tuple) -> Correction | Damaged:
    """A row as a Correction, or as Damaged with the reason when someone or something broke it."""
    row_id, label, predicted, image, created = row
    if not isinstance(label, int) or not 0 <= label <= 9:
        return Damaged(row_id, f"its label {label!r} is not a digit 0 to 9")
    if not isinstance(image, bytes) or len(image) != 28 * 28:
        size = len(image) if isinstance(image, (bytes, str)) else 0
        return Damaged(row_id, f"its image is {size} bytes, not a 28x28 drawing ({28 * 28} bytes)")
    if predicted is not None and (not isinstance(predicted, int) or not 0 <= predicted <= 9):
        predicted = None  # "read as" is only a note: a broken one is dropped, the correction kept
    return Correction(row_id, label, predicted, np.frombuffer(image, np.uint8).reshape(28, 28), str(created))


def _prepare(connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode and make its table, retrying while another process does the same.

    Two connections switching a new file to WAL at once can meet in a lock SQLite refuses at once
    rather than waiting for, so the busy timeout alone does not cover a file's first moments.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(SETUP_RETRY)


def default_path() -> Path:
    return Path(os.environ.get(ENV_CORRECTIONS) or DEFAULT_PATH)


class CorrectionStore:
    """The corrections file: add, list, delete, export and import."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction on the file; `write` takes the write lock at the start, so that a
        read-then-write (an import) never finds its snapshot stale because another writer committed."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)) as connection:
                _prepare(connection)
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise CorrectionsError(f"The corrections file {self.path} cannot be used: {error}.") from error
        except OSError as error:
            reason = error.strerror or error
            raise CorrectionsError(f"Could not open the corrections file {self.path}: {reason}.") from error

    def add(self, image: np.ndarray, label: int, predicted: int | None = None) -> int:
        """Keep a (28, 28) model input (floats in [0, 1] or uint8) with its right label; returns its id."""
        pixels = _as_pixels(image)
        if not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
            raise CorrectionsError(f"A correction's label must be a digit 0 to 9, got {label!r}.")
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connect(write=True) as db:
            cursor = db.execute("INSERT INTO corrections (label, predicted, image, created) VALUES (?, ?, ?, ?)",
                                (int(label), None if predicted is None else int(predicted), pixels.tobytes(), created))
            return int(cursor.lastrowid)

    def list(self) -> list[Correction]:
        """Every readable correction, oldest first (damaged rows are skipped: `damaged` names them)."""
        with self._connect() as db:
            rows = db.execute("SELECT id, label, predicted, image, created FROM corrections ORDER BY id").fetchall()
        return [item for item in map(_read_row, rows) if isinstance(item, Correction)]

    def page(self, start: int, size: int) -> list[Correction | Damaged]:
        """Rows `start` to `start + size` (0 = newest), each a correction or, for a damaged row, what is wrong."""
        if start < 0 or size < 1:
            raise CorrectionsError(f"A page starts at 0 or later and holds at least one row, not {start} and {size}.")
        with self._connect() as db:
            rows = db.execute("SELECT id, label, predicted, image, created FROM corrections ORDER BY id DESC "
                              "LIMIT ? OFFSET ?", (int(size), int(start))).fetchall()
        return [_read_row(row) for row in rows]

    def damaged(self) -> list[Damaged]:
        """Rows that are not a usable correction (a wrong-sized image, a label that is not a digit)."""
        with self._connect() as db:
            rows = db.execute("SELECT id, label, predicted, image, created FROM corrections ORDER BY id").fetchall()
        return [item for item in map(_read_row, rows) if isinstance(item, Damaged)]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0])

    def delete(self, correction_id: int) -> bool:
        """Remove one correction; False if there was none with this id."""
        with self._connect(write=True) as db:
            return db.execute("DELETE FROM corrections WHERE id = ?", (int(correction_id),)).rowcount > 0

    def restore(self, correction: Correction) -> bool:
        """Put a deleted correction back with its id and date (undo); False if that id is taken again."""
        pixels = _as_pixels(correction.image)
        with self._connect(write=True) as db:
            return db.execute("INSERT OR IGNORE INTO corrections (id, label, predicted, image, created) "
                              "VALUES (?, ?, ?, ?, ?)", (int(correction.id), int(correction.label),
                                                         correction.predicted, pixels.tobytes(),
                                                         correction.created)).rowcount > 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All corrections as MNIST-style arrays: images (n, 28, 28) uint8 and labels (n,) uint8."""
        corrections = self.list()
        images = np.array([c.image for c in corrections], dtype=np.uint8).reshape(-1, 28, 28)
        return images, np.array([c.label for c in corrections], dtype=np.uint8)

    def export_npz(self) -> bytes:
        """The corrections as an `.npz` file's bytes (keys `images`, `labels`, `predicted` with -1 for unknown)."""
        corrections = self.list()
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            images=np.array([c.image for c in corrections], dtype=np.uint8).reshape(-1, 28, 28),
            labels=np.array([c.label for c in corrections], dtype=np.uint8),
            predicted=np.array([-1 if c.predicted is None else c.predicted for c in corrections], dtype=np.int8),
        )
        return buffer.getvalue()

    def import_npz(self, data: bytes) -> int:
        """Add the corrections in an `.npz` made by `export_npz` that are not kept already; returns how many were added.

        The whole file is checked first (shapes, sizes, labels 0-9 as whole numbers, pixels): one
        bad entry refuses the file and nothing is added.
        """
        images, labels, predicted = _read_import(data)
        rows = [(_as_pixels(image).tobytes(), int(label), None if guess < 0 else int(guess))
                for image, label, guess in zip(images, labels, predicted)]
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connect(write=True) as db:
            kept = set(db.execute("SELECT image, label FROM corrections").fetchall())
            new = []
            for image, label, guess in rows:
                if (image, label) not in kept:
                    kept.add((image, label))
                    new.append((label, guess, image, created))
            db.executemany("INSERT INTO corrections (label, predicted, image, created) VALUES (?, ?, ?, ?)", new)
        return len(new)


def _read_import(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, labels, predicted) of an imported file, every one checked; `CorrectionsError` names what is wrong."""
    if len(data) > MAX_IMPORT_BYTES:
        raise CorrectionsError(f"That file is {len(data) / 1e6:.0f} MB; a corrections file is at most "
                               f"{MAX_IMPORT_BYTES / 1e6:.0f} MB.")
    try:
        shapes = {key: shape for key, (shape, _) in npz_headers(io.BytesIO(data)).items()}
        rows = shapes.get("images", (0,))[0] if shapes.get("images") else 0
        if rows > MAX_IMPORT_ROWS:
            raise CorrectionsError(f"That file holds {rows} corrections; one import takes at most {MAX_IMPORT_ROWS}.")
        if shapes.get("images", (0, 0))[1:] != (28, 28) or shapes.get("labels") != (rows,):
            raise CorrectionsError(f"A corrections file holds images (n, 28, 28) and labels (n,); this one has "
                                   f"{shapes.get('images')} and {shapes.get('labels')}.")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
            predicted = archive["predicted"] if "predicted" in archive.files else np.full(len(labels), -1)
    except CorrectionsError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise CorrectionsError(f"That is not a corrections file with images and labels ({error}).") from None
    if predicted.shape != labels.shape or not _whole_numbers(predicted):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    if not _whole_numbers(labels) or (len(labels) and (labels.min() < 0 or labels.max() > 9)):
        raise CorrectionsError("Every label in a corrections file must be a whole number from 0 to 9; "
                               "this file has others, so nothing was imported.")
    for image in images:
        _as_pixels(image)  # raises for pixels that are not uint8 or floats from 0 to 1
    return images, labels.astype(np.int64), predicted.astype(np.int64)


def _whole_numbers(values: np.ndarray) -> bool:
    if np.issubdtype(values.dtype, np.integer):
        return True
    if not np.issubdtype(values.dtype, np.floating):
        return False
    return bool(np.isfinite(values).all() and (values == np.round(values)).all())


def _as_pixels(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.shape != (28, 28):
        raise CorrectionsError(f"A correction is a (28, 28) model input, got shape {array.shape}.")
    if array.dtype == np.uint8:
        return array
    in_range = np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1
    if not np.issubdtype(array.dtype, np.floating) or not in_range:
        raise CorrectionsError("A correction's pixels must be uint8, or floats from 0 to 1.")
    return np.rint(array * 255).astype(np.uint8)
