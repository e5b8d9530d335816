"""The stroke model's training (`digit_app.strokes.network`): every epoch reported, cancel between batches."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS
from digit_app.strokes.network import BATCH_SIZE, train_stroke_model


def _digits(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Strokes that say their digit plainly: a line whose slope is the label."""
    labels = np.arange(count) % 10
    along = np.linspace(-0.5, 0.5, STROKE_POINTS, dtype=np.float32)
    features = np.zeros((count, STROKE_POINTS, STROKE_FEATURES), np.float32)
    features[:, :, 0] = along
    features[:, :, 1] = along[None] * (labels[:, None] - 4.5) / 5
    features[:, :, 2] = 1.0
    return features, labels


@pytest.mark.slow
def test_each_epoch_is_reported_once_with_its_figures_and_the_model_answers():
    features, labels = _digits(3 * BATCH_SIZE + 5)  # a short last batch in every epoch
    epochs = []
    model = train_stroke_model(features, labels, 3, seed=1, on_epoch=lambda epoch, logs: epochs.append((epoch, logs)))
    assert [epoch for epoch, _ in epochs] == [1, 2, 3]
    assert all({"loss", "accuracy"} <= set(logs) for _, logs in epochs)
    assert epochs[-1][1]["loss"] < epochs[0][1]["loss"]  # it learns across the epochs of the one stream
    assert model.predict(features[:10], verbose=0).shape == (10, 10)


@pytest.mark.slow
def test_a_stop_between_batches_ends_training_without_reporting_the_epoch():
    features, labels = _digits(4 * BATCH_SIZE)
    epochs, asked = [], []

    def stop() -> bool:
        asked.append(True)
        return len(asked) >= 2

    train_stroke_model(features, labels, 5, on_epoch=lambda epoch, logs: epochs.append(epoch), should_stop=stop)
    assert len(asked) == 2 and epochs == []  # stopped after the second batch of the first epoch
