"""Model versions: save (a model and its metadata), list, activate, delete, and fall back to the shipped model."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from digit_app.model import Classifier, load_classifier
from digit_app.networks import build_model
from digit_app.store import versions
from digit_app.store.metadata import TrainingSummary, read_summary
from digit_app.store.model_files import ModelStoreError, lite_path, read_lite, save_model, update_summary
from digit_app.store.versions import SHIPPED_MODEL

REPO = Path(__file__).resolve().parents[1]



def test_without_versions_the_shipped_model_is_active(models):
    assert versions.active_version_id() == versions.SHIPPED
    assert versions.active_model_path() == SHIPPED_MODEL
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED]


def test_save_activate_and_delete(models):
    first = versions.save_version(build_model(), TrainingSummary(test_accuracy=0.5))
    second = versions.save_version(build_model(), TrainingSummary(test_accuracy=0.6))
    assert first.id != second.id
    assert versions.active_version_id() == versions.SHIPPED  # a new version is not used until activated
    versions.activate(first.id)
    assert versions.active_model_path() == first.path
    assert load_classifier().path == first.path
    versions.delete(first.id)  # deleting the active version returns to the shipped model
    assert versions.active_version_id() == versions.SHIPPED
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED, second.id]
    assert sorted(p.name for p in (models / "versions").iterdir()) == [f"{second.id}.json", f"{second.id}.keras"]


def test_the_shipped_model_cannot_be_deleted(models):
    with pytest.raises(versions.ModelStoreError, match="shipped"):
        versions.delete(versions.SHIPPED)
    assert SHIPPED_MODEL.is_file()


def test_unknown_version_is_a_clear_error(models):
    with pytest.raises(KeyError, match="no model version 'nope'"):
        versions.activate("nope")


@pytest.mark.parametrize("pointer", ["{not json", '{"version": "v-gone"}', "[]", ""])
def test_a_broken_or_dangling_pointer_falls_back_to_shipped(models, pointer):
    (models / "active.json").write_text(pointer)
    assert versions.active_version_id() == versions.SHIPPED
    assert load_classifier().path == SHIPPED_MODEL


def test_a_missing_models_folder_is_made_when_needed(tmp_path, monkeypatch):
    folder = tmp_path / "not" / "yet"
    monkeypatch.setenv(versions.ENV_MODELS_DIR, str(folder))
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED]
    assert load_classifier().path == SHIPPED_MODEL
    version = versions.save_version(build_model(), TrainingSummary(test_accuracy=0.5))
    assert version.path.parent == folder / "versions" and version.path.is_file()


def test_a_models_folder_that_is_a_file_is_a_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.write_text("not a folder")
    monkeypatch.setenv(versions.ENV_MODELS_DIR, str(folder))
    with pytest.raises(versions.ModelStoreError, match="Could not save the new model in the models folder"):
        versions.save_version(build_model(), TrainingSummary())
    with pytest.raises(versions.ModelStoreError, match="DIGIT_APP_MODELS"):
        versions.activate(versions.SHIPPED)
    assert folder.read_text() == "not a folder"
    assert load_classifier().path == SHIPPED_MODEL  # the app still serves the shipped model


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` really read-only: by permissions for a normal user; root ignores those, so
    for root by a read-only bind mount over it."""
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"running as root without the right to mount, so no folder is read-only: {mounted.stderr}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_models_folder_is_a_clear_error_and_nothing_changes(models):
    first = versions.save_version(build_model(), TrainingSummary(test_accuracy=0.5))
    second = versions.save_version(build_model(), TrainingSummary(test_accuracy=0.6))
    versions.activate(first.id)
    with read_only(models):
        with pytest.raises(OSError):
            (models / "probe").write_text("")  # the folder really is read-only
        with pytest.raises(versions.ModelStoreError, match="Could not switch the active model"):
            versions.activate(second.id)
        with pytest.raises(versions.ModelStoreError, match="Could not delete"):
            versions.delete(second.id)
        with pytest.raises(versions.ModelStoreError, match="Could not save the new model"):
            versions.save_version(build_model(), TrainingSummary())
        assert load_classifier().path == first.path  # and the active model still serves
    assert versions.active_version_id() == first.id
    assert sorted(p.name for p in models.rglob("*")) == sorted(
        ["versions", "active.json", f"{first.id}.keras", f"{first.id}.json", f"{second.id}.keras", f"{second.id}.json"])


