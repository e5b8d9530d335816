"""Augmentation: identity at zero, each setting changes digits."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from digit_app.training import Variations
from digit_app.training.augment import build_augmenter


@pytest.fixture(scope="module")
def batch(mnist_sample) -> np.ndarray:
    return (mnist_sample["x_train"][:32].astype(np.float32) / 255.0)[..., None]


def test_all_zero_is_the_identity(batch):
    none = Variations.none()
    assert none.is_identity()
    out = np.asarray(build_augmenter(none, seed=1)(batch))
    assert np.allclose(out, batch, atol=1e-6)


@pytest.mark.parametrize("setting", ["rotation", "shift", "zoom", "stretch", "shear", "elastic", "thickness", "noise"])
def test_each_setting_changes_the_digits_and_keeps_them_digits(batch, setting):
    limits = {"rotation": 20.0, "shift": 0.1, "zoom": 0.2, "stretch": 0.2, "shear": 0.3, "elastic": 1.0,
              "thickness": 1.0, "noise": 0.1}
    config = dataclasses.replace(Variations.none(), **{setting: limits[setting]})
    out = np.asarray(build_augmenter(config, seed=3)(batch))
    assert out.shape == batch.shape and out.min() >= 0.0 and out.max() <= 1.0
    changed = np.abs(out - batch).mean(axis=(1, 2, 3)) > 1e-3
    assert changed.mean() > 0.8  # nearly every digit changed ...
    ink_kept = out.sum(axis=(1, 2, 3)) / batch.sum(axis=(1, 2, 3))
    assert np.median(ink_kept) > 0.5  # ... but is still there, not pushed out or mirrored


def test_images_in_a_batch_stay_themselves(batch):
    """No digit is copied over another (Keras' elastic layer does that inside tf.data)."""
    import tensorflow as tf

    augment = build_augmenter(dataclasses.replace(Variations.none(), elastic=0.5), seed=5)
    out = next(iter(tf.data.Dataset.from_tensor_slices(batch).batch(32).map(augment))).numpy()[..., 0]
    flat_in, flat_out = batch[..., 0].reshape(32, -1), out.reshape(32, -1)
    closeness = np.corrcoef(flat_out, flat_in)[:32, 32:]
    assert np.mean(closeness.argmax(axis=1) == np.arange(32)) > 0.8
    distances = np.abs(flat_out[:, None] - flat_out[None]).sum(axis=2) + np.eye(32) * 1e9
    assert distances.min() > 1.0


@pytest.mark.parametrize("bad", [{"rotation": -1.0}, {"rotation": 720.0}, {"zoom": 2.0}, {"redraw": 1.5}])
def test_out_of_range_settings_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Variations(**bad)


def test_bilinear_sampling_reads_pixels_between_pixels_and_zero_outside():
    from digit_app.training.augment import sample_bilinear

    images = np.random.default_rng(0).random((2, 28, 28, 1)).astype(np.float32)
    rows, cols = np.meshgrid(np.arange(28, dtype=np.float32), np.arange(28, dtype=np.float32), indexing="ij")
    rows, cols = np.broadcast_to(rows, (2, 28, 28)), np.broadcast_to(cols, (2, 28, 28))
    assert np.allclose(sample_bilinear(images, rows, cols), images, atol=1e-6)  # each pixel at its own place
    halfway = np.asarray(sample_bilinear(images, rows, cols + 0.5))[..., 0]
    assert np.allclose(halfway[:, :, :27], (images[:, :, :27, 0] + images[:, :, 1:, 0]) / 2, atol=1e-6)
    assert np.allclose(halfway[:, :, 27], images[:, :, 27, 0] / 2, atol=1e-6)  # half of it beyond the edge
    assert np.all(np.asarray(sample_bilinear(images, rows + 40, cols - 100)) == 0)  # far outside: no ink


def test_thickening_spreads_ink_as_a_3x3_maximum_and_the_wobble_enlarges_as_bicubic_resizing():
    import tensorflow as tf

    from digit_app.training.augment import ELASTIC_GRID, _bicubic_enlarging, _spread

    images = np.random.default_rng(1).random((3, 28, 28, 1)).astype(np.float32)
    assert np.allclose(_spread(images), tf.nn.max_pool2d(images, 3, 1, "SAME"))
    coarse = np.random.default_rng(2).normal(size=(3, ELASTIC_GRID, ELASTIC_GRID, 2)).astype(np.float32)
    enlarge = _bicubic_enlarging()
    assert np.allclose(np.einsum("ia,nabk,jb->nijk", enlarge, coarse, enlarge),
                       tf.image.resize(coarse, (28, 28), method="bicubic"), atol=1e-5)
