"""One drawing in, one answer out: the digit (or the number), how sure the model is, and what it looked at.

A drawing from the canvas comes with its strokes, and the model reads both (`Classifier.predict_drawing`);
a photo or an upload has only pixels, and the pixel CNN reads those alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digit_app.model import Classifier
from digit_app.preprocess import EmptyDrawingError, UnreadableDrawingError, split_digits, to_mnist
from digit_app.render import draw_canvas
from digit_app.strokes.canvas import CanvasStroke
from digit_app.strokes.features import box, stroke_features
from digit_app.strokes.grouping import group_strokes
from digit_app.strokes.segments import SegmentJudge, shipped_segment_judge

SURE_PROBABILITY = 0.6  # below this top probability the answer is "not sure" ...
SURE_MARGIN = 0.25  # ... and so it is when the runner-up is closer than this
SPECK_SIZE = 0.08  # a stroke smaller than this share of the drawing is a speck the stroke model ignores
MAX_PATH = 8.0  # strokes longer than this many times the drawing's size are a scribble (pen digits: at most 5.5)
PIXEL_BRUSH = 0.06  # a digit cut from a number is redrawn with a brush at most this share of its size, loops open
Box = tuple[float, float, float, float]  # left, top, right, bottom on the canvas


@dataclass(frozen=True)
class Reading:
    """The model's answer for one drawing."""

    digit: int
    probabilities: np.ndarray  # (10,), calibrated: how sure the model honestly is
    model_input: np.ndarray  # the (28, 28) image the model saw
    box: Box | None = None  # where its strokes are on the canvas, when it was read from strokes
    network: np.ndarray | None = None  # (10,), the network's own, before the temperature (None: the same)

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.digit])

    @property
    def runner_up(self) -> int:
        return int(np.argsort(self.probabilities)[-2])

    @property
    def is_sure(self) -> bool:
        """False when the top answer is weak or a second digit is nearly as likely.

        Judged on the network's own probabilities, which SURE_PROBABILITY and SURE_MARGIN were set
        on: on the calibrated ones they would flag a third as many drawings, and miss wrong ones.
        """
        own = self.probabilities if self.network is None else self.network
        top, second = np.sort(own)[-2:][::-1]
        return float(top) >= SURE_PROBABILITY and float(top - second) >= SURE_MARGIN


def read_digit(image: np.ndarray | None, classifier: Classifier,
               strokes: Sequence[CanvasStroke] | None = None) -> Reading | None:
    """Read the digit in a canvas or image; None when nothing is drawn.

    With the drawing's `strokes` (from `canvas_strokes`) and a model that reads them, pixels and
    strokes are read together. Raises `UnreadableDrawingError` (with a message for the person
    drawing) when the ink cannot be one digit, rather than guessing confidently at a dot or a scribble.
    """
    if image is None:
        return None
    try:
        model_input = to_mnist(image)
    except EmptyDrawingError:
        return None
    if strokes and path_length(strokes) > MAX_PATH:
        raise UnreadableDrawingError("That looks like a scribble, not a digit: clear the canvas and draw one digit.")
    features = digit_features(strokes) if strokes and classifier.reads_strokes else None
    own = classifier.predict_drawing(model_input[None], None if features is None else features[None],
                                     calibrated=False)[0]
    return Reading(digit=int(own.argmax()), probabilities=classifier.calibrate(own), model_input=model_input,
                   network=own)


def path_length(strokes: Sequence[CanvasStroke]) -> float:
    """How far the pen travelled while down, in multiples of the drawing's size (its box's longer side)."""
    paths = [stroke.points for stroke in strokes if len(stroke.points)]
    if not paths:
        return 0.0
    left, top, right, bottom = box(paths)
    travelled = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in paths if len(p) > 1)
    return travelled / max(right - left, bottom - top, 1.0)


def digit_features(strokes: Sequence[CanvasStroke]) -> np.ndarray | None:
    """The stroke model's input for one digit's strokes, specks left out; None without strokes."""
    paths = [stroke.points for stroke in strokes if len(stroke.points)]
    if not paths:
        return None
    left, top, right, bottom = box(paths)
    extent = max(right - left, bottom - top)
    kept = [p for p in paths if max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) >= SPECK_SIZE * extent] or paths
    return stroke_features(kept)


@dataclass(frozen=True)
class NumberReading:
    """The model's answer for a drawing of several digits: one `Reading` per digit, left to right."""

    digits: tuple[Reading, ...]

    @property
    def text(self) -> str:
        return "".join(str(reading.digit) for reading in self.digits)

    @property
    def confidence(self) -> float:
        """How sure the model is of the whole number: the product of each digit's confidence."""
        return float(np.prod([reading.confidence for reading in self.digits]))

    @property
    def is_sure(self) -> bool:
        return all(reading.is_sure for reading in self.digits)


