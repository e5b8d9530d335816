"""Corrections in the shared database: the drawings a person said the model read wrong, with the digit they meant.

Each row is the 28x28 uint8 input the model saw, the right label, what the model read it as (or
nothing), the date, and the state: `accepted` (training learns from it) or `suggested` (a visitor's
on a locked deployment, waiting for the operator; at most `MAX_SUGGESTIONS` wait at once). The
database itself refuses a row that breaks these rules (check constraints), so every row read back is
a usable correction. Export and import go through the store's `.npz` format (`store.corrections`),
which bounds an imported file before reading it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from digit_app.database.engine import Database
from digit_app.database.errors import DatabaseError
from digit_app.database.schema import ACCEPTED, SUGGESTED, corrections
from digit_app.store.corrections import CorrectionsError, as_pixels, read_npz, write_npz

MAX_SUGGESTIONS = 500  # visitors' suggestions waiting for the operator, at most
STATES = (ACCEPTED, SUGGESTED)
LOCK = "corrections"  # serialises the writes that read first (the suggestion limit, an import's duplicates)


class CorrectionsTableError(CorrectionsError, DatabaseError):
    """A correction that cannot be kept as given (its image, label or state), or a limit reached."""


@dataclass(frozen=True)
class Correction:
    """One stored correction."""

    id: int
    label: int
    predicted: int | None
    image: np.ndarray  # (28, 28) uint8, white digit on black
    created: str  # ISO-8601, UTC
    state: str = ACCEPTED


@dataclass(frozen=True)
class NewCorrection:
    """A correction to add: the (28, 28) input (uint8, or floats in [0, 1]), the right label, what the model read
    (None if unknown)."""

    image: np.ndarray
    label: int
    predicted: int | None = None


def _row(item: NewCorrection, created: str, state: str) -> dict:
    try:
        image = as_pixels(item.image)
    except CorrectionsError as problem:
        raise CorrectionsTableError(str(problem)) from None
    for name, value in (("label", item.label), ("read-as digit", item.predicted)):
        if value is not None and (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
                                  or not 0 <= int(value) <= 9):
            raise CorrectionsTableError(f"A correction's {name} is a digit 0 to 9, not {value!r}.")
    if item.label is None:
        raise CorrectionsTableError("A correction needs the digit that was meant.")
    return {"label": int(item.label), "predicted": None if item.predicted is None else int(item.predicted),
            "image": image.tobytes(), "created": created, "state": _state(state)}


def _state(state: str) -> str:
    if state not in STATES:
        raise CorrectionsTableError(f"A correction is {ACCEPTED} or {SUGGESTED}, not {state!r}.")
    return state


def _correction(row: sa.Row) -> Correction:
    image = np.frombuffer(bytes(row.image), np.uint8).reshape(28, 28)
    return Correction(int(row.id), int(row.label), None if row.predicted is None else int(row.predicted), image,
                      str(row.created), str(row.state))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class CorrectionsTable:
    """The corrections every replica shares: add, list, page, count, accept, reject, delete, restore, arrays."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _where(self, state: str | None) -> sa.ColumnElement[bool]:
        return sa.true() if state is None else corrections.c.state == _state(state)

    def add(self, image: np.ndarray, label: int, predicted: int | None = None, state: str = ACCEPTED) -> int:
        """Keep one (28, 28) input (uint8, or floats in [0, 1]) with its right label; returns its id. A `SUGGESTED`
        one is refused while `MAX_SUGGESTIONS` wait."""
        row = _row(NewCorrection(image, label, predicted), _now(), state)
        with self.database.write(lock=LOCK if state == SUGGESTED else None) as db:
            if state == SUGGESTED:
                waiting = db.execute(sa.select(sa.func.count()).where(self._where(SUGGESTED))).scalar_one()
                if waiting >= MAX_SUGGESTIONS:
                    raise CorrectionsTableError(f"{waiting} suggestions already wait for the operator; no more are "
                                                "taken until some are accepted or rejected.")
            return int(db.execute(corrections.insert().returning(corrections.c.id), row).scalar_one())

    def add_new(self, items: Iterable[NewCorrection]) -> int:
        """Add, as accepted, those of `items` not kept already (same image and label): an import, which adds nothing
        the second time. Every item is checked before anything is added; returns how many were added."""
        created = _now()
        rows = [_row(item, created, ACCEPTED) for item in items]
        with self.database.write(lock=LOCK) as db:
            kept = {(bytes(image), label) for image, label in db.execute(
                sa.select(corrections.c.image, corrections.c.label))}
            new = []
            for row in rows:
                if (row["image"], row["label"]) not in kept:
                    kept.add((row["image"], row["label"]))
                    new.append(row)
            if new:
                db.execute(corrections.insert(), new)
        return len(new)

    def take_in(self, kept: Iterable[Correction]) -> int:
        """Add corrections kept elsewhere, with their dates and states (their ids are not kept), unless the table
        holds them already: as many rows with the same label, read-as, pixels, date and state. Taking the same ones
        in twice adds nothing; returns how many were added."""
        rows = [_row(NewCorrection(c.image, c.label, c.predicted), c.created, c.state) for c in kept]
        key = ("label", "predicted", "image", "created", "state")
        with self.database.write(lock=LOCK) as db:
            held = Counter((row.label, row.predicted, bytes(row.image), row.created, row.state)
                           for row in db.execute(sa.select(*(corrections.c[name] for name in key))))
            missing = []
            for row in rows:
                signature = tuple(row[name] for name in key)
                if held[signature]:
                    held[signature] -= 1
                else:
                    missing.append(row)
            if missing:
                db.execute(corrections.insert(), missing)
        return len(missing)

    def list(self, state: str | None = None) -> list[Correction]:
        """Every correction in `state` (all when None), oldest first."""
        with self.database.read() as db:
            rows = db.execute(sa.select(corrections).where(self._where(state)).order_by(corrections.c.id)).all()
        return [_correction(row) for row in rows]

    def page(self, start: int, size: int, state: str | None = None) -> list[Correction]:
        """Corrections `start` to `start + size` (0 = newest) in `state` (all when None)."""
        if start < 0 or size < 1:
            raise CorrectionsTableError(f"A page starts at 0 or later and holds at least one row, not {start} and "
                                        f"{size}.")
        query = (sa.select(corrections).where(self._where(state)).order_by(corrections.c.id.desc())
                 .limit(int(size)).offset(int(start)))
        with self.database.read() as db:
            return [_correction(row) for row in db.execute(query)]

    def count(self, state: str | None = None) -> int:
        """How many corrections are in `state` (all when None)."""
        with self.database.read() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(corrections)
                                  .where(self._where(state))).scalar_one())

    def accept(self, correction_ids: Iterable[int]) -> int:
        """Make these suggestions accepted corrections; returns how many were waiting."""
        ids = [int(i) for i in correction_ids]
        if not ids:
            return 0
        with self.database.write() as db:
            return db.execute(corrections.update().where(corrections.c.id.in_(ids), self._where(SUGGESTED))
                              .values(state=ACCEPTED)).rowcount

    def reject(self, correction_id: int) -> bool:
        """Remove one suggestion (never an accepted correction); False if no suggestion has this id."""
        with self.database.write() as db:
            return db.execute(corrections.delete().where(corrections.c.id == int(correction_id),
                                                         self._where(SUGGESTED))).rowcount > 0

    def delete(self, correction_id: int) -> bool:
        """Remove one correction; False if there was none with this id."""
        with self.database.write() as db:
            return db.execute(corrections.delete().where(corrections.c.id == int(correction_id))).rowcount > 0

    def restore(self, correction: Correction) -> bool:
        """Put a deleted correction back with its id, date and state (undo); False if that id is taken."""
        row = {"id": int(correction.id),
               **_row(NewCorrection(correction.image, correction.label, correction.predicted), correction.created,
                      correction.state)}
        insert = (postgresql.insert if self.database.is_postgres else sqlite.insert)(corrections)
        with self.database.write() as db:
            added = insert.values(row).on_conflict_do_nothing(index_elements=["id"]).returning(corrections.c.id)
            return db.execute(added).first() is not None  # (psycopg gives no row count for this insert)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The accepted corrections as training arrays: images (n, 28, 28) uint8 and labels (n,) uint8."""
        with self.database.read() as db:
            rows = db.execute(sa.select(corrections.c.image, corrections.c.label).where(self._where(ACCEPTED))
                              .order_by(corrections.c.id)).all()
        images = np.frombuffer(b"".join(bytes(row.image) for row in rows), np.uint8).reshape(-1, 28, 28)
        return images.copy(), np.array([row.label for row in rows], dtype=np.uint8)


    def export_npz(self) -> bytes:
        """The accepted corrections as an `.npz` file's bytes (keys `images`, `labels`, `predicted` with -1 for
        unknown); suggestions are not handed on before the operator accepts them."""
        kept = self.list(ACCEPTED)
        images = np.array([c.image for c in kept], dtype=np.uint8).reshape(-1, 28, 28)
        return write_npz(images, np.array([c.label for c in kept], dtype=np.uint8), [c.predicted for c in kept])

    def import_npz(self, data: bytes) -> int:
        """Add, as accepted (importing is the operator's), the corrections in an `.npz` made by `export_npz` that
        are not kept already; returns how many were added. The whole file is checked, bounded, before anything is
        added (`CorrectionsError` says what is wrong); importing it twice adds nothing."""
        return self.add_new(NewCorrection(image, label, predicted) for image, label, predicted in read_npz(data))
