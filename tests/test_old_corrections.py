"""The corrections file of before the database, taken in once (digit_app/database/old_corrections.py), on SQLite and on
a real PostgreSQL: nothing lost, nothing doubled, the file kept under a new name."""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np

from digit_app.database import CorrectionsTable, Database, corrections_table, status
from digit_app.database import old_corrections
from digit_app.database.schema import ACCEPTED, SUGGESTED
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures

SCHEMA = """
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER,
    image BLOB NOT NULL,
    created TEXT NOT NULL
    {state}
)
"""
STATE = ", state TEXT NOT NULL DEFAULT 'accepted'"


def old_file(path: Path, rows: list[tuple], with_state: bool = True) -> Path:
    """An old corrections file as the app before the database kept it: rows (label, predicted, image, created[,
    state])."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(SCHEMA.format(state=STATE if with_state else ""))
        columns = "label, predicted, image, created" + (", state" if with_state else "")
        db.executemany(f"INSERT INTO corrections ({columns}) VALUES ({', '.join('?' * len(rows[0]))})", rows)
    return path


def test_an_old_file_is_taken_in_once_and_kept_renamed(database, corrections_file):  # noqa: F811 - the fixture
    old_file(corrections_file, [(3, 8, bytes([30]) * 784, "2026-11-01T10:00:00+00:00", ACCEPTED),
                                (5, None, bytes([50]) * 784, "2026-11-02T10:00:00+00:00", SUGGESTED),
                                (3, 8, bytes([30]) * 784, "2026-11-01T10:00:00+00:00", ACCEPTED)])  # saved twice
    table = corrections_table(database)
    assert [(c.label, c.predicted, c.created[:10], c.state, int(c.image[0, 0])) for c in table.list()] == [
        (3, 8, "2026-11-01", ACCEPTED, 30), (5, None, "2026-11-02", SUGGESTED, 50),
        (3, 8, "2026-11-01", ACCEPTED, 30)]
    kept = corrections_file.with_name("corrections.sqlite.imported")
    assert not corrections_file.exists() and kept.is_file()
    with closing(sqlite3.connect(kept)) as db:
        assert db.execute("SELECT count(*) FROM corrections").fetchone()[0] == 3  # the old file as it was
    table.add(np.zeros((28, 28), np.uint8), 1)
    assert corrections_table(database).count() == 4  # a second start takes nothing in


def test_a_start_stopped_before_the_rename_takes_nothing_in_twice(database, corrections_file):  # noqa: F811
    old_file(corrections_file, [(label, None, bytes([label]) * 784, "2026-11-01", ACCEPTED) for label in (1, 1, 2)])
    table = CorrectionsTable(database)
    table.add(np.full((28, 28), 1, np.uint8), 1)  # a new correction that looks like an old one: kept apart
    first = old_corrections.import_old_file(table, corrections_file)
    assert (first.added, first.already) == (3, 0)
    old_file(corrections_file, [(label, None, bytes([label]) * 784, "2026-11-01", ACCEPTED)
                                for label in (1, 1, 2)])  # as if the rename never happened
    again = old_corrections.import_old_file(table, corrections_file)
    assert (again.added, again.already) == (0, 3)
    assert sorted(c.label for c in table.list()) == [1, 1, 1, 2]


def test_an_old_file_found_again_later_never_replaces_the_one_kept(database, corrections_file):  # noqa: F811
    old_file(corrections_file, [(1, None, bytes([1]) * 784, "2026-11-01", ACCEPTED)])
    corrections_table(database)
    first = corrections_file.with_name("corrections.sqlite.imported")
    kept = first.read_bytes()
    old_file(corrections_file, [(2, None, bytes([2]) * 784, "2026-11-02", ACCEPTED)])  # copied back from a backup
    assert sorted(corrections_table(database).arrays()[1].tolist()) == [1, 2]
    assert first.read_bytes() == kept and corrections_file.with_name("corrections.sqlite.imported.2").is_file()


def test_a_file_from_before_suggestions_is_taken_in_accepted_and_damaged_rows_left_behind(
        database, corrections_file, caplog):  # noqa: F811 - the fixture
    old_file(corrections_file, [(2, 8, bytes([20]) * 784, "2026-11-01"), (4, 9, b"short", "2026-11-01"),
                                (6, 12, bytes([60]) * 784, "2026-11-01")], with_state=False)
    with caplog.at_level(logging.WARNING, logger="digit_app.database"):
        table = corrections_table(database)
    assert [(c.label, c.predicted, c.state) for c in table.list()] == [(2, 8, ACCEPTED), (6, None, ACCEPTED)]
    assert table.arrays()[1].tolist() == [2, 6]
    assert "Left 1 damaged rows behind" in caplog.text and "ids 2" in caplog.text


def test_an_unreadable_old_file_is_left_alone_and_the_app_works(database, corrections_file, caplog):  # noqa: F811
    corrections_file.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="digit_app.database"):
        table = corrections_table(database)
        table.add(np.zeros((28, 28), np.uint8), 7)
    assert table.count() == 1
    assert corrections_file.read_bytes() == b"this is not a database" * 100  # untouched, never renamed
    assert "cannot be read" in caplog.text and str(corrections_file) in caplog.text
    caplog.clear()
    corrections_table(database)
    assert "cannot be read" not in caplog.text  # said once per process, not on every page run


def test_no_old_file_takes_nothing_in(database, corrections_file):  # noqa: F811 - the fixture
    assert not corrections_file.exists()
    assert corrections_table(database).count() == 0
    assert list(corrections_file.parent.glob("corrections.sqlite*")) == []


def _start(url: str, path: str, start) -> None:
    start.wait()
    corrections_table(Database(url), Path(path)).count()


def test_processes_starting_at_once_take_an_old_file_in_once(database_url, tmp_path):  # noqa: F811 - the fixture
    path = old_file(tmp_path / "old.sqlite", [(d, None, bytes([d]) * 784, "2026-11-01", ACCEPTED) for d in range(10)])
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=_start, args=(database_url, str(path), start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    opened = Database(database_url)
    try:
        assert sorted(CorrectionsTable(opened).arrays()[1].tolist()) == list(range(10))
    finally:
        opened.dispose()
    assert not path.exists() and (tmp_path / "old.sqlite.imported").is_file()


def test_status_counts_the_old_file_s_corrections_taken_in(database_url, corrections_file):  # noqa: F811
    old_file(corrections_file, [(d, None, bytes([d]) * 784, "2026-11-01", ACCEPTED) for d in (1, 2)])
    assert status(database_url)["corrections"] == 2
    assert corrections_file.with_name("corrections.sqlite.imported").is_file()
    assert status(database_url)["corrections"] == 2
