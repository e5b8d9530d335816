"""Whether a drawing may be the first strokes of a digit of more: then the Draw page waits before it looks sure.

A 5 begun with its top bar reads surely as a 1, a 9 or an 8 begun with its loop as a 0, a 4's first
stroke as a 1 or a 2. After the short pause (the canvas helper's PAUSE_MS) the page would show that
wrong answer as sure while the writer is about to add the rest. The writers' own pen digits say
which beginnings go on: for each digit read, a small logistic model of the drawing's shape (its
proportions, where its last stroke starts and ends, whether it closes) and of how close the
network's runner-up is gives the chance that the drawing is the beginning of another digit. It is
fitted (`fit_unfinished`) on the training writers' digits drawn like a canvas: the first strokes of
their digits of several strokes that read surely as another digit, against whole digits read right.
When the chance is above the threshold, the page keeps the answer marked as still being written
for longer (canvas_helper.js: HOLD_MS after the pen lifts instead of PAUSE_MS); the digit itself
shows as soon as ever. Plain numpy: the page asks it at every stroke, in microseconds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_app.model import Classifier
from digit_app.prediction import Reading, read_digit
from digit_app.preprocess import UnreadableDrawingError
from digit_app.render import draw_canvas
from digit_app.sizes import CANVAS_SIZE
from digit_app.strokes.canvas import CanvasStroke
from digit_app.strokes.on_canvas import draw_like_canvas
from digit_app.strokes.pen_digits import PenDigits

UNFINISHED_FILE = Path(__file__).with_name("unfinished.json")
FEATURES = 8  # see `shape_features`
MIN_BEGINNINGS = 5  # a digit read with fewer wrong beginnings among the training writers' gets no model
THRESHOLD = 0.3  # chance of a beginning above which the answer waits (chosen on the training writers)
RIDGE = 1e-2  # the fit's L2 penalty, on standardised features
CANVAS_BRUSH = 18.0  # px: the Draw page's default brush, which the examples are drawn with


def shape_features(strokes: Sequence[np.ndarray], network: np.ndarray) -> np.ndarray:
    """(FEATURES,): how flat and how tall the drawing is (its log height/width below and above 0: a flatter bar
    is more like a beginning, never less), its last stroke's closure, start and end within the drawing's box (in
    box sides), and the log of the network's runner-up probability."""
    points = np.concatenate([np.asarray(stroke, np.float64).reshape(-1, 2) for stroke in strokes])
    last = np.asarray(strokes[-1], np.float64).reshape(-1, 2)
    left, top = points.min(axis=0)
    width, height = np.maximum(points.max(axis=0) - (left, top), 1.0)
    side = max(width, height)
    aspect = float(np.log(height / width))
    start, end = (last[0] - (left, top)) / side, (last[-1] - (left, top)) / side
    runner_up = float(np.sort(np.asarray(network, np.float64))[-2])
    return np.array([max(-aspect, 0.0), max(aspect, 0.0), float(np.hypot(*(last[-1] - last[0]))) / side, *start, *end,
                     np.log(runner_up + 1e-6)])


@dataclass(frozen=True)
class Unfinished:
    """Per digit read: the features' mean and scale and the logistic weights (bias first); NaN rows: no model."""

    mean: np.ndarray  # (10, FEATURES)
    scale: np.ndarray  # (10, FEATURES)
    weights: np.ndarray  # (10, FEATURES + 1)
    threshold: float = THRESHOLD

    def chance(self, features: np.ndarray, digit: int) -> float:
        """The chance that a drawing with these features, read as `digit`, is the beginning of another digit."""
        weights = self.weights[digit]
        if not np.all(np.isfinite(weights)):
            return 0.0
        score = weights[0] + float(((features - self.mean[digit]) / self.scale[digit]) @ weights[1:])
        return float(0.5 * (1.0 + np.tanh(0.5 * score)))  # the sigmoid, without exp's overflow

    def to_json(self) -> str:
        return json.dumps({"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                           "weights": [row.tolist() if np.all(np.isfinite(row)) else None for row in self.weights],
                           "threshold": self.threshold})

    @classmethod
    def from_json(cls, text: str) -> Unfinished:
        data = json.loads(text)
        weights = np.array([row if row is not None else [np.nan] * (FEATURES + 1) for row in data["weights"]],
                           np.float64)
        unfinished = cls(np.asarray(data["mean"], np.float64), np.asarray(data["scale"], np.float64), weights,
                         float(data["threshold"]))
        if unfinished.mean.shape != (10, FEATURES) or unfinished.scale.shape != (10, FEATURES) \
                or weights.shape != (10, FEATURES + 1):
            raise ValueError(f"{UNFINISHED_FILE.name} does not hold a model of {FEATURES} features for 10 digits.")
        return unfinished


