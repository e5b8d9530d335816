"""Model versions in the database: add, list, activate, delete; each process's local copies by digest; the shipped
model to fall back on; the import of an old models folder. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digit_app.database import VersionsTable
from digit_app.database import registry
from digit_app.database.schema import model_files
from digit_app.database.versions import VersionInUseError
from digit_app.model import load_classifier
from digit_app.store.metadata import TrainingSummary, read_summary
from digit_app.store.model_files import ModelStoreError, read_lite
from digit_app.store.versions import SHIPPED_MODEL, version_id_of
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[1]
SHIPPED_FILES = {"keras": SHIPPED_MODEL.read_bytes(), **read_lite(SHIPPED_MODEL)[0]}


def keep(database, version_id: str, **summary) -> None:
    """A version made of the shipped model's files, as training would add one."""
    base = read_summary(SHIPPED_MODEL)
    VersionsTable(database).add(version_id, base.with_changes(**summary), SHIPPED_FILES)


def test_versions_are_listed_activated_and_deleted_for_every_process(database, models):
    assert [v.id for v in registry.list_versions(database)] == ["shipped"]
    assert registry.active_version_id(database) == "shipped"
    keep(database, "v1", test_accuracy=0.5)
    keep(database, "v2", test_accuracy=0.6)
    listed = registry.list_versions(database)
    assert [v.id for v in listed] == ["shipped", "v2", "v1"]  # the shipped one first, then the newest
    assert listed[1].test_accuracy == 0.6 and listed[0].test_accuracy == read_summary(SHIPPED_MODEL).test_accuracy
    registry.activate("v1", database)
    assert registry.active_version_id(database) == "v1"
    with pytest.raises(VersionInUseError, match="in use"):
        registry.delete("v1", database)
    with pytest.raises(ModelStoreError, match="shipped"):
        registry.delete("shipped", database)
    registry.delete("v2", database)
    with pytest.raises(KeyError, match="no model version 'v2'"):
        registry.delete("v2", database)
    with pytest.raises(KeyError, match="no model version 'nope'"):
        registry.activate("nope", database)
    assert [v.id for v in registry.list_versions(database)] == ["shipped", "v1"]


def test_the_active_model_is_copied_here_by_digest_and_loaded(database, models):
    keep(database, "v1", test_accuracy=0.5)
    registry.activate("v1", database)
    active = registry.active_model(database)
    assert active.version_id == "v1" and active.problem is None
    digest = VersionsTable(database).get("v1").files["keras"].digest
    assert active.path == models / ".cache" / digest / "v1.keras" and version_id_of(active.path) == "v1"
    classifier = load_classifier(active.path)
    assert classifier.lite is not None and classifier.summary.test_accuracy == 0.5  # the LiteRT parts came too
    VersionsTable(database).update_summary("v1", temperature=0.8)  # `calibrate`, on another machine
    again = registry.active_model(database)
    assert again.path == active.path and again.key != active.key  # same file, new answers: loaded again
    assert load_classifier(again.path).temperature == 0.8


