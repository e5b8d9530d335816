"""How sure the model says it is: the temperature, fitted, saved with a model and applied to every answer."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from digit_app.calibration import calibration_error, fit_temperature, sharpen
from digit_app.model import load_classifier
from digit_app.store.versions import SHIPPED_MODEL, ModelStoreError, update_metadata


def softmax(logits: np.ndarray) -> np.ndarray:
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def test_the_temperature_that_made_the_labels_is_found():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 10))
    truth = 0.5  # the labels are drawn from sharper probabilities than the model gives
    sharper = softmax(logits / truth)
    labels = np.array([rng.choice(10, p=row) for row in sharper])
    found = fit_temperature(softmax(logits), labels)
    assert found == pytest.approx(truth, rel=0.1)
    assert calibration_error(sharpen(softmax(logits), found), labels) < calibration_error(softmax(logits), labels) / 3


def test_sharpening_keeps_every_answer_and_sums_to_one():
    probabilities = softmax(np.random.default_rng(1).normal(0, 1, (50, 10)))
    sharp = sharpen(probabilities, 0.4)
    np.testing.assert_array_equal(np.argsort(sharp, axis=1), np.argsort(probabilities, axis=1))
    np.testing.assert_allclose(sharp.sum(axis=1), 1.0, rtol=1e-6)
    assert (sharp.max(axis=1) > probabilities.max(axis=1)).all()
    assert sharpen(probabilities, 1.0) is probabilities
    with pytest.raises(ValueError, match="temperature"):
        sharpen(probabilities, 0.0)


def test_the_shipped_model_says_how_sure_it_is_honestly(classifier, mnist_sample):
    """Its confidence on test digits is within 2 points of how often it is right; the network alone is 5 below."""
    images, labels = mnist_sample["x_test"] / 255.0, mnist_sample["y_test"]
    raw, calibrated = classifier.predict_proba(images, calibrated=False), classifier.predict_proba(images)
    assert classifier.temperature < 1.0
    np.testing.assert_array_equal(raw.argmax(axis=1), calibrated.argmax(axis=1))
    accuracy = (calibrated.argmax(axis=1) == labels).mean()
    assert abs(calibrated.max(axis=1).mean() - accuracy) < 0.02 < accuracy - raw.max(axis=1).mean()


@pytest.mark.parametrize("saved", [-1, 0, 99, "0.5", True, None])
def test_a_temperature_that_cannot_be_right_is_not_used(tmp_path, saved):
    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, tmp_path / part.name)
    copy = tmp_path / SHIPPED_MODEL.name
    update_metadata(copy, {"temperature": saved})
    assert load_classifier(copy).temperature == 1.0


def test_changing_metadata_leaves_the_model_file_alone(tmp_path):
    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, tmp_path / part.name)
    copy = tmp_path / SHIPPED_MODEL.name
    before = copy.read_bytes()
    record = update_metadata(copy, {"temperature": 0.7})
    assert record["temperature"] == 0.7 and record["test_accuracy"] == load_classifier(SHIPPED_MODEL).metadata[
        "test_accuracy"]
    assert copy.read_bytes() == before and load_classifier(copy).temperature == 0.7
    with pytest.raises(ModelStoreError, match="No model file"):
        update_metadata(tmp_path / "missing.keras", {"temperature": 0.7})


@pytest.mark.parametrize(("confidence", "shown"), [(0.62, "62%"), (0.999, "99%"), (1.0, "99%"), (0.0, "0%")])
def test_a_confidence_is_shown_rounded_down_and_never_as_certainty(confidence, shown):
    from digit_app.ui.html import percent_sure

    assert percent_sure(confidence) == shown
