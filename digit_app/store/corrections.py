"""Corrections: drawings the model read wrong, with the digit the person meant, kept to train on.

Each correction is the 28x28 input the model saw and the right label, in one SQLite file
(`$DIGIT_APP_CORRECTIONS`, by default `data/corrections.sqlite` in the repository). SQLite keeps
two sessions (or two server processes) writing at once safe; every call opens its own connection.
Corrections can be exported to, and imported from, an `.npz` with the keys `images`, `labels` and
`predicted` (-1 where unknown). An import is checked whole before anything is kept, and adds only
the corrections not already there: importing the same file twice adds nothing.

A correction is `accepted` (training learns from it) or a `suggested` one: a visitor's, on a locked
deployment, waiting for the operator to accept or reject it. Files made before suggestions existed
gain the state when first opened, their rows accepted. Training (`arrays`) and exports read accepted
corrections only, and at most `MAX_SUGGESTIONS` wait at once. Messages name the file, never its
folder (a visitor may read them); the server log keeps the full path.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digit_app import settings
from digit_app.errors import DigitAppError
from digit_app.sizes import MNIST_SIDE
from digit_app.store.npz import Member, NpzTooLargeError, members, read_array

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "corrections.sqlite"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another to finish
SETUP_RETRY = 0.02  # seconds between tries while another process sets a new file up
MAX_IMPORT_ROWS = 10_000  # corrections in one imported file, at most
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # an imported file's size, at most
MAX_ITEMSIZE = 8  # bytes per pixel or label in an imported file, at most (float64, int64)
PIXELS = MNIST_SIDE * MNIST_SIDE
# An imported file's members unpacked, at most: the largest honest one (float64 images, labels and
# read-as for 10,000 corrections, 63 MB) and a little room for headers.
MAX_IMPORT_UNPACKED = MAX_IMPORT_ROWS * (PIXELS + 2) * MAX_ITEMSIZE + 2**20
MAX_SUGGESTIONS = 500  # visitors' suggestions waiting for the operator, at most
ACCEPTED, SUGGESTED = "accepted", "suggested"
STATES = (ACCEPTED, SUGGESTED)
STATE_COLUMN = f"state TEXT NOT NULL DEFAULT '{ACCEPTED}' CHECK (state IN ('{ACCEPTED}', '{SUGGESTED}'))"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER,
    image BLOB NOT NULL,
    created TEXT NOT NULL,
    {STATE_COLUMN}
)
"""
INDEX = "CREATE INDEX IF NOT EXISTS corrections_by_state ON corrections (state, id)"
COLUMNS = "id, label, predicted, image, created, state"

log = logging.getLogger(__name__)


class CorrectionsError(DigitAppError, ValueError):
    """A correction or a corrections file cannot be used; the message says why."""


@dataclass(frozen=True)
class Correction:
    """One stored correction."""

    id: int
    label: int
    predicted: int | None
    image: np.ndarray  # (28, 28) uint8, white digit on black
    created: str
    state: str = ACCEPTED  # or SUGGESTED: a visitor's, waiting for the operator


@dataclass(frozen=True)
class Damaged:
    """A stored row that is not a usable correction, and why."""

    id: int
    problem: str


def _read_row(row: tuple) -> Correction | Damaged:
    """A row as a Correction, or as Damaged with the reason when someone or something broke it."""
    row_id, label, predicted, image, created, state = row
    if not isinstance(label, int) or not 0 <= label <= 9:
        return Damaged(row_id, f"its label {label!r} is not a digit 0 to 9")
    if state not in STATES:
        return Damaged(row_id, f"its state {state!r} is neither {ACCEPTED} nor {SUGGESTED}")
    if not isinstance(image, bytes) or len(image) != PIXELS:
        size = len(image) if isinstance(image, (bytes, str)) else 0
        return Damaged(row_id, f"its image is {size} bytes, not a 28x28 drawing ({28 * 28} bytes)")
    if predicted is not None and (not isinstance(predicted, int) or not 0 <= predicted <= 9):
        predicted = None  # "read as" is only a note: a broken one is dropped, the correction kept
    return Correction(row_id, label, predicted, np.frombuffer(image, np.uint8).reshape(28, 28), str(created), state)


