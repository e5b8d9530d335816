"""A saved model on disk: the model, its metadata and LiteRT copies, each written whole and read with care (the
registry of versions, in the database, is tested in test_model_registry.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from digit_app.model import Classifier, load_classifier
from digit_app.networks import build_model
from digit_app.store.metadata import TrainingSummary, read_summary
from digit_app.store.model_files import ModelStoreError, lite_path, read_lite, save_model, update_summary
from digit_app.store.versions import SHIPPED_MODEL

REPO = Path(__file__).resolve().parents[1]


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
