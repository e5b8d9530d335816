"""Canvas values as streamlit-drawable-canvas 0.13 sends them, honest and hostile.

`canvas_value` turns strokes into the value a browser's canvas sends after drawing them (fabric.js
paths: M, then Q curves through the pointer's positions). `HOSTILE` are values a client of its own
could send instead, each with what the page must do with it. Shared by the page tests (seeded into
AppTest's session state under the canvas' key), the protocol test and `benchmarks/hostile_visitors.py`.
"""

from __future__ import annotations

import base64
import functools
import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

DIGIT_CANVAS_KEY = "canvas-digit-0"  # the Draw page's canvas keys, before any remount
NUMBER_CANVAS_KEY = "canvas-number-0"


def fabric_path(points: Sequence[Sequence[float]], width: float = 12.0, **placement: Any) -> dict:
    """A freehand stroke as canvas 0.13 reports it: M, then Q curves through the pointer's positions."""
    points = [(float(x), float(y)) for x, y in points]
    path = [["M", *points[0]]] + [["Q", *a, *((np.add(a, b) / 2).tolist())] for a, b in zip(points, points[1:])]
    path.append(["L", *points[-1]])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return {"type": "path", "originX": "center", "originY": "center", "strokeWidth": width,
            "left": (min(xs) + max(xs)) / 2, "top": (min(ys) + max(ys)) / 2, "path": path, **placement}


def drawing_json(strokes: Sequence[Sequence[Sequence[float]]], brush: float) -> dict:
    """The canvas' `json_data` after drawing `strokes` with one brush."""
    return {"version": "7.4.0", "objects": [fabric_path(stroke, brush) for stroke in strokes]}


def canvas_value(json_data: Any, image_data_url: str | None = None) -> dict:
    """The whole component value the browser sends (what `st_canvas` reads its result from)."""
    return {"drawing": {"raw": json_data, "data": image_data_url}, "backgroundFit": None}


def seed(at, strokes: Sequence[Sequence[Sequence[float]]], brush: float = 20, key: str = DIGIT_CANVAS_KEY) -> None:
    """Have AppTest's canvas send these strokes at its next run, as a browser's canvas would."""
    at.session_state[key] = canvas_value(drawing_json(strokes, brush))


def _png_data_url(width: int, height: int, kind: str = "PNG") -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, format=kind)
    return f"data:image/{kind.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


SEVEN = [[(60.0, 50.0), (220.0, 50.0), (120.0, 240.0)]]


def hostile_values() -> dict[str, str]:
    """Crafted component values, by name, as the JSON text a client would send (made once: the 12000x12000
    PNG and the 200,000-point path take seconds; each call gets its own dict)."""
    return dict(_hostile_values())


@functools.cache
def _hostile_values() -> tuple[tuple[str, str], ...]:
    seven = drawing_json(SEVEN, 20)
    long_path = [["M", 100.0, 100.0]] + [["L", 100.0 + (i % 50), 100.0 + (i % 70)] for i in range(200_000)]
    values = {
        "huge PNG (12000x12000) beside a real drawing": canvas_value(seven, _png_data_url(12000, 12000)),
        "EPS as image data": canvas_value(seven, "data:image/eps;base64," + base64.b64encode(
            b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n").decode()),
        "ICO as image data": canvas_value(seven, _png_data_url(64, 64, "ICO")),
        "200,000-point path": canvas_value({"objects": [{"type": "path", "strokeWidth": 20, "path": long_path}]}),
        "stroke width 2e9": canvas_value(drawing_json(SEVEN, 2e9)),
        "stroke width 0": canvas_value(drawing_json(SEVEN, 0)),
        "coordinates 1e308": canvas_value(drawing_json([[(1e308, 1e308), (-1e308, 5.0)]], 20)),
        "coordinates far off the canvas": canvas_value(drawing_json([[(5e5, 5e5), (6e5, 6e5)]], 20)),
        "scaled a million times": canvas_value({"objects": [fabric_path(SEVEN[0], 20, scaleX=1e6, scaleY=1e6)]}),
        "5,000 strokes": canvas_value(drawing_json([[(10.0 + i % 250, 10.0), (10.0 + i % 250, 200.0)]
                                                    for i in range(5000)], 10)),
        "numbers as text": canvas_value({"objects": [{"type": "path", "strokeWidth": "20",
                                                      "path": [["M", "1", "2"], ["L", "3", "4"]]}]}),
        "booleans as numbers": canvas_value({"objects": [{"type": "path", "strokeWidth": True,
                                                          "path": [["M", True, False], ["L", 3, 4]]}]}),
        "unknown path command": canvas_value({"objects": [{"type": "path", "strokeWidth": 20,
                                                           "path": [["X", 1, 2, 3, 4, 5, 6, 7, 8]]}]}),
        "objects not a list": canvas_value({"objects": "all of them"}),
        "drawing not an object": {"drawing": [1, 2, 3], "backgroundFit": None},
        "raw drawing a number": canvas_value(42),
        "value a string": "a drawing",
        "value null": None,
        "background fit of the wrong shape": {"drawing": {"raw": seven, "data": None}, "backgroundFit": {"x": 1}},
        "every value at once": canvas_value({"objects": [fabric_path(SEVEN[0], 20, angle=1e300, left=-1e300)]}),
    }
    texts = {name: json.dumps(value) for name, value in values.items()}
    texts["nested 100,000 deep"] = '{"drawing": {"raw": {"objects": ' + "[" * 100_000 + "]" * 100_000 + "}}}"
    texts["not JSON"] = '{"drawing": {"raw": '
    return tuple(texts.items())
