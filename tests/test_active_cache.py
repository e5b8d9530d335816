"""The active model kept between strokes (`digit_app/database/active_cache.py`): asked of the database once while
nothing changes, asked again as soon as a version is activated (SQLite) or within a second (PostgreSQL)."""

from __future__ import annotations

from digit_app.database import Database, VersionsTable, registry
from digit_app.database.active_cache import ActiveCache, stamp
from digit_app.store.metadata import read_summary
from digit_app.store.model_files import read_lite
from digit_app.store.versions import SHIPPED_MODEL
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures


def keep(database: Database, version_id: str) -> None:
    """A version made of the shipped model's files, as training would add one."""
    files = {"keras": SHIPPED_MODEL.read_bytes(), **read_lite(SHIPPED_MODEL)[0]}
    VersionsTable(database).add(version_id, read_summary(SHIPPED_MODEL), files)


class Counting:
    """`registry.active_model`, counting how often the database is asked."""

    def __init__(self) -> None:
        self.asked = 0

    def __call__(self, database, folder=None):
        self.asked += 1
        return registry.active_model(database, folder)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_database_is_asked_once_while_nothing_changes_and_again_after_an_activation(database, models):
    ask, clock = Counting(), Clock()
    cache = ActiveCache(ask, clock)
    assert cache.active(database).version_id == "shipped"
    clock.now += 0.3
    assert cache.active(database).version_id == "shipped"
    assert ask.asked == 1
    keep(database, "v2-cafe")
    registry.activate("v2-cafe", database)  # by another session, process or replica
    clock.now += 0.3
    if database.is_postgres:  # nothing on this machine changes: it is seen once the answer is a second old
        assert cache.active(database).version_id == "shipped"
        clock.now += 1.0
    assert cache.active(database).version_id == "v2-cafe"
    registry.activate("shipped", database)
    clock.now += 1.0 if database.is_postgres else 0.0
    assert cache.active(database).version_id == "shipped"


def test_a_kept_answer_is_asked_again_after_a_second_even_when_the_files_look_the_same(database, models):
    ask, clock = Counting(), Clock()
    cache = ActiveCache(ask, clock)
    cache.active(database)
    clock.now += 0.99
    cache.active(database)
    assert ask.asked == 1
    clock.now += 0.02
    cache.active(database)
    assert ask.asked == 2


def test_an_answer_with_a_problem_is_never_kept_so_the_page_recovers_with_the_database(database, models):
    answers = iter([registry.ActiveModel("v1", SHIPPED_MODEL, "k1", "The database cannot be reached."),
                    registry.ActiveModel("v1", SHIPPED_MODEL, "k1")])
    asked = []

    def ask(database, folder=None):
        asked.append(1)
        return next(answers)

    clock = Clock()
    cache = ActiveCache(ask, clock)
    assert cache.active(database).problem is not None
    assert cache.active(database).problem is None  # asked again at once, though no time passed
    assert cache.active(database).problem is None  # and the good answer is kept
    assert len(asked) == 2


def test_each_database_and_models_folder_has_its_own_answer(tmp_path, models):
    first, second = (Database(f"sqlite:///{tmp_path / name}") for name in ("one.sqlite", "two.sqlite"))
    try:
        keep(second, "v7-beef")
        registry.activate("v7-beef", second)
        cache = ActiveCache(Counting(), Clock())
        assert cache.active(first).version_id == "shipped"
        assert cache.active(second).version_id == "v7-beef"
        other = tmp_path / "elsewhere"
        other.mkdir()
        assert other in cache.active(second, other).path.parents  # its own copy of the file, in its own folder
    finally:
        first.dispose()
        second.dispose()


def test_an_sqlite_stamp_changes_with_every_write_and_a_server_database_has_none(database, models):
    if database.is_postgres:
        assert stamp(database) is None
        return
    before = stamp(database)
    keep(database, "v3-dead")
    assert stamp(database) != before

