"""SciPy's flat grey closings, openings, min/max filters and Gaussian smoothing, run by OpenCV for the photo path.

The photo path takes the paper's light, printed lines and the sheet's shape out with wide flat
windows (up to a twelfth of the page) and smooths grain away; OpenCV's separable filters do that
several times faster than `scipy.ndimage` on two cores. The flat filters give exactly
`scipy.ndimage`'s values for the same sizes, with SciPy's default edges (a window that reaches
past the picture's edge sees only what is inside it: 'reflect' and 'nearest' give that for a min
or a max); the Gaussian has SciPy's kernel and reflected edges, and differs by a rounding (one
float32 unit) at most. `benchmarks/photos.py --only-large` times the path that uses them.
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


def gaussian(array: np.ndarray, sigma: float) -> np.ndarray:
    """`scipy.ndimage.gaussian_filter(array, sigma)` of a float picture (its kernel: truncated at 4 sigmas; its edges:
    'reflect'), to a rounding."""
    radius = int(GAUSSIAN_TRUNCATE * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * offsets**2 / sigma**2)
    kernel /= kernel.sum()
    values = np.ascontiguousarray(array)
    return cv2.sepFilter2D(values, -1, kernel, kernel, borderType=cv2.BORDER_REFLECT)


GAUSSIAN_TRUNCATE = 4.0  # scipy.ndimage.gaussian_filter's default


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
