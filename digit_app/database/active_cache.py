"""The active model asked of the database once, not at every stroke: kept until the database may have changed.

Every answer on the Draw page needs the active version; asking the database costs about a millisecond of
the server's one Python core per stroke. On SQLite, any write (an activation by any process) changes the
database file or its write-ahead log, whose sizes and times cost a few microseconds to read: the answer is
kept while they stay the same. PostgreSQL has no such file: there the answer is kept `KEEP_SECONDS`, so
an activation elsewhere reaches this process's answers within that time. Either way it is never kept longer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from digit_app.database.engine import Database
from digit_app.database.registry import ActiveModel, active_model
from digit_app.store.versions import models_dir

KEEP_SECONDS = 1.0  # the longest an answer is kept (PostgreSQL: how late an activation elsewhere may be seen)
Stamp = tuple[tuple[int, int, int] | None, ...] | None


def stamp(database: Database) -> Stamp:
    """What changes whenever the database is written: an SQLite file's and its log's size, time and inode; None
    for a server database (nothing to look at here)."""
    if database.is_postgres or not database.url.database:
        return None
    main = Path(database.url.database)
    return tuple(_file_stamp(path) for path in (main, main.with_name(main.name + "-wal")))


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


class ActiveCache:
    """The last `active_model` answer for each database and models folder, with the stamp it was asked under."""

    def __init__(self, ask: Callable[..., ActiveModel] = active_model,
                 clock: Callable[[], float] = time.monotonic, keep_seconds: float = KEEP_SECONDS) -> None:
        self.ask, self.clock, self.keep_seconds = ask, clock, keep_seconds
        self._kept: dict[tuple[str, str], tuple[float, Stamp, ActiveModel]] = {}
        self._lock = threading.Lock()

    def active(self, database: Database, folder: Path | None = None) -> ActiveModel:
        """The model to answer with now, as `active_model` says; asked again once the database may have changed."""
        key = (str(database.url), str(models_dir(folder)))
        now, before = self.clock(), stamp(database)  # the stamp before asking: a write meanwhile is seen next time
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self.keep_seconds and kept[1] == before and before != _NOTHING:
            return kept[2]
        found = self.ask(database, folder)
        with self._lock:
            if found.problem is None:
                self._kept[key] = (now, before, found)
            else:  # the database unreachable, a version that cannot be fetched: asked again next time, so the
                self._kept.pop(key, None)  # answers recover (and the sentence goes) as soon as the database does
        return found


_NOTHING = (None, None)  # an SQLite file that is not there (yet): asked every time, as before


ACTIVE = ActiveCache()


def cached_active_model(database: Database, folder: Path | None = None) -> ActiveModel:
    """`active_model(database, folder)`, asked of the database only when it may have changed (see the module)."""
    return ACTIVE.active(database, folder)