SAVE_FOREVER = """
from digit_app.networks import build_model
from digit_app.store import versions
from digit_app.store.metadata import TrainingSummary
model = build_model()
print("saving", flush=True)
while True:
    versions.activate(versions.save_version(model, TrainingSummary(test_accuracy=0.1)).id)
"""


@pytest.mark.slow
@pytest.mark.parametrize("seconds", [0.4, 1.7])
def test_killed_while_saving_leaves_a_readable_active_model(models, seconds):
    """SIGKILL a process that saves and activates versions back to back: whatever moment the kill
    lands on, the active model loads, every listed version is complete, and leftovers are hidden."""
    first = versions.save_version(build_model(), TrainingSummary(test_accuracy=0.5))
    versions.activate(first.id)
    env = {**os.environ, versions.ENV_MODELS_DIR: str(models), "TF_CPP_MIN_LOG_LEVEL": "3"}
    saver = subprocess.Popen([sys.executable, "-c", SAVE_FOREVER], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert saver.stdout.readline().strip() == "saving"
        time.sleep(seconds)
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait(timeout=30)
    assert saver.returncode == -signal.SIGKILL
    active = load_classifier()
    assert active.path.parent == models / "versions" and active.summary.test_accuracy in (0.1, 0.5)
    for version in versions.list_versions():
        assert not version.id.startswith(".")
        assert load_classifier(version.path).metadata  # complete: model and metadata
    assert len(versions.list_versions()) >= 2


def test_leftovers_of_a_killed_save_are_hidden_then_cleared(models):
    folder = models / "versions"
    folder.mkdir()
    old_temp, orphan, fresh_temp = folder / ".v1-abc.keras", folder / "v2.json", folder / ".v3-def.keras"
    for path in (old_temp, orphan, fresh_temp):
        path.write_bytes(b"half")
    hour_ago = time.time() - versions.LEFTOVER_AGE - 60
    for path in (old_temp, orphan):
        os.utime(path, (hour_ago, hour_ago))
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED]
    saved = versions.save_version(build_model(), TrainingSummary())
    assert sorted(p.name for p in folder.iterdir()) == sorted([".v3-def.keras", f"{saved.id}.json",
                                                               f"{saved.id}.keras"])


@pytest.mark.parametrize("pointer", ["x" * 300, "../../outside/evil", "/etc/passwd", "v1/../../evil", "", 42, None,
                                     ["v1"], "v1\x00"])
def test_a_bad_active_pointer_is_never_followed(models, pointer):
    outside = models.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "evil.keras").write_bytes(SHIPPED_MODEL.read_bytes())
    (models / "active.json").write_text(json.dumps({"version": pointer}))
    assert versions.active_version_id() == versions.SHIPPED
    assert versions.active_model_path() == versions.shipped_model_path()
    with pytest.raises(KeyError, match="no model version"):
        versions.get_version(pointer if isinstance(pointer, str) else str(pointer))


def pointer_that_is(models: Path, kind: str) -> None:
    """active.json made into something that is not a small plain file."""
    pointer = models / "active.json"
    if kind == "fifo":
        os.mkfifo(pointer)  # reading it would wait for a writer forever
    elif kind == "link to /dev/zero":
        pointer.symlink_to("/dev/zero")  # reading it would never end
    else:
        with open(pointer, "w") as file:  # read on every page run
            file.write('{"version": "shipped"}')
            file.truncate(200_000_000)  # sparse: costs no disk


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "200 MB"])
def test_an_active_pointer_that_is_no_small_plain_file_is_never_read(models, kind):
    code = ("from digit_app.store import versions\n"
            "path, problem = versions.active_model()\n"
            "print(path == versions.shipped_model_path(), versions.active_version_id())\n"
            "print(problem)\n")
    pointer_that_is(models, kind)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, versions.ENV_MODELS_DIR: str(models)})  # a hang fails, not blocks
    assert result.returncode == 0, result.stderr
    same, problem = result.stdout.splitlines()
    assert same == "True shipped"
    assert problem.startswith("The active model pointer cannot be used") and "shipped model is in use" in problem
    assert ("not a plain file" if kind != "200 MB" else "more than the 4,096") in problem