def test_a_second_process_with_an_empty_models_folder_answers_with_the_active_model(database, database_url,
                                                                                     tmp_path):
    keep(database, "v1", test_accuracy=0.5)
    registry.activate("v1", database)
    other = tmp_path / "other-replica"
    code = ("from digit_app.model import load_classifier\nfrom digit_app.store.versions import version_id_of\n"
            "classifier = load_classifier()\nprint(version_id_of(classifier.path), classifier.summary.test_accuracy)")
    env = {**os.environ, "DIGIT_APP_DATABASE_URL": database_url, "DIGIT_APP_MODELS": str(other),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["v1", "0.5"]
    assert [p.name for p in other.rglob("*.keras")] == ["v1.keras"]


def test_a_damaged_file_in_the_database_means_the_shipped_model_and_a_message(database, models):
    keep(database, "v1")
    registry.activate("v1", database)
    with database.write() as connection:
        connection.execute(model_files.update().where(model_files.c.size == len(SHIPPED_FILES["keras"]))
                           .values(content=b"x" * len(SHIPPED_FILES["keras"])))
    active = registry.active_model(database)
    assert active.version_id == "shipped" and active.path == SHIPPED_MODEL
    assert "v1 cannot be fetched" in active.problem and "damaged" in active.problem
    assert not list(models.rglob("*.keras"))  # nothing half-written, nothing wrong kept


def test_a_version_saved_by_training_is_listed_whole(database, models):
    from digit_app.networks import build_model

    version = registry.save_version(build_model(), TrainingSummary(test_accuracy=0.25), database=database)
    assert set(version.files) == {"keras"} and version.summary.saved_at and version.summary.parameters > 0
    assert [v.id for v in registry.list_versions(database)] == ["shipped", version.id]
    assert registry.active_version_id(database) == "shipped"  # not used until activated
    path = registry.model_file(version.id, database)
    assert load_classifier(path).summary.test_accuracy == 0.25


def old_folder(models: Path, ids: list[str], active: str | None) -> None:
    """A models folder as the app kept it before the database: versions/<id>.keras, .json, LiteRT parts, active.json."""
    kept = models / "versions"
    kept.mkdir(parents=True)
    for version_id in ids:
        for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
            shutil.copy(part, kept / part.name.replace(SHIPPED_MODEL.stem, version_id, 1))
    if active:
        (models / "active.json").write_text(json.dumps({"version": active}))


def test_an_old_models_folder_is_imported_once_and_kept(database, models):
    old_folder(models, ["v1", "v2"], active="v1")
    table = VersionsTable(database)
    assert registry.import_old_folder(table, models) == ["v1", "v2"]
    assert [v.id for v in table.list()] == ["v2", "v1"] and table.active() == "v1"
    assert table.get("v1").summary == read_summary(SHIPPED_MODEL)
    assert set(table.get("v1").files) == {"keras", "pixels", "strokes"}
    assert not (models / "versions").exists() and not (models / "active.json").exists()
    assert sorted(p.name for p in (models / ".versions-imported").iterdir())[:1] == ["v1.44c0d18c9045.pixels.tflite"]
    assert json.loads((models / ".active-imported.json").read_text()) == {"version": "v1"}
    registry.activate("shipped", database)
    registry.delete("v2", database)
    assert registry.import_old_folder(table, models) == []  # again: nothing added back, the choice kept
    assert [v.id for v in table.list()] == ["v1"] and table.active() == "shipped"


def test_an_old_folder_that_cannot_be_set_aside_is_not_imported_twice(database, models, monkeypatch):
    old_folder(models, ["v1"], active="v1")

    def refuse(folder=None):
        raise OSError("read-only file system")

    monkeypatch.setattr(registry.local, "set_aside_old_folder", refuse)
    table = VersionsTable(database)
    assert registry.import_old_folder(table, models) == ["v1"]
    registry.activate("shipped", database)
    assert registry.import_old_folder(table, models) == []
    assert table.active() == "shipped" and (models / "versions" / "v1.keras").is_file()  # left as it was


def test_the_first_use_imports_the_old_folder(database, models):
    old_folder(models, ["v1"], active="v1")
    assert registry.active_model(database, models).version_id == "v1"
    assert [v.id for v in registry.list_versions(database, models)] == ["shipped", "v1"]



def test_while_the_database_is_out_of_reach_the_model_last_used_answers_and_says_so(database, models, monkeypatch):
    from digit_app.database import DatabaseUnavailableError

    keep(database, "v1")
    registry.activate("v1", database)
    before = registry.active_model(database)

    def unreachable(self):
        raise DatabaseUnavailableError("The shared database cannot be reached right now.")

    monkeypatch.setattr(VersionsTable, "active_files", unreachable)
    during = registry.active_model(database)
    assert (during.version_id, during.path, during.key) == (before.version_id, before.path, before.key)
    assert during.problem == "The shared database cannot be reached right now. Meanwhile v1 answers."
