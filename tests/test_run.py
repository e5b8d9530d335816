"""Keeping a trained model (`digit_app.training.run.keep_model`): the LiteRT copies it was given, not new ones."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.model import lite_parts, load_classifier
from digit_app.networks import build_model
from digit_app.store.metadata import TrainingSummary
from digit_app.store.model_files import read_lite
from digit_app.training.run import keep_model
from digit_app.training.stopwatch import Stopwatch


@pytest.mark.slow
def test_the_copies_made_and_measured_in_training_are_saved_as_they_are(tmp_path):
    model = build_model(1)
    given = lite_parts(model)
    watch = Stopwatch()
    path, version = keep_model(model, TrainingSummary(), save_as=tmp_path / "kept.keras", watch=watch, lite=given)
    assert version is None and "saving: LiteRT conversion" not in watch.seconds  # nothing converted again
    assert read_lite(path) == (given, [])  # on disk, byte for byte, and matching the metadata's digests
    digits = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    assert np.allclose(load_classifier(path).predict_proba(digits), model.predict(digits[..., None], verbose=0),
                       atol=1e-5)


@pytest.mark.slow
def test_without_copies_it_makes_them(tmp_path):
    model = build_model(1)
    watch = Stopwatch()
    path, _ = keep_model(model, TrainingSummary(), save_as=tmp_path / "kept.keras", watch=watch)
    parts, damaged = read_lite(path)
    assert "saving: LiteRT conversion" in watch.seconds and set(parts) == {"pixels"} and damaged == []