def read_number(image: np.ndarray | None, classifier: Classifier) -> NumberReading | None:
    """Read each digit of a whole number drawn left to right; None when nothing is drawn.

    Marks too small or too tangled to be a digit (a stray dot, a decimal point) are left out.
    """
    if image is None:
        return None
    try:
        crops = split_digits(image)
    except EmptyDrawingError:
        return None
    inputs = []
    for crop in crops:
        try:
            inputs.append(to_mnist(crop))
        except (EmptyDrawingError, UnreadableDrawingError):
            continue
    if not inputs:
        return None
    own = classifier.predict_proba(np.stack(inputs), calibrated=False)
    readings = (Reading(int(p.argmax()), classifier.calibrate(p), model_input, network=p)
                for p, model_input in zip(own, inputs))
    return NumberReading(tuple(readings))


def read_number_strokes(strokes: Sequence[CanvasStroke], classifier: Classifier, size: tuple[int, int],
                        segments: SegmentJudge | None | bool = True) -> NumberReading | None:
    """Read a whole number from its strokes on a canvas of `size` (width, height); None when nothing is drawn.

    The strokes are grouped into digits without cutting one (`group_strokes`); the unclear cases
    are judged by how surely this model reads each candidate as a digit and how likely the
    `segments` judge finds it one whole digit (True: the shipped one; False: none). Each digit is
    drawn alone, as the person drew it, and read from its pixels and strokes. Dots and specks (a
    decimal point) are left out.
    """
    strokes = [stroke for stroke in strokes if len(stroke.points)]
    if not strokes:
        return None
    if isinstance(segments, bool):
        segments = shipped_segment_judge() if segments else None
    cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray | None] | None] = {}

    def inputs(members: Sequence[int]) -> tuple[np.ndarray, np.ndarray | None] | None:
        key = tuple(members)
        if key not in cache:
            chosen = [strokes[i] for i in members]
            try:
                cache[key] = to_mnist(_draw(chosen, size)), digit_features(chosen) if classifier.reads_strokes else None
            except (EmptyDrawingError, UnreadableDrawingError):
                cache[key] = None
        return cache[key]

    answers: dict[tuple[int, ...], np.ndarray | None] = {}

    def read(groups: Sequence[Sequence[int]]) -> list[np.ndarray | None]:
        """Probabilities for each group, in one batch for those not read yet (the judge reads most of them)."""
        new = [key for key in dict.fromkeys(tuple(members) for members in groups) if key not in answers]
        readable = [key for key in new if inputs(key) is not None]
        answers.update(dict.fromkeys(new))
        if readable:
            found = [cache[key] for key in readable]
            features = None if found[0][1] is None else np.stack([item[1] for item in found])
            # the network's own probabilities: the grouping was tuned on them, and the temperature
            # is applied once a group is settled
            pixels = np.stack([item[0] for item in found])
            answers.update(zip(readable, classifier.predict_drawing(pixels, features, calibrated=False)))
        return [answers[tuple(members)] for members in groups]

    def judge(candidates: list[list[int]]) -> list[float]:
        sureness = [0.0 if p is None else float(p.max()) for p in read(candidates)]
        if segments is None:
            return sureness
        return [sure * float(whole) for sure, whole in zip(sureness, segments([s.points for s in strokes], candidates))]

    groups = group_strokes([stroke.points for stroke in strokes], judge)
    readings = []
    for members, probabilities in zip(groups, read(groups)):
        if probabilities is None:  # a dot, a speck: not a digit
            continue
        left, top, right, bottom = box([strokes[i].points for i in members])
        pad = max(strokes[i].width for i in members) / 2
        readings.append(Reading(int(probabilities.argmax()), classifier.calibrate(probabilities),
                                cache[tuple(members)][0], box=(left - pad, top - pad, right + pad, bottom + pad),
                                network=probabilities))
    return NumberReading(tuple(readings)) if readings else None


def _draw(strokes: Sequence[CanvasStroke], size: tuple[int, int]) -> np.ndarray:
    """These strokes alone on a blank canvas, each with its own brush but never thicker than PIXEL_BRUSH.

    Digits in a number are small beside the brush: at full width a narrow 8's loops fill in and it
    reads as a 1. Redrawn thinner (the strokes are known), the pixel CNN reads 0.98 of held-out
    writers' digits in close numbers, not 0.95 (PIXEL_BRUSH 0.06 to 0.2 tried).
    """
    left, top, right, bottom = box([stroke.points for stroke in strokes])
    return draw_canvas(strokes, size, max_brush=max(PIXEL_BRUSH * max(right - left, bottom - top), 2.0))
