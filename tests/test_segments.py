"""The segment judge: which runs of strokes in a whole number are one whole digit."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from digit_app.prediction import read_number_strokes
from digit_app.strokes import segments
from digit_app.strokes.canvas import CanvasStroke
from digit_app.strokes.pen_digits import load_pen_digits
from digit_app.strokes.pen_numbers import write_number
from digit_app.strokes.segments import SEGMENT_SHAPE, number_runs, segment_features, shipped_segment_judge

NUMBER_SIZE = (560, 200)


def line(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y1]], np.float32)


def test_number_runs_mark_only_complete_digits_as_whole():
    """A 4 of two strokes then a 1 of one: runs (0), (0 1), (0 1 2), (1), (1 2), (2); whole: (0 1) and (2)."""
    four, one = [line(0, 0, 0, 50), line(-10, 30, 20, 30)], [line(40, 0, 40, 60)]
    runs, whole = number_runs([four, one])
    assert runs == [[0], [0, 1], [0, 1, 2], [1], [1, 2], [2]]
    assert whole.tolist() == [0, 1, 0, 0, 0, 1]


def test_segment_features_say_how_wide_and_tall_a_run_is_beside_the_number():
    strokes = [line(0, 0, 0, 100), line(10, 50, 60, 50), line(100, 0, 100, 80)]
    features = segment_features(strokes, [[0], [1, 2]])
    assert features.shape == (2, *SEGMENT_SHAPE)
    np.testing.assert_allclose(features[0, 0, -3:], [0.0, 1.0, 1 / 3], atol=1e-6)
    np.testing.assert_allclose(features[1, 0, -3:], [0.9, 0.8, 2 / 3], atol=1e-6)


def test_the_shipped_judge_tells_whole_digits_from_touching_pairs_and_halves():
    """Numbers by writers it never saw, written touching: whole digits score high, every other run low."""
    judge = shipped_segment_judge()
    assert judge is not None
    pen = load_pen_digits().held_out()
    rng = np.random.default_rng(3)
    scores, truth = [], []
    for _ in range(30):
        writer = rng.choice(np.unique(pen.writers))
        chosen = rng.choice(np.flatnonzero(pen.writers == writer), 3, replace=False)
        written = write_number([pen.strokes[i] for i in chosen], rng, close=True)
        runs, whole = number_runs(written)
        scores.append(judge([s for digit in written for s in digit], runs))
        truth.append(whole)
    scores, truth = np.concatenate(scores), np.concatenate(truth).astype(bool)
    assert np.mean(scores[truth] > 0.5) > 0.9
    assert np.mean(scores[~truth] < 0.5) > 0.9


def test_without_a_usable_judge_numbers_are_still_read(classifier, tmp_path, monkeypatch, caplog):
    broken = tmp_path / "segments.tflite"
    broken.write_bytes(b"not a flatbuffer")
    monkeypatch.setattr(segments, "SEGMENTS_FILE", broken)
    shipped_segment_judge.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert shipped_segment_judge() is None
        assert "grouped without it" in caplog.text
        strokes = [CanvasStroke(line(100, 40, 100, 160), 10), CanvasStroke(line(300, 40, 300, 160), 10)]
        assert read_number_strokes(strokes, classifier, NUMBER_SIZE).text == "11"
    finally:
        shipped_segment_judge.cache_clear()


def test_a_judge_file_that_is_a_fifo_is_never_opened(tmp_path, monkeypatch, caplog):
    import os
    import signal

    pipe = tmp_path / "segments.tflite"
    os.mkfifo(pipe)
    monkeypatch.setattr(segments, "SEGMENTS_FILE", pipe)
    shipped_segment_judge.cache_clear()
    def give_up(*_: object) -> None:
        raise TimeoutError("blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(60)  # not a timing: opening the FIFO (the bug) would wait forever; this fails the test instead
    try:
        with caplog.at_level(logging.WARNING):
            assert shipped_segment_judge() is None
        assert "FIFO" in caplog.text and "grouped without it" in caplog.text
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        shipped_segment_judge.cache_clear()


@pytest.mark.parametrize(("numbers", "epochs", "message"), [(0, 1, "20 to 20000 numbers, not 0"),
                                                           (10**8, 1, "not 100000000"),
                                                           (60, 0, "1 to 200 epochs, not 0")])
def test_training_the_judge_refuses_counts_out_of_bounds_before_any_work(numbers, epochs, message):
    with pytest.raises(ValueError, match=message):
        segments.train_segment_model(load_pen_digits(), numbers, epochs)


@pytest.mark.parametrize("segments_used", [True, False])
def test_two_touching_digits_are_read_as_two_with_or_without_the_judge(classifier, segments_used):
    pen = load_pen_digits().held_out()
    ones, zeros = np.flatnonzero(pen.labels == 1), np.flatnonzero(pen.labels == 0)
    written = write_number([pen.strokes[ones[0]], pen.strokes[zeros[0]]], np.random.default_rng(0), close=True)
    strokes = [CanvasStroke(s, 10) for digit in written for s in digit]
    assert read_number_strokes(strokes, classifier, NUMBER_SIZE, segments=segments_used).text == "10"
