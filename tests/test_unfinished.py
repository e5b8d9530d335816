"""Whether a drawing may be the beginning of a digit of more strokes (digit_app/unfinished.py)."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.prediction import Reading
from digit_app.strokes.canvas import CanvasStroke
from digit_app.ui.answer import digit_panel
from digit_app.unfinished import FEATURES, Example, Unfinished, fit_unfinished, may_go_on, shape_features


def sure(digit: int) -> Reading:
    probabilities = np.full(10, 0.01)
    probabilities[digit] = 0.91
    return Reading(digit=digit, probabilities=probabilities, model_input=np.zeros((28, 28)))


def line(*points: tuple[float, float]) -> CanvasStroke:
    ends = np.array(points, np.float32)
    along = np.linspace(0, 1, 20)[:, None]
    return CanvasStroke(np.concatenate([a + along * (b - a) for a, b in zip(ends[:-1], ends[1:])]), 18.0)


def test_a_5_begun_with_its_top_bar_waits_but_a_1_written_with_its_flag_does_not():
    """The shipped model: a flat bar read surely as 1 is how many writers begin a 5; a flag then a long down
    stroke, in one, is a whole 1."""
    bar, one = line((60, 80), (200, 70)), line((120, 60), (150, 40), (130, 240))
    assert may_go_on((bar,), sure(1))
    assert not may_go_on((one,), sure(1))


def test_an_unsure_answer_or_no_drawing_never_waits():
    bar = line((60, 80), (200, 70))
    unsure = Reading(digit=1, probabilities=np.full(10, 0.1), model_input=np.zeros((28, 28)))
    assert not may_go_on((bar,), unsure)
    assert not may_go_on((), sure(1)) and not may_go_on((bar,), None)


def test_shape_features_see_proportions_closure_and_ends():
    ring = np.array([[100 + 50 * np.cos(t), 100 + 80 * np.sin(t)] for t in np.linspace(0, 2 * np.pi, 40)])
    features = shape_features([ring], np.array([0.9, 0.05] + [0.00625] * 8))
    assert features.shape == (FEATURES,)
    assert features[0] == 0.0 and features[1] == pytest.approx(np.log(160 / 100), abs=0.02)  # taller than wide
    assert features[2] < 0.01  # closed
    assert features[-1] == pytest.approx(np.log(0.05 + 1e-6))


def fake(digit: int, beginning: bool, x: float) -> Example:
    return Example(np.r_[x, np.zeros(FEATURES - 1)], digit, beginning, 2 if beginning else 1, digit)


def test_the_fit_tells_beginnings_from_whole_digits_and_skips_a_digit_with_too_few():
    rng = np.random.default_rng(0)
    found = ([fake(1, True, x) for x in rng.normal(-2, 0.3, 40)] + [fake(1, False, x) for x in rng.normal(1, 0.3, 400)]
             + [fake(3, True, -2.0)] * 2 + [fake(3, False, 1.0)] * 50)
    model = fit_unfinished(found)
    assert model.chance(np.r_[-2.0, np.zeros(FEATURES - 1)], 1) > 0.9
    assert model.chance(np.r_[1.0, np.zeros(FEATURES - 1)], 1) < 0.05
    assert model.chance(np.r_[-2.0, np.zeros(FEATURES - 1)], 3) == 0.0  # two beginnings: no model for a 3
    again = Unfinished.from_json(model.to_json())
    assert again.chance(np.r_[-2.0, np.zeros(FEATURES - 1)], 1) == pytest.approx(
        model.chance(np.r_[-2.0, np.zeros(FEATURES - 1)], 1))
    with pytest.raises(ValueError):
        Unfinished.from_json('{"mean": [[0]], "scale": [[1]], "weights": [null], "threshold": 0.3}')


def test_the_answer_carries_the_mark_the_canvas_helper_waits_on():
    assert 'data-going-on="true"' in digit_panel(sure(1), None, "Model: shipped", going_on=True)
    assert "data-going-on" not in digit_panel(sure(1), None, "Model: shipped")
