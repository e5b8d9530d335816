"""One digit's strokes as the stroke model's input: 64 points along the pen's path, pen lifts kept."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.strokes.features import STROKE_POINTS, resample, stroke_features


def test_resampling_measures_length_not_point_count():
    # The same L drawn with 3 points and with 300: the same 64 points along it.
    coarse = [np.array([[0, 0], [0, 100], [50, 100]], np.float32)]
    down, across = np.linspace(0, 1, 200)[:, None], np.linspace(0, 1, 100)[1:, None]
    fine = [np.concatenate([down * [0, 100], [0, 100] + across * [50, 0]]).astype(np.float32)]
    np.testing.assert_allclose(resample(coarse), resample(fine), atol=1e-3)
    points = resample(coarse)
    assert points.shape == (STROKE_POINTS, 3)
    # two thirds of the length is the down stroke: about two thirds of the points have x at the left
    assert abs((points[:, 0] < -0.24).mean() - 2 / 3) < 0.05


def test_pen_lifts_are_kept_as_moves_with_the_pen_up():
    bar = np.array([[0, 50], [100, 50]], np.float32)
    stem = np.array([[50, 0], [50, 100]], np.float32)
    points = resample([bar, stem])
    pen = points[:, 2]
    assert pen[0] == 1 and pen[-1] == 1 and (pen == 0).sum() > 5  # the move from the bar's end to the stem's top
    reverse = resample([stem, bar])
    assert not np.allclose(points, reverse)  # drawing order matters


def test_features_keep_the_aspect_and_ignore_size_and_place():
    one = [np.array([[10, 10], [12, 110]], np.float32)]
    moved = [one[0] * 2 + 300]
    np.testing.assert_allclose(stroke_features(one), stroke_features(moved), atol=1e-5)
    x, y = stroke_features(one)[:, 0], stroke_features(one)[:, 1]
    assert np.ptp(y) == pytest.approx(1.0) and np.ptp(x) < 0.05  # a 1 stays thin
    dot = stroke_features([np.array([[5, 5]], np.float32)])
    assert np.isfinite(dot).all() and np.allclose(dot[:, :2], 0)
