"""MNIST digits redrawn the way the Draw page feeds a drawing to the model (digit_app/training/redrawn.py)."""

from __future__ import annotations

import numpy as np

from digit_app.training.redrawn import redraw_digits


def test_redraw_gives_mnist_inputs_for_the_chosen_share(mnist_sample):
    chosen, redrawn = redraw_digits(mnist_sample["x_train"][:40], share=0.5, seed=0)
    assert len(chosen) == len(redrawn) == 20
    assert redrawn.shape[1:] == (28, 28) and 0.0 <= redrawn.min() and redrawn.max() <= 1.0


def test_the_same_seed_redraws_the_same_digits_and_another_seed_others(mnist_sample):
    images = mnist_sample["x_train"][:40]
    first, again, other = (redraw_digits(images, share=0.25, seed=seed) for seed in (1, 1, 2))
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
