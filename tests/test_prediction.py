"""read_digit and the 'not sure' rule."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.prediction import Reading, read_digit
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
