"""Printed lines taken out of the ink: ruled lines and a margin line go, digits crossing or lying along them stay."""

from __future__ import annotations

import numpy as np

from digit_app.photos.ruling import remove_ruling
from tests.test_photos_lines import ink_of


def test_printed_lines_are_taken_out_and_digits_crossing_them_stay():
    darkness = np.zeros((900, 720), np.float32)
    darkness[0::90] = 0.25  # ruled lines across the page, one along the top of the digits
    darkness[:, 80:82] = 0.2  # a margin line down it
    digits = np.zeros(darkness.shape, np.float32)
    digits[400:600] = ink_of([7, 4, 1]) * 0.8  # the 1 crosses one line, the 7's bar lies along another
    cleaned = remove_ruling(np.maximum(darkness, digits))
    assert cleaned[~(digits > 0)].max() < 0.05  # no line left where there is no digit
    assert (cleaned[digits > 0] > 0.4).mean() > 0.97  # the digits' ink stays, also where it crosses a line


def test_a_one_written_as_tall_as_the_photo_is_not_a_printed_line():
    darkness = np.zeros((600, 400), np.float32)
    darkness[300:302] = 0.2  # a thin printed line across
    darkness[10:590, 180:205] = 0.8  # and a pen's 1 over it, 25 px thick
    cleaned = remove_ruling(darkness)
    assert (cleaned[10:590, 180:205] > 0.5).all() and cleaned[300, :150].max() < 0.05
