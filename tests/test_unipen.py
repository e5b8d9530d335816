"""UNIPEN pen-trajectory files: every stroke of each digit read in order, malformed files refused by line."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.strokes.unipen import UnipenFormatError, read_unipen
from tests.paths import UNIPEN_SAMPLE


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
