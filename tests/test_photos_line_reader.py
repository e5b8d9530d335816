"""The line reader: its input, the best path and where each digit peaks, the calibration, the composed lines it
learns from, a tiny training run saved and loaded, and the shipped reader on lines no training saw."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from digit_app.photos import line_reader as lr
from digit_app.photos.synthetic import DigitPool, compose_line, training_pools
from digit_app.strokes.pen_digits import PEN_DIGITS_FILE, load_pen_digits


def path_frames(best: list[int], sure: float = 0.9) -> np.ndarray:
    """(FRAMES, CLASSES) probabilities whose likeliest class in each frame is `best` (padded with blanks)."""
    classes = best + [0] * (lr.FRAMES - len(best))
    frames = np.full((lr.FRAMES, lr.CLASSES), (1 - sure) / (lr.CLASSES - 1), np.float32)
    frames[np.arange(lr.FRAMES), classes] = sure
    return frames


def test_model_input_keeps_a_line_s_shape_and_fits_a_long_one():
    short, scale = lr.model_input(np.ones((64, 100), np.float32))
    assert short.shape == (lr.INPUT_HEIGHT, lr.INPUT_WIDTH) and scale == pytest.approx(0.5)
    assert short[:, :50].min() == pytest.approx(1.0) and short[:, 51:].max() == 0.0
    long, scale = lr.model_input(np.ones((64, 2048), np.float32))
    assert scale == pytest.approx(lr.INPUT_WIDTH / 2048)
    assert long[:, -1].max() == pytest.approx(1.0) and long[0].max() == 0.0  # laid in the middle, rows to spare


def test_best_path_merges_repeats_drops_blanks_and_places_each_digit():
    # 2 2 (a blank between: two digits), then 4 peaking over three frames, then 0
    frames = path_frames([0, 3, 3, 0, 3, 0, 0, 5, 5, 5, 0, 1])
    frames[8, 5] = 0.95  # the 4 peaks in its middle frame
    spans, log_path = lr.best_path(frames, scale=0.5)
    assert [s.digit for s in spans] == [2, 2, 4, 0]
    width = lr.INPUT_WIDTH / lr.FRAMES
    assert spans[2].probabilities.argmax() == 4 and spans[2].probabilities.sum() == pytest.approx(1.0)
    centres = [(1.5 * width) / 0.5, (4.5 * width) / 0.5, (8.5 * width) / 0.5, (11.5 * width) / 0.5]
    for span, centre in zip(spans, centres):
        assert span.left < centre < span.right  # in picture pixels: the input's divided by the scale
    assert spans[1].right == pytest.approx(spans[2].left)  # shares meet between the peaks
    assert log_path == pytest.approx(np.log(0.9) * (lr.FRAMES - 1) + np.log(0.95), rel=1e-4)


def test_a_blank_weight_keeps_a_digit_the_reader_half_sees_and_its_path_probability():
    frames = path_frames([0, 3, 0, 0, 5, 0])
    frames[3] = 0.0
    frames[3, 0], frames[3, 8] = 0.55, 0.45  # a 7 nearly as likely as nothing in the column between the 2 and the 4
    assert [s.digit for s in lr.best_path(frames, 1.0)[0]] == [2, 4]
    spans, log_path = lr.best_path(frames, 1.0, blank_weight=0.6)
    assert [s.digit for s in spans] == [2, 7, 4]
    assert log_path == pytest.approx(np.log(0.9) * (lr.FRAMES - 1) + np.log(0.45), rel=1e-4)  # the reader's own
    assert lr.best_path(path_frames([]), 1.0, blank_weight=0.6)[0] == ()  # a sure blank stays blank


def test_a_line_of_blanks_reads_as_nothing():
    spans, _ = lr.best_path(path_frames([]), scale=1.0)
    assert spans == ()


def test_the_calibration_fit_says_how_often_right_and_flags_most_wrong_readings():
    rng = np.random.default_rng(0)
    log_paths = rng.uniform(-8, 0, 4000)
    chance = 1 / (1 + np.exp(-(1.5 * log_paths + 4)))
    right = (rng.random(4000) < chance).astype(float)
    calibration = lr.fit_calibration(log_paths, right)
    assert calibration.slope == pytest.approx(1.5, abs=0.3) and calibration.offset == pytest.approx(4, abs=0.6)
    fitted = calibration(log_paths)
    assert lr.calibration_error(fitted, right) < 0.03
    assert (fitted[right < 0.5] < calibration.unsure_below).mean() >= lr.WRONG_FLAGGED - 0.02
    assert lr.calibration_error(np.ones(4000), right) > 0.3  # always sure is far off


def test_targets_are_digits_shifted_past_the_blank():
    assert lr.targets(["207", ""]).tolist()[0][:4] == [3, 1, 8, 0]
    assert not lr.targets(["207", ""])[1].any()


def test_held_out_writers_never_compose_training_lines():
    pen = load_pen_digits(PEN_DIGITS_FILE)
    with pytest.raises(ValueError, match="Held-out"):
        DigitPool(np.zeros((0, 28, 28), np.uint8), np.zeros(0), pen)
    training, calibrating = training_pools(np.zeros((10, 28, 28), np.uint8), np.zeros(10), pen,
                                           lr.CALIBRATION_WRITERS, 8)
    assert set(training.pen.writers) == set(range(1, 22)) and set(calibrating.pen.writers) == {22, 23, 24}
    assert len(training.mnist) == 8 and len(calibrating.mnist) == 2


def test_composed_lines_look_like_the_photo_page_s_lines(mnist_sample):
    pool = DigitPool(mnist_sample["x_train"], mnist_sample["y_train"], load_pen_digits(PEN_DIGITS_FILE).of_writers([3]))
    rng = np.random.default_rng(5)
    lines = [compose_line(pool, rng) for _ in range(40)]
    written = [(picture, text) for picture, text in lines if text]
    assert len(written) >= 30 and all(text.isdigit() and 1 <= len(text) <= 6 for _, text in written)
    for picture, _ in lines:
        assert picture.dtype == np.float32 and picture.shape[0] <= 64 and 0 <= picture.min() <= picture.max() <= 1
    assert all(picture.max() > 0.5 for picture, _ in written)  # the ink found again
    again = compose_line(pool, np.random.default_rng(5))
    assert again[1] == lines[0][1] and np.array_equal(again[0], lines[0][0])  # the same for a seed


def test_a_digit_slanted_turned_and_stretched_keeps_all_its_ink():
    from digit_app.photos.synthetic import _reshaped, _shape_change

    digit = np.full((20, 12), 255, np.uint8)  # ink up to its picture's edges, as a digit cropped to its ink
    for seed in range(20):
        reshaped = _reshaped(digit, np.random.default_rng(seed)).astype(np.float64)
        stretched = abs(np.linalg.det(_shape_change(np.random.default_rng(seed))))  # the same change for the seed
        assert 0.75 < stretched < 1.25
        assert reshaped.sum() / digit.sum() == pytest.approx(stretched, rel=0.04)  # none of its ink cut off


@pytest.fixture(scope="module")
def shipped():
    reader = lr.shipped_line_reader()
    assert reader is not None, "model/line_reader.tflite is shipped with the app"
    return reader


def test_the_shipped_reader_reads_lines_by_writers_it_never_trained_on(shipped):
    pen = load_pen_digits(PEN_DIGITS_FILE).of_writers(lr.CALIBRATION_WRITERS)
    pool = DigitPool(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), pen)
    rng = np.random.default_rng(11)
    lines = [compose_line(pool, rng) for _ in range(120)]
    readings = shipped.read([picture for picture, _ in lines])
    right = np.array([reading.text == text for reading, (_, text) in zip(readings, lines)])
    confidence = np.array([reading.confidence for reading in readings])
    assert right.mean() >= 0.6  # 0.80 on these, 0.86 on 4,000 lines of these writers and MNIST digits
    flagged = confidence < shipped.calibration.unsure_below
    assert flagged[~right].mean() >= flagged[right].mean() + 0.3  # "not sure" mostly of what it reads wrong
    blank = shipped.read([np.zeros((48, 150), np.float32)])[0]
    assert blank.text == ""


def test_a_line_read_as_nothing_stays_nothing_and_a_half_seen_digit_beside_others_is_kept(shipped, monkeypatch):
    faint = path_frames([])
    faint[3] = 0.0
    faint[3, 0], faint[3, 8] = 0.55, 0.45  # only a mark the reader half takes for a 7: a blank page's speck
    beside = path_frames([0, 3, 0, 0, 0, 0])
    beside[4] = faint[3]  # the same half-seen 7 after a sure 2
    monkeypatch.setattr(shipped, "frames", lambda pictures: (np.stack([faint, beside]), [1.0, 1.0]))
    nothing, kept = shipped.read([np.zeros((40, 120), np.float32)] * 2)
    assert nothing.text == "" and kept.text == "27"


def test_the_shipped_reader_matches_its_digest(shipped, tmp_path):
    about = json.loads(lr.METADATA_FILE.read_text())
    assert 0 < about["calibration"]["unsure_below"] < 1
    assert shipped.shown is not None  # the confidence shown was fitted for this very reader (refit after retraining)
    flat = tmp_path / "reader.tflite"
    flat.write_bytes(lr.READER_FILE.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="digest"):
        lr.load_line_reader(flat, lr.METADATA_FILE)


def test_training_bounds_are_refused_before_any_work():
    with pytest.raises(ValueError, match="lines"):
        lr.train_line_reader(None, None, lines=5)
    with pytest.raises(ValueError, match="epochs"):
        lr.train_line_reader(None, None, lines=200, epochs=0)


@pytest.mark.slow
def test_a_tiny_training_run_is_saved_whole_and_loads(mnist_sample, tmp_path):
    pen = load_pen_digits(PEN_DIGITS_FILE)
    training, calibrating = training_pools(mnist_sample["x_train"], mnist_sample["y_train"], pen,
                                           lr.CALIBRATION_WRITERS, 250)
    model, report = lr.train_line_reader(training, calibrating, lines=128, epochs=1, workers=1,
                                         calibration_lines=100)
    assert report.lines == 128 and report.held_out_lines == 100 and len(report.losses) == 1
    assert np.isfinite(report.losses[0]) and 0 <= report.calibration_error <= 1
    lr.save_line_reader(model, report, tmp_path)
    reader = lr.load_line_reader(tmp_path / lr.READER_FILE.name, tmp_path / lr.METADATA_FILE.name)
    (reading,) = reader.read([np.zeros((40, 120), np.float32)])
    assert 0 <= reading.confidence <= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([lr.READER_FILE.name, lr.METADATA_FILE.name,
                                                                 lr.KERAS_FILE.name])
    assert json.loads((tmp_path / lr.METADATA_FILE.name).read_text())["report"]["start"] is None  # from scratch


@pytest.mark.slow
def test_training_goes_on_from_a_trained_reader(mnist_sample):
    pen = load_pen_digits(PEN_DIGITS_FILE)
    training, calibrating = training_pools(mnist_sample["x_train"], mnist_sample["y_train"], pen,
                                           lr.CALIBRATION_WRITERS, 250)
    runs = [lr.train_line_reader(training, calibrating, lines=128, epochs=1, workers=1, calibration_lines=100,
                                 start=start)[1] for start in (None, lr.KERAS_FILE)]
    assert runs[1].losses[0] < runs[0].losses[0] / 3  # the shipped reader already reads composed lines
    assert runs[0].start is None  # the metadata says which reader a run went on from, and which version of it
    assert runs[1].start == {"file": lr.KERAS_FILE.name,
                             "sha256": hashlib.sha256(lr.KERAS_FILE.read_bytes()).hexdigest()}


def test_retraining_from_the_command_line_refuses_bad_counts_before_any_work(tmp_path):
    from digit_app.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["line-reader", "--lines", "5", "--output", str(tmp_path)])
    assert exited.value.code == 2
    with pytest.raises(ValueError, match="epochs"):
        lr.retrain_line_reader(None, lines=200, epochs=0, directory=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_broken_digit_has_its_strokes_cut_and_a_thinned_one_keeps_its_shape():
    from scipy import ndimage

    from digit_app.photos.synthetic import _broken, _thinned

    bar = np.zeros((40, 20), np.float32)
    bar[2:38, 8:12] = 1.0  # a 1 written 4 px wide, 40 px tall
    pieces = []
    for seed in range(10):
        broken = _broken(bar, 40.0, np.random.default_rng(seed))
        assert 0.5 * bar.sum() < broken.sum() < bar.sum()  # a few small skips, not the digit wiped out
        assert not (broken > bar).any()
        pieces.append(ndimage.label(broken > 0.5)[1])
    assert sum(count >= 2 for count in pieces) >= 7  # the skips cut across the stroke (not only nibble its side)
    thinned = _thinned(bar)
    assert (thinned > 0.5).sum(axis=1).max() == 3 and ndimage.label(thinned > 0.5)[1] == 1
    hair = np.zeros((40, 20), np.float32)
    hair[2:38, 10] = 1.0
    assert np.array_equal(_thinned(hair), hair)  # a stroke a pixel wide is not worn away to nothing
