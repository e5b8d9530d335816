"""A lock held across processes and machines for as long as a job runs: PostgreSQL's advisory lock, or a row in SQLite.

On PostgreSQL the lock is a session advisory lock on a connection of its own: if the holder dies,
its connection closes and the server frees the lock at once. SQLite has no such thing, so the lock
is a row in `locks` naming its holder (host:pid:token) with a lease the holder renews; the row is
taken over when the lease has run out, or at once when its holder's process on this machine is gone
(SQLite serves one machine). Either way `renew()` says whether the lock is still held.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection

from digit_app.database.engine import Database, lock_key
from digit_app.database.schema import locks

LEASE = 60.0  # seconds an SQLite lock outlives its holder's last renewal


def holder_name() -> str:
    """Who holds a lock: this machine, this process, and a token for this one hold."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{secrets.token_hex(4)}"


def _gone(holder: str) -> bool:
    """Whether a lock's holder was a process on this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:100] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class HeldLock:
    """A named lock taken with `take`; `renew` keeps it (and says whether it is still ours), `release` frees it."""

    def __init__(self, database: Database, name: str) -> None:
        self.database, self.name = database, name
        self.holder = holder_name()
        self._connection: Connection | None = None  # PostgreSQL: the session that holds the advisory lock
        self.held = False

    def take(self) -> bool:
        """Take the lock if it is free; False (at once, no waiting) if someone else holds it."""
        if self.database.is_postgres:
            connection = self.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                taken = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                           {"key": lock_key(self.name)}).scalar()
            except exc.DBAPIError as error:
                connection.close()
                raise self.database.translate(error) from error
            if not taken:
                connection.close()
                return False
            self._connection = connection
        else:
            now = time.time()
            with self.database.write() as db:
                row = db.execute(sa.select(locks).where(locks.c.name == self.name)).first()
                if row is not None and row.expires > now and not _gone(row.holder):
                    return False
                db.execute(locks.delete().where(locks.c.name == self.name))
                db.execute(locks.insert().values(name=self.name, holder=self.holder, expires=now + LEASE))
        self.held = True
        return True

    def renew(self) -> bool:
        """Keep the lock another lease; False if it was lost (the database restarted, or the lease ran out)."""
        if not self.held:
            return False
        try:
            if self.database.is_postgres:
                self._connection.execute(sa.text("SELECT 1"))
            else:
                with self.database.write() as db:
                    renewed = db.execute(locks.update().where(locks.c.name == self.name, locks.c.holder == self.holder)
                                         .values(expires=time.time() + LEASE)).rowcount
                self.held = renewed > 0
        except Exception:  # a dropped connection or an unreachable database: the lock cannot be vouched for
            self.held = False
        return self.held

    def release(self) -> None:
        """Free the lock, even when `renew` could not vouch for it (a passing error); never raises."""
        try:
            if self._connection is not None:
                # Closed for real, not handed back to the pool: the session ends and PostgreSQL frees its lock
                # whatever happened to it meanwhile.
                self._connection.invalidate()
            else:  # only our own row: one taken over by another holder is left alone
                with self.database.write() as db:
                    db.execute(locks.delete().where(locks.c.name == self.name, locks.c.holder == self.holder))
        except Exception:  # noqa: S110 - a lost connection has freed a PostgreSQL lock already; a row's lease runs out
            pass
        finally:
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    self._connection.close()
                self._connection = None
            self.held = False


@contextlib.contextmanager
def held(database: Database, name: str, every: float = LEASE / 4) -> Iterator[bool]:
    """Hold the lock `name` for the block, renewed every `every` seconds in the background; yields False (and holds
    nothing) if someone else has it. For work that reports nothing on its way (the command line's `train`)."""
    lock = HeldLock(database, name)
    if not lock.take():
        yield False
        return
    done = threading.Event()

    def renew() -> None:
        while not done.wait(every):
            lock.renew()

    renewing = threading.Thread(target=renew, name=f"lock-{name}", daemon=True)
    renewing.start()
    try:
        yield True
    finally:
        done.set()
        renewing.join()
        lock.release()
