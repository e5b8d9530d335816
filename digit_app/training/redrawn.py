"""MNIST digits redrawn the way the Draw page feeds a drawing to the model: copies added to the training images.

Its own module, so that the copies kept on disk (`drawn_cache.kept_copies`) are named by this code
and what it calls, and an edit to the online augmentation (`augment`) does not make them again.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from digit_app.preprocess import SUPERSAMPLE, EmptyDrawingError, UnreadableDrawingError, to_mnist
from digit_app.sizes import MNIST_SIDE as IMAGE_SIZE


def redraw_digits(images: np.ndarray, share: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Redraw a random `share` of MNIST digits the way the Draw page feeds them to the model.

    Each chosen digit is widened by a random amount, up to square (people and tablets draw wide
    digits: a "1" with a flag, a sprawling "7"), then passed through `to_mnist`, which thins it to
    its centre line and redraws it with a uniform pen. Training on these beside the originals
    teaches the model what canvas input looks like. Returns (indices, redrawn digits float32).
    """
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(len(images))[: int(round(share * len(images)))])
    kept, out = [], []
    for index in chosen:
        digit = Image.fromarray(np.asarray(images[index], dtype=np.float32))
        box = digit.getbbox() or (0, 0, IMAGE_SIZE, IMAGE_SIZE)
        aspect = (box[3] - box[1]) / max(1, box[2] - box[0])  # height over width
        widen = rng.uniform(1.0, max(1.0, aspect))
        wide = digit.resize((round(IMAGE_SIZE * SUPERSAMPLE * widen), IMAGE_SIZE * SUPERSAMPLE),
                            Image.Resampling.BILINEAR)
        try:
            out.append(to_mnist(np.asarray(wide)))
        except (EmptyDrawingError, UnreadableDrawingError):
            continue
        kept.append(index)
    return np.asarray(kept, dtype=np.int64), np.asarray(out, dtype=np.float32).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