@functools.cache
def shipped_unfinished() -> Unfinished:
    """The model shipped beside this module (made by `benchmarks/unfinished.py --write`)."""
    return Unfinished.from_json(UNFINISHED_FILE.read_text())


def may_go_on(strokes: Sequence[CanvasStroke], reading: Reading | None,
              unfinished: Unfinished | None = None) -> bool:
    """Whether a sure answer may be the beginning of a digit of more strokes that reads otherwise (then it waits)."""
    if reading is None or not reading.is_sure or not strokes:
        return False
    network = reading.probabilities if reading.network is None else reading.network
    features = shape_features([stroke.points for stroke in strokes], network)
    model = unfinished or shipped_unfinished()
    return model.chance(features, reading.digit) > model.threshold


@dataclass(frozen=True)
class Example:
    """One drawing read surely: its features, the digit read, and whether it is a wrong beginning of more strokes."""

    features: np.ndarray
    digit: int
    beginning: bool
    strokes: int  # of the whole digit
    label: int


def examples(pen: PenDigits, classifier: Classifier, seed: int = 0) -> Iterator[Example]:
    """Every sure reading of `pen`'s digits drawn like a canvas: each non-final run of strokes read as another digit
    (a wrong beginning), and each whole digit read right. Other readings are shown unsure and need no wait."""
    rng = np.random.default_rng(seed)
    for strokes, label in zip(pen.strokes, pen.labels):
        _, placed, _ = draw_like_canvas(strokes, rng)
        for count in range(1, len(placed) + 1):
            drawn = tuple(CanvasStroke(np.asarray(s, np.float32), CANVAS_BRUSH) for s in placed[:count])
            try:
                reading = read_digit(draw_canvas(drawn, (CANVAS_SIZE, CANVAS_SIZE)), classifier, drawn)
            except UnreadableDrawingError:
                continue
            if reading is None or not reading.is_sure:
                continue
            whole, right = count == len(placed), reading.digit == int(label)
            if whole == right:  # a whole digit read right, or a beginning read wrong
                network = reading.probabilities if reading.network is None else reading.network
                yield Example(shape_features(placed[:count], network), reading.digit, not whole, len(placed),
                              int(label))


def fit_unfinished(found: Sequence[Example], threshold: float = THRESHOLD) -> Unfinished:
    """Per digit read, a logistic model of wrong beginnings against whole digits (Newton's method, ridge penalty);
    beginnings weigh a quarter of the whole digits together, so the rare kind is heard without flooding."""
    mean = np.zeros((10, FEATURES))
    scale = np.ones((10, FEATURES))
    weights = np.full((10, FEATURES + 1), np.nan)
    for digit in range(10):
        mine = [example for example in found if example.digit == digit]
        beginnings = sum(example.beginning for example in mine)
        if beginnings < MIN_BEGINNINGS or beginnings == len(mine):
            continue
        features = np.array([example.features for example in mine])
        target = np.array([example.beginning for example in mine], np.float64)
        mean[digit], scale[digit] = features.mean(axis=0), features.std(axis=0) + 1e-9
        design = np.column_stack([np.ones(len(mine)), (features - mean[digit]) / scale[digit]])
        weight = np.where(target == 1, (len(mine) - beginnings) / beginnings / 4, 1.0)
        w = np.zeros(FEATURES + 1)
        for _ in range(50):
            chance = 0.5 * (1.0 + np.tanh(0.5 * (design @ w)))
            gradient = design.T @ ((chance - target) * weight) + RIDGE * w
            hessian = (design * (chance * (1 - chance) * weight)[:, None]).T @ design + RIDGE * np.eye(FEATURES + 1)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        weights[digit] = w
    return Unfinished(mean, scale, weights, threshold)
