"""Reading a drawing (read_digit, the 'not sure' rule) and a number, from pixels and from strokes: the combined
reader, each candidate digit read once and remembered."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.prediction import Reading, read_digit, read_number, read_number_strokes
from digit_app.render import blank_canvas, draw_strokes
from digit_app.strokes.canvas import CanvasStroke
from digit_app.strokes.grouping import group_strokes
from digit_app.strokes.pen_digits import load_pen_digits
from digit_app.strokes.pen_numbers import write_number
from tests.strokes import digit_strokes, draw_digit


def reading(probabilities: list[float]) -> Reading:
    p = np.array(probabilities + [0.0] * (10 - len(probabilities)))
    return Reading(digit=int(p.argmax()), probabilities=p, model_input=np.zeros((28, 28)))


@pytest.mark.parametrize(
    ("probabilities", "sure"),
    [([0.02, 0.95, 0.03], True), ([0.1, 0.5, 0.4], False), ([0.0, 0.55, 0.05], False), ([0.3, 0.65, 0.05], True)],
)
def test_not_sure_when_weak_or_close(probabilities, sure):
    assert reading(probabilities).is_sure is sure


def test_runner_up_is_the_second_most_likely():
    assert reading([0.1, 0.6, 0.0, 0.3]).runner_up == 3


def test_read_digit_on_a_drawing(classifier):
    result = read_digit(draw_digit(4, 60, 50, 170, brush=16), classifier)
    assert result is not None and result.digit == 4 and result.model_input.shape == (28, 28)
    assert np.isclose(result.probabilities.sum(), 1.0, atol=1e-4)


def test_nothing_drawn_reads_as_none(classifier):
    assert read_digit(np.asarray(blank_canvas()), classifier) is None
    assert read_digit(None, classifier) is None


def test_read_number_reads_each_digit_left_to_right(classifier):
    from tests.test_preprocess import number_canvas

    number = read_number(number_canvas([2, 0, 4, 7], gap=30), classifier)
    assert number is not None and number.text == "2047"
    assert len(number.digits) == 4 and all(r.model_input.shape == (28, 28) for r in number.digits)
    assert 0.0 < number.confidence <= min(r.confidence for r in number.digits)


def test_a_stray_dot_in_a_number_is_no_digit_and_nothing_drawn_reads_as_none(classifier):
    from digit_app.render import draw_strokes
    from tests.test_preprocess import number_canvas

    canvas = np.maximum(number_canvas([7, 1], gap=60),
                        draw_strokes([[(200, 150), (201, 150)]], brush=12, size=(720, 200)))  # a decimal point
    assert read_number(canvas, classifier).text == "71"
    assert read_number(np.asarray(blank_canvas((600, 200))), classifier) is None
    assert read_number(None, classifier) is None


NUMBER_SIZE = (560, 200)


def number(*digits: tuple[int, float], top: float = 50, size: float = 100) -> list[np.ndarray]:
    """Hand-made digits at these left edges, written in order."""
    return [stroke for digit, left in digits for stroke in digit_strokes(digit, left, top, size)]


def test_digits_written_touching_come_apart_by_their_strokes(classifier):
    # the 2's base runs under the 3, and the 3 touches the 2: pixels alone cannot tell them apart
    strokes = number((2, 20), (3, 95), (7, 180))
    canvas = draw_strokes(strokes, brush=14, size=NUMBER_SIZE)
    assert group_strokes(strokes) == [[0], [1], [2]]
    assert canvas[..., 0].any()
    reading = read_number_strokes([CanvasStroke(s, 14) for s in strokes], classifier, NUMBER_SIZE)
    assert reading.text == "237"


def test_a_wide_two_keeps_its_base_and_a_decimal_point_is_left_out(classifier):
    wide_two = [np.array([(20, 80), (60, 45), (110, 50), (120, 90), (30, 150), (250, 150)], np.float32)]
    dot = [np.array([(265, 148), (266, 149)], np.float32)]
    strokes = wide_two + dot + number((7, 290), size=100)
    groups = group_strokes(strokes)
    assert [0] in groups and [1] in groups and [2] in groups
    reading = read_number_strokes([CanvasStroke(s, 12) for s in strokes], classifier, NUMBER_SIZE)
    assert reading.text == "27"  # the dot is no digit
    assert reading.digits[0].box[2] >= 250  # the 2's box reaches the end of its base


def test_numbers_by_writers_never_trained_on_are_mostly_read_right(classifier):
    """Twenty numbers of 2-4 pen digits by the held-out writers, written close, read as the Draw page reads them."""
    pen = load_pen_digits().held_out()
    rng = np.random.default_rng(1)
    right = 0
    for _ in range(20):
        writer = rng.choice(np.unique(pen.writers))
        chosen = rng.choice(np.flatnonzero(pen.writers == writer), rng.integers(2, 5), replace=False)
        written = write_number([pen.strokes[i] for i in chosen], rng, close=True)
        strokes = [CanvasStroke(s, 10) for digit in written for s in digit]
        reading = read_number_strokes(strokes, classifier, NUMBER_SIZE)
        right += reading is not None and reading.text == "".join(str(pen.labels[i]) for i in chosen)
    assert right >= 16


def test_a_drawing_with_its_strokes_reads_both_and_without_them_pixels(classifier):
    strokes = digit_strokes(4, 60, 40, 180)
    canvas = draw_strokes(strokes, brush=16)
    with_strokes = read_digit(canvas, classifier, [CanvasStroke(s, 16) for s in strokes])
    pixels_only = read_digit(canvas, classifier)
    assert with_strokes.digit == pixels_only.digit == 4
    expected = classifier.predict_proba(pixels_only.model_input)[0]
    np.testing.assert_allclose(pixels_only.probabilities, expected, atol=1e-6)
    if classifier.reads_strokes:
        assert not np.allclose(with_strokes.probabilities, pixels_only.probabilities)


def test_a_scribble_over_the_canvas_is_refused_from_pixels_and_from_strokes(classifier):
    from digit_app.preprocess import UnreadableDrawingError

    rng = np.random.default_rng(5)
    # back and forth over the whole canvas with a broad brush: the ink fills it
    zigzag = np.array([(20 + 240 * (i % 2), 20 + 6 * i) for i in range(41)], np.float32)
    canvas = draw_strokes([zigzag], brush=30)
    with pytest.raises(UnreadableDrawingError, match="fills the canvas"):
        read_digit(canvas, classifier)
    # a looser scribble: little ink, but the pen went round and round
    walk = np.cumsum(rng.normal(0, 20, (300, 2)), axis=0)
    walk = ((walk - walk.min(0)) / np.ptp(walk, 0) * 200 + 40).astype(np.float32)
    with pytest.raises(UnreadableDrawingError, match="scribble"):
        read_digit(draw_strokes([walk], brush=8), classifier, [CanvasStroke(walk, 8)])
    # a real digit drawn with the widest brush, large, is still read
    four = digit_strokes(4, 40, 40, 200)
    assert read_digit(draw_strokes(four, brush=40), classifier, [CanvasStroke(s, 40) for s in four]).digit == 4


class CountingClassifier:
    """The shipped model, counting how many candidate digits it is asked to read."""

    def __init__(self, classifier) -> None:
        self.inner, self.read = classifier, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def predict_drawing(self, pixels, features=None, calibrated=True):
        self.read += len(pixels)
        return self.inner.predict_drawing(pixels, features, calibrated=calibrated)


def test_each_stroke_of_a_number_reads_only_the_candidates_it_adds(classifier):
    """The page reads the number again after every stroke: candidates read before are remembered."""
    from digit_app.prediction import CandidateMemo, StrokeNumberReader

    counting, memo = CountingClassifier(classifier), CandidateMemo()
    strokes = [CanvasStroke(s, 12) for s in number((2, 20), (0, 140), (4, 260), (7, 400))]
    for count in range(1, len(strokes) + 1):
        before = counting.read
        reading = StrokeNumberReader(strokes[:count], counting, NUMBER_SIZE, None, memo=memo).read()
        assert counting.read - before <= 3  # runs ending at the new stroke: it alone, or with one or two before
    assert reading.text == "2047"
    cold = CountingClassifier(classifier)
    assert StrokeNumberReader(strokes, cold, NUMBER_SIZE, None, memo=CandidateMemo()).read().text == "2047"
    assert cold.read > 3  # read cold, every candidate is new


def test_a_model_never_answers_from_another_models_memory(classifier):
    from digit_app.prediction import CandidateMemo, StrokeNumberReader

    memo, strokes = CandidateMemo(), [CanvasStroke(s, 12) for s in number((7, 20))]
    other = CountingClassifier(classifier)
    StrokeNumberReader(strokes, classifier, NUMBER_SIZE, None, memo=memo).read()
    StrokeNumberReader(strokes, other, NUMBER_SIZE, None, memo=memo).read()
    assert other.read == 1


def test_the_memory_of_candidates_is_bounded():
    from digit_app.prediction import CandidateMemo

    class Model:
        pass

    memo, model = CandidateMemo(entries=3), Model()
    for key in "abcd":
        memo.put(model, key, None)
    assert memo.get(model, "a") == (False, None) and memo.get(model, "d") == (True, None)


def test_tangled_strokes_or_too_much_new_writing_at_once_get_a_sentence(classifier):
    from digit_app.preprocess import UnreadableDrawingError

    rng = np.random.default_rng(0)
    tangle = [CanvasStroke(np.stack([rng.uniform(100, 300, 20), rng.uniform(20, 180, 20)], 1).astype(np.float32), 9)
              for _ in range(40)]
    with pytest.raises(UnreadableDrawingError, match="overlap too much"):
        read_number_strokes(tangle, classifier, NUMBER_SIZE)
    columns = [CanvasStroke(np.array([(15 + 13 * i, 40), (15 + 13 * i, 160)], np.float32), 9) for i in range(20)]
    with pytest.raises(UnreadableDrawingError, match="more writing than can be read at once"):
        read_number_strokes(columns, classifier, NUMBER_SIZE, max_new=32)
    assert read_number_strokes(columns[:6], classifier, NUMBER_SIZE, max_new=32).text == "111111"


def test_a_run_of_strokes_that_scribbles_is_never_drawn_as_a_digit(classifier):
    zigzag = np.stack([np.linspace(20, 540, 60), 30 + 140 * (np.arange(60) % 2)], 1).astype(np.float32)
    one = [CanvasStroke(s, 12) for s in number((1, 20))]
    assert read_number_strokes([CanvasStroke(zigzag, 12)], classifier, NUMBER_SIZE) is None
    assert read_number_strokes(one, classifier, NUMBER_SIZE).text == "1"
