"""Training end to end on the small fixture: a loadable model with metadata, progress, cancel."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digit_app.model import load_classifier
from digit_app.store.model_files import save_model
from digit_app.training import TrainConfig, Variations
from digit_app.training.data import load_training_data
from digit_app.training.fit import Cancelled, train
from tests.paths import MNIST_SAMPLE

QUICK = TrainConfig(epochs=3, batch_size=32, augment=Variations(redraw=0.2, styles=0.5), stroke_epochs=4)


@pytest.mark.slow
def test_a_short_run_gives_a_loadable_model_with_metadata(tmp_path):
    data = load_training_data(MNIST_SAMPLE)
    events = []
    model, report = train(data, QUICK, progress=events.append)
    confusion = report.evaluation.confusion
    assert confusion.shape == (10, 10) and confusion.sum() == len(data.y_test)
    assert report.test_accuracy == pytest.approx(np.trace(confusion) / len(data.y_test))
    assert report.test_accuracy > 0.3  # far above chance after three short epochs
    assert len(report.evaluation.misclassified) == len(data.y_test) - np.trace(confusion)
    assert report.images_per_second > 0 and len(report.history) == 3
    assert [e["phase"] for e in events][0] == "preparing"  # the pen digits are drawn first
    assert {e["phase"] for e in events} == {"preparing", "batch", "epoch", "strokes", "evaluating"}
    assert events[-1]["phase"] == "evaluating"  # the page says the model is being measured, not "0 s left"
    assert {"pen digits drawn", "models built", "pixel CNN epochs", "stroke model epochs",
            "evaluation: test set"} <= set(report.phases) == set(report.phases_cpu)
    pixel_epochs = [e for e in events if e["phase"] == "epoch"]
    assert pixel_epochs[-1]["epoch"] == 3 and "val_accuracy" in pixel_epochs[-1]
    assert [e["epoch"] for e in events if e["phase"] == "strokes"] == [1, 2, 3, 4]
    # 40 digits of held-out writer 25 in the small pen sample, read three ways
    assert set(report.held_out) == {"pixels", "strokes", "drawing"}
    assert all(0.0 <= value <= 1.0 for value in report.held_out.values())

    assert set(report.lite) == {"pixels", "strokes"}  # the LiteRT copies the figures were measured on ...
    path = save_model(model, tmp_path / "quick.keras", report.summary(data.describe(), QUICK.to_dict()), report.lite)
    classifier = load_classifier(path)  # ... are the ones the Draw page loads: the same answers, exactly
    assert classifier.lite == report.lite
    reread = classifier.predict_proba(data.x_test / 255.0).argmax(axis=1)
    assert np.array_equal(reread, report.evaluation.predictions)
    assert classifier.reads_strokes  # pixels and strokes, saved and loaded as one model
    assert classifier.summary.held_out_writers == report.held_out
    assert classifier.summary.test_accuracy == round(report.test_accuracy, 4)
    assert classifier.summary.training["augment"]["styles"] == 0.5
    predicted = classifier.predict_proba(data.x_test / 255.0).argmax(axis=1)
    assert np.mean(predicted == data.y_test) == pytest.approx(report.test_accuracy, abs=0.01)
    json.dumps(classifier.metadata)  # the metadata is plain JSON


@pytest.mark.slow
def test_cancel_stops_between_batches_and_keeps_nothing():
    data = load_training_data(MNIST_SAMPLE)
    batches = []
    with pytest.raises(Cancelled):
        train(data, TrainConfig(epochs=5, batch_size=16, augment=Variations.none()),
              progress=lambda e: batches.append(e) if e["phase"] == "batch" else None,
              should_stop=lambda: len(batches) >= 3)
    assert len(batches) == 3


def test_a_batch_larger_than_the_data_is_refused_before_training():
    calls = []
    with pytest.raises(ValueError, match="batch size 512 is larger than the 285 training images"):
        train(load_training_data(MNIST_SAMPLE), TrainConfig(epochs=1, batch_size=512, augment=Variations.none(),
                                                    drawn=False), progress=calls.append)
    assert calls == []


MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from digit_app.training import TrainConfig, Variations
from digit_app.training.data import load_training_data
from digit_app.training.fit import train
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
config = TrainConfig(epochs=4, batch_size=32, augment=Variations(redraw=0.0, styles=0.0))
model, report = train(load_training_data(r"{data}"), config, strategy=strategy)
print(strategy.num_replicas_in_sync, report.test_accuracy)
"""


@pytest.mark.slow
def test_training_runs_mirrored_on_two_devices():
    """The several-GPU path (MirroredStrategy), on two logical CPUs in a fresh process."""
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run([sys.executable, "-c", MIRRORED.format(data=MNIST_SAMPLE)], capture_output=True, text=True,
                            timeout=600, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr[-2000:]
    replicas, accuracy = result.stdout.split()[-2:]
    assert replicas == "2" and float(accuracy) > 0.3


@pytest.mark.slow
def test_without_drawn_digits_the_model_reads_pixels_only():
    data = load_training_data(MNIST_SAMPLE)
    events = []
    model, report = train(data, TrainConfig(epochs=1, batch_size=32, augment=Variations.none(), drawn=False),
                          progress=events.append)
    assert {e["phase"] for e in events} == {"batch", "epoch", "evaluating"}
    assert report.held_out == {} and "held_out_writers" not in report.summary({}, {}).to_json()
    assert len(model.inputs) == 1


@pytest.mark.slow
def test_cancel_while_the_stroke_model_learns_keeps_nothing():
    data = load_training_data(MNIST_SAMPLE)
    events = []
    with pytest.raises(Cancelled):
        train(data, TrainConfig(epochs=1, batch_size=32, augment=Variations.none(), stroke_epochs=50),
              progress=events.append, should_stop=lambda: any(e["phase"] == "strokes" for e in events))
    assert [e["epoch"] for e in events if e["phase"] == "strokes"] == [1]
