"""read_digit and the 'not sure' rule."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.prediction import Reading, read_digit, read_number
from digit_app.render import blank_canvas
from tests.strokes import draw_digit


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
