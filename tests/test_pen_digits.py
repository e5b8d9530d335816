"""Pen digits: the UNIPEN reader, the shipped file, drawing them like a canvas, and their stroke features."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from digit_app.preprocess import to_mnist
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS, resample, stroke_features
from digit_app.strokes.pen_digits import (
    HELD_OUT_WRITERS,
    PEN_DIGITS_FILE,
    PenDataError,
    draw_like_canvas,
    drawn_inputs,
    from_unipen,
    load_pen_digits,
    save_pen_digits,
)
from digit_app.strokes.unipen import UnipenFormatError, read_unipen
from tests.conftest import PEN_SAMPLE, UNIPEN_SAMPLE


def test_unipen_reader_keeps_every_stroke_of_each_digit_in_order():
    digits = read_unipen(UNIPEN_SAMPLE)
    assert [d.label for d in digits] == [8, 2, 4, 0, 1, 4]
    assert [len(d.strokes) for d in digits] == [1, 1, 2, 2, 1, 1]
    first = digits[0]
    assert first.writer == 12
    # the file's first points are (267, 333), (267, 336): y is flipped to point down
    np.testing.assert_array_equal(first.strokes[0][:2], [[267, -333], [267, -336]])


@pytest.mark.parametrize("text, where", [
    ('.SEGMENT DIGIT 0 ? "8"\n.PEN_DOWN\n 1 2\n', "line 4: a stroke has no .PEN_UP"),
    ('.SEGMENT DIGIT 0 ? "8"\n.PEN_DOWN\n 1 two\n.PEN_UP\n', "line 3: expected two numbers"),
    ('.SEGMENT DIGIT 0 ? "8"\n 1 2\n', "line 2: a point outside"),
    ('.SEGMENT DIGIT 0 ? "eight"\n', "line 1: a .SEGMENT line without a digit label"),
    ('.SEGMENT DIGIT 0 ? "8"\n.SEGMENT DIGIT 1 ? "3"\n', "line 2: a digit has no strokes"),
    ('.BOGUS\n', "line 1: an unknown keyword .BOGUS"),
    ('', "holds no digits"),
])
def test_a_malformed_unipen_file_is_refused_with_the_line(tmp_path, text, where):
    path = tmp_path / "bad.tra"
    path.write_text(text)
    with pytest.raises(UnipenFormatError, match="not a UNIPEN digit file") as error:
        read_unipen(path)
    assert where in str(error.value)


def test_a_binary_file_is_not_a_unipen_file(tmp_path):
    path = tmp_path / "model.tra"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(UnipenFormatError, match="not a text file"):
        read_unipen(path)


def test_pen_digits_survive_packing_exactly(tmp_path):
    digits = from_unipen(read_unipen(UNIPEN_SAMPLE))
    save_pen_digits(digits, tmp_path / "pen.npz")
    again = load_pen_digits(tmp_path / "pen.npz")
    assert again.labels.tolist() == digits.labels.tolist() and again.writers.tolist() == digits.writers.tolist()
    for before, after in zip(digits.strokes, again.strokes):
        assert len(before) == len(after)
        for a, b in zip(before, after):
            np.testing.assert_array_equal(a, b)


def test_the_shipped_file_holds_thirty_writers_with_six_held_out():
    pen = load_pen_digits(PEN_DIGITS_FILE)
    assert len(pen) == 7494 and set(pen.writers.tolist()) == set(range(1, 31))
    held_out = pen.held_out()
    assert set(held_out.writers.tolist()) == set(HELD_OUT_WRITERS)
    assert not set(pen.for_training().writers.tolist()) & set(HELD_OUT_WRITERS)
    assert len(held_out) + len(pen.for_training()) == len(pen)


@pytest.mark.parametrize("damage", ["missing", "not npz", "inconsistent", "truncated", "flipped bytes"])
def test_a_damaged_pen_digits_file_says_so(tmp_path, damage):
    path = tmp_path / "pen.npz"
    packed_bytes = PEN_SAMPLE.read_bytes()
    if damage == "not npz":
        path.write_text("hello")
    elif damage == "inconsistent":
        with np.load(PEN_SAMPLE) as packed:
            arrays = dict(packed)
        arrays["labels"] = arrays["labels"][:-3]
        np.savez(path, **arrays)
    elif damage == "truncated":
        path.write_bytes(packed_bytes[: len(packed_bytes) // 2])
    elif damage == "flipped bytes":  # the zip's directory intact, a compressed member damaged
        middle = len(packed_bytes) // 3
        path.write_bytes(packed_bytes[:middle] + bytes(b ^ 0xFF for b in packed_bytes[middle:middle + 64])
                         + packed_bytes[middle + 64:])
    with pytest.raises(PenDataError, match=str(path)):
        load_pen_digits(path)


def test_a_pen_digit_drawn_like_a_canvas_reads_as_the_app_reads_a_drawing(classifier):
    pen = load_pen_digits(PEN_SAMPLE)
    rng = np.random.default_rng(3)
    canvas, strokes, brush = draw_like_canvas(pen.strokes[0], rng)
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    assert len(strokes) == len(pen.strokes[0])
    points = np.concatenate(strokes)
    assert points.min() >= 0 and points.max() <= 280  # on the canvas
    ink = canvas[..., 0] > 127
    rows, cols = np.nonzero(ink)
    assert rows.min() >= points[:, 1].min() - brush and rows.max() <= points[:, 1].max() + brush
    assert classifier.predict_proba(to_mnist(canvas)).argmax() == pen.labels[0]


def test_drawn_inputs_gives_pixels_strokes_and_labels_for_each_digit():
    pen = load_pen_digits(PEN_SAMPLE)
    pixels, strokes, labels = drawn_inputs(pen, seed=1)
    assert pixels.shape == (len(pen), 28, 28) and strokes.shape == (len(pen), STROKE_POINTS, STROKE_FEATURES)
    assert labels.tolist() == pen.labels.tolist()
    assert 0.0 <= pixels.min() and pixels.max() <= 1.0
    again, _, _ = drawn_inputs(pen, seed=1)
    np.testing.assert_array_equal(pixels, again)  # the same seed draws the same digits


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


def test_the_command_line_packs_a_unipen_file(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "pen.npz"
    result = subprocess.run([sys.executable, "-m", "digit_app", "pen-digits", str(UNIPEN_SAMPLE),
                             "--output", str(target)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "6 digits by 6 writers" in result.stdout
    assert load_pen_digits(target).labels.tolist() == [8, 2, 4, 0, 1, 4]
    bad = tmp_path / "bad.tra"
    bad.write_text(".PEN_DOWN\n")
    refused = subprocess.run([sys.executable, "-m", "digit_app", "pen-digits", str(bad), "--output", str(target)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "line 1" in refused.stderr and "Traceback" not in refused.stderr


def pen_digits_command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m digit_app` in a process of its own, with a timeout: a blocking read fails instead of hanging."""
    return subprocess.run([sys.executable, "-m", "digit_app", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_a_unipen_source_that_is_a_device_or_a_fifo_is_refused_unopened(tmp_path, source):
    if source == "fifo":
        source = str(tmp_path / "pendigits.tra")
        os.mkfifo(source)
    target = tmp_path / "pen.npz"
    result = pen_digits_command("pen-digits", source, "--output", str(target))
    assert result.returncode == 1 and "not a plain file: it was not opened" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_pen_digits_are_never_written_over_a_fifo(tmp_path):
    target = tmp_path / "pen.npz"
    os.mkfifo(target)
    result = pen_digits_command("pen-digits", str(UNIPEN_SAMPLE), "--output", str(target))
    assert result.returncode == 1 and "FIFO (named pipe), not a plain file" in result.stderr
    assert stat_is_fifo(target) and os.listdir(tmp_path) == ["pen.npz"]


def stat_is_fifo(path) -> bool:
    import stat

    return stat.S_ISFIFO(os.stat(path).st_mode)


@pytest.mark.parametrize(("damage", "reason"), [("truncated", "File is not a zip file"),
                                              ("fifo", "is a FIFO (named pipe), not a plain file")])
def test_a_truncated_or_fifo_pen_digits_file_is_one_sentence_from_the_command_line(tmp_path, damage, reason):
    pen = tmp_path / "pen.npz"
    if damage == "fifo":
        os.mkfifo(pen)  # opening it would wait for a writer forever
    else:
        pen.write_bytes(PEN_SAMPLE.read_bytes()[:4000])
    result = pen_digits_command("segments", "--numbers", "60", "--epochs", "1", "--output",
                                str(tmp_path / "segments.tflite"), env={"DIGIT_APP_PEN_DIGITS": str(pen)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: Could not read the pen digits in {pen} (") and reason in line
    assert line.endswith("restore the file from the repository, or train without drawn digits.")
    assert sorted(os.listdir(tmp_path)) == ["pen.npz"]


@pytest.mark.parametrize(("change", "message"), [("step", "more than 32767 tablet units"), ("writer", "0 to 255")])
def test_pen_digits_the_packed_types_cannot_hold_are_refused(tmp_path, change, message):
    digits = from_unipen(read_unipen(UNIPEN_SAMPLE))
    if change == "step":
        digits.strokes[0][0][1] += (40_000, 0)
    else:
        digits.writers[0] = 300
    with pytest.raises(PenDataError, match=message):
        save_pen_digits(digits, tmp_path / "pen.npz")
    assert list(tmp_path.iterdir()) == []
