"""Lines of writing: the turn of the writing found and undone; lines split top to bottom; printed lines never ink."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digit_app.images import load_image
from digit_app.photo import read_photo
from digit_app.photos.lines import split_lines, writing_turn
from digit_app.photos.ruling import remove_ruling
from tests import photo_scenes as scenes
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


def test_printed_lines_are_taken_out_and_digits_crossing_them_stay():
    darkness = np.zeros((900, 720), np.float32)
    darkness[0::90] = 0.25  # ruled lines across the page, one along the top of the digits
    darkness[:, 80:82] = 0.2  # a margin line down it
    digits = np.zeros(darkness.shape, np.float32)
    digits[400:600] = ink_of([7, 4, 1]) * 0.8  # the 1 crosses one line, the 7's bar lies along another
    cleaned = remove_ruling(np.maximum(darkness, digits))
    assert cleaned[~(digits > 0)].max() < 0.05  # no line left where there is no digit
    assert (cleaned[digits > 0] > 0.4).mean() > 0.97  # the digits' ink stays, also where it crosses a line


def test_a_blank_ruled_page_gives_no_ink_and_no_number(classifier):
    for photo in (scenes.close_up([], ruled=45, angle=7), scenes.on_table(scenes.sheet([], ruled=40), scenes.corners(5))):
        reading = read_photo(load_image(scenes.jpeg(photo)), classifier)
        assert not reading.ink.any() and reading.lines == () and reading.numbers == ()


def test_the_table_and_the_sheets_edge_are_not_ink(classifier):
    photo = scenes.on_table(scenes.sheet([[3, 1]]), scenes.corners(-6, 0.05))
    reading = read_photo(load_image(scenes.jpeg(photo)), classifier)
    assert reading.sheet is not None and reading.numbers == ("31",)
    rows, columns = np.nonzero(reading.ink)
    height, width = reading.ink.shape
    assert rows.min() > 0.2 * height and columns.min() > 0.2 * width and columns.max() < 0.8 * width


def test_a_turned_close_up_with_two_lines_is_read_line_by_line(classifier):
    photo = scenes.close_up([[7, 1, 0], [4, 5]], ruled=45, angle=-8)
    reading = read_photo(load_image(scenes.jpeg(photo)), classifier)
    assert reading.numbers == ("710", "45")
    assert reading.turn == pytest.approx(-8, abs=1)
    assert [len(line.digit_boxes) for line in reading.lines] == [3, 2]
    assert reading.lines[0].digit_boxes[0][0] < reading.lines[0].digit_boxes[1][0]  # left to right


def test_a_one_written_as_tall_as_the_photo_is_not_a_printed_line():
    darkness = np.zeros((600, 400), np.float32)
    darkness[300:302] = 0.2  # a thin printed line across
    darkness[10:590, 180:205] = 0.8  # and a pen's 1 over it, 25 px thick
    cleaned = remove_ruling(darkness)
    assert (cleaned[10:590, 180:205] > 0.5).all() and cleaned[300, :150].max() < 0.05
