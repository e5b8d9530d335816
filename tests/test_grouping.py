"""A written number split into its digits' strokes, never cutting one (digit_app.strokes.grouping)."""

from __future__ import annotations

import numpy as np

from digit_app.strokes.grouping import group_strokes
from digit_app.strokes.pen_digits import load_pen_digits
from digit_app.strokes.pen_numbers import write_number
from tests.strokes import digit_strokes
from tests.test_prediction import number


def test_a_four_with_a_separate_stem_and_a_five_with_its_flag_stay_whole():
    strokes = number((4, 20), (5, 160), (1, 300))
    assert group_strokes(strokes) == [[0, 1], [2, 3], [4]]


def test_a_cross_added_to_a_seven_after_the_next_digit_joins_the_seven():
    seven, one = digit_strokes(7, 20, 50, 100), digit_strokes(1, 160, 50, 100)
    cross = [np.array([(45, 100), (100, 100)], np.float32)]
    assert group_strokes(seven + one + cross) == [[0, 2], [1]]


def test_every_stroke_belongs_to_exactly_one_digit(classifier):
    pen = load_pen_digits().held_out()
    rng = np.random.default_rng(0)
    for close in (False, True):
        for _ in range(10):
            chosen = rng.choice(len(pen), 4, replace=False)
            written = write_number([pen.strokes[i] for i in chosen], rng, close=close)
            strokes = [s for digit in written for s in digit]
            groups = group_strokes(strokes)
            assert sorted(i for g in groups for i in g) == list(range(len(strokes)))
