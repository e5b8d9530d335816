"""The Draw page's answer as one piece of HTML (digit_app/ui/answer.py): what it says, its hooks, "Why" on strokes."""

from __future__ import annotations

import re

import numpy as np

from digit_app.prediction import Reading
from digit_app.strokes.canvas import CanvasStroke
from digit_app.ui.answer import (ANSWER_ID, CONFIDENCE_ID, MODEL_ID, NOTE_ID, answer_text, digit_panel, hooked,
                                 why_picture, why_svg)


def reading(digit: int, top: float, runner_up: int, second: float) -> Reading:
    probabilities = np.full(10, (1 - top - second) / 8)
    probabilities[digit], probabilities[runner_up] = top, second
    return Reading(digit, probabilities, np.zeros((28, 28), np.float32))


def test_an_empty_canvas_shows_no_digit_no_confidence_and_says_why():
    shown = hooked(digit_panel(None, None, "Model: shipped"))
    assert shown[ANSWER_ID] == "—" and CONFIDENCE_ID not in shown
    assert shown[NOTE_ID].startswith("Nothing drawn yet") and shown[MODEL_ID] == "Model: shipped"
    assert hooked(digit_panel(None, "That looks like 2 digits <side by side>", ""))[NOTE_ID] == (
        "That looks like 2 digits <side by side>")  # escaped in the HTML, read back as written


def test_a_sure_answer_has_its_confidence_and_an_unsure_one_names_both_digits():
    sure = hooked(digit_panel(reading(7, 0.97, 1, 0.01), None, ""))
    assert (sure[ANSWER_ID], sure[CONFIDENCE_ID], sure[NOTE_ID]) == ("7", "97%", "")
    unsure = hooked(digit_panel(reading(5, 0.48, 8, 0.45), None, ""))
    assert unsure[ANSWER_ID] == "5" and unsure[NOTE_ID] == "Not sure: it could be 5 or 8."


def test_the_answer_hook_is_found_only_in_an_answer_panel():
    assert answer_text(digit_panel(reading(3, 0.9, 8, 0.05), None, "")) == "3"
    assert answer_text('<figure role="img" aria-label="Probability of each digit">') is None


def test_why_is_the_strokes_with_their_colour_changing_along_them():
    stroke = CanvasStroke(np.array([[40.0, 50.0], [100.0, 50.0], [160.0, 50.0], [220.0, 50.0]], np.float32), 18.0)
    dot = CanvasStroke(np.array([[130.0, 200.0]], np.float32), 18.0)
    colours = [np.array([[1.0, 0.3, 0.3], [1.0, 0.3, 0.3], [0.35, 0.35, 0.35], [0.35, 0.35, 0.35]]),
               np.array([[0.25, 0.55, 1.0]])]
    shown = why_picture([stroke, dot], colours, reading(7, 0.9, 1, 0.05))
    assert 'alt="Your strokes coloured: red where they made it a 7, blue where they looked like a 1"' in shown
    svg = why_svg(shown)
    lines = re.findall(r'<polyline points="([^"]*)" stroke="(#[0-9a-f]{6})"', svg)
    red, blend, grey, blue = (tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) for _, colour in lines)
    assert red[0] == 255 and red[1] == red[2] < 100  # the stretch that made the answer
    assert grey[0] == grey[1] == grey[2] < 100  # the stretch that decided nothing
    assert grey[0] < blend[0] < red[0] and red[1] <= blend[1] <= grey[1] + 40  # the segment between them: between
    assert blue[2] == 255 and blue[0] < blue[1] < blue[2]  # the dot, the runner-up's
    assert lines[0][0].split() == ["40.0,50.0", "100.0,50.0"]  # each run along the stroke's own points
    x, y, width, height = (float(v) for v in re.search(r'viewBox="([^"]*)"', svg).group(1).split())
    assert width == height and x <= 40 - 18 and x + width >= 220 + 18 and y <= 50 - 18 and y + height >= 200 + 18
