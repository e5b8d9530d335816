"""Printed lines on paper (ruled and squared paper, a margin line, a sheet's own edge) taken out of the ink.

A printed line runs straight across the page; no digit does. Along each row (and each column),
the darkness that continues unbroken over a long run is a line's, and it is subtracted, but never
more than the line's own darkness: where a digit crosses the line, or lies along it, its ink,
darker than the line, stays. Only thin lines that cross nearly all of the page are taken out, so
a long bar of a big 7, or a 1 written as tall as the photo, is left alone.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digit_app.photos import filters

RUN = 0.08  # a printed line is dark over unbroken runs at least this share of the page's side ...
SPAN = 0.85  # ... crosses nearly all of it (how far the page reaches there) ...
THIN = 0.015  # ... and is thinner than this share of it (a pen's 1 written as tall as the photo is thicker)
WOBBLE = 3  # px: a line may wander this much up or down over a run (a page a little bent or turned)
FAINT = 0.03  # darkness below this is not part of a line
LINE_PERCENTILE = 25  # a printed line's own darkness: this percentile of it (digits crossing it are darker) ...
LINE_SPREAD = 1.3  # ... times this much: it is no darker than that anywhere along it


def remove_ruling(darkness: np.ndarray, page: np.ndarray | None = None, side: float | None = None) -> np.ndarray:
    """The darkness map (0 paper, 1 darkest ink) of a level page without its printed lines across or down.

    `page` (boolean, the same shape) is where the page is, when it was turned and does not fill
    the picture: a line is measured against how far the page reaches where the line is. `side`
    is the page's side in pixels that THIN is a share of, when the map is a strip cut from a page
    (None: the map's own width, and height for lines down it).
    """
    page = np.ones(darkness.shape, bool) if page is None else page
    across = _printed_lines(darkness, page, side)
    down = _printed_lines(darkness.T, page.T, side).T
    return np.clip(darkness - np.maximum(across, down), 0.0, None)


def _printed_lines(darkness: np.ndarray, page: np.ndarray, side: float | None) -> np.ndarray:
    """How dark the lines running across the page (along its rows) are, at each pixel; zero elsewhere."""
    width = darkness.shape[1]
    run = max(3, int(RUN * width))
    widened = filters.maximum(darkness, (WOBBLE, 1))  # a slightly wavy line stays in one band
    lines = filters.opening(widened, (1, run))
    labels, count = ndimage.label(lines > FAINT)
    if count == 0:
        return np.zeros_like(darkness)
    reach = page.sum(axis=1)  # how wide the page is, row by row
    boxes = ndimage.find_objects(labels)
    spans = np.array([box[1].stop - box[1].start for box in boxes])
    share = spans / np.maximum([reach[box[0]].max() for box in boxes], 1)
    thickness = np.bincount(labels.ravel(), minlength=count + 1)[1:] / np.maximum(spans, 1)
    printed = (share >= SPAN) & (thickness <= THIN * (side or darkness.shape[1]))
    # A digit's bar lying along a line is as long a run as the line: take away only as much as the line's own darkness.
    own = np.zeros(count + 1)
    for label in np.flatnonzero(printed) + 1:
        box = boxes[label - 1]
        own[label] = np.percentile(lines[box][labels[box] == label], LINE_PERCENTILE) * LINE_SPREAD
    return np.minimum(lines, own[labels]).astype(darkness.dtype)
