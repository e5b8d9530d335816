"""How training digits are varied (`Variations`), and the tf.data-friendly ops that apply it to batches of digits.

`Variations` travels from the Retrain page, the command line and the model metadata alike.
Every image op works on whole batches inside `tf.data` (no Python loop per image); all zeros is
the identity. Keras' own layers are used with `fill_mode="constant"`: their default, "reflect",
would mirror strokes into the empty border.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from digit_app.errors import SettingsError
from digit_app.sizes import MNIST_SIDE as IMAGE_SIZE

ELASTIC_GRID = 4  # the random displacement is drawn on a 4x4 grid and smoothly enlarged ...
ELASTIC_PIXELS = 1.5  # ... with a standard deviation of 1.5 px at strength 1
THIN_CUT = 0.6  # at thickness 1, ink below 0.6 is cut away: about a pixel thinner


@dataclass(frozen=True)
class Variations:
    """How the training digits are varied: random changes to each image of each batch (rotation to noise; each
    value a maximum, drawn per image), and copies added once before training (redraw, styles, pen: shares)."""

    rotation: float = 12.0  # degrees either way
    shift: float = 0.08  # fraction of the image either way
    zoom: float = 0.1  # fraction bigger or smaller
    stretch: float = 0.15  # extra widening or narrowing, fraction of the width
    shear: float = 0.2  # slant, as a fraction of the height
    elastic: float = 0.5  # strength of a wobbly, hand-like distortion, 0..1
    thickness: float = 1.0  # thinner or thicker strokes, 0..1 (1 = up to 2 px thicker, 1 px thinner)
    # (at 0.5, MNIST's thick-penned 1s were read as 8s: 19 of the 108 test errors)
    noise: float = 0.0  # standard deviation of added pixel noise
    redraw: float = 0.1  # share of digits also redrawn with the app's own pen, 0..1
    styles: float = 0.5  # share of 1s, 5s and 7s also given a flag, crossbar or pen join, 0..1
    pen: float = 0.1  # share of digits also retraced as a coarse pen polygon (digit_app.training.pen), 0..1

    def __post_init__(self) -> None:
        limits = {
            "rotation": 180.0,
            "shift": 0.5,
            "zoom": 0.9,
            "stretch": 0.9,
            "shear": 1.0,
            "elastic": 1.0,
            "thickness": 1.0,
            "noise": 1.0,
            "redraw": 1.0,
            "styles": 1.0,
            "pen": 1.0,
        }
        for name, limit in limits.items():
            value = getattr(self, name)
            if not 0.0 <= value <= limit:
                raise SettingsError(f"augmentation {name} must be between 0 and {limit}, got {value}")

    @classmethod
    def none(cls) -> Variations:
        """No augmentation at all."""
        return cls(**{name: 0.0 for name in asdict(cls())})

    def is_identity(self) -> bool:
        """True when the settings leave every image unchanged."""
        return all(value == 0.0 for value in asdict(self).values())

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def build_augmenter(config: Variations, seed: int | None = None) -> Any:
    """A callable mapping a float32 batch (n, 28, 28, 1) in [0, 1] to an augmented batch.

    Rotation, slant, zoom, stretch and shift are composed into one affine transform per image,
    so each digit is resampled once (five Keras layers in a row would blur it five times).
    """
    import keras
    import tensorflow as tf

    generator = (tf.random.Generator.from_seed(seed) if seed is not None
                 else tf.random.Generator.from_non_deterministic_state())
    geometric = any((config.rotation, config.shear, config.zoom, config.stretch, config.shift))

    def augment(images: Any) -> Any:
        if config.thickness:
            images = _vary_thickness(images, config.thickness, generator)
        if config.elastic:
            images = _elastic(images, config.elastic, generator)
        if geometric:
            transforms = _affine_transforms(tf.shape(images)[0], config, generator)
            images = keras.ops.image.affine_transform(images, transforms, fill_mode="constant", fill_value=0.0)
        if config.noise:
            images = images + generator.normal(tf.shape(images), stddev=config.noise)
        return tf.clip_by_value(images, 0.0, 1.0)

    return augment


def _affine_transforms(count: Any, config: Variations, generator: Any) -> Any:
    """(n, 8) projective transforms mapping each output pixel back to where it comes from."""
    import math

    import tensorflow as tf

    def draw(limit: float) -> Any:
        return generator.uniform((count,), -limit, limit)

    angle = draw(math.radians(config.rotation))
    slant = draw(config.shear)
    scale_y = 1.0 + draw(config.zoom)
    scale_x = scale_y * (1.0 + draw(config.stretch))
    shift_x, shift_y = draw(config.shift * IMAGE_SIZE), draw(config.shift * IMAGE_SIZE)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Inverse of (scale . slant . rotation): undo rotation, then slant, then scale.
    a0, a1 = (cos + slant * sin) / scale_x, (sin - slant * cos) / scale_x
    b0, b1 = -sin / scale_y, cos / scale_y
    centre = (IMAGE_SIZE - 1) / 2.0
    a2 = centre - a0 * (centre + shift_x) - a1 * (centre + shift_y)
    b2 = centre - b0 * (centre + shift_x) - b1 * (centre + shift_y)
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def _elastic(images: Any, strength: float, generator: Any) -> Any:
    """Wobble each digit by a smooth random displacement field, sampled bilinearly.

    The field is drawn on a 4x4 grid and enlarged bicubically by one matrix product on each side
    (the same numbers as `tf.image.resize`, for a fraction of its work). Keras' RandomElasticTransform
    would do, but inside tf.data it copies one image over most of the batch, in Keras 3.15.
    """
    import tensorflow as tf

    count = tf.shape(images)[0]
    coarse = generator.normal((count, ELASTIC_GRID, ELASTIC_GRID, 2)) * (strength * ELASTIC_PIXELS)
    enlarge = tf.constant(_bicubic_enlarging())
    field = tf.einsum("ia,nabk,jb->nijk", enlarge, coarse, enlarge)
    rows, cols = tf.meshgrid(tf.range(IMAGE_SIZE, dtype=tf.float32), tf.range(IMAGE_SIZE, dtype=tf.float32),
                             indexing="ij")
    return sample_bilinear(images, rows + field[..., 0], cols + field[..., 1])


@functools.cache
def _bicubic_enlarging() -> np.ndarray:
    """The (28, 4) matrix that enlarges 4 values to 28 as `tf.image.resize(..., method="bicubic")` does."""
    import tensorflow as tf

    with tf.init_scope():  # worked out once, eagerly, even when first asked for inside a tf.data graph
        basis = tf.eye(ELASTIC_GRID)[None, :, :, None]  # each of the 4 grid values alone, as 4 columns
        return tf.image.resize(basis, (IMAGE_SIZE, ELASTIC_GRID), method="bicubic")[0, :, :, 0].numpy()


def sample_bilinear(images: Any, source_y: Any, source_x: Any) -> Any:
    """Each output pixel of each image (n, 28, 28, 1) read bilinearly at (source_y, source_x), each (n, 28, 28), in
    pixels; ink outside the image is 0. The four neighbours come from one gather on the flattened batch."""
    import tensorflow as tf

    side = IMAGE_SIZE + 2  # a zero border for samples outside
    flat = tf.reshape(tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]]), [-1])
    first = (tf.range(tf.shape(images)[0]) * side * side)[:, None, None]
    top, left = tf.floor(source_y), tf.floor(source_x)
    weight_y, weight_x = source_y - top, source_x - left

    def index(y: Any, x: Any) -> Any:
        y = tf.cast(tf.clip_by_value(y + 1, 0, side - 1), tf.int32)
        x = tf.cast(tf.clip_by_value(x + 1, 0, side - 1), tf.int32)
        return first + y * side + x

    corners = tf.gather(flat, tf.stack([index(top, left), index(top, left + 1),
                                        index(top + 1, left), index(top + 1, left + 1)]))
    upper = corners[0] * (1 - weight_x) + corners[1] * weight_x
    lower = corners[2] * (1 - weight_x) + corners[3] * weight_x
    return (upper * (1 - weight_y) + lower * weight_y)[..., None]


def _vary_thickness(images: Any, amount: float, generator: Any) -> Any:
    """Make strokes thicker (blend toward the 3x3 neighbourhood's most ink) or thinner (raise the ink threshold)."""
    import tensorflow as tf

    share = generator.uniform((tf.shape(images)[0], 1, 1, 1), -amount, amount)
    thicker = images + share * (_spread(images) - images)
    cut = -share * THIN_CUT
    thinner = (images - cut) / (1.0 - cut)
    return tf.clip_by_value(tf.where(share >= 0, thicker, thinner), 0.0, 1.0)


def _spread(images: Any) -> Any:
    """Each pixel's 3x3 neighbourhood's most ink (ink is never negative, so a zero border changes nothing): a
    3x3 max pool done as two passes of shifted maxima, several times cheaper here than `max_pool2d` on one channel."""
    import tensorflow as tf

    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    rows = tf.maximum(tf.maximum(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])
    return tf.maximum(tf.maximum(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def preview_grid(digits: np.ndarray, config: Variations, columns: int = 8, seed: int = 0) -> np.ndarray:
    """Augmented copies of `digits` (n, 28, 28) tiled in a grid (float32, white on black, 2 px gaps).

    Shows what the online augmentation does to a batch; styled, redrawn and retraced copies are not shown.
    """
    batch = np.asarray(digits, dtype=np.float32)
    batch = (batch / 255.0 if batch.max() > 1.0 else batch)[..., None]
    if not config.is_identity():
        batch = np.asarray(build_augmenter(config, seed)(batch))
    rows = int(np.ceil(len(batch) / columns))
    cell = IMAGE_SIZE + 2
    grid = np.zeros((rows * cell, columns * cell), np.float32)
    for index, image in enumerate(batch[..., 0]):
        top, left = (index // columns) * cell + 1, (index % columns) * cell + 1
        grid[top : top + IMAGE_SIZE, left : left + IMAGE_SIZE] = image
    return grid
