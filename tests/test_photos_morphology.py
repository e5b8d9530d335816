"""digit_app.photos.morphology gives exactly what scipy.ndimage gives, for the windows the photo path uses."""

import numpy as np
import pytest
from scipy import ndimage

from digit_app.photos import morphology

SIZES = [(1, 1), (1, 7), (3, 1), (5, 5), (4, 6), (18, 18), (13, 20), (40, 40)]


@pytest.fixture
def grey():
    rng = np.random.default_rng(0)
    return ndimage.gaussian_filter(rng.random((61, 87)), 1.5).astype(np.float32)


@pytest.mark.parametrize("size", SIZES)
def test_closing_and_opening_are_scipys(grey, size):
    assert np.array_equal(morphology.closing(grey, size), ndimage.grey_closing(grey, size=size))
    assert np.array_equal(morphology.opening(grey, size), ndimage.grey_opening(grey, size=size))
    assert np.array_equal(morphology.closing(grey, size), ndimage.grey_closing(grey, size=size, mode="nearest"))


@pytest.mark.parametrize("size", SIZES)
def test_minimum_and_maximum_are_scipys(grey, size):
    assert np.array_equal(morphology.maximum(grey, size), ndimage.maximum_filter(grey, size=size))
    assert np.array_equal(morphology.minimum(grey, size), ndimage.minimum_filter(grey, size=size))
    assert np.array_equal(morphology.minimum(grey.astype(np.float64), size),
                          ndimage.minimum_filter(grey.astype(np.float64), size=size))


@pytest.mark.parametrize("size", [(5, 5), (9, 9), (4, 4)])
def test_bool_and_a_constant_outside_are_scipys(grey, size):
    marks = grey > np.median(grey)
    shrunk = morphology.minimum(marks, size, outside=False)
    assert shrunk.dtype == bool
    assert np.array_equal(shrunk, ndimage.minimum_filter(marks, size=size, mode="constant", cval=False))
    assert np.array_equal(morphology.maximum(morphology.minimum(marks, size), size),
                          ndimage.maximum_filter(ndimage.minimum_filter(marks, size=size), size=size))
    assert not shrunk[0].any()  # nothing on the edge survives a False outside


def test_the_input_is_left_alone(grey):
    before = grey.copy()
    morphology.closing(grey, (1, 1))[:] = 0
    morphology.closing(grey, (9, 9))
    assert np.array_equal(grey, before)
