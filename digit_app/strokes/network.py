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


def steps_per_pass(count: int) -> int:
    """The stroke model's training steps in one pass over `count` digits (its schedule's length is epochs x this)."""
    return int(np.ceil(count / BATCH_SIZE))


def train_stroke_model(features: np.ndarray, labels: np.ndarray, epochs: int, seed: int = 0,
                       on_epoch: Callable[[int, dict[str, float]], None] | None = None,
                       should_stop: Callable[[], bool] | None = None, model: Any = None) -> Any:
    """Train a fresh stroke model on (n, STROKE_POINTS, STROKE_FEATURES) features, newly varied every epoch.

    `model`, if given, is trained instead: a stroke model compiled (and traced) ahead, its learning-rate
    schedule set for this run by the caller (`digit_app.training.ready`).

    `on_epoch(epoch, logs)` is called after each epoch; `should_stop()` is polled between batches
    and ends training early (the caller decides what that means). One `fit` reads one endless
    stream, each pass over the digits varied anew and in a new order: a `fit` per epoch made a new
    iterator every epoch, which idles the CPU before its first batch.
    """
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    steps = steps_per_pass(len(features))

    def batches() -> Any:
        while True:
            varied, order = vary(features, rng), rng.permutation(len(features))
            for start in range(0, len(order), BATCH_SIZE):
                chosen = order[start : start + BATCH_SIZE]
                yield varied[chosen], one_hot[chosen]

    stream = tf.data.Dataset.from_generator(batches, output_signature=(
        tf.TensorSpec((None, STROKE_POINTS, STROKE_FEATURES), tf.float32),
        tf.TensorSpec((None, NUM_CLASSES), tf.float32))).prefetch(2)
    if model is None:
        model = build_stroke_model()
        model.compile(
            optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, epochs * steps)),
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
            metrics=["accuracy"],
        )
    model.fit(stream, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False,
              callbacks=[_Watch(on_epoch, should_stop)])
    return model


class _Watch:
    """A Keras callback that ends `fit` when a plain function says so, and passes each finished epoch on."""

    def __new__(cls, on_epoch: Callable[[int, dict[str, float]], None] | None,
                should_stop: Callable[[], bool] | None) -> Any:
        import keras

        class Watch(keras.callbacks.Callback):
            stopped = False

            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                if should_stop is not None and should_stop():
                    self.stopped = True
                    self.model.stop_training = True

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                if on_epoch is not None and not self.stopped:
                    on_epoch(epoch + 1, {key: float(value) for key, value in (logs or {}).items()})

        return Watch()
