"""The database the app shares between its processes: one SQLAlchemy URL, its engine, its transactions.

`DIGIT_APP_DATABASE_URL` unset: an SQLite file in the app's data folder (`$DIGIT_APP_DATA_DIR`,
by default `data/`), one machine as before. Set to `postgresql://...`: every replica and the
trainer share that server, reached through psycopg 3. Opening a `Database` brings its schema to
the newest migration (Alembic's `upgrade head`, one process at a time). Each transaction is a
`read()` or a `write()`: on SQLite a write takes the file's write lock when it begins, so a
read-then-write never meets a stale snapshot; on PostgreSQL a write may name a lock that
serialises it with every other write naming the same one. A lost connection (PostgreSQL
restarting) raises `DatabaseUnavailableError`; the pool checks each connection before use
(pre-ping), so the next call after the server is back simply works.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from digit_app import settings
from digit_app.database.errors import DatabaseError, DatabaseSettingError, DatabaseUnavailableError
from digit_app.settings import ENV_DATABASE_URL

SQLITE_FILE = "digit_app.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT = 30.0  # seconds an SQLite writer waits for another to finish
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL before saying it cannot be reached
SETUP_RETRY = 0.02  # seconds between tries while another process switches a new SQLite file to WAL
_REVISION = re.compile(r'^revision = "(\w+)"', re.M)  # a migration's own revision, as each file states it ...
_DOWN_REVISION = re.compile(r'^down_revision = "(\w+)"', re.M)  # ... and the one it revises

log = logging.getLogger(__name__)


def database_url() -> str:
    """The configured URL: `$DIGIT_APP_DATABASE_URL`, or the SQLite file in the app's data folder."""
    configured = settings.current()
    if configured.database_url:
        return configured.database_url
    folder = configured.data_dir or settings.DEFAULT_DATA_DIR
    return str(URL.create("sqlite", database=str(folder / SQLITE_FILE)))


def parse_url(url: str) -> URL:
    """The URL checked: SQLite (the standard driver) or PostgreSQL through psycopg 3; anything else is refused."""
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):
        raise DatabaseSettingError(f"${ENV_DATABASE_URL} is not a database URL; give one like postgresql://user:"
                                   "password@host:5432/digits, or leave it unset for SQLite.") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "postgresql" and driver in ("psycopg2", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")  # SQLAlchemy's own default would be psycopg2
    if backend == "sqlite" and driver == "pysqlite" and parsed.database not in (None, "", ":memory:"):
        return parsed
    raise DatabaseSettingError(f"${ENV_DATABASE_URL} names a {parsed.drivername} database; the app keeps its data in "
                               "PostgreSQL (postgresql://...) or in an SQLite file (sqlite:///path/file.sqlite).")


def lock_key(name: str) -> int:
    """A PostgreSQL advisory lock number for a lock's name (stable across processes and machines)."""
    return zlib.crc32(f"digit_app:{name}".encode()) - 2**31


class Database:
    """One database the app keeps its shared state in, brought to the newest schema when opened."""

    def __init__(self, url: str | None = None, migrate: bool = True) -> None:
        self.url = parse_url(url or database_url())
        self.is_postgres = self.url.get_backend_name() == "postgresql"
        self.engine = _postgres_engine(self.url) if self.is_postgres else _sqlite_engine(self.url)
        if migrate:
            try:
                self.migrate()
            except BaseException:
                self.engine.dispose()
                raise

    def describe(self) -> str:
        """Which database this is, for messages: the server and database name, or the file's name; never a
        password or a server folder."""
        if self.is_postgres:
            return f"PostgreSQL at {self.url.host or 'localhost'}:{self.url.port or 5432}/{self.url.database or ''}"
        return f"the SQLite file {Path(self.url.database or '').name}"

    def migrate(self) -> None:
        """Bring the schema to the newest migration (`alembic upgrade head`), one process at a time; a schema already
        there is left without importing Alembic (about 0.5 s of every server's start)."""
        head = head_revision()
        with self.read() as connection:
            if head is not None and schema_revision(connection) == head:
                return
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.write(lock="migrations") as connection:
            config.attributes["connection"] = connection
            try:
                command.upgrade(config, "head")
            except CommandError as error:  # the database is at a revision these migrations do not know
                log.warning("Cannot migrate %s: %s", self.describe(), error)
                raise DatabaseError(f"{self.describe()} has a schema this version of the app does not know (made by "
                                    "a newer one?); update the app, or point it at another database.") from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read-only transaction."""
        with self._transaction(write=False, lock=None) as connection:
            yield connection

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[Connection]:
        """One transaction that writes, committed whole or not at all. `lock` names a lock held to its end:
        writes naming the same lock run one after another (SQLite's writes always do)."""
        with self._transaction(write=True, lock=lock) as connection:
            yield connection

    @contextmanager
    def _transaction(self, write: bool, lock: str | None) -> Iterator[Connection]:
        try:
            with self.engine.connect().execution_options(digit_app_write=write) as connection:
                with connection.begin():
                    if lock is not None and self.is_postgres:
                        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(lock)})
                    yield connection
        except exc.DBAPIError as error:
            raise self.translate(error) from error

    def translate(self, error: exc.DBAPIError) -> DatabaseError:
        """A driver's error as the app's: unreachable or busy (try again later), or refused (and why)."""
        reason = _first_line(error.orig)
        log.warning("The database %s: %s", self.describe(), reason)
        if self.is_postgres and _connection_lost(error):
            return DatabaseUnavailableError("The shared database cannot be reached right now (PostgreSQL is down or "
                                            "restarting); nothing was saved this time. The app reconnects by itself "
                                            "as soon as it is back.")
        if not self.is_postgres and ("locked" in reason or "busy" in reason):
            return DatabaseUnavailableError(f"{self.describe()} stayed busy for {BUSY_TIMEOUT:.0f} s; "
                                            "nothing was saved this time: try again.")
        if not self.is_postgres and isinstance(error, exc.OperationalError):
            return DatabaseError(f"{self.describe()} cannot be used: {reason}.")
        return DatabaseError(f"{self.describe()} refused a change: {reason}.")

    def dispose(self) -> None:
        """Close every pooled connection (a test's database, or before a process forks)."""
        self.engine.dispose()


