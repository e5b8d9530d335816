"""The strokes of a canvas drawing, from the `json_data` that streamlit-drawable-canvas returns.

Each freehand stroke is a fabric.js `path` object, in drawing order: "M x y", then "Q cx cy x y"
curves (or "L x y") through the pointer's positions, in canvas pixels. An object moved or scaled
afterwards carries that in `left`, `top`, `scaleX`, `scaleY` and `angle`, which are applied here.
`CanvasMemory` is what a page keeps of its canvas between reruns.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_STROKES = 500  # more paths than this is not a digit or a number; the rest are ignored
MAX_POINTS = 20_000  # points per stroke kept at most (a path from a hostile client could be huge)
NOT_MOVED = 3.0  # px: an object's box this close to its path's own has not been moved


@dataclass(frozen=True)
class CanvasStroke:
    """One stroke: (k, 2) float32 (x, y) canvas points in drawing order, and the brush width."""

    points: np.ndarray
    width: float


def canvas_strokes(json_data: dict[str, Any] | None) -> list[CanvasStroke]:
    """The freehand strokes in a canvas' `json_data`, in drawing order; [] for none or for anything unreadable."""
    objects = json_data.get("objects") if isinstance(json_data, dict) else None
    if not isinstance(objects, list):
        return []
    strokes = []
    for item in objects[:MAX_STROKES]:
        if not isinstance(item, dict) or str(item.get("type", "")).lower() != "path":
            continue
        points = _path_points(item.get("path"))
        if points is None:
            continue
        width = _number(item.get("strokeWidth"), 1.0)
        strokes.append(CanvasStroke(_placed(points, item), max(width, 1.0)))
    return strokes


def _path_points(path: Any) -> np.ndarray | None:
    """Every coordinate pair of the path's commands (end points and control points), in order."""
    if not isinstance(path, list):
        return None
    values: list[float] = []
    for command in path[:MAX_POINTS]:
        if not isinstance(command, list) or len(command) < 3:
            continue
        numbers = [v for v in command[1:] if isinstance(v, (int, float)) and math.isfinite(v)]
        values += numbers[: len(numbers) // 2 * 2]
    if not values:
        return None
    return np.asarray(values, dtype=np.float32).reshape(-1, 2)


def _placed(points: np.ndarray, item: dict[str, Any]) -> np.ndarray:
    """The path's points where the object now sits on the canvas (moved, scaled or turned since drawn)."""
    low, high = points.min(axis=0), points.max(axis=0)
    middle = (low + high) / 2  # fabric's path offset: the path's own centre
    scale = np.array([_number(item.get("scaleX"), 1.0), _number(item.get("scaleY"), 1.0)], np.float32)
    width, height = (high - low) * scale
    left, top = _number(item.get("left"), float(low[0])), _number(item.get("top"), float(low[1]))
    # left/top name the object's origin point; by default its top-left corner, "center" its centre.
    centre_x = left + {"center": 0.0, "right": -width / 2}.get(item.get("originX"), width / 2)
    centre_y = top + {"center": 0.0, "bottom": -height / 2}.get(item.get("originY"), height / 2)
    angle = math.radians(_number(item.get("angle"), 0.0))
    if not angle and (scale == 1).all() and max(abs(centre_x - middle[0]), abs(centre_y - middle[1])) < NOT_MOVED:
        return points  # where it was drawn (fabric's box of the curve differs from the points' by a pixel or so)
    placed = (points - middle) * scale
    if angle:
        turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
        placed = placed @ turn.T
    return (placed + (centre_x, centre_y)).astype(np.float32)


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else default


class CanvasMemory:
    """What a page remembers of its canvas between reruns, kept in a mapping such as `st.session_state`.

    Clear empties the canvas in place: the page gives the same canvas a new initial drawing (its
    `clears` count changes), and the canvas redraws itself empty. Until it does, it may send the
    drawing it showed once more; that one is recognised by its signature and ignored, so the answer
    does not come back, while a stroke drawn right after Clear is taken as usual.
    """

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self.state = state

    @property
    def clears(self) -> int:
        return int(self.state.get("clears", 0))

    @property
    def drawing(self) -> np.ndarray | None:
        return self.state.get("drawing")

    @property
    def strokes(self) -> list[CanvasStroke]:
        return self.state.get("strokes") or []

    def clear(self) -> None:
        self.state["clears"] = self.clears + 1
        self.state["stale"] = self.state.get("signature")
        for key in ("drawing", "strokes", "signature"):
            self.state.pop(key, None)

    def take(self, image_data: np.ndarray | None, json_data: dict[str, Any] | None) -> None:
        """Keep what the canvas sent (pixels and strokes), unless it is the drawing Clear just emptied."""
        if image_data is None:
            return
        objects = json_data.get("objects", []) if isinstance(json_data, dict) else []
        signature = hashlib.sha1(json.dumps(objects, sort_keys=True, default=str).encode()).hexdigest()
        if signature == self.state.get("stale"):
            return
        self.state["stale"] = None
        self.state["signature"] = signature
        self.state["drawing"] = image_data
        self.state["strokes"] = canvas_strokes(json_data)
