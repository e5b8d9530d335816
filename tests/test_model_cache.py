"""The pages' way to the active model (`digit_app/ui/model_cache.py`): the database found once a second, not at
every stroke, and never another setting's database."""

from __future__ import annotations

from digit_app.settings import ENV_DATABASE_URL
from digit_app.ui import model_cache


def test_the_database_is_looked_up_once_a_second_and_anew_for_another_setting(monkeypatch, tmp_path):
    asked, now = [], [50.0]
    monkeypatch.setattr(model_cache, "shared_database", lambda: asked.append(1) or object())
    monkeypatch.setattr(model_cache.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(model_cache, "_recent", {})
    monkeypatch.setenv(ENV_DATABASE_URL, f"sqlite:///{tmp_path / 'one.sqlite'}")
    first = model_cache.recent_database()
    now[0] += 0.9
    assert model_cache.recent_database() is first and len(asked) == 1
    monkeypatch.setenv(ENV_DATABASE_URL, f"sqlite:///{tmp_path / 'two.sqlite'}")  # another test, another server
    second = model_cache.recent_database()
    assert second is not first and len(asked) == 2
    now[0] += 1.0
    assert model_cache.recent_database() is not second and len(asked) == 3


def test_the_model_answered_with_last_is_kept_until_its_version_or_file_changes(monkeypatch):
    loads = []
    monkeypatch.setattr(model_cache, "_load", lambda path, key: loads.append((path, key)) or (object(), None))
    monkeypatch.setattr(model_cache, "_loaded", [])
    first = model_cache._loaded_model("a.keras", "v1:abc")
    assert model_cache._loaded_model("a.keras", "v1:abc") is first and len(loads) == 1
    assert model_cache._loaded_model("a.keras", "v1:abd") is not first  # its metadata changed: loaded again
    assert model_cache._loaded_model("b.keras", "v2:def")[0] is not first[0] and len(loads) == 3
