"""Printed lines on paper (ruled and squared paper, a margin line, a sheet's own edge) taken out of the ink.

A printed line runs straight across the page; no digit does. Along each row (and each column),
the darkness that continues unbroken over a long run is a line's, and it is subtracted: where a
digit crosses the line its ink, darker than the line, stays. Only lines that cross at least half
the page are taken out, so a long bar of a big 7 is left alone.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

RUN = 0.08  # a printed line is dark over unbroken runs at least this share of the page's side ...
SPAN = 0.5  # ... and crosses at least this share of it
WOBBLE = 3  # px: a line may wander this much up or down over a run (a page a little bent or turned)
FAINT = 0.03  # darkness below this is not part of a line


def remove_ruling(darkness: np.ndarray) -> np.ndarray:
    """The darkness map (0 paper, 1 darkest ink) of a level page without its printed lines across or down."""
    across = _printed_lines(darkness)
    down = _printed_lines(darkness.T).T
    return np.clip(darkness - np.maximum(across, down), 0.0, None)


def _printed_lines(darkness: np.ndarray) -> np.ndarray:
    """How dark the lines running across the page (along its rows) are, at each pixel; zero elsewhere."""
    width = darkness.shape[1]
    run = max(3, int(RUN * width))
    widened = ndimage.maximum_filter1d(darkness, WOBBLE, axis=0)  # a slightly wavy line stays in one band
    lines = ndimage.grey_opening(widened, size=(1, run))
    labels, count = ndimage.label(lines > FAINT)
    if count == 0:
        return np.zeros_like(darkness)
    spans = np.array([box[1].stop - box[1].start for box in ndimage.find_objects(labels)])
    crossing = np.concatenate([[False], spans >= SPAN * width])
    return np.where(crossing[labels], lines, 0.0).astype(darkness.dtype)
