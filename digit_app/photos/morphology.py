"""Flat square (or bar-shaped) grey closings, openings and min/max filters, the same as SciPy's but run by OpenCV.

The photo path takes the paper's light, printed lines and the sheet's shape out with wide flat
windows (up to a twelfth of the page); OpenCV's separable erode and dilate do that several times
faster than `scipy.ndimage` on two cores, with the same windows: every value is exactly
`scipy.ndimage`'s for the same sizes, with SciPy's default edges (a window that reaches past the
picture's edge sees only what is inside it: 'reflect' and 'nearest' give that for a min or a max).
`benchmarks/photos.py --only-large` times the path that uses them.
"""

from __future__ import annotations

import cv2
import numpy as np

Size = tuple[int, int]  # (rows, columns) of the window


def maximum(array: np.ndarray, size: Size, mirrored: bool = False) -> np.ndarray:
    """`scipy.ndimage.maximum_filter(array, size)`; `mirrored`: the window of `grey_dilation` (an even side's
    extra pixel after the centre, not before)."""
    return _filtered(cv2.dilate, array, size, mirrored)


def minimum(array: np.ndarray, size: Size, outside: float | None = None) -> np.ndarray:
    """`scipy.ndimage.minimum_filter(array, size)`; with `outside`, what lies past the edges is that value
    (SciPy's mode="constant", cval=outside)."""
    return _filtered(cv2.erode, array, size, False, outside)


def closing(array: np.ndarray, size: Size) -> np.ndarray:
    """`scipy.ndimage.grey_closing(array, size=size)`: the largest value nearby, then the smallest of those."""
    return minimum(maximum(array, size, mirrored=True), size)


def opening(array: np.ndarray, size: Size) -> np.ndarray:
    """`scipy.ndimage.grey_opening(array, size=size)`: the smallest value nearby, then the largest of those."""
    return maximum(minimum(array, size), size, mirrored=True)


def _filtered(operation, array: np.ndarray, size: Size, mirrored: bool, outside: float | None = None) -> np.ndarray:
    """One OpenCV min or max over a flat window of `size`, placed as SciPy places it; bool in, bool out."""
    rows, columns = (max(1, int(side)) for side in size)
    if rows == 1 and columns == 1:
        return np.array(array, copy=True)
    values = np.ascontiguousarray(array, np.uint8 if array.dtype == bool else None)
    anchor = tuple(side // 2 - (1 if mirrored and side % 2 == 0 else 0) for side in (columns, rows))  # (x, y)
    window = np.ones((rows, columns), np.uint8)
    if outside is None:
        result = operation(values, window, anchor=anchor, borderType=cv2.BORDER_REPLICATE)
    else:
        result = operation(values, window, anchor=anchor, borderType=cv2.BORDER_CONSTANT, borderValue=outside)
    return result.astype(bool) if array.dtype == bool else result