def _prepare(connection: sqlite3.Connection) -> None:
    """Put the file in WAL mode, make its table (or add the state to an older one), retrying while another
    process does the same.

    Two connections switching a new file to WAL at once can meet in a lock SQLite refuses at once
    rather than waiting for, so the busy timeout alone does not cover a file's first moments.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            _add_state(connection)
            connection.execute(INDEX)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(SETUP_RETRY)


def _add_state(connection: sqlite3.Connection) -> None:
    """Give a file made before suggestions existed its state column; its rows count as accepted."""
    if "state" in _columns(connection):
        return
    connection.execute("BEGIN IMMEDIATE")  # one process adds it; the others find it added
    try:
        if "state" not in _columns(connection):
            connection.execute(f"ALTER TABLE corrections ADD COLUMN {STATE_COLUMN}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _columns(connection: sqlite3.Connection) -> set[str]:
    return {row[1] for row in connection.execute("PRAGMA table_info(corrections)")}


def _where(state: str | None) -> tuple[str, tuple]:
    """The SQL condition (and its parameters) for rows in `state`, or for every row when it is None."""
    if state is None:
        return "", ()
    if state not in STATES:
        raise CorrectionsError(f"A correction is {ACCEPTED} or {SUGGESTED}, not {state!r}.")
    return " WHERE state = ?", (state,)


def default_path() -> Path:
    return settings.current().corrections_path or DEFAULT_PATH


class CorrectionStore:
    """The corrections file: add, list, accept, delete, export and import."""

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
            log.warning("The corrections file %s cannot be used: %s", self.path, error)
            raise CorrectionsError(f"The corrections file {self.path.name} cannot be used: {error}.") from error
        except OSError as error:
            log.warning("Could not open the corrections file %s: %s", self.path, error)
            reason = error.strerror or type(error).__name__
            raise CorrectionsError(f"Could not open the corrections file {self.path.name}: {reason}.") from error

    def add(self, image: np.ndarray, label: int, predicted: int | None = None, state: str = ACCEPTED) -> int:
        """Keep a (28, 28) model input (floats in [0, 1] or uint8) with its right label; returns its id.

        A `SUGGESTED` one waits for the operator, and is refused while `MAX_SUGGESTIONS` already wait.
        """
        pixels = _as_pixels(image)
        if not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
            raise CorrectionsError(f"A correction's label must be a digit 0 to 9, got {label!r}.")
        condition, parameters = _where(state)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connect(write=True) as db:
            if state == SUGGESTED:
                waiting = int(db.execute("SELECT COUNT(*) FROM corrections" + condition, parameters).fetchone()[0])
                if waiting >= MAX_SUGGESTIONS:
                    raise CorrectionsError(f"{waiting} suggestions already wait for the operator; no more are "
                                           "taken until some are accepted or rejected.")
            cursor = db.execute("INSERT INTO corrections (label, predicted, image, created, state) "
                                "VALUES (?, ?, ?, ?, ?)", (int(label), None if predicted is None else int(predicted),
                                                           pixels.tobytes(), created, state))
            return int(cursor.lastrowid)

    def list(self, state: str | None = None) -> list[Correction]:
        """Every readable correction in `state` (all when None), oldest first; damaged rows are skipped."""
        return [item for item in self._rows(state) if isinstance(item, Correction)]

    def page(self, start: int, size: int, state: str | None = None) -> list[Correction | Damaged]:
        """Rows `start` to `start + size` (0 = newest) in `state` (all when None), each a correction or, for a
        damaged row, what is wrong."""
        if start < 0 or size < 1:
            raise CorrectionsError(f"A page starts at 0 or later and holds at least one row, not {start} and {size}.")
        condition, parameters = _where(state)
        with self._connect() as db:
            rows = db.execute(f"SELECT {COLUMNS} FROM corrections{condition} ORDER BY id DESC LIMIT ? OFFSET ?",
                              (*parameters, int(size), int(start))).fetchall()
        return [_read_row(row) for row in rows]

    def damaged(self) -> list[Damaged]:
        """Rows that are not a usable correction (a wrong-sized image, a label that is not a digit)."""
        return [item for item in self._rows(None) if isinstance(item, Damaged)]

    def _rows(self, state: str | None) -> list[Correction | Damaged]:
        condition, parameters = _where(state)
        with self._connect() as db:
            rows = db.execute(f"SELECT {COLUMNS} FROM corrections{condition} ORDER BY id", parameters).fetchall()
        return [_read_row(row) for row in rows]

    def count(self, state: str | None = None) -> int:
        """How many rows are in `state` (all when None)."""
        condition, parameters = _where(state)
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM corrections" + condition, parameters).fetchone()[0])

    def accept(self, correction_ids: Iterable[int]) -> int:
        """Make these suggestions accepted corrections, training material; returns how many were waiting."""
        with self._connect(write=True) as db:
            return sum(db.execute("UPDATE corrections SET state = ? WHERE id = ? AND state = ?",
                                  (ACCEPTED, int(correction_id), SUGGESTED)).rowcount
                       for correction_id in correction_ids)

    def reject(self, correction_id: int) -> bool:
        """Remove one suggestion (never an accepted correction); False if no suggestion has this id."""
        with self._connect(write=True) as db:
            return db.execute("DELETE FROM corrections WHERE id = ? AND state = ?",
                              (int(correction_id), SUGGESTED)).rowcount > 0

    def delete(self, correction_id: int) -> bool:
        """Remove one correction; False if there was none with this id."""
        with self._connect(write=True) as db:
            return db.execute("DELETE FROM corrections WHERE id = ?", (int(correction_id),)).rowcount > 0

    def restore(self, correction: Correction) -> bool:
        """Put a deleted correction back with its id, date and state (undo); False if that id is taken again."""
        pixels = _as_pixels(correction.image)
        _where(correction.state)  # refuses a state that is neither
        with self._connect(write=True) as db:
            return db.execute("INSERT OR IGNORE INTO corrections (id, label, predicted, image, created, state) "
                              "VALUES (?, ?, ?, ?, ?, ?)", (int(correction.id), int(correction.label),
                                                            correction.predicted, pixels.tobytes(),
                                                            correction.created, correction.state)).rowcount > 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The accepted corrections as MNIST-style arrays, what training learns from: images (n, 28, 28) uint8 and
        labels (n,) uint8. Suggestions waiting for the operator are left out."""
        corrections = self.list(ACCEPTED)
        images = np.array([c.image for c in corrections], dtype=np.uint8).reshape(-1, 28, 28)
        return images, np.array([c.label for c in corrections], dtype=np.uint8)

    def export_npz(self) -> bytes:
        """The accepted corrections as an `.npz` file's bytes (keys `images`, `labels`, `predicted` with -1 for
        unknown); suggestions are not handed on before the operator accepts them."""
        corrections = self.list(ACCEPTED)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            images=np.array([c.image for c in corrections], dtype=np.uint8).reshape(-1, 28, 28),
            labels=np.array([c.label for c in corrections], dtype=np.uint8),
            predicted=np.array([-1 if c.predicted is None else c.predicted for c in corrections], dtype=np.int8),
        )
        return buffer.getvalue()

    def import_npz(self, data: bytes) -> int:
        """Add the corrections in an `.npz` made by `export_npz` that are not kept already, as accepted (importing
        is the operator's); returns how many were added.

        The whole file is checked first (every member's size from its headers before it is read,
        shapes, labels 0-9 as whole numbers, pixels): one bad entry refuses the file and nothing is added.
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
                    new.append((label, guess, image, created, ACCEPTED))
            db.executemany("INSERT INTO corrections (label, predicted, image, created, state) VALUES (?, ?, ?, ?, ?)",
                           new)
        return len(new)


def _read_import(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, labels, predicted) of an imported file, every one checked; `CorrectionsError` names what is wrong.

    Every member is bounded before a byte of it is unpacked: all of them together by the zip
    directory, and each array by its .npy header, which must match the number of images.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise CorrectionsError(f"That file is {len(data) / 1e6:.0f} MB; a corrections file is at most "
                               f"{MAX_IMPORT_BYTES / 1e6:.0f} MB.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = _import_members(archive)
            images, labels = read_array(archive, found["images"]), read_array(archive, found["labels"])
            predicted = (read_array(archive, found["predicted"]) if "predicted" in found
                         else np.full(len(labels), -1))
    except CorrectionsError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise CorrectionsError(f"That is not a corrections file with images and labels ({error}).") from None
    if not _whole_numbers(predicted):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    if not _whole_numbers(labels) or (len(labels) and (labels.min() < 0 or labels.max() > 9)):
        raise CorrectionsError("Every label in a corrections file must be a whole number from 0 to 9; "
                               "this file has others, so nothing was imported.")
    for image in images:
        _as_pixels(image)  # raises for pixels that are not uint8 or floats from 0 to 1
    return images, labels.astype(np.int64), predicted.astype(np.int64)


def _import_members(archive: zipfile.ZipFile) -> dict[str, Member]:
    """The members an import reads, their sizes, shapes and kinds checked from the zip directory and their headers."""
    try:
        found = members(archive, MAX_IMPORT_UNPACKED)
    except NpzTooLargeError as large:
        raise CorrectionsError(f"That file unpacks to {large.size / 1e6:,.0f} MB; a corrections file of "
                               f"{MAX_IMPORT_ROWS} entries unpacks to at most {large.limit / 1e6:.0f} MB, "
                               "so it was not read.") from None
    images, labels = found.get("images"), found.get("labels")
    rows = images.shape[0] if images is not None and images.shape else 0
    if rows > MAX_IMPORT_ROWS:
        raise CorrectionsError(f"That file holds {rows} corrections; one import takes at most {MAX_IMPORT_ROWS}.")
    if images is None or labels is None or images.shape[1:] != (28, 28) or labels.shape != (rows,):
        raise CorrectionsError(f"A corrections file holds images (n, 28, 28) and labels (n,); this one has "
                               f"{_shape(images)} and {_shape(labels)}.")
    if "predicted" in found and found["predicted"].shape != (rows,):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    if not (images.dtype == np.uint8 or images.dtype.kind == "f") or images.dtype.itemsize > MAX_ITEMSIZE:
        raise CorrectionsError("A correction's pixels must be uint8, or floats from 0 to 1.")
    if labels.dtype.kind not in "iuf" or labels.dtype.itemsize > MAX_ITEMSIZE:
        raise CorrectionsError("Every label in a corrections file must be a whole number from 0 to 9; "
                               "this file has others, so nothing was imported.")
    guesses = found.get("predicted")
    if guesses is not None and (guesses.dtype.kind not in "iuf" or guesses.dtype.itemsize > MAX_ITEMSIZE):
        raise CorrectionsError("The file's 'predicted' entries must be whole numbers, one per image.")
    return found


def _shape(member: Member | None) -> tuple[int, ...] | None:
    return None if member is None else member.shape


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
