"""The corrections file of before the database, taken into it once: its rows added, then the file renamed.

Until the database, corrections lived in their own SQLite file (`store.corrections.default_path()`).
When that file is found, its readable rows are added to the database in one transaction, and only
after the commit is the file renamed to `<name>.imported` (kept, never deleted). Were the process to
stop between the two, the next start reads the file again and adds nothing twice
(`CorrectionsTable.take_in`). Rows that are not a usable correction (a wrong-sized image, a label
that is not a digit) are left in the renamed file and named in the log. A file that cannot be read
at all is left where it is, said in the log, and tried again by the next process; the app works
meanwhile.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_app.database.corrections import STATES, Correction, CorrectionsTable
from digit_app.database.engine import Database
from digit_app.store.corrections import PIXELS, default_path

IMPORTED = ".imported"  # the old file's new name ends so once its rows are in the database
BUSY_TIMEOUT = 30.0  # seconds to wait for an old server still writing the file

log = logging.getLogger(__name__)
_left_alone: set[Path] = set()  # files this process could not read or rename: said once in the log, not at every run
_importing = threading.Lock()


@dataclass(frozen=True)
class OldFileImport:
    """What taking an old corrections file in did: rows added, rows there already, damaged rows left behind."""

    added: int
    already: int
    damaged: int
    kept_as: Path


def corrections_table(database: Database, old_file: Path | None = None) -> CorrectionsTable:
    """The corrections table, with the corrections file of before (`old_file`, by default the settings') taken in
    first if it is still there: what every page and command uses."""
    path = Path(old_file) if old_file is not None else default_path()
    table = CorrectionsTable(database)
    if path.is_file() and path not in _left_alone:
        with _importing:  # one thread of this process at a time; the database's lock orders the processes
            if path.is_file():
                import_old_file(table, path)
    return table


def import_old_file(table: CorrectionsTable, path: Path) -> OldFileImport | None:
    """Add the old file's rows the database does not hold yet, then rename the file `<name>.imported`; None (and a
    line in the log) when the file cannot be read."""
    try:
        rows, damaged = _read_old_file(path)
    except (sqlite3.Error, OSError) as error:
        if path.is_file():  # (not merely renamed by another process meanwhile)
            _left_alone.add(path)
            log.warning("The old corrections file %s cannot be read, so its corrections are not in the database yet; "
                        "it is left as it is: %s", path, error)
        return None
    added = table.take_in(rows)
    kept_as = _free_name(path)
    for suffix in ("", "-wal", "-shm"):  # an old server's unmerged writes go with the file
        try:
            Path(f"{path}{suffix}").rename(f"{kept_as}{suffix}")
        except FileNotFoundError:
            pass  # another process renamed it first, or there was no write-ahead log
        except OSError as error:  # a read-only folder, say: the rows are in; the next start adds nothing again
            _left_alone.add(path)
            log.warning("The old corrections file %s is in the database but could not be renamed: %s", path, error)
            break
    result = OldFileImport(added, len(rows) - added, len(damaged), kept_as)
    log.warning("Took the old corrections file %s into %s: %d added, %d there already; the file is kept as %s.",
                path, table.database.describe(), result.added, result.already, kept_as)
    if damaged:
        log.warning("Left %d damaged rows behind in %s (ids %s): not usable corrections.", len(damaged), kept_as,
                    ", ".join(str(row_id) for row_id in damaged[:50]))
    return result


def _free_name(path: Path) -> Path:
    """`<name>.imported`, or `<name>.imported.2` and on when an earlier one is there: nothing is written over."""
    kept_as, number = path.with_name(path.name + IMPORTED), 1
    while kept_as.exists():
        number += 1
        kept_as = path.with_name(f"{path.name}{IMPORTED}.{number}")
    return kept_as


def _read_old_file(path: Path) -> tuple[list[Correction], list[int]]:
    """The old file's usable corrections, oldest first, and the damaged rows' ids."""
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=BUSY_TIMEOUT)) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(corrections)")}
        if not columns:
            raise sqlite3.DatabaseError("it has no corrections table")
        state = "state" if "state" in columns else "'accepted'"  # a file from before suggestions: all accepted
        found = connection.execute(f"SELECT id, label, predicted, image, created, {state} FROM corrections "
                                   "ORDER BY id").fetchall()
    rows, damaged = [], []
    for row_id, label, predicted, image, created, row_state in found:
        usable = (isinstance(label, int) and 0 <= label <= 9 and isinstance(image, bytes) and len(image) == PIXELS
                  and row_state in STATES)
        if not usable:
            damaged.append(row_id)
            continue
        if not isinstance(predicted, int) or not 0 <= predicted <= 9:
            predicted = None  # "read as" is only a note: a broken one is dropped, the correction kept
        rows.append(Correction(row_id, label, predicted, np.frombuffer(image, np.uint8).reshape(28, 28),
                               str(created)[:40], row_state))
    return rows, damaged
