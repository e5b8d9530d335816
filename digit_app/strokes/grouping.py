"""A written number split into digits by its strokes, never cutting one.

People write a number digit by digit: a digit's strokes come one after another and share its
columns, and the next digit starts further right. So a number is a run of digits, each a run of
one to three consecutive strokes. Where a clear gap separates two strokes they are never one
digit; otherwise every way of cutting the run is weighed by a `judge` that reads digits, and the
cut whose digits read most surely wins (digits written touching come apart because their strokes
do; a 4 whose stem stands right of its bar stays whole because together it reads as a 4). A dot
standing apart (a decimal point) is left out, and a short mark written later (a 7's cross, a 5's
flag added at the end) joins the digit whose columns it shares most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

MAX_STROKES = 3  # strokes of one digit at most (30 writers' 7,494 digits have 1 to 3)
CLEAR_GAP = 0.12  # share of the number's height: a gap this wide between columns is surely two digits
MARK_SIZE = 0.4  # a stroke shorter than this share of the height is a mark (a bar, a flag, a dot)
LATE_MARK_SIZE = 0.75  # a stroke smaller than this, added over an earlier digit after the next one, belongs to it
DOT_SIZE = 0.15  # a mark this small standing apart from every digit is a dot, not a digit
DIGIT_COST = 0.05  # each digit a cut makes costs this much log-confidence: two parts must read clearly better
CUT_COST = 2.0  # cutting between two strokes that share all their columns costs this much log-confidence ...
JOIN_COST = 1.0  # ... and joining two that share none, this much (0.3 to 2.5 tried on pen numbers: 1.0 best)
MIN_WIDTH = 0.05  # a vertical stroke counts as this share of the height wide, so overlaps are measurable

Judge = Callable[[list[list[int]]], list[float]]  # candidate digits (stroke indices) -> how surely each is a digit


def group_strokes(strokes: Sequence[np.ndarray], judge: Judge | None = None) -> list[list[int]]:
    """The strokes of each digit (indices into `strokes`, in drawing order), digits left to right.

    `strokes` are (k, 2) (x, y) point arrays in drawing order. Without a `judge`, a stroke joins
    the digit before it when it shares half its columns with it.
    """
    strokes = [np.asarray(s, np.float32).reshape(-1, 2) for s in strokes]
    if not strokes:
        return []
    points = np.concatenate(strokes)
    height = max(float(np.ptp(points[:, 1])), 1.0)
    # Each stroke's columns, a vertical one widened to MIN_WIDTH so that overlaps with it can be measured.
    lefts = np.array([s[:, 0].min() for s in strokes])
    rights = np.array([s[:, 0].max() for s in strokes])
    widen = np.maximum(MIN_WIDTH * height - (rights - lefts), 0.0) / 2
    lefts, rights = lefts - widen, rights + widen
    sizes = np.array([max(np.ptp(s[:, 0]), np.ptp(s[:, 1])) for s in strokes])
    marks = sizes < MARK_SIZE * height

    def gap(a: Sequence[int], b: Sequence[int]) -> float:
        """Columns between two sets of strokes (negative where they overlap)."""
        return max(lefts[b].min() - rights[a].max(), lefts[a].min() - rights[b].max())

    def shared(a: Sequence[int], b: Sequence[int]) -> float:
        """Share of b's columns inside a's (negative: how far apart, in b's widths)."""
        width = rights[b].max() - lefts[b].min()
        return (min(rights[a].max(), rights[b].max()) - max(lefts[a].min(), lefts[b].min())) / width

    everything = list(range(len(strokes)))
    dots = [i for i in everything if sizes[i] < DOT_SIZE * height
            and all(gap([i], [j]) >= CLEAR_GAP * height for j in everything if j != i)]
    late_marks = [i for i in everything if sizes[i] < LATE_MARK_SIZE * height and i not in dots and i > 1
                  and not any(shared([j], [i]) > 0 for j in everything if abs(j - i) == 1)
                  and any(shared([j], [i]) >= 0.5 for j in everything if j < i - 1)]
    order = [i for i in everything if i not in dots and i not in late_marks]
    def nested(a: Sequence[int], b: Sequence[int]) -> float:
        """How far one set of strokes' columns lie inside the other's, 0 to 1 (1: one inside the other)."""
        return float(np.clip(max(shared(a, b), shared(b, a)), 0.0, 1.0))

    digits = _cut(order, gap, shared, nested, marks, height, judge)
    for mark in late_marks:  # a mark added later joins the digit whose columns it shares most
        max(digits, key=lambda members: shared(members, [mark])).append(mark)
    digits += [[dot] for dot in dots]
    digits = [sorted(members) for members in digits]
    return sorted(digits, key=lambda members: (lefts[members].min() + rights[members].max()) / 2)


def _cut(order: list[int], gap: Callable, shared: Callable, nested: Callable, marks: np.ndarray, height: float,
         judge: Judge | None) -> list[list[int]]:
    """The best cut of strokes (in drawing order) into runs of consecutive strokes, one digit each."""
    if not order:
        return []
    # Every run that could be one digit: up to MAX_STROKES strokes, no clear gap inside.
    runs = []
    for start in range(len(order)):
        for stop in range(start + 1, min(start + MAX_STROKES, len(order)) + 1):
            members = order[start:stop]
            if stop - start > 1 and gap(members[:-1], members[-1:]) >= CLEAR_GAP * height:
                break
            runs.append((start, stop))
    if judge is None:
        scores = {run: _geometric_score(order[run[0]:run[1]], shared) for run in runs}
    else:
        sureness = judge([order[a:b] for a, b in runs])
        scores = {run: np.log(max(p, 1e-6)) - DIGIT_COST for run, p in zip(runs, sureness)}
    for run in runs:
        if run[1] - run[0] == 1 and marks[order[run[0]]]:  # a mark alone is not a digit when it could belong to one
            scores[run] -= 3.0
        if run[0] > 0:  # a digit starting here cuts between this stroke and the one before
            scores[run] -= CUT_COST * nested(order[run[0] - 1:run[0]], order[run[0]:run[0] + 1])
        for k in range(run[0] + 1, run[1]):  # each stroke joined to those before it in the digit
            scores[run] -= JOIN_COST * (1.0 - nested(order[run[0]:k], order[k:k + 1]))
    best = [0.0] + [-np.inf] * len(order)  # best[k]: the best score of the first k strokes
    back = [0] * (len(order) + 1)
    for start, stop in sorted(runs, key=lambda run: run[1]):
        if best[start] + scores[(start, stop)] > best[stop]:
            best[stop], back[stop] = best[start] + scores[(start, stop)], start
    digits, stop = [], len(order)
    while stop > 0:
        digits.append(order[back[stop]:stop])
        stop = back[stop]
    return digits[::-1]


def _geometric_score(members: list[int], shared: Callable) -> float:
    """Without a reader: a run is one digit when each stroke shares half its columns with those before it."""
    if len(members) == 1:
        return -0.5
    joined = all(shared(members[:k], [members[k]]) >= 0.5 for k in range(1, len(members)))
    return -0.1 * len(members) if joined else -np.inf
