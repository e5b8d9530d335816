"""Marks that are not writing: faint, tiny grain on a blank page; an unsure reading cut off by the page's edge."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digit_app.images import load_image
from digit_app.photo import read_photo
from digit_app.photos.line_reader import Calibration, DigitSpan, LineReading
from digit_app.photos.not_writing import is_dust, touches_edge
from tests import photo_scenes as scenes


def test_a_mark_both_faint_and_tiny_is_dust_and_a_dark_or_tall_one_is_not():
    marks = np.zeros((40, 40), bool)
    marks[10:20, 10:20] = True
    faint, dark = np.full((40, 40), 0.22, np.float32), np.full((40, 40), 0.6, np.float32)
    assert is_dust(faint, marks, page_side=1200)  # 10 px of 1200, barely darker than the ink's least level
    assert not is_dust(dark, marks, page_side=1200)  # a small digit in dark ink
    assert not is_dust(faint, marks, page_side=300)  # a faint mark a tenth of the page tall: faint writing
    assert is_dust(faint, np.zeros((40, 40), bool), page_side=1200)


def test_marks_reaching_the_edge_band_touch_it():
    near = np.zeros((30, 30), bool)
    near[:3] = True
    marks = np.zeros((30, 30), bool)
    marks[10:20, 10:20] = True
    assert not touches_edge(marks, near)
    marks[2:5, 10:12] = True
    assert touches_edge(marks, near)


def test_faint_grain_in_a_blank_pages_corner_is_neither_ink_nor_a_line(classifier):
    dusty = scenes.close_up([]).astype(np.float32)
    dusty[40:52, 1050:1062] *= 0.78  # a patch a little darker than the paper, about 1% of the page
    reading = read_photo(load_image(scenes.jpeg(np.clip(dusty, 0, 255).astype(np.uint8))), classifier)
    assert reading.lines == () and not reading.ink.any() and reading.numbers == ()


def test_a_single_small_digit_in_dark_ink_is_still_read(classifier):
    reading = read_photo(load_image(scenes.jpeg(scenes.close_up([[7]], digit_size=25))), classifier)
    assert reading.numbers == ("7",)


class UnsureReader:
    """A stand-in line reader that reads every line as one 1, not surely."""

    calibration = Calibration(1.0, 0.0, 0.9)
    shown = None

    def read(self, pictures):
        probabilities = np.full(10, 0.4 / 9, np.float32)
        probabilities[1] = 0.6
        return [LineReading((DigitSpan(1, probabilities, 0.0, float(p.shape[1])),), 0.6, False, float(np.log(0.6)))
                for p in pictures]


def test_an_unsure_reading_cut_off_by_the_pages_edge_shows_no_number(classifier):
    wedge = Image.fromarray(scenes.close_up([]))
    ImageDraw.Draw(wedge).polygon([(700, 0), (1100, 0), (1100, 40)], fill=(60, 60, 60))  # a shadow's hard edge
    at_edge = read_photo(load_image(scenes.jpeg(np.asarray(wedge))), classifier, UnsureReader(), judge=False)
    assert len(at_edge.lines) == 1 and at_edge.numbers == () and at_edge.lines[0].digit_boxes == ()
    inside = read_photo(load_image(scenes.jpeg(scenes.close_up([[7]]))), classifier, UnsureReader(), judge=False)
    assert inside.numbers == ("1",) and not inside.sure  # the same unsure reading away from the edge is shown
