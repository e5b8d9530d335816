"""What the Draw page keeps of its canvas: checked strokes (never pixels), and Clear that sticks."""

from __future__ import annotations

import numpy as np

from digit_app.strokes.canvas import CanvasLimits, signature
from digit_app.ui.canvas_memory import CanvasMemory
from tests.canvas_values import drawing_json
from tests.strokes import digit_strokes

LIMITS = CanvasLimits((280, 280), (5, 40))


def test_clear_forgets_the_drawing_even_if_the_canvas_sends_it_again():
    """The canvas empties itself in place when its initial drawing changes, and may send the old drawing once more."""
    memory = CanvasMemory({})
    seven, one = drawing_json(digit_strokes(7, 50, 40, 190), 20), drawing_json(digit_strokes(1, 50, 40, 190), 20)
    assert memory.take(seven, LIMITS) is None
    assert len(memory.strokes) == 1
    memory.clear()
    assert memory.strokes == () and memory.drawing(LIMITS.size) is None and memory.clears == 1
    memory.take(seven, LIMITS)  # the canvas' last value, sent before it emptied itself
    assert memory.strokes == ()
    memory.take(one, LIMITS)  # a stroke drawn right after Clear
    assert memory.strokes and memory.strokes[0].points[0, 0] == digit_strokes(1, 50, 40, 190)[0][0, 0]
    memory.take(seven, LIMITS)  # the same drawing drawn again later is a drawing like any other
    assert len(memory.strokes) == 1 and memory.strokes[0].points.shape[0] > 2
    memory.take(memory.initial_drawing(), LIMITS)  # nothing sent yet: the page's own value changes nothing
    assert len(memory.strokes) == 1


def test_only_strokes_are_kept_and_the_pixels_are_drawn_from_them():
    state: dict = {}
    memory = CanvasMemory(state)
    memory.take(drawing_json(digit_strokes(7, 50, 40, 190), 20), LIMITS)
    assert not any(isinstance(value, np.ndarray) for value in state.values())  # no image in the session
    drawing = memory.drawing(LIMITS.size)
    assert drawing.shape == (280, 280, 4) and drawing.dtype == np.uint8
    assert drawing[..., 0].max() == 255 and drawing[..., 3].min() == 255  # white ink on an opaque canvas
    assert drawing[50, 60:230, 0].mean() > 200  # the 7's bar, 20 px wide around y = 40 + 0.02 * 190
    assert drawing[270, :, 0].max() == 0  # nothing below the 7


def test_a_refused_value_forgets_the_drawing_and_says_why():
    memory = CanvasMemory({})
    memory.take(drawing_json(digit_strokes(7, 50, 40, 190), 20), LIMITS)
    problem = memory.take(drawing_json(digit_strokes(7, 50, 40, 190), 400), LIMITS)
    assert "400 px wide" in problem and memory.strokes == ()


def test_a_remount_gives_a_new_canvas_and_an_empty_drawing():
    memory = CanvasMemory({})
    memory.take(drawing_json(digit_strokes(7, 50, 40, 190), 20), LIMITS)
    memory.remount()
    assert memory.remounts == 1 and memory.strokes == () and memory.clears == 1


def test_the_drawing_goes_along_to_the_other_canvas_and_clear_empties_it():
    from digit_app.ui.canvas_memory import DIGIT_LIMITS, NUMBER_LIMITS

    memory = CanvasMemory({})
    memory.take(drawing_json(digit_strokes(7, 50, 40, 190), 20), DIGIT_LIMITS)
    memory.carry_to(NUMBER_LIMITS)
    assert memory.carried and len(memory.strokes) == 1
    assert memory.drawing(NUMBER_LIMITS.size)[..., 0].max() == 255  # drawn on the number canvas
    initial = memory.initial_drawing()
    assert len(initial["objects"]) == 1 and initial["objects"][0]["type"] == "Path"
    assert memory.take(initial, NUMBER_LIMITS) is None and len(memory.strokes) == 1  # nothing sent yet
    assert memory.initial_drawing() == initial  # unchanged while a person draws on
    memory.clear()
    assert not memory.carried and memory.strokes == () and memory.initial_drawing()["objects"] == []


def test_undo_takes_back_the_carried_strokes_last_first_and_the_canvas_redraws_without_them():
    from digit_app.ui.canvas_memory import DIGIT_LIMITS, NUMBER_LIMITS

    memory = CanvasMemory({})
    memory.take(drawing_json(digit_strokes(4, 50, 40, 190), 20), DIGIT_LIMITS)
    assert len(memory.strokes) == 2
    memory.carry_to(NUMBER_LIMITS)
    first, _ = memory.initial_drawing()["objects"]
    memory.undo_carried()
    assert memory.initial_drawing()["objects"] == [first] and len(memory.strokes) == 1
    sent_back = {"objects": [first]}  # the canvas redraws in place and sends what it shows
    assert memory.take(sent_back, NUMBER_LIMITS) is None and len(memory.strokes) == 1
    memory.undo_carried()
    assert not memory.carried and memory.strokes == () and memory.drawing(NUMBER_LIMITS.size) is None
    memory.undo_carried()  # nothing left to take back: nothing happens
    assert memory.strokes == () and memory.initial_drawing()["objects"] == []


def test_redo_puts_back_the_carried_strokes_undo_took_last_first_until_a_new_stroke_is_drawn():
    from digit_app.ui.canvas_memory import DIGIT_LIMITS, NUMBER_LIMITS

    memory = CanvasMemory({})
    memory.take(drawing_json(digit_strokes(4, 50, 40, 190), 20), DIGIT_LIMITS)
    memory.carry_to(NUMBER_LIMITS)
    carried, strokes = memory.initial_drawing()["objects"], memory.strokes
    assert not memory.redoable
    memory.undo_carried()
    assert memory.take({"objects": carried}, NUMBER_LIMITS) is None  # the canvas' last value, before the Undo
    assert memory.redoable and len(memory.strokes) == 1  # stale: neither a new stroke nor the drawing back
    memory.undo_carried()
    assert memory.redoable and memory.strokes == ()
    memory.redo_carried()
    assert memory.initial_drawing()["objects"] == carried[:1] and signature(memory.strokes) == signature(strokes[:1])
    assert memory.take({"objects": carried[:1]}, NUMBER_LIMITS) is None and memory.redoable  # the canvas redrawn
    memory.redo_carried()
    assert memory.initial_drawing()["objects"] == carried and signature(memory.strokes) == signature(strokes)
    assert memory.carried and not memory.redoable
    memory.redo_carried()  # nothing left to put back: nothing happens
    assert signature(memory.strokes) == signature(strokes)

    memory.undo_carried()
    seven = drawing_json(digit_strokes(7, 300, 40, 190), 20)["objects"][0]
    memory.take({"objects": [*carried[:1], seven]}, NUMBER_LIMITS)  # a new stroke drawn after Undo
    assert not memory.redoable and len(memory.strokes) == 2
    memory.undo_carried()
    memory.clear()
    assert not memory.redoable
