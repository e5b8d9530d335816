"""`pen-digits` and `segments` (digit_app/cli/shipped.py): the shipped learnt files remade, never over a FIFO, a
folder or a device; a damaged source is one sentence."""

from __future__ import annotations

import os

import numpy as np
import pytest

from digit_app.strokes.pen_digits import load_pen_digits
from tests.command_line import run
from tests.paths import PEN_SAMPLE, UNIPEN_SAMPLE


@pytest.mark.slow
def test_segments_trains_a_judge_that_loads_and_refuses_a_missing_folder(tmp_path):
    from digit_app.strokes.segments import SegmentJudge, number_runs

    target = tmp_path / "segments.tflite"
    result = run("segments", "--numbers", "60", "--epochs", "1", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    judge = SegmentJudge(target.read_bytes())
    one, other = np.array([[0, 0], [0, 50]], np.float32), np.array([[40, 0], [40, 50]], np.float32)
    runs, _ = number_runs([[one], [other]])
    scores = judge([one, other], runs)
    assert scores.shape == (len(runs),) and ((scores >= 0) & (scores <= 1)).all()
    missing = run("segments", "--output", str(tmp_path / "nowhere" / "segments.tflite"))
    assert missing.returncode != 0 and "There is no folder" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "folder", "link to /dev/full"])
def test_segments_never_replaces_a_fifo_a_folder_or_a_device(tmp_path, kind):
    target = tmp_path / "segments.tflite"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target.symlink_to("/dev/full")
    result = run("segments", "--numbers", "20", "--epochs", "1", "--output", str(target))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("not a plain file: it was not replaced.")
    assert [p.name for p in tmp_path.iterdir()] == ["segments.tflite"] and not target.is_file()
    assert os.stat("/dev/full").st_rdev == os.makedev(1, 7)  # the device itself untouched


def test_the_command_line_packs_a_unipen_file(tmp_path):
    target = tmp_path / "pen.npz"
    result = run("pen-digits", str(UNIPEN_SAMPLE), "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert "6 digits by 6 writers" in result.stdout
    assert load_pen_digits(target).labels.tolist() == [8, 2, 4, 0, 1, 4]
    bad = tmp_path / "bad.tra"
    bad.write_text(".PEN_DOWN\n")
    refused = run("pen-digits", str(bad), "--output", str(target))
    assert refused.returncode == 1 and "line 1" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_a_unipen_source_that_is_a_device_or_a_fifo_is_refused_unopened(tmp_path, source):
    if source == "fifo":
        source = str(tmp_path / "pendigits.tra")
        os.mkfifo(source)
    target = tmp_path / "pen.npz"
    result = run("pen-digits", source, "--output", str(target))
    assert result.returncode == 1 and "not a plain file: it was not opened" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_pen_digits_are_never_written_over_a_fifo(tmp_path):
    target = tmp_path / "pen.npz"
    os.mkfifo(target)
    result = run("pen-digits", str(UNIPEN_SAMPLE), "--output", str(target))
    assert result.returncode == 1 and "FIFO (named pipe), not a plain file" in result.stderr
    assert stat_is_fifo(target) and os.listdir(tmp_path) == ["pen.npz"]


def stat_is_fifo(path) -> bool:
    import stat

    return stat.S_ISFIFO(os.stat(path).st_mode)


@pytest.mark.slow
@pytest.mark.parametrize(("damage", "reason"), [("truncated", "File is not a zip file"),
                                              ("fifo", "is a FIFO (named pipe), not a plain file")])
def test_a_truncated_or_fifo_pen_digits_file_is_one_sentence_from_the_command_line(tmp_path, damage, reason):
    pen = tmp_path / "pen.npz"
    if damage == "fifo":
        os.mkfifo(pen)  # opening it would wait for a writer forever
    else:
        pen.write_bytes(PEN_SAMPLE.read_bytes()[:4000])
    result = run("segments", "--numbers", "60", "--epochs", "1", "--output",
                                str(tmp_path / "segments.tflite"), env={"DIGIT_APP_PEN_DIGITS": str(pen)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: Could not read the pen digits in {pen} (") and reason in line
    assert line.endswith("restore the file from the repository, or train without drawn digits.")
    assert sorted(os.listdir(tmp_path)) == ["pen.npz"]
