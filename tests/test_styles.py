"""Handwriting styles drawn onto MNIST digits: flagged 1s, crossed 7s, joined 5s."""

from __future__ import annotations

import numpy as np

from digit_app.training.styles import add_styles


def test_styles_add_strokes_to_ones_fives_and_sevens(mnist_sample):
    images, labels = mnist_sample["x_train"], mnist_sample["y_train"]
    styled, styled_labels = add_styles(images, labels, share=1.0, seed=0)
    assert set(np.unique(styled_labels)) <= {1, 5, 7}
    assert len(styled) >= 0.8 * np.isin(labels, [1, 5, 7]).sum()
    assert styled.dtype == np.uint8 and styled.shape[1:] == (28, 28)
    originals = images[np.isin(labels, [1, 5, 7])]
    assert styled.astype(float).sum() / len(styled) > originals.astype(float).sum() / len(originals)  # more ink
