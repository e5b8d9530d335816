"""The stroke model: a small 1D CNN that reads a digit from its trajectory, and how it is trained.

It reads `stroke_features` (points along the pen's path, in drawing order) rather than pixels, so
it sees what pixels lose: where a stroke starts, which way it goes, where the pen lifted. Trained
on real pen digits with random rotation, stretch and slant, it reads writers it never saw far
better than a pixel CNN trained on scans does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from digit_app.sizes import LABEL_SMOOTHING, NUM_CLASSES
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS

FILTERS = (64, 64, 128, 128)
ROTATION = 15.0  # degrees either way
SLANT = 0.3  # x shifted by up to this share of y, either way
STRETCH = 0.25  # width scaled by up to this share, either way
WOBBLE = 0.01  # noise on each point, as a share of the digit's size
BATCH_SIZE = 64
LEARNING_RATE = 3e-3


def build_stroke_model() -> Any:
    """Conv1D blocks over the trajectory, then its average and strongest features, then ten probabilities."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(STROKE_POINTS, STROKE_FEATURES), name="strokes")
    x = inputs
    for index, filters in enumerate(FILTERS):
        x = layers.Conv1D(filters, 5 if index < 2 else 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)
        x = layers.Activation("relu")(x)
        if index == 1:
            x = layers.MaxPooling1D()(x)
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="stroke_probabilities")(x)
    return keras.Model(inputs, outputs, name="stroke_cnn")


def vary(features: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A batch of stroke features (n, STROKE_POINTS, STROKE_FEATURES), each turned, slanted and stretched a little."""
    count = len(features)
    angle = np.radians(rng.uniform(-ROTATION, ROTATION, count))
    slant = rng.uniform(-SLANT, SLANT, count)
    stretch = 1.0 + rng.uniform(-STRETCH, STRETCH, count)
    cos, sin = np.cos(angle), np.sin(angle)
    # x' = stretch * (x + slant * y), then rotated
    matrix = np.empty((count, 2, 2), np.float32)
    matrix[:, 0, 0], matrix[:, 0, 1] = cos * stretch, cos * stretch * slant - sin
    matrix[:, 1, 0], matrix[:, 1, 1] = sin * stretch, sin * stretch * slant + cos
    points = np.einsum("nij,nkj->nki", matrix, features[..., :2])
    points += rng.normal(0.0, WOBBLE, points.shape)
    low, high = points.min(axis=1, keepdims=True), points.max(axis=1, keepdims=True)
    size = np.maximum((high - low).max(axis=2, keepdims=True), 1e-6)
    points = (points - (low + high) / 2) / size
    step = np.diff(points, axis=1, append=points[:, -1:]) * (STROKE_POINTS / 4)
    return np.concatenate([points, features[..., 2:3], step], axis=2).astype(np.float32)


def train_stroke_model(features: np.ndarray, labels: np.ndarray, epochs: int, seed: int = 0,
                       on_epoch: Callable[[int, dict[str, float]], None] | None = None,
                       should_stop: Callable[[], bool] | None = None) -> Any:
    """Train a fresh stroke model on (n, STROKE_POINTS, STROKE_FEATURES) features, newly varied every epoch.

    `on_epoch(epoch, logs)` is called after each epoch; `should_stop()` is polled between batches
    and ends training early (the caller decides what that means).
    """
    import keras

    rng = np.random.default_rng(seed)
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    steps = int(np.ceil(len(features) / BATCH_SIZE))
    model = build_stroke_model()
    model.compile(
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, epochs * steps)),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
        metrics=["accuracy"],
    )
    stopper = _StopWhen(should_stop)
    for epoch in range(epochs):
        history = model.fit(vary(features, rng), one_hot, batch_size=BATCH_SIZE, epochs=epoch + 1,
                            initial_epoch=epoch, shuffle=True, verbose=0, callbacks=[stopper])
        if stopper.stopped:
            break
        if on_epoch is not None:
            on_epoch(epoch + 1, {key: float(values[-1]) for key, values in history.history.items()})
    return model


class _StopWhen:
    """A Keras callback that ends `fit` when a plain function says so."""

    def __new__(cls, should_stop: Callable[[], bool] | None) -> Any:
        import keras

        class StopWhen(keras.callbacks.Callback):
            stopped = False

            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                if should_stop is not None and should_stop():
                    self.stopped = True
                    self.model.stop_training = True

        return StopWhen()
