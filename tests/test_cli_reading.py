"""`predict` (digit_app/cli/reading.py): each image's digit, each photo's lines, one-line errors per file."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.command_line import run
from tests.strokes import draw_digit


def test_predict_reads_each_image(tmp_path):
    seven, one = tmp_path / "seven.png", tmp_path / "one.jpg"
    Image.fromarray(draw_digit(7, 40, 40, 180, brush=20)).save(seven)
    Image.fromarray(255 - draw_digit(1, 80, 30, 200, brush=12)[..., :3]).save(one)  # dark ink on white
    result = run("predict", str(seven), str(one))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{seven}: 7 (") and lines[1].startswith(f"{one}: 1 (")


def test_predict_json(tmp_path):
    path = tmp_path / "two.png"
    Image.fromarray(draw_digit(2, 40, 40, 180, brush=20)).save(path)
    result = run("predict", "--json", str(path))
    record = json.loads(result.stdout)
    assert record["digit"] == 2 and len(record["probabilities"]) == 10
    assert abs(sum(record["probabilities"]) - 1) < 0.01


@pytest.mark.slow  # about 5 s: two processes read a photo each
def test_predict_photo_reads_each_line_as_the_photo_page_does(tmp_path):
    from tests.photo_scenes import close_up

    photo, blank = tmp_path / "two_lines.png", tmp_path / "blank.png"
    Image.fromarray(close_up([[2, 0, 4], [7, 1]])).save(photo)
    Image.fromarray(close_up([])).save(blank)
    result = run("predict", "--photo", str(photo), str(blank))
    assert result.returncode == 1  # the blank photo is a failure of its own, on its own line
    said = result.stdout.strip()
    assert said.removesuffix(" (not sure)") == f"{photo}: 204 71"
    assert result.stderr.strip() == f"{blank}: error: No digits found in this photo."
    record = json.loads(run("predict", "--photo", "--json", str(photo)).stdout)
    assert record["numbers"] == ["204", "71"] and [line["number"] for line in record["lines"]] == ["204", "71"]
    assert 0 <= record["confidence"] <= min(line["confidence"] for line in record["lines"]) <= 1
    assert record["sure"] == all(line["sure"] for line in record["lines"]) == (not said.endswith("(not sure)"))
    first = record["lines"][0]["digits"]
    assert [digit["digit"] for digit in first] == [2, 0, 4]
    assert all(len(digit["probabilities"]) == 10 and abs(sum(digit["probabilities"]) - 1) < 0.01 for digit in first)
    lefts = [digit["box"][0] for digit in first]
    assert lefts == sorted(lefts) and all(digit["box"][0] < digit["box"][2] for digit in first)  # left to right


def test_bad_and_missing_files_give_one_line_errors(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("this is not an image")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (50, 50), "white").save(blank)
    result = run("predict", str(bad), str(tmp_path / "missing.png"), str(blank))
    assert result.returncode != 0
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "bad.png: error" in errors[0] and "missing.png: error" in errors[1] and "Nothing is drawn" in errors[2]


def test_missing_model_is_a_one_line_error(tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(draw_digit(7, 40, 40, 180, brush=20)).save(path)
    result = run("predict", "--model", str(tmp_path / "none.keras"), str(path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: No model file at") and "Traceback" not in result.stderr
