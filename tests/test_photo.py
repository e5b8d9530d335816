"""Photos of digits on paper: uneven light, grain, either polarity; a sheet on a table, a ruled page, several lines."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_app.images import load_image
from digit_app.photo import photo_ink, read_photo
from digit_app.prediction import read_number
from tests import photo_scenes as scenes
from tests.test_preprocess import number_canvas


def paper_photo(digits: list[int], seed: int = 0, dark: float = 0.45) -> np.ndarray:
    """Dark ink on paper lit from one side (brightness from `dark` to 0.95), with grain and a few specks."""
    rng = np.random.default_rng(seed)
    ink = number_canvas(digits, gap=30)[..., 0].astype(np.float32) / 255.0
    height, width = ink.shape
    light = np.linspace(dark, 0.95, width)[None, :] * np.linspace(0.9, 1.0, height)[:, None]
    photo = light * (1.0 - 0.75 * ink) + rng.normal(0.0, 0.03, ink.shape)
    for y, x in rng.integers(0, (height - 3, width - 3), size=(30, 2)):
        photo[y : y + 2, x : x + 2] *= 0.7  # dust
    rgb = np.clip(np.stack([photo, photo * 0.97, photo * 0.92], axis=-1), 0.0, 1.0)  # warm paper
    return (rgb * 255).astype(np.uint8)


def as_file(array: np.ndarray, kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize("digits", [[2, 0, 4, 7], [7, 1, 0]])
def test_a_photo_in_uneven_light_is_read(classifier, digits):
    photo = load_image(as_file(paper_photo(digits, seed=len(digits))))
    ink = photo_ink(photo)
    assert ink.dtype == np.float32 and ink.min() >= 0.0 and ink.max() == pytest.approx(1.0)
    assert ink[:, : ink.shape[1] // 50].max() == 0.0  # the dark, grainy edge of the page is not ink
    assert read_number(ink, classifier).text == "".join(map(str, digits))


def test_without_evening_out_the_light_the_dark_side_reads_as_ink():
    """What photo_ink is for: a plain threshold on the same photo marks the shadowed paper as ink."""
    grey = paper_photo([2, 0, 4, 7], dark=0.3)[..., 0] / 255.0
    edge = grey.shape[1] // 50  # left of the first digit: only paper, in shadow
    assert ((1.0 - grey[:, :edge]) > 0.5).mean() > 0.5
    ink = photo_ink(paper_photo([2, 0, 4, 7], dark=0.3))
    assert ink[:, : ink.shape[1] // 50].max() == 0.0


def test_light_writing_on_a_dark_board_is_read_too(classifier):
    board = 255 - paper_photo([4, 1], seed=3)
    assert read_number(photo_ink(board), classifier).text == "41"


def test_a_blank_page_has_no_ink():
    rng = np.random.default_rng(0)
    page = np.clip(np.linspace(0.5, 0.95, 500)[None, :] + rng.normal(0, 0.02, (300, 500)), 0, 1)
    assert not photo_ink((page * 255).astype(np.uint8)).any()


def test_an_array_that_is_not_an_image_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="expected an image array"):
        photo_ink(np.zeros((0,)))


def test_a_blank_ruled_page_gives_no_ink_and_no_number(classifier):
    blank_sheet = scenes.on_table(scenes.sheet([], ruled=40), scenes.corners(5))
    for photo in (scenes.close_up([], ruled=45, angle=7), blank_sheet):
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


class FixedJudge:
    """A stand-in pixel CNN that reads every digit it is given as `digit`, this surely."""

    def __init__(self, digit: int, sure: float) -> None:
        self.digit, self.sure = digit, sure

    def predict_proba(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        answers = np.full((len(images), 10), (1 - self.sure) / 9, np.float32)
        answers[:, self.digit] = self.sure
        return answers


def line_read_as(digits: str, sure: float = 0.6):
    """A line reading of a two-digit picture: each digit read as in `digits`, `sure`ly, the halves its own."""
    from digit_app.photos.line_reader import Calibration, DigitSpan, LineReading

    spans = []
    for index, digit in enumerate(digits):
        probabilities = np.full(10, (1 - sure) / 9, np.float32)
        probabilities[int(digit)] = sure
        spans.append(DigitSpan(int(digit), probabilities, index * 60.0, index * 60.0 + 60.0))
    return LineReading(tuple(spans), 0.9, True, float(np.log(sure) * len(digits))), Calibration(1.0, 3.0, 0.5)


def test_the_pixel_cnn_judges_each_digit_the_line_reader_placed_and_a_changed_number_is_not_sure():
    from digit_app.photo import _found

    picture = np.zeros((48, 120), np.float32)
    picture[8:40, 25:29] = 1.0  # a 1 in the left half
    picture[8:40, 85:89] = 1.0  # and in the right half
    reading, calibration = line_read_as("71")
    found = _found(reading, picture, (100, 50, 220, 98), 1.0, FixedJudge(1, 0.99), calibration)
    assert found.number.text == "11" and not found.sure  # the judge changed the 7: not sure
    assert found.digit_boxes[0] == (125.0, 58.0, 129.0, 90.0)  # each box tightened to its ink, on the page
    alone = _found(reading, picture, (100, 50, 220, 98), 1.0, None, calibration)
    assert alone.number.text == "71" and alone.sure
    agreeing = _found(line_read_as("11")[0], picture, (0, 0, 120, 48), 1.0, FixedJudge(1, 0.99), calibration)
    assert agreeing.sure and agreeing.confidence > alone.confidence  # a judge that agrees makes it surer


def test_the_cut_s_digits_are_read_where_it_finds_as_many_and_a_disagreement_is_not_sure(classifier):
    from digit_app.photo import _checked, _found, _read_line

    picture = np.zeros((48, 120), np.float32)
    picture[8:40, 25:29] = 1.0
    picture[8:40, 85:89] = 1.0
    reading, calibration = line_read_as("71", sure=0.9)
    whole = _found(reading, picture, (0, 0, 120, 48), 1.0, None, calibration)
    cut = _read_line(picture, (0, 0, 120, 48), 1.0, classifier)
    assert cut.number.text == "11"
    checked = _checked(whole, cut, calibration)
    assert checked.number.text == "11" and not checked.sure and len(checked.digit_boxes) == 2
    one = _read_line(picture[:, :60], (0, 0, 60, 48), 1.0, classifier)  # a cut that finds one digit only
    assert _checked(whole, one, calibration) is whole
    assert _checked(whole, None, calibration) is whole


def test_the_confidence_shown_weighs_what_both_readers_said_and_whether_the_cut_agrees(classifier):
    from digit_app.photo import _checked, _found, _read_line, _shown
    from digit_app.photos.confidence import ShownConfidence

    picture = np.zeros((48, 120), np.float32)
    picture[8:40, 25:29] = 1.0
    picture[8:40, 85:89] = 1.0
    reading, calibration = line_read_as("11", sure=0.9)
    whole = _found(reading, picture, (0, 0, 120, 48), 1.0, FixedJudge(1, 0.99), calibration)
    assert whole.evidence is not None and whole.evidence.judge_least == pytest.approx(0.99, abs=1e-6)
    cut = _read_line(picture, (0, 0, 120, 48), 1.0, classifier)
    agreeing = _checked(whole, cut, calibration)
    assert agreeing.number.text == "11" and agreeing.evidence.agree and not whole.evidence.agree
    fit = ShownConfidence((0.0, 0.0, 0.0, 3.0, 0.0), -1.0, 0.8)  # only the readers' agreement counts
    assert _shown(agreeing, fit).confidence == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert _shown(agreeing, fit).sure and not _shown(whole, fit).sure
    assert _shown(whole, None) is whole  # no fit for this reader: the line reader's own calibration stands
    changed = _checked(_found(line_read_as("71", sure=0.9)[0], picture, (0, 0, 120, 48), 1.0, None, calibration),
                       cut, calibration)
    assert changed.evidence is None  # unjudged: no evidence, so no fit is applied


def test_the_evidence_says_how_clear_the_least_clear_digit_is_and_whether_the_cut_counted_as_many(classifier):
    from digit_app.photo import _checked, _found, _read_line

    picture = np.zeros((48, 120), np.float32)
    picture[8:40, 25:29] = 1.0
    picture[8:40, 85:89] = 1.0
    reading, calibration = line_read_as("11", sure=0.9)
    clear = _found(reading, picture, (0, 0, 120, 48), 1.0, FixedJudge(1, 0.99), calibration).evidence
    assert clear.digits == 2 and clear.least_margin == pytest.approx(0.945 - 0.11 / 18, abs=1e-5)
    torn = _found(line_read_as("71", sure=0.9)[0], picture, (0, 0, 120, 48), 1.0, FixedJudge(1, 0.99), calibration)
    assert torn.evidence.least_margin == pytest.approx(0.05, abs=1e-5)  # the 7 the judge read as a 1, barely
    whole = _found(reading, picture, (0, 0, 120, 48), 1.0, FixedJudge(1, 0.99), calibration)
    assert _checked(whole, _read_line(picture, (0, 0, 120, 48), 1.0, classifier), calibration).evidence.count_agree
    one = _read_line(picture[:, :60], (0, 0, 60, 48), 1.0, classifier)  # the cut finds one digit only
    assert not _checked(whole, one, calibration).evidence.count_agree
    nothing = _read_line(np.zeros((48, 120), np.float32), (0, 0, 120, 48), 1.0, classifier)
    assert nothing.number is None and not _checked(whole, nothing, calibration).evidence.count_agree


def test_a_thick_penned_line_is_read_from_its_darker_core_so_a_loop_filled_by_blur_opens():
    from digit_app.photo import _line_picture
    from digit_app.photos.ink import stroke_width
    from digit_app.photos.lines import Line

    bar = np.zeros((40, 60), bool)
    bar[10:15, 5:55] = True
    assert stroke_width(bar) == pytest.approx(5, abs=0.6) and stroke_width(np.zeros((9, 9), bool)) == 0.0
    y, x = np.mgrid[0:60, 0:60]
    distance = np.hypot(y - 30, x - 30)
    labels = (distance <= 20).astype(np.int32)  # a small 0 whose loop the blur filled: one solid mark
    darkness = np.where(distance <= 12, 0.3, np.where(distance <= 20, 0.8, 0.0)).astype(np.float32)
    line = Line((10, 10, 51, 51), (1,))
    filled, _, _ = _line_picture(labels, line)
    cored, _, _ = _line_picture(labels, line, darkness)
    middle = tuple(s // 2 for s in cored.shape)
    assert filled[middle] > 0.5 and cored[middle] == 0.0 and cored.max() > 0.5
