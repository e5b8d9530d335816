"""Pen digits: packed from UNIPEN, the shipped file, damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.strokes.pen_digits import (
    HELD_OUT_WRITERS,
    PEN_DIGITS_FILE,
    PenDataError,
    from_unipen,
    load_pen_digits,
    save_pen_digits,
)
from digit_app.strokes.unipen import read_unipen
from tests.paths import PEN_SAMPLE, UNIPEN_SAMPLE


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