def test_metadata_and_litert_parts_that_are_fifos_are_never_opened(models):
    from digit_app.store.files import file_digest

    (models / "versions").mkdir()
    model = models / "versions" / "v1.keras"
    model.write_bytes(SHIPPED_MODEL.read_bytes())
    os.mkfifo(model.with_suffix(".json"))
    os.mkfifo(lite_path(model, file_digest(model), "pixels"))
    code = ("from pathlib import Path\nfrom digit_app.store import metadata, model_files\n"
            f"model = Path({str(model)!r})\n"
            "print(metadata.read_summary(model).to_json(), model_files.read_lite(model))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["{}", "({},", "['pixels'])"]  # a FIFO part is damaged: never run


def test_a_read_only_models_folder_is_found_before_training(models):
    versions.check_writable()  # a writable folder passes, and keeps no probe
    assert list(models.iterdir()) == []
    (models / "versions").mkdir()
    with read_only(models):
        with pytest.raises(versions.ModelStoreError, match="Could not write in the models folder"):
            versions.check_writable()
    assert sorted(p.name for p in models.rglob("*")) == ["versions"]


def test_metadata_of_the_wrong_kind_is_left_out(models):
    (models / "versions").mkdir()
    path = models / "versions" / "v1.keras"
    path.write_bytes(SHIPPED_MODEL.read_bytes())
    path.with_suffix(".json").write_text(json.dumps({
        "data": "a string", "training": [1, 2], "test_accuracy": 7,
        "held_out_writers": {"drawing": "high", "pixels": 0.9},
        "saved_at": "2026-11-26", "note": "kept: not ours to judge"}))
    summary = read_summary(path)
    assert summary.to_json() == {"held_out_writers": {"pixels": 0.9}, "saved_at": "2026-11-26",
                                 "note": "kept: not ours to judge"}
    assert summary.test_accuracy is None and summary.data == {} and summary.drawing_accuracy is None
    assert versions.get_version("v1").test_accuracy is None


@pytest.mark.slow  # converts a model to LiteRT: a few seconds
def test_a_version_is_saved_with_its_litert_copies_and_deleted_with_them(models):
    from digit_app.model import lite_parts
    from digit_app.networks import build_reader
    from digit_app.strokes.network import build_stroke_model

    reader = build_reader(build_model(), build_stroke_model())
    version = versions.save_version(reader, TrainingSummary(held_out_writers={"strokes": 0.5}), lite_parts(reader))
    lite_files = sorted(p.name.split(".", 2)[2] for p in (models / "versions").glob("*.tflite"))
    assert lite_files == ["pixels.tflite", "strokes.tflite"]
    assert load_classifier(version.path).lite is not None
    versions.delete(version.id)
    assert list((models / "versions").iterdir()) == []


def test_save_writes_model_and_metadata_with_nothing_left_over(tmp_path):
    path = save_model(build_model(), tmp_path / "fresh.keras", TrainingSummary(extra={"note": "test"}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.json", "fresh.keras"]
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in tmp_path.iterdir())  # others may read them
    assert zipfile.is_zipfile(path)
    metadata = json.loads((tmp_path / "fresh.json").read_text())
    assert metadata["note"] == "test" and metadata["parameters"] > 0
    loaded = load_classifier(path)
    assert isinstance(loaded, Classifier) and loaded.metadata["note"] == "test"


def test_a_failed_save_changes_nothing(tmp_path):
    from digit_app.networks import build_model
    from digit_app.store.model_files import save_model

    class Unsaveable:
        def count_params(self):
            return 1

        def save(self, path):
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        save_model(Unsaveable(), tmp_path / "new.keras", TrainingSummary(test_accuracy=0.5))
    assert list(tmp_path.iterdir()) == []  # no metadata without its model, no temporary files
    existing = save_model(build_model(), tmp_path / "kept.keras", TrainingSummary(test_accuracy=0.5))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OSError):
        save_model(Unsaveable(), existing, TrainingSummary(test_accuracy=0.9))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # the old files untouched


def test_the_shipped_model_keeps_the_digests_of_its_litert_copies():

    parts, damaged = read_lite(SHIPPED_MODEL)
    assert set(parts) == {"pixels", "strokes"} and damaged == []


def test_changing_metadata_leaves_the_model_file_alone(tmp_path):
    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, tmp_path / part.name)
    copy = tmp_path / SHIPPED_MODEL.name
    before = copy.read_bytes()
    record = update_summary(copy, temperature=0.7).to_json()
    assert record["temperature"] == 0.7 and record["test_accuracy"] == load_classifier(SHIPPED_MODEL).metadata[
        "test_accuracy"]
    assert copy.read_bytes() == before and load_classifier(copy).temperature == 0.7
    with pytest.raises(ModelStoreError, match="No model file"):
        update_summary(tmp_path / "missing.keras", temperature=0.7)
