"""Marks found on a page that are not writing: grain that just passed for ink, and what the page's edge cut off.

A blank page still has marks that pass for ink now and then: a patch of grain in a bright corner,
barely darker than the ink's least level and far smaller than any digit, or a sliver of table or a
hard shadow's edge that the sheet finding left inside the page, cut off by the page's edge. The
line reader reads anything it is given as digits, so these are told apart before (dust) and after
(an unsure reading at the edge) reading.
"""

from __future__ import annotations

import numpy as np

FAINT_DUST = 0.3  # a line whose ink's darker tenth is fainter than this (the ink's least level is 0.2) ...
TINY_DUST = 0.02  # ... and which is shorter than this share of the page's longer side is grain, not writing
EDGE_TOUCH = 2  # px: a line's ink this near the band left out at the page's edges touches the edge


def is_dust(darkness: np.ndarray, marks: np.ndarray, page_side: int) -> bool:
    """Whether a line's marks (bool, over `darkness`, the page's darkness cut to the line's box) are grain:
    both faint and tiny (written digits are much darker, or taller, or both)."""
    if not marks.any():
        return True
    rows = np.flatnonzero(marks.any(axis=1))
    tall = (rows[-1] + 1 - rows[0]) / max(page_side, 1)
    return bool(float(np.quantile(darkness[marks], 0.9)) < FAINT_DUST and tall < TINY_DUST)


def touches_edge(marks: np.ndarray, near_edge: np.ndarray) -> bool:
    """Whether a line's marks reach the page's edge band (`near_edge`, the same box of the page): cut off by it."""
    return bool((marks & near_edge).any())
