"""What the Draw page's canvas may send, and what the page keeps of it between reruns: checked strokes, never pixels.

Plain Python over a mapping such as `st.session_state`, so it is tested without a browser. The
pixels are drawn from the strokes on the server when needed (`render.draw_canvas`): a session holds
a few kilobytes of points, never a full-size image, and no image data crosses the network.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import numpy as np

from digit_app.render import draw_canvas
from digit_app.strokes.canvas import (CanvasLimits, CanvasStroke, CanvasValueError, canvas_strokes, fabric_paths,
                                     fitted, signature)
from digit_app.sizes import CANVAS_SIZE, NUMBER_CANVAS  # NUMBER_CANVAS: the size the segment judge learned numbers at

BRUSH = (5, 40)  # px: the brush slider's range, and the only stroke widths the canvas may send
# What the Draw page's canvases may send (a person's digit: 1-3 strokes of ~100 points; the server
# drops a value over 256,000 characters unread, and these fit in it)
DIGIT_LIMITS = CanvasLimits((CANVAS_SIZE, CANVAS_SIZE), BRUSH, max_strokes=20, max_total_points=4_000)
NUMBER_LIMITS = CanvasLimits(NUMBER_CANVAS, BRUSH, max_strokes=40, max_total_points=5_000)
NEW_CANDIDATES = 32  # candidate digits of a number read anew per message, at most (the rest are remembered)

STROKES = "canvas-strokes"  # the session keys this memory uses
SIGNATURE = "canvas-signature"
STALE = "canvas-stale"
CLEARS = "canvas-clears"
REMOUNTS = "canvas-remounts"
CARRIED = "canvas-carried"  # the drawing a new canvas starts with (fabric objects), after a change of canvas
UNDONE = "canvas-carried-undone"  # carried strokes taken back by Undo, last undone last: what Redo puts back
UNSENT = "clears"  # a key only the page's own initial drawing has: the canvas has sent nothing yet


class CanvasMemory:
    """The drawing a page's canvas last sent, checked, and how to clear it.

    Clear empties the canvas in place: the page gives the same canvas a new initial drawing (its
    `clears` count changes), and the canvas redraws itself empty. Until it does, it may send the
    drawing it showed once more; that one is recognised by its signature and ignored, so the answer
    does not come back, while a stroke drawn right after Clear is taken as usual.
    """

    def __init__(self, state: MutableMapping[str, Any]) -> None:
        self.state = state

    @property
    def clears(self) -> int:
        return int(self.state.get(CLEARS, 0))

    @property
    def remounts(self) -> int:
        """How often the canvas was replaced by a new one because its value could not be decoded."""
        return int(self.state.get(REMOUNTS, 0))

    @property
    def carried(self) -> bool:
        """Whether the canvas starts with a drawing carried over from the other mode's canvas."""
        return bool(self.state.get(CARRIED))

    @property
    def redoable(self) -> bool:
        """Whether Undo took back carried strokes that Redo can put back (nothing was drawn since)."""
        return bool(self.state.get(UNDONE))

    @property
    def strokes(self) -> tuple[CanvasStroke, ...]:
        return self.state.get(STROKES) or ()

    def initial_drawing(self) -> dict[str, Any]:
        """The canvas' initial drawing: the one carried over (or none), marked with the clears so far.

        It stays the same while a person draws (a changed one redraws the canvas in place): a new
        `clears` count empties it, a carried drawing comes with a new canvas.
        """
        return {"objects": self.state.get(CARRIED) or [], UNSENT: self.clears}

    def carry_to(self, limits: CanvasLimits) -> None:
        """Keep the drawing for another canvas (the other mode's): fitted to it, and drawn there at the start."""
        strokes = fitted(self.strokes, limits.size, limits.brush)
        self.state[STROKES] = strokes
        self.state[SIGNATURE] = signature(strokes)
        self.state[CARRIED] = fabric_paths(strokes)
        self.state.pop(UNDONE, None)

    def undo_carried(self) -> None:
        """Take back the last stroke of the drawing carried over, as the canvas' Undo would have.

        The canvas' own history starts at its initial drawing, so its Undo cannot reach the strokes
        carried into it; the page's helper asks for this instead, and the canvas redraws in place.
        """
        carried = list(self.state.get(CARRIED) or [])
        if not carried:
            return
        before = self.state.get(SIGNATURE)  # the drawing as it was: the canvas may send it once more, stale
        self.state[UNDONE] = [*(self.state.get(UNDONE) or []), (carried.pop(), self.strokes[len(carried)], before)]
        self._carry(carried, self.strokes[:len(carried)])

    def redo_carried(self) -> None:
        """Put back the carried stroke Undo took back last, as the canvas' Redo would have (its history cannot)."""
        undone = list(self.state.get(UNDONE) or [])
        if not undone:
            return
        path, stroke, _ = undone.pop()
        self.state[UNDONE] = undone
        carried = list(self.state.get(CARRIED) or [])
        self._carry([*carried, path], (*self.strokes[:len(carried)], stroke))

    def _carry(self, carried: list[Any], strokes: tuple[CanvasStroke, ...]) -> None:
        """The canvas starts again with `carried` (fabric objects), which are `strokes`: it redraws in place."""
        self.state[CARRIED] = carried
        self.state[STROKES] = strokes
        self.state[SIGNATURE] = signature(strokes)

    def drawing(self, size: tuple[int, int]) -> np.ndarray | None:
        """The strokes drawn as the canvas shows them, an RGBA `size` image; None when nothing is drawn."""
        return draw_canvas(self.strokes, size) if self.strokes else None

    def clear(self) -> None:
        self.state[CLEARS] = self.clears + 1
        self.state[STALE] = self.state.get(SIGNATURE)
        for key in (STROKES, SIGNATURE, CARRIED, UNDONE):
            self.state.pop(key, None)

    def remount(self) -> None:
        """Forget the drawing and use a new canvas: the old one's value cannot even be decoded."""
        self.clear()
        self.state[REMOUNTS] = self.remounts + 1

    def take(self, json_data: Any, limits: CanvasLimits) -> str | None:
        """Keep the strokes the canvas sent, unless it is the drawing Clear just emptied.

        Returns a sentence for the person drawing when the value is refused; the drawing is then
        forgotten, so no answer is shown for strokes the page did not check.
        """
        if isinstance(json_data, dict) and UNSENT in json_data:
            return None  # the page's own initial drawing: the canvas has sent nothing since
        try:
            strokes = canvas_strokes(json_data, limits)
        except CanvasValueError as problem:
            self.state.pop(STROKES, None)
            self.state.pop(SIGNATURE, None)
            return str(problem)
        drawn = signature(strokes)
        if drawn == self.state.get(STALE) or drawn in {before for *_, before in self.state.get(UNDONE) or []}:
            return None  # the drawing Clear emptied, or the one Undo took a carried stroke from, sent once more
        self.state[STALE] = None
        if len(strokes) > len(self.state.get(CARRIED) or []):
            self.state.pop(UNDONE, None)  # a new stroke: what Undo took back is gone for good, as in any editor
        self.state[SIGNATURE] = drawn
        self.state[STROKES] = strokes
        return None
