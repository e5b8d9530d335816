"""Lines of writing: how far the writing is turned, and its lines, top to bottom.

People write along a line, so the ink's rows are most tightly bunched when they are counted
along the writing: the turn is the angle at which the ink's projection onto the vertical is most
peaked. Once level, a line is the ink marks whose heights overlap; small marks (a dot, a bar) join
the line nearest them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

MAX_TURN = 15.0  # degrees: the writing may be turned this much either way
TURN_STEP = 0.5  # degrees between the angles tried, then refined to a tenth of that
OUTLYING = 98  # percentile: the points beyond the 2nd and 98th in either direction are left out of its extent
MIN_ASPECT = 2.0  # writing less than twice as long as high (a digit or two) has no turn to tell: read as it is ...
PRINTED_PEAK = 2.0  # ... unless printed lines make the rows at one angle this many times as peaked as usual
MAX_POINTS = 20_000  # ink pixels the turn is judged on (a random sample of them, the same for the same ink)
SAME_LINE = 0.4  # marks whose heights overlap by this share of the shorter one are on one line
SMALL_MARK = 0.35  # a line shorter than this share of the tallest (a dot, a bar) joins the nearest line
_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)

Box = tuple[int, int, int, int]  # left, top, right, bottom (right and bottom exclusive)
Span = tuple[int, int, int]  # a mark's top, bottom (exclusive) and label


def writing_turn(marks: np.ndarray) -> float:
    """Degrees the writing (and printed lines) in a map of how strongly each pixel is a mark are turned clockwise
    on screen (to undo: turn it back).

    0 when there are no marks, or too few to tell their direction (a digit or two, and no ruling).
    """
    rows, columns = np.nonzero(marks)
    if len(rows) < 2:
        return 0.0
    if len(rows) > MAX_POINTS:
        keep = np.random.default_rng(0).choice(len(rows), MAX_POINTS, replace=False)
        rows, columns = rows[keep], columns[keep]
    weights = marks[rows, columns].astype(np.float64)
    x, y = columns - columns.mean(), rows - rows.mean()
    coarse = np.arange(-MAX_TURN, MAX_TURN + TURN_STEP / 2, TURN_STEP)
    scores = np.array([_peakedness(x, y, weights, angle) for angle in coarse])
    fine = coarse[scores.argmax()] + np.arange(-TURN_STEP, TURN_STEP + 1e-9, TURN_STEP / 10)
    fine = np.clip(fine, -MAX_TURN, MAX_TURN)
    turn = float(fine[np.argmax([_peakedness(x, y, weights, angle) for angle in fine])])
    printed = scores.max() >= PRINTED_PEAK * float(np.median(scores))  # long straight lines: ruled paper
    return turn if printed or _aspect(x, y, turn) >= MIN_ASPECT else 0.0


def _peakedness(x: np.ndarray, y: np.ndarray, weights: np.ndarray, angle: float) -> float:
    """How bunched the points' heights are, measured across writing turned by `angle` (a sum of squared weights
    per row)."""
    turn = np.radians(angle)
    heights = np.rint(y * np.cos(turn) - x * np.sin(turn)).astype(np.int64)
    counts = np.bincount(heights - heights.min(), weights=weights)
    return float(np.dot(counts, counts))


def _aspect(x: np.ndarray, y: np.ndarray, angle: float) -> float:
    """How many times longer than high most of the points are (a few specks aside), along writing turned by `angle`."""
    turn = np.radians(angle)
    along, across = x * np.cos(turn) + y * np.sin(turn), y * np.cos(turn) - x * np.sin(turn)
    return _extent(along) / max(_extent(across), 1.0)


def _extent(values: np.ndarray) -> float:
    """How far most of the values reach, from the (100 - OUTLYING)th percentile to the OUTLYING-th."""
    low, high = np.percentile(values, [100 - OUTLYING, OUTLYING])
    return float(high - low)


@dataclass(frozen=True)
class Line:
    """One line of writing: its box, and the labels of its marks in the labelled ink map."""

    box: Box
    marks: tuple[int, ...]


def split_lines(ink: np.ndarray) -> tuple[np.ndarray, list[Line]]:
    """The marks of a level boolean ink map (labelled, 8-connected) and its lines of writing, top to bottom.

    Marks whose heights overlap make a line; a line much shorter than the tallest (a dot, a bar
    above or below the writing) joins the line nearest it, when that is within its own height.
    """
    labels, _ = ndimage.label(ink, structure=_EIGHT_NEIGHBOURS)
    spans = sorted((box[0].start, box[0].stop, label) for label, box in enumerate(ndimage.find_objects(labels), 1))
    lines: list[list[Span]] = []
    for top, bottom, label in spans:
        line = next((line for line in lines if _overlap(line, top, bottom)), None)
        if line is None:
            lines.append([(top, bottom, label)])
        else:
            line.append((top, bottom, label))
    tallest = max((_height(line) for line in lines), default=0)
    for small in [line for line in lines if _height(line) < SMALL_MARK * tallest]:
        others = [line for line in lines if line is not small and _height(line) >= SMALL_MARK * tallest]
        nearest = min(others, key=lambda line: _distance(line, small), default=None)
        if nearest is not None and _distance(nearest, small) <= _height(nearest):
            nearest.extend(small)
            lines.remove(small)
    found = [Line(_box(labels, line), tuple(label for _, _, label in line)) for line in lines]
    return labels, sorted(found, key=lambda line: line.box[1])


def _overlap(line: list[Span], top: int, bottom: int) -> bool:
    """Whether a mark from `top` to `bottom` shares enough of its height with a line's marks."""
    line_top, line_bottom = min(t for t, _, _ in line), max(b for _, b, _ in line)
    shared = min(bottom, line_bottom) - max(top, line_top)
    return shared >= SAME_LINE * min(bottom - top, line_bottom - line_top)


def _height(line: list[Span]) -> int:
    """How tall a line's marks are together."""
    return max(b for _, b, _ in line) - min(t for t, _, _ in line)


def _distance(line: list[Span], other: list[Span]) -> float:
    """How far apart two lines' middles are, up or down."""
    return abs(_middle(line) - _middle(other))


def _middle(line: list[Span]) -> float:
    return (min(t for t, _, _ in line) + max(b for _, b, _ in line)) / 2


def _box(labels: np.ndarray, line: list[Span]) -> Box:
    """The box around a line's marks."""
    boxes = ndimage.find_objects(labels)
    chosen = [boxes[label - 1] for _, _, label in line]
    return (min(b[1].start for b in chosen), min(b[0].start for b in chosen),
            max(b[1].stop for b in chosen), max(b[0].stop for b in chosen))
