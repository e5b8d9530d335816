"""The canvas value at the page boundary: honest drawings read as drawn, anything else refused in a sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digit_app.strokes.canvas import CanvasLimits, CanvasValueError, canvas_strokes, signature
from tests.canvas_values import SEVEN, drawing_json, fabric_path, hostile_values

LIMITS = CanvasLimits((280, 280), (5, 40), max_strokes=20, max_points=2_000, max_total_points=6_000)


def test_strokes_come_in_drawing_order_with_their_width():
    first, second = [(60, 60), (200, 60), (120, 250)], [(90, 150), (170, 150)]
    data = json.loads(json.dumps({"version": "7.4.0", "objects": [fabric_path(first, 14), fabric_path(second, 9)]}))
    strokes = canvas_strokes(data, LIMITS)
    assert [s.width for s in strokes] == [14, 9]
    np.testing.assert_allclose(strokes[0].points[0], (60, 60))
    np.testing.assert_allclose(strokes[0].points[-1], (120, 250))
    np.testing.assert_allclose(strokes[1].points[[0, -1]], [(90, 150), (170, 150)])
    assert strokes[0].points.dtype == np.float32


def test_a_stroke_moved_after_drawing_is_read_where_it_now_is():
    stroke = fabric_path([(90, 150), (170, 150)])
    stroke["left"] += 50  # dragged 50 px right in the toolbar's edit mode
    np.testing.assert_allclose(canvas_strokes({"objects": [stroke]}, LIMITS)[0].points[[0, -1]],
                               [(140, 150), (220, 150)])


def test_other_objects_and_empty_paths_are_left_out():
    data = {"objects": [{"type": "rect", "width": 10}, {"type": "path", "strokeWidth": 10, "path": []},
                        fabric_path([(10, 10), (50, 50)], 10)]}
    assert len(canvas_strokes(data, LIMITS)) == 1
    assert canvas_strokes({"objects": []}, LIMITS) == ()


def test_a_stroke_dragged_a_little_past_the_edge_is_kept():
    assert len(canvas_strokes(drawing_json([[(100, 100), (300, 100), (-60, 320)]], 20), LIMITS)) == 1


@pytest.mark.parametrize(("data", "words"), [
    (None, "not a drawing"), ("x", "not a drawing"), ({"objects": "x"}, "not a drawing"),
    ({"objects": [fabric_path([(1, 2), (3, 4)])] * 21}, "more than 20 strokes"),
    (drawing_json(SEVEN, 41), "41 px wide; the brush here is 5 to 40"),
    (drawing_json(SEVEN, 4.5), "4.5 px wide"),
    (drawing_json([[(1e308, 5), (6, 7)]], 20), "far outside"),
    (drawing_json([[(500, 5), (600, 7)]], 20), "far outside"),  # more than half a canvas past its edge
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", float("nan"), 1]]}]}, "not a number"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", "1", "2"]]}]}, "not a number"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", True, 2]]}]}, "not a number"),
    # one bad number among a long stroke's hundreds, which are checked all at once, is still named
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", 1, 2]] + [["Q", 3, 4, 5, 6]] * 150
                   + [["L", 7, False]]}]}, "not a number"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", 1, 2]] + [["Q", 3, 4, 5, 6.5]] * 150
                   + [["L", -2e5, 8]]}]}, "far outside"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", 1, 2]] + [["L", float("inf"), 4]]}]},
     "not a number"),
    ({"objects": [{"type": "path", "strokeWidth": None, "path": [["M", 1, 2]]}]}, "not a number"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": "M 1 2"}]}, "cannot read"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", 1, 2, 3]]}]}, "cannot read"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["Z", 1, 2]]}]}, "cannot read"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", 1, 2]] * 2_001}]}, "cannot read"),
    ({"objects": [{"type": "path", "strokeWidth": 20, "path": [["M", 1, 2]] * 1_900}] * 4}, "more points"),
    ({"objects": [fabric_path(SEVEN[0], 20, scaleX=1e6)]}, "stretched"),
    ({"objects": [fabric_path(SEVEN[0], 20, scaleY=0.01)]}, "stretched"),
    ({"objects": [fabric_path(SEVEN[0], 20, angle=float("inf"))]}, "not a number"),
])
def test_a_value_the_canvas_cannot_have_sent_is_refused_in_a_sentence(data, words):
    with pytest.raises(CanvasValueError, match=words) as refused:
        canvas_strokes(data, LIMITS)
    message = str(refused.value)
    assert message.endswith(".") and "Traceback" not in message


@pytest.mark.parametrize("name", [name for name in hostile_values() if name not in ("nested 100,000 deep", "not JSON")])
def test_every_crafted_value_gives_strokes_or_a_sentence(name):
    value = json.loads(hostile_values()[name])
    raw = value.get("drawing", {}).get("raw") if isinstance(value, dict) and isinstance(value.get("drawing"), dict) \
        else value
    try:
        strokes = canvas_strokes(raw, LIMITS)
    except CanvasValueError:
        return
    assert all(stroke.points.shape[1] == 2 and 5 <= stroke.width <= 40 for stroke in strokes)
    assert all(np.isfinite(stroke.points).all() for stroke in strokes)


def test_the_signature_tells_drawings_apart_and_knows_the_same_one_again():
    one = canvas_strokes(drawing_json(SEVEN, 20), LIMITS)
    assert signature(one) == signature(canvas_strokes(drawing_json(SEVEN, 20), LIMITS))
    assert signature(one) != signature(canvas_strokes(drawing_json(SEVEN, 21), LIMITS))
    assert signature(one) != signature(canvas_strokes(drawing_json([[(60, 50), (220, 51)]], 20), LIMITS))


def test_strokes_drawn_again_on_a_canvas_come_back_as_they_were():
    from digit_app.strokes.canvas import fabric_paths

    strokes = canvas_strokes(drawing_json([[(60, 60), (200, 60), (120, 250)], [(90, 150), (170, 150)]], 14), LIMITS)
    again = canvas_strokes({"objects": fabric_paths(strokes)}, LIMITS)
    assert [s.width for s in again] == [s.width for s in strokes]
    for before, after in zip(strokes, again):
        np.testing.assert_allclose(after.points, before.points, atol=1e-4)


def test_a_drawing_fitted_to_another_canvas_fits_it_and_keeps_its_shape():
    from digit_app.strokes.canvas import fitted

    seven = canvas_strokes(drawing_json(SEVEN, 20), LIMITS)  # 160 x 190 px on the digit canvas
    wide = fitted(seven, (560, 200), (5, 40))
    points = np.concatenate([s.points for s in wide])
    assert points[:, 1].min() >= 20 - 1e-3 and points[:, 1].max() <= 180 + 1e-3  # shrunk to fit 200 px high
    assert points[:, 0].min() == pytest.approx(56, abs=1)  # at the left, where a number starts
    ratio = np.ptp(points, axis=0)
    assert ratio[0] / ratio[1] == pytest.approx(160 / 190, rel=1e-3)  # the same shape
    assert 5 <= wide[0].width < 20  # the brush shrinks with it, within the page's range
    back = np.concatenate([s.points for s in fitted(wide, (280, 280), (5, 40))])
    assert (back.min(axis=0) + back.max(axis=0)) / 2 == pytest.approx((140, 140), abs=1)  # centred
    assert fitted((), (280, 280), (5, 40)) == ()
