"""The training summary kept beside a model: typed, saved as JSON, checked as it is read back."""

from __future__ import annotations

import json

from digit_app.store.metadata import CorrectionsAccuracy, TrainingSummary, read_summary, write_summary

FULL = TrainingSummary(
    data={"source": "mnist", "train_images": 60000}, training={"epochs": 20}, test_accuracy=0.9932,
    confusion_matrix=[[1, 0], [0, 1]], train_seconds=400.5, images_per_second=1700.0, train_images=57000,
    history=[{"epoch": 1, "loss": 0.3}], held_out_writers={"pixels": 0.97, "strokes": 0.96, "drawing": 0.99},
    temperature=0.4631, compared_with="shipped", corrections_accuracy=CorrectionsAccuracy(0.9, None),
    saved_at="2026-11-30T18:00:00+00:00", parameters=470000, extra={"note": "kept"})


def test_a_summary_survives_json_as_it_is_saved(tmp_path):
    model = tmp_path / "m.keras"
    write_summary(model, FULL)
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["corrections_accuracy"] == {"new model": 0.9, "model in use": None}  # the names pages have read
    assert saved["note"] == "kept" and "lite_sha256" not in saved and "keras_version" not in saved  # none: left out
    assert read_summary(model) == FULL
    assert FULL.reads_strokes and FULL.drawing_accuracy == 0.99


def test_a_pixels_only_summary_reads_no_strokes():
    summary = TrainingSummary.from_json({"held_out_writers": {"pixels": 0.97}, "test_accuracy": 0.99})
    assert not summary.reads_strokes and summary.drawing_accuracy is None and summary.test_accuracy == 0.99


def test_entries_of_the_wrong_kind_are_dropped_one_by_one():
    summary = TrainingSummary.from_json({
        "test_accuracy": True, "temperature": "0.5", "train_images": 1.5, "held_out_writers": {"drawing": 2.0},
        "corrections_accuracy": {"new model": "high"}, "lite_sha256": {"pixels": "not a digest", "other": "0" * 64},
        "compared_with": "v2"})
    assert summary == TrainingSummary(compared_with="v2")
    assert TrainingSummary.from_json([1, 2]) == TrainingSummary.from_json(None) == TrainingSummary()
