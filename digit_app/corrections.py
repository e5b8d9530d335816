"""Corrections: drawings the model read wrong, with the digit the person meant, kept to train on.

Each correction is the 28x28 input the model saw and the right label, in one SQLite file
(`$DIGIT_APP_CORRECTIONS`, by default `data/corrections.sqlite` in the repository). SQLite keeps
two sessions (or two server processes) writing at once safe; every call opens its own connection.
Corrections can be exported to, and imported from, an `.npz` with the keys `images` and `labels`.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ENV_CORRECTIONS = "DIGIT_APP_CORRECTIONS"
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "corrections.sqlite"
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another to finish
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


def default_path() -> Path:
    return Path(os.environ.get(ENV_CORRECTIONS) or DEFAULT_PATH)


class CorrectionStore:
    """The corrections file: add, list, delete, export and import."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(SCHEMA)
                with connection:  # one transaction: committed, or rolled back on error
                    yield connection
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
        with self._connect() as db:
            cursor = db.execute("INSERT INTO corrections (label, predicted, image, created) VALUES (?, ?, ?, ?)",
                                (int(label), None if predicted is None else int(predicted), pixels.tobytes(), created))
            return int(cursor.lastrowid)

    def list(self) -> list[Correction]:
        """Every correction, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT id, label, predicted, image, created FROM corrections ORDER BY id").fetchall()
        return [Correction(row[0], row[1], row[2], np.frombuffer(row[3], np.uint8).reshape(28, 28), row[4])
                for row in rows]

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0])

    def delete(self, correction_id: int) -> bool:
        """Remove one correction; False if there was none with this id."""
        with self._connect() as db:
            return db.execute("DELETE FROM corrections WHERE id = ?", (int(correction_id),)).rowcount > 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All corrections as MNIST-style arrays: images (n, 28, 28) uint8 and labels (n,) uint8."""
        corrections = self.list()
        images = np.array([c.image for c in corrections], dtype=np.uint8).reshape(-1, 28, 28)
        return images, np.array([c.label for c in corrections], dtype=np.uint8)

    def export_npz(self) -> bytes:
        """The corrections as an `.npz` file's bytes (keys `images`, `labels`)."""
        images, labels = self.arrays()
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=images, labels=labels)
        return buffer.getvalue()

    def import_npz(self, data: bytes) -> int:
        """Add the corrections in an `.npz` made by `export_npz`; returns how many were added."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                images, labels = archive["images"], archive["labels"]
        except (OSError, ValueError, KeyError, EOFError) as error:
            raise CorrectionsError(f"That is not a corrections file with images and labels ({error}).") from error
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
            raise CorrectionsError(f"A corrections file holds images (n, 28, 28) and labels (n,); "
                                   f"this one has {images.shape} and {labels.shape}.")
        for image, label in zip(images, labels):
            self.add(image, int(label))
        return len(images)


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
