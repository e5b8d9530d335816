"""digit_app.photos.filters gives what scipy.ndimage gives (the flat filters exactly) for the photo path's windows."""

import numpy as np
import pytest
from scipy import ndimage

from digit_app.photos import filters

SIZES = [(1, 1), (1, 7), (3, 1), (5, 5), (4, 6), (18, 18), (13, 20), (40, 40)]


@pytest.fixture
def grey():
    rng = np.random.default_rng(0)
    return ndimage.gaussian_filter(rng.random((61, 87)), 1.5).astype(np.float32)


@pytest.mark.parametrize("size", SIZES)
def test_closing_and_opening_are_scipys(grey, size):
    assert np.array_equal(filters.closing(grey, size), ndimage.grey_closing(grey, size=size))
    assert np.array_equal(filters.opening(grey, size), ndimage.grey_opening(grey, size=size))
    assert np.array_equal(filters.closing(grey, size), ndimage.grey_closing(grey, size=size, mode="nearest"))


@pytest.mark.parametrize("size", SIZES)
def test_minimum_and_maximum_are_scipys(grey, size):
    assert np.array_equal(filters.maximum(grey, size), ndimage.maximum_filter(grey, size=size))
    assert np.array_equal(filters.minimum(grey, size), ndimage.minimum_filter(grey, size=size))
    assert np.array_equal(filters.minimum(grey.astype(np.float64), size),
                          ndimage.minimum_filter(grey.astype(np.float64), size=size))


@pytest.mark.parametrize("size", [(5, 5), (9, 9), (4, 4)])
def test_bool_and_a_constant_outside_are_scipys(grey, size):
    marks = grey > np.median(grey)
    shrunk = filters.minimum(marks, size, outside=False)
    assert shrunk.dtype == bool
    assert np.array_equal(shrunk, ndimage.minimum_filter(marks, size=size, mode="constant", cval=False))
    assert np.array_equal(filters.maximum(filters.minimum(marks, size), size),
                          ndimage.maximum_filter(ndimage.minimum_filter(marks, size=size), size=size))
    assert not shrunk[0].any()  # nothing on the edge survives a False outside


def test_the_input_is_left_alone(grey):
    before = grey.copy()
    filters.closing(grey, (1, 1))[:] = 0
    filters.closing(grey, (9, 9))
    assert np.array_equal(grey, before)


@pytest.mark.parametrize("sigma", [1.0, 2.0, 0.6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_gaussian_is_scipys_to_a_rounding(grey, sigma, dtype):
    picture = grey.astype(dtype)
    picture[20:30, 40:44] = 1.0  # an edge: a wrong kernel or border would show
    smoothed = filters.gaussian(picture, sigma)
    assert smoothed.dtype == dtype and smoothed.shape == picture.shape
    assert np.abs(smoothed - ndimage.gaussian_filter(picture, sigma)).max() < 1e-6
    assert np.abs(filters.gaussian(picture[::-1], sigma)[::-1] - smoothed).max() < 1e-6  # no shift either way
