"""The Retrain page in AppTest: controls and preview, a short training run, using the result."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from digit_app import versions
from digit_app.corrections import CorrectionStore
from tests.conftest import MNIST_SAMPLE
from tests.pages import APP

RETRAIN = "digit_app/ui/retrain.py"


@pytest.fixture()
def page(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv(versions.ENV_MODELS_DIR, str(tmp_path))
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    at = AppTest.from_file(APP, default_timeout=120).run()
    return at.switch_page(RETRAIN).run()


def test_controls_and_preview(page):
    assert not page.exception
    labels = [s.label for s in page.slider]
    for name in ("Rotation (degrees)", "Elastic distortion", "Stroke thickness", "Continental styles"):
        assert name in labels
    assert page.text_input[0].value == str(MNIST_SAMPLE)
    assert len(page.get("image")) == 1  # the augmentation preview
    assert page.dataframe[0].value["version"].tolist() == [versions.SHIPPED]


def test_bad_data_path_is_reported(page):
    page.text_input[0].set_value("/nowhere/data.npz").run()
    assert any("no data file" in e.value for e in page.error)


def test_a_short_training_run_with_corrections_then_use_it(tmp_path, monkeypatch, corrections_file, mnist_sample):
    store = CorrectionStore(corrections_file)
    for image, label in zip(mnist_sample["x_test"][:12], mnist_sample["y_test"][:12]):
        store.add(image, int(label))
    monkeypatch.setenv(versions.ENV_MODELS_DIR, str(tmp_path))
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    page = AppTest.from_file(APP, default_timeout=120).run().switch_page(RETRAIN).run()
    assert page.checkbox(key="include-corrections").value is True  # there are corrections: offered
    assert page.checkbox(key="learn-drawn").value is True  # real pen digits and a stroke model: on by default
    page.number_input[0].set_value(1).run()
    next(b for b in page.button if b.label == "Start training").click().run()
    deadline = time.monotonic() + 240
    while not (page.success or page.error or page.info) and time.monotonic() < deadline:
        time.sleep(1)
        page.run()
    ended = [e.value for e in (*page.success, *page.error, *page.info)]
    assert page.success and "Test accuracy" in page.success[0].value, ended or "still running after 240 s"
    assert page.metric[0].label == "Test accuracy, new model"
    labels = [metric.label for metric in page.metric]
    assert "Your corrections, new model" in labels and "Your corrections, model in use" in labels
    assert "Drawings by 6 writers it never saw, new model" in labels
    next(b for b in page.button if b.label == "Use this model").click().run()
    assert versions.active_version_id() != versions.SHIPPED
    table = page.dataframe[0].value
    assert table[table["active"]]["version"].item() == versions.active_version_id()
    # The report still compares with the model that was in use when the run started.
    shipped = versions.get_version(versions.SHIPPED).test_accuracy
    baseline = next(m for m in page.metric if m.label.startswith("Test accuracy, previous model"))
    assert baseline.label == f"Test accuracy, previous model ({versions.SHIPPED})"
    assert baseline.value == f"{shipped:.4f}"
    new = page.metric[0]  # its delta is against the shipped model, not itself (+0.0000)
    assert abs(float(new.delta) - (float(new.value) - shipped)) <= 1.5e-4


def test_without_the_pen_digits_the_run_learns_pixels_only(page):
    page.checkbox(key="learn-drawn").set_value(False).run()
    page.number_input[0].set_value(1).run()
    next(b for b in page.button if b.label == "Start training").click().run()
    deadline = time.monotonic() + 240
    while not (page.success or page.error or page.info) and time.monotonic() < deadline:
        time.sleep(1)
        page.run()
    assert page.success, [e.value for e in (*page.error, *page.info)] or "still running after 240 s"
    labels = [metric.label for metric in page.metric]
    assert "Test accuracy, new model" in labels
    assert not any(label.startswith("Drawings by") for label in labels)  # no stroke model, no drawings measured
    version = versions.list_versions()[1]
    assert version.metadata["training"]["drawn"] is False
