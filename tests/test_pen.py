"""Pen retracing: skeletons walked the way a pen goes, resampled, and drawn as MNIST digits."""

from __future__ import annotations

import numpy as np

from digit_app.training.pen import resample, retrace_digits, trace_path


def line_image(*segments: tuple[tuple[int, int], tuple[int, int]], size: int = 40) -> np.ndarray:
    """A one-pixel-wide skeleton made of straight (row, column) segments."""
    image = np.zeros((size, size), dtype=bool)
    for (r0, c0), (r1, c1) in segments:
        steps = max(abs(r1 - r0), abs(c1 - c0)) + 1
        image[np.linspace(r0, r1, steps).round().astype(int), np.linspace(c0, c1, steps).round().astype(int)] = True
    return image


def test_a_single_stroke_is_walked_from_its_top_end_to_the_other_without_going_back():
    skeleton = line_image(((5, 5), (5, 30)), ((5, 30), (35, 10)))  # a 7 without a bar
    path, retraced = trace_path(skeleton)
    assert tuple(path[0]) == (5, 5) and tuple(path[-1]) == (35, 10)
    assert retraced == 0.0
    assert len(path) == skeleton.sum()  # every pixel once
    assert np.abs(np.diff(path, axis=0)).max() <= 1  # always to a neighbour: one connected pen stroke


def test_a_branch_is_gone_back_over_and_every_pixel_is_visited():
    skeleton = line_image(((5, 20), (35, 20)), ((20, 20), (20, 35)))  # a stem with a bar to the right
    path, retraced = trace_path(skeleton)
    assert {tuple(p) for p in path.astype(int)} == {tuple(p) for p in np.argwhere(skeleton)}
    assert 0.0 < retraced < 0.5
    assert np.abs(np.diff(path, axis=0)).max() <= 1


def test_separate_strokes_are_joined_by_one_straight_move():
    skeleton = line_image(((5, 5), (35, 5)), ((5, 30), (35, 30)))
    path, _ = trace_path(skeleton)
    jumps = np.abs(np.diff(path, axis=0)).max(axis=1)
    assert (jumps > 1).sum() == 1
    assert len({tuple(p) for p in path.astype(int)}) == skeleton.sum()


def test_resampling_keeps_the_ends_and_spaces_points_evenly_along_the_path():
    path = np.array([[0, 0], [0, 10], [10, 10]], dtype=np.float32)
    points = resample(path, 5)
    assert points.shape == (5, 2)
    assert np.allclose(points[0], [0, 0]) and np.allclose(points[-1], [10, 10])
    assert np.allclose(points[2], [0, 10])  # half way along is the corner
    assert np.allclose(np.linalg.norm(np.diff(points, axis=0), axis=1), 5.0)


def test_retraced_digits_are_mnist_inputs_the_model_still_reads_as_their_digit(mnist_sample, classifier):
    images, labels = mnist_sample["x_train"][:120], mnist_sample["y_train"][:120]
    chosen, retraced = retrace_digits(images, share=1.0, seed=0)
    assert len(chosen) == len(retraced) >= 0.4 * len(images)  # tangled skeletons are skipped, most are not
    assert retraced.shape[1:] == (28, 28) and retraced.min() >= 0.0 and retraced.max() <= 1.0
    assert not np.allclose(retraced, images[chosen] / 255.0, atol=0.1)  # really redrawn
    read = classifier.predict_proba(retraced).argmax(axis=1)
    assert np.mean(read == labels[chosen]) >= 0.85  # a coarse polygon of a digit is still that digit


def test_the_share_and_the_seed_decide_which_digits_are_retraced(mnist_sample):
    images = mnist_sample["x_train"][:60]
    first, _ = retrace_digits(images, share=0.5, seed=1)
    again, _ = retrace_digits(images, share=0.5, seed=1)
    other, _ = retrace_digits(images, share=0.5, seed=2)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert len(first) <= 30