def head_revision(folder: Path = MIGRATIONS / "versions") -> str | None:
    """The newest migration's revision, read from the migration files as text: the one no other revises; None when
    that is not exactly one (Alembic then decides)."""
    revisions, revised = set(), set()
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(text))
        revised.update(_DOWN_REVISION.findall(text))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def schema_revision(connection: Connection) -> str | None:
    """The revision the database's schema is at (Alembic's `alembic_version` table); None for a new database, or
    one at several revisions at once."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _connection_lost(error: exc.DBAPIError) -> bool:
    """Whether the connection, not the statement, failed: no server, a dropped link, or the server shutting down
    (SQLSTATE classes 08 and 57)."""
    if error.connection_invalidated:
        return True
    state = getattr(error.orig, "sqlstate", None)
    if state is None:
        return isinstance(error, (exc.OperationalError, exc.InterfaceError))
    return str(state)[:2] in ("08", "57")


def _first_line(error: BaseException | None) -> str:
    text = str(error or "").strip().splitlines()
    return (text[0] if text else type(error).__name__).rstrip(".")[:300]


def _postgres_engine(url: URL) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                            connect_args={"connect_timeout": CONNECT_TIMEOUT, "application_name": "digit_app"})


def _sqlite_engine(url: URL) -> Engine:
    """An engine on an SQLite file in WAL mode with foreign keys on, whose transactions SQLAlchemy begins itself
    (BEGIN IMMEDIATE for a write), as SQLAlchemy's SQLite documentation advises over the driver's own."""
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the driver starts no transaction of its own
        _wal_mode(dbapi_connection)
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; a power cut may lose the last

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("digit_app_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _wal_mode(dbapi_connection) -> None:
    """Switch the file to WAL, retrying while another process does the same: two connections switching a new file
    at once can meet a lock SQLite refuses at once rather than waiting for."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # sqlite3.OperationalError: "database is locked"
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(SETUP_RETRY)


_opened: dict[str, Database] = {}
_opening = threading.Lock()


def open_database(url: str | None = None) -> Database:
    """The process's `Database` for this URL (the configured one when None), opened and migrated once."""
    key = url or database_url()
    with _opening:
        if key not in _opened:
            _opened[key] = Database(key)
        return _opened[key]
