"""Lines of writing: the turn of the writing found; lines split top to bottom, dots with their line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digit_app.photos.lines import split_lines, writing_turn
from tests.test_preprocess import number_canvas


def ink_of(digits: list[int], gap: float = 25) -> np.ndarray:
    """A boolean ink map of a number written level."""
    return number_canvas(digits, gap=gap)[..., 0] > 127


def turned(ink: np.ndarray, angle: float) -> np.ndarray:
    """Ink turned `angle` degrees clockwise on screen, on a canvas grown to hold it."""
    return np.asarray(Image.fromarray(ink).rotate(-angle, expand=True)) > 0


@pytest.mark.parametrize("angle", [-12.0, -4.0, 0.0, 7.0, 14.0])
def test_the_writings_turn_is_found(angle):
    assert writing_turn(turned(ink_of([2, 0, 4, 7, 1, 3]), angle).astype(np.float32)) == pytest.approx(angle, abs=1.0)


def test_a_single_digit_has_no_turn_to_tell():
    assert writing_turn(turned(ink_of([2]), 9.0).astype(np.float32)) == 0.0


def test_ruled_lines_alone_tell_the_turn():
    page = np.zeros((400, 600), np.float32)
    page[40::40] = 0.2  # faint printed lines every 40 px
    assert writing_turn(turned(page > 0, -6.0).astype(np.float32)) == pytest.approx(-6.0, abs=0.5)


def test_lines_are_split_top_to_bottom():
    page = np.zeros((700, 720), bool)
    for top, digits in zip((20, 250, 480), ([7, 1], [2, 0, 4, 7], [3])):
        page[top : top + 200] |= ink_of(digits)
    page[420:428, 100:108] = True  # a dot just under the second line's digits
    labels, lines = split_lines(page)
    assert [line.box[1] for line in lines] == sorted(line.box[1] for line in lines)
    assert len(lines) == 3
    assert [len([m for m in line.marks if (labels == m).sum() > 100]) for line in lines] == [2, 4, 1]
    assert any((labels[424, 104] == mark) for mark in lines[1].marks)  # the dot goes with the line it is under
