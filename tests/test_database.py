"""digit_app/database: the URL, the migrations and model versions, on SQLite and on a real PostgreSQL (corrections:
tests/test_corrections.py)."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
import sqlalchemy as sa

from digit_app.database import (
    CorrectionsTable,
    Database,
    DatabaseError,
    DatabaseSettingError,
    DatabaseUnavailableError,
    VersionsTable,
    status,
)
from digit_app.database import versions as versions_module
from digit_app.database.engine import database_url as configured_url
from digit_app.database.engine import parse_url
from digit_app.database.schema import metadata, model_files
from digit_app.store.metadata import TrainingSummary
from tests.services import database, database_url, postgres, postgres_server  # noqa: F401 - fixtures


def digit(value: int) -> np.ndarray:
    """A (28, 28) uint8 image that differs for every `value`."""
    image = np.zeros((28, 28), np.uint8)
    image.flat[value % 784] = 255
    image[0, 0] = value % 256
    return image


# The URL


def test_unset_url_is_an_sqlite_file_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DIGIT_APP_DATABASE_URL", raising=False)
    monkeypatch.setenv("DIGIT_APP_DATA_DIR", str(tmp_path / "data"))
    url = configured_url()
    assert parse_url(url).get_backend_name() == "sqlite"
    opened = Database()
    try:
        assert (tmp_path / "data" / "digit_app.sqlite").is_file()
        assert opened.describe() == "the SQLite file digit_app.sqlite"
    finally:
        opened.dispose()


def test_postgres_urls_use_psycopg_3_and_other_databases_are_refused():
    assert parse_url("postgresql://u:p@db:5432/digits").drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg2://u@db/digits").drivername == "postgresql+psycopg"
    for bad in ("mysql://u@db/x", "not a url", "sqlite://", "sqlite:///:memory:"):
        with pytest.raises(DatabaseSettingError, match="DIGIT_APP_DATABASE_URL"):
            parse_url(bad)


# The migrations


def test_the_migrations_end_exactly_at_the_schema(database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with database.read() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0002"


def test_a_database_made_by_a_newer_app_is_refused_and_left_alone(database):
    with database.write() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(DatabaseError, match="does not know"):
        Database(database.url.render_as_string(hide_password=False))
    with database.read() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0999"


def _open(url: str) -> None:
    Database(url).dispose()


def test_processes_opening_a_new_database_at_once_migrate_it_once(database_url):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_open, args=(database_url,)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    opened = Database(database_url)
    try:
        with opened.read() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert connection.execute(sa.text("SELECT count(*) FROM active_version")).scalar() == 1
    finally:
        opened.dispose()


# Model versions


def test_a_version_is_kept_with_its_files_and_activated_for_everyone(database):
    table = VersionsTable(database)
    assert table.active() == "shipped" and table.list() == []
    record = table.add("v1", TrainingSummary(test_accuracy=0.99), {"keras": b"model one", "pixels": b"lite"})
    assert record.files["keras"].digest == versions_module.sha256(b"model one")
    table.activate("v1")
    other = VersionsTable(Database(str(database.url.render_as_string(hide_password=False))))
    try:
        assert other.active() == "v1"  # another process's view of the same database
        assert other.get("v1").summary == TrainingSummary(test_accuracy=0.99)
        assert other.file(record.files["pixels"].digest) == b"lite"
    finally:
        other.database.dispose()
    table.activate("shipped")
    assert table.active() == "shipped"


def test_files_are_kept_once_by_digest_and_removed_with_their_last_version(database):
    table = VersionsTable(database)
    table.add("v1", TrainingSummary(), {"keras": b"one", "pixels": b"same lite"})
    table.add("v2", TrainingSummary(), {"keras": b"two", "pixels": b"same lite"})

    def stored() -> int:
        with database.read() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(model_files)).scalar()

    assert stored() == 3
    table.activate("v1")
    assert table.delete("v1") and not table.delete("v1")
    assert table.active() == "shipped" and stored() == 2
    assert table.file(versions_module.sha256(b"same lite")) == b"same lite"
    assert [v.id for v in table.list()] == ["v2"]


def test_a_version_is_added_whole_or_not_at_all(database):
    table = VersionsTable(database)
    table.add("v1", TrainingSummary(), {"keras": b"one"})
    with pytest.raises(DatabaseError, match="already"):
        table.add("v1", TrainingSummary(), {"keras": b"another"})
    for files in ({"pixels": b"no model"}, {"keras": b"x", "weights": b"?"}, {"keras": b""}):
        with pytest.raises(DatabaseError):
            table.add("v2", TrainingSummary(), files)
    with pytest.raises(DatabaseError, match="JSON"):
        table.add("v2", TrainingSummary(extra={"bad": float("nan")}), {"keras": b"x"})
    assert [v.id for v in table.list()] == ["v1"]
    with pytest.raises(KeyError):
        table.file(versions_module.sha256(b"another"))


@pytest.mark.parametrize("version_id", ["../etc", "shipped", "", "a" * 65, "v 1"])
def test_a_version_id_that_is_not_a_plain_name_is_refused(database, version_id):
    table = VersionsTable(database)
    with pytest.raises(KeyError):
        table.add(version_id, TrainingSummary(), {"keras": b"x"})
    if version_id != "shipped":
        with pytest.raises(KeyError):
            table.activate(version_id)


def test_a_damaged_or_oversized_file_is_never_handed_on(database, monkeypatch, tmp_path):
    table = VersionsTable(database)
    digest = table.add("v1", TrainingSummary(), {"keras": b"the model"}).files["keras"].digest
    with database.write() as connection:
        connection.execute(model_files.update().values(content=b"the modem"))
    with pytest.raises(DatabaseError, match="damaged"):
        table.cache(digest, tmp_path / "cache")
    assert not (tmp_path / "cache" / digest).exists()
    monkeypatch.setattr(versions_module, "MAX_FILE_BYTES", 4)
    with pytest.raises(DatabaseError, match="at most"):
        table.file(digest)
    with pytest.raises(DatabaseError):
        table.add("v2", TrainingSummary(), {"keras": b"too large"})
    with pytest.raises(KeyError, match="not a SHA-256"):
        table.cache("../../etc/passwd", tmp_path)


def test_a_replica_caches_a_file_by_digest(database, tmp_path):
    table = VersionsTable(database)
    digest = table.add("v1", TrainingSummary(), {"keras": b"weights" * 1000}).files["keras"].digest
    path = table.cache(digest, tmp_path / "cache")
    assert path == tmp_path / "cache" / digest and path.read_bytes() == b"weights" * 1000
    table.delete("v1")
    assert table.cache(digest, tmp_path / "cache") == path  # kept locally: no second read from the database
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [digest]  # no temporary file left


def test_status_reports_the_active_version_corrections_and_training(database_url):
    opened = Database(database_url)
    try:
        VersionsTable(opened).add("v7", TrainingSummary(), {"keras": b"x"})
        VersionsTable(opened).activate("v7")
        CorrectionsTable(opened).add(digit(1), 1)
        assert status(database_url) == {"active": "v7", "corrections": 1, "training": None, "queued": 0}
    finally:
        opened.dispose()


# PostgreSQL going away and coming back


def test_a_postgres_restart_is_said_meanwhile_and_survived_with_nothing_half_written():
    with postgres() as server:
        opened = Database(server.create_database("restart"))
        table = CorrectionsTable(opened)
        table.add(digit(1), 1)
        with pytest.raises(DatabaseUnavailableError, match="reconnects"):
            with opened.write() as connection:
                connection.execute(sa.text("INSERT INTO corrections (label, image, created) VALUES "
                                           "(2, :image, 'now')"), {"image": bytes(784)})
                server.stop()  # the server goes away before this transaction commits
        with pytest.raises(DatabaseUnavailableError, match="cannot be reached right now"):
            table.count()
        server.start()
        assert table.count() == 1  # the pool reconnected by itself; the half-done write is not there
        table.add(digit(3), 3)
        assert [c.label for c in table.list()] == [1, 3]
        opened.dispose()
