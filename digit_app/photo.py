"""Photos and scans of digits written on paper: even out the light, find the ink, drop the noise.

A phone photo of a page is nothing like a canvas: the paper is grey in one corner and white in
another, the ink is dark, and the sensor adds grain. `photo_ink` turns it into what the rest of
the app reads, white ink on black, by dividing out the paper's own brightness (estimated where
there is no ink) and thresholding what is left with Otsu's method.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import threshold_otsu

WORK_SIDE = 640  # photos are averaged down to about this many pixels on their longer side
PAPER_WINDOW = 1 / 12  # the paper's brightness is measured over windows this share of the longer side
GRAIN_SIGMA = 1.0  # sensor grain is smoothed over about a pixel before anything else
MIN_INK_CONTRAST = 0.2  # darker than the paper around it by less than this is paper, not ink
MIN_SPECK_AREA = 0.1  # ink blobs smaller than this share of the largest one are grain


def photo_ink(image: np.ndarray) -> np.ndarray:
    """Float32 ink in [0, 1], white on black, from a photo or scan of ink on paper (either polarity).

    Uneven light is divided out, what is not clearly darker than the paper around it is dropped,
    and grain smaller than a tenth of the largest stroke is removed. All zeros when there is no ink.
    """
    grey = ndimage.gaussian_filter(_grey(image), GRAIN_SIGMA)
    if np.median(grey) < 0.5:  # light writing on a dark board: make it dark on light
        grey = 1.0 - grey
    window = max(3, int(max(grey.shape) * PAPER_WINDOW))
    # Ink is thinner than the window, so the brightest pixel nearby is paper; smooth that out.
    paper = ndimage.uniform_filter(ndimage.maximum_filter(grey, size=window), size=window)
    contrast = np.clip(1.0 - grey / np.maximum(paper, 1e-3), 0.0, 1.0)
    if contrast.max() < MIN_INK_CONTRAST:
        return np.zeros_like(contrast)
    mask = contrast > max(MIN_INK_CONTRAST, threshold_otsu(contrast))
    labels, count = ndimage.label(mask)
    if count:
        areas = np.bincount(labels.ravel())[1:]
        mask = np.concatenate([[False], areas >= MIN_SPECK_AREA * areas.max()])[labels]
    ink = np.where(mask, contrast, 0.0)
    return (ink / max(float(ink.max()), 1e-6)).astype(np.float32)


def _grey(image: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] at about WORK_SIDE pixels on the longer side."""
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"expected an image array, got one of shape {array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(np.nan_to_num(array.astype(np.float32)) * (255.0 if array.max() <= 1.0 else 1.0), 0, 255)
        array = array.astype(np.uint8)
    picture = Image.fromarray(array[..., :3] if array.ndim == 3 else array).convert("L")
    factor = int(np.ceil(max(picture.size) / WORK_SIDE))
    if factor > 1:
        picture = picture.reduce(factor)
    return np.asarray(picture, dtype=np.float32) / 255.0
