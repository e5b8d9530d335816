"""A run's models built and traced ahead (`digit_app.training.ready`): they learn exactly as models built at Start,
and the run's own streams use the steps traced ahead."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from digit_app.model import load_classifier
from digit_app.networks import STROKE_SHAPE
from digit_app.store.metadata import TrainingSummary
from digit_app.store.model_files import save_model
from digit_app.strokes.network import train_stroke_model
from digit_app.training import TrainConfig, Variations, ready
from digit_app.training.fit import _streams


def _tracings(model) -> int:
    """How often the model's training step was traced (the tf.function inside Keras' train_function)."""
    cells = [cell.cell_contents for cell in model.train_function.__closure__ or ()]
    return sum(cell.experimental_get_tracing_count() for cell in cells if hasattr(cell, "experimental_get_tracing_count"))


def test_the_schedule_is_keras_cosine_decay_with_its_peak_and_length_set_later():
    schedule = ready.CosineSchedule()
    schedule.set(3e-3, 288)
    keras_own = keras.optimizers.schedules.CosineDecay(3e-3, 288)
    for step in (0, 1, 100, 287, 288, 400):
        assert float(schedule(step)) == pytest.approx(float(keras_own(step)), rel=1e-5, abs=1e-9)
    schedule.set(1e-3, 10)
    assert float(schedule(5)) == pytest.approx(float(keras.optimizers.schedules.CosineDecay(1e-3, 10)(5)), rel=1e-5)


def test_taken_only_by_a_run_with_the_same_width_seed_and_pen_digits():
    ready._kept = ready.RunModels(object(), ready.CosineSchedule(), object(), ready.CosineSchedule(), 1, 0)
    assert ready.take(2, 0, True) is None and ready.take(1, 0, True) is None  # taken once, even when refused
    ready._kept = ready.RunModels(object(), ready.CosineSchedule(), None, None, 1, 0)
    assert ready.take(1, 0, True) is None
    ready._kept = ready.RunModels(object(), ready.CosineSchedule(), object(), ready.CosineSchedule(), 1, 3)
    assert ready.take(1, 3, True) is not None


@pytest.mark.slow
def test_models_traced_ahead_start_as_built_learn_exactly_as_fresh_ones_and_the_run_traces_nothing():
    plain = TrainConfig(epochs=1, batch_size=16, seed=4, augment=Variations.none())  # augmentation draws anew
    rng = np.random.default_rng(0)
    images, labels = rng.random((64, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, 64)
    strokes = rng.random((32, *STROKE_SHAPE)).astype(np.float32)
    order = np.arange(64)

    def learnt(models: ready.RunModels) -> list[np.ndarray]:
        models.pixel_schedule.set(plain.learning_rate, 4)
        keras.utils.set_random_seed(plain.seed)
        train_ds, val_ds = _streams(images, labels, order[8:], order[:8], plain, 1)
        models.pixels.fit(train_ds, validation_data=val_ds, steps_per_epoch=3, epochs=1, verbose=0, shuffle=False)
        made_up = tf.data.Dataset.from_tensor_slices((strokes, np.eye(10, dtype=np.float32)[labels[:32]]))
        models.strokes.fit(made_up.batch(16).repeat(), steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
        return [v.numpy() for v in models.pixels.variables + models.strokes.variables]

    fresh = ready.compiled_models(1, plain.seed, True)
    ahead = ready.traced(ready.compiled_models(1, plain.seed, True))
    for built, kept in zip(fresh.pixels.variables + fresh.strokes.variables,
                           ahead.pixels.variables + ahead.strokes.variables):
        assert np.array_equal(built.numpy(), kept.numpy()), built.path  # weights, statistics and seeds as built
    assert int(ahead.pixels.optimizer.iterations.numpy()) == 0
    assert (_tracings(ahead.pixels), _tracings(ahead.strokes)) == (1, 1)
    assert all(np.array_equal(a, b) for a, b in zip(learnt(fresh), learnt(ahead)))
    # The run's own streams: augmented pixels, and the stroke model's varied pen digits from its generator
    train_ds, _ = _streams(images, labels, order[8:], order[:8], TrainConfig(batch_size=16), 1)
    ahead.pixels.fit(train_ds, steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    train_stroke_model(strokes, labels[:32], 1, model=ahead.strokes)
    assert (_tracings(ahead.pixels), _tracings(ahead.strokes)) == (1, 1)  # the steps traced ahead, nothing new


@pytest.mark.slow
def test_a_pixel_cnn_compiled_with_the_schedule_is_kept_and_loads(tmp_path):
    models = ready.compiled_models(1, 0, False)  # a run without pen digits keeps the pixel CNN itself, compiled
    models.pixel_schedule.set(1e-3, 4)
    digits = tf.data.Dataset.from_tensor_slices((np.zeros((8, 28, 28, 1), np.float32),
                                                 np.eye(10, dtype=np.float32)[np.arange(8)])).batch(4)
    models.pixels.fit(digits, epochs=1, verbose=0, shuffle=False)
    path = save_model(models.pixels, tmp_path / "plain.keras", TrainingSummary())
    probe = np.random.default_rng(1).random((2, 28, 28)).astype(np.float32)
    assert np.allclose(load_classifier(path, keras=True).predict_proba(probe, calibrated=False),
                       models.pixels.predict(probe[..., None], verbose=0), atol=1e-5)
