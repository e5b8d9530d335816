"""The strokes of a canvas drawing, read from the `json_data` that streamlit-drawable-canvas sends.

That value comes from the network: a browser sends it, and so can a client of its own. So it is
checked here, before any work, against what the page asked for (`CanvasLimits`): a bounded number
of strokes and points, finite coordinates near the canvas, a brush in the page's range. Anything
else is refused with `CanvasValueError`, whose message is a sentence for the person drawing.

Each freehand stroke is a fabric.js `path` object, in drawing order: "M x y", then "Q cx cy x y"
curves (or "L x y") through the pointer's positions, in canvas pixels. An object moved or scaled
afterwards carries that in `left`, `top`, `scaleX`, `scaleY` and `angle`, which are applied here.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from digit_app.errors import DigitAppError

NOT_MOVED = 3.0  # px: an object's box this close to its path's own has not been moved
PATH_COMMANDS = frozenset("MLQC")  # what fabric's freehand brush writes: move, line, quadratic and cubic curves
MAX_COORDINATE = 1e5  # px: no number in a drawing is larger (a canvas is a few hundred pixels)
PLAIN_NUMBERS = {int, float}  # what JSON numbers decode to (a bool is neither here, though Python counts it an int)
MAX_SCALE = 4.0  # an object scaled more (or less, 1 / MAX_SCALE) than this was not drawn on this page


class CanvasValueError(DigitAppError, ValueError):
    """The canvas sent a value this page did not ask for; the message says so in a sentence."""


@dataclass(frozen=True)
class CanvasLimits:
    """What a page's canvas may send: its size, its brush range, and how much drawing at most."""

    size: tuple[int, int]  # (width, height) in canvas pixels
    brush: tuple[float, float] = (1.0, 40.0)  # stroke widths the page's brush can draw
    max_strokes: int = 40  # objects on the canvas
    max_points: int = 2_000  # path commands in one stroke
    max_total_points: int = 8_000  # path commands in all the strokes together
    margin: float = 0.5  # share of the canvas a point may lie outside it (a stroke dragged past its edge)


@dataclass(frozen=True)
class CanvasStroke:
    """One stroke: (k, 2) float32 (x, y) canvas points in drawing order, and the brush width."""

    points: np.ndarray
    width: float


def canvas_strokes(json_data: Any, limits: CanvasLimits) -> tuple[CanvasStroke, ...]:
    """The freehand strokes in a canvas' `json_data`, in drawing order, checked against `limits`.

    Objects other than paths (a real canvas here draws none) are left out. Raises
    `CanvasValueError` for a value the page's canvas cannot have sent.
    """
    if not isinstance(json_data, dict):
        raise CanvasValueError("The canvas sent something that is not a drawing: clear it and draw again.")
    objects = json_data.get("objects", [])
    if not isinstance(objects, list):
        raise CanvasValueError("The canvas sent something that is not a drawing: clear it and draw again.")
    if len(objects) > limits.max_strokes:
        raise CanvasValueError(f"That is more than {limits.max_strokes} strokes: clear the canvas and write it "
                               "again with fewer.")
    paths = [item for item in objects if isinstance(item, dict) and str(item.get("type", "")).lower() == "path"]
    if sum(len(item["path"]) for item in paths if isinstance(item.get("path"), list)) > limits.max_total_points:
        raise CanvasValueError("That drawing has more points than this page reads: clear the canvas and draw again.")
    strokes = (_stroke(item, limits) for item in paths)
    return tuple(stroke for stroke in strokes if stroke is not None)


def _stroke(item: dict[str, Any], limits: CanvasLimits) -> CanvasStroke | None:
    """One path object as a stroke where it now lies on the canvas; None for an empty path."""
    width = _number(item.get("strokeWidth"), "a brush width", limit=math.inf)
    low, high = limits.brush
    if not low <= width <= high:
        raise CanvasValueError(f"The canvas sent a stroke {width:g} px wide; the brush here is {low:g} to "
                               f"{high:g} px. Clear it and draw again.")
    points = _path_points(item.get("path"), limits)
    if points is None:
        return None
    scale = [_number(item.get(key, 1), "a scale", limit=math.inf) for key in ("scaleX", "scaleY")]
    if not all(1 / MAX_SCALE <= abs(s) <= MAX_SCALE for s in scale):
        raise CanvasValueError("The canvas sent a stroke stretched far beyond the canvas: clear it and draw again.")
    placed = _placed(points, item, np.array(scale, np.float32))
    _check_near_canvas(placed, limits)
    return CanvasStroke(placed, width)


def _path_points(path: Any, limits: CanvasLimits) -> np.ndarray | None:
    """Every coordinate pair of the path's commands (end points and control points), in order."""
    if not isinstance(path, list) or len(path) > limits.max_points:
        raise CanvasValueError("The canvas sent a stroke this page cannot read: clear it and draw again.")
    values: list[Any] = []
    for command in path:
        if not (isinstance(command, list) and 3 <= len(command) <= 7 and command[0] in PATH_COMMANDS
                and len(command) % 2 == 1):
            raise CanvasValueError("The canvas sent a stroke this page cannot read: clear it and draw again.")
        values += command[1:]
    if not values:
        return None
    # All plain numbers, finite and near: checked at once (a stroke's few hundred numbers one by one cost 0.4 ms
    # of the server's core at every stroke). Otherwise each in turn says what is wrong with the first bad one.
    if set(map(type, values)) <= PLAIN_NUMBERS:
        points = np.asarray(values, dtype=np.float64)
        if np.isfinite(points).all() and np.abs(points).max() <= MAX_COORDINATE:
            return points.reshape(-1, 2)
    return np.asarray([_number(value, "a point") for value in values], dtype=np.float64).reshape(-1, 2)


def _placed(points: np.ndarray, item: dict[str, Any], scale: np.ndarray) -> np.ndarray:
    """The path's points where the object now sits on the canvas (moved, scaled or turned since drawn)."""
    low, high = points.min(axis=0), points.max(axis=0)
    middle = (low + high) / 2  # fabric's path offset: the path's own centre
    width, height = (high - low) * np.abs(scale)
    left = _number(item.get("left", float(low[0])), "a place")
    top = _number(item.get("top", float(low[1])), "a place")
    # left/top name the object's origin point; by default its top-left corner, "center" its centre.
    centre_x = left + {"center": 0.0, "right": -width / 2}.get(item.get("originX"), width / 2)
    centre_y = top + {"center": 0.0, "bottom": -height / 2}.get(item.get("originY"), height / 2)
    angle = math.radians(_number(item.get("angle", 0.0), "an angle", limit=math.inf) % 360)
    if not angle and (scale == 1).all() and max(abs(centre_x - middle[0]), abs(centre_y - middle[1])) < NOT_MOVED:
        return points.astype(np.float32)  # where it was drawn (fabric's box differs from the points' by a pixel)
    placed = (points - middle) * scale
    if angle:
        turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        placed = placed @ turn.T
    return (placed + (centre_x, centre_y)).astype(np.float32)


def _check_near_canvas(points: np.ndarray, limits: CanvasLimits) -> None:
    """Refuse points far outside the canvas: a pointer dragged past the edge stays near it."""
    width, height = limits.size
    low = -limits.margin * np.array([width, height])
    high = (1 + limits.margin) * np.array([width, height])
    if not (np.isfinite(points).all() and (points >= low).all() and (points <= high).all()):
        raise CanvasValueError("The canvas sent a stroke far outside the canvas: clear it and draw again.")


def _number(value: Any, what: str, limit: float = MAX_COORDINATE) -> float:
    """A finite JSON number (never a bool or text) of at most `limit` in size, or `CanvasValueError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CanvasValueError(f"The canvas sent {what} that is not a number: clear it and draw again.")
    if abs(value) > limit:  # far beyond any canvas: refused before any arithmetic on it
        raise CanvasValueError("The canvas sent a stroke far outside the canvas: clear it and draw again.")
    return float(value)


def fabric_paths(strokes: Sequence[CanvasStroke], colour: str = "#FFFFFF") -> list[dict[str, Any]]:
    """Strokes as the canvas' own path objects (the inverse of `canvas_strokes`), to draw them on a canvas again."""
    objects = []
    for stroke in strokes:
        points = stroke.points.astype(float)
        low, high = points.min(axis=0), points.max(axis=0)
        path = [["M", *points[0].tolist()]] + [["L", *point] for point in points[1:].tolist()]
        objects.append({"type": "Path", "originX": "center", "originY": "center",
                        "left": float(low[0] + high[0]) / 2, "top": float(low[1] + high[1]) / 2,
                        "width": float(high[0] - low[0]), "height": float(high[1] - low[1]),
                        "fill": None, "stroke": colour, "strokeWidth": float(stroke.width),
                        "strokeLineCap": "round", "strokeLineJoin": "round", "path": path})
    return objects


def fitted(strokes: Sequence[CanvasStroke], size: tuple[int, int], brush: tuple[float, float],
           margin: float = 0.1) -> tuple[CanvasStroke, ...]:
    """The strokes moved (and shrunk when they do not fit) onto a canvas of `size`, brushes kept in range.

    Centred on a square canvas; on a wide one (a number's) at its left, where a number starts.
    """
    if not strokes:
        return ()
    points = np.concatenate([stroke.points for stroke in strokes])
    low, high = points.min(axis=0), points.max(axis=0)
    width, height = size
    room = np.array(size, np.float64) * (1 - 2 * margin)
    scale = float(min(1.0, *(room / np.maximum(high - low, 1.0))))
    middle = (low + high) / 2 * scale
    target_x = margin * width + (high[0] - low[0]) * scale / 2 if width > height else width / 2
    shift = np.array([target_x - middle[0], height / 2 - middle[1]])
    return tuple(CanvasStroke((stroke.points * scale + shift).astype(np.float32),
                              float(np.clip(stroke.width * scale, *brush))) for stroke in strokes)


def signature(strokes: Sequence[CanvasStroke]) -> str:
    """A short fingerprint of a drawing: the same strokes give the same one."""
    digest = hashlib.sha1()
    for stroke in strokes:
        digest.update(np.float32(stroke.width).tobytes())
        digest.update(stroke.points.tobytes())
        digest.update(b"|")
    return digest.hexdigest()
