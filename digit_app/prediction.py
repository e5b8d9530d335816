"""One drawing in, one answer out: the digit (or the number), how sure the model is, and what it looked at.

A drawing from the canvas comes with its strokes, and the model reads both (`Classifier.predict_drawing`);
a photo or an upload has only pixels, and the pixel CNN reads those alone.
"""

from __future__ import annotations

from collections.abc import Sequence
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from digit_app.model import Classifier
from digit_app.preprocess import EmptyDrawingError, UnreadableDrawingError, split_digits, to_mnist
from digit_app.render import draw_canvas
from digit_app.strokes.canvas import CanvasStroke, signature
from digit_app.strokes.features import box, stroke_features
from digit_app.strokes.grouping import group_strokes
from digit_app.strokes.segments import SegmentJudge, shipped_segment_judge

SURE_PROBABILITY = 0.6  # below this top probability the answer is "not sure" ...
SURE_MARGIN = 0.25  # ... and so it is when the runner-up is closer than this
SPECK_SIZE = 0.08  # a stroke smaller than this share of the drawing is a speck the stroke model ignores
MAX_PATH = 8.0  # strokes longer than this many times the drawing's size are a scribble (pen digits: at most 5.5)
MAX_CANDIDATES = 80  # runs of strokes judged as digits in one number, at most (honest 12-digit numbers: <= 57)
MEMO_ENTRIES = 4096  # candidate digits remembered across answers, server-wide (about 4 KB each)
PIXEL_BRUSH = 0.06  # a digit cut from a number is redrawn with a brush at most this share of its size, loops open
TANGLED = ("Those strokes overlap too much to be split into digits: clear the canvas and write the digits "
           "side by side.")
TOO_MUCH_AT_ONCE = "That is more writing than can be read at once: clear the canvas and write it again."
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


Candidate = tuple[np.ndarray, np.ndarray | None, np.ndarray] | None  # pixels, features, network's probabilities


class CandidateMemo:
    """Candidate digits already read, by model and strokes, server-wide and bounded (least recently used go).

    A number is read again after every stroke, and all but the candidates with the new stroke were
    read the stroke before: remembered, each stroke costs a few candidates, not the whole number.
    """

    def __init__(self, entries: int = MEMO_ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple[int, str], tuple[weakref.ref, Candidate]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, classifier: Classifier, key: str) -> tuple[bool, Candidate]:
        """(found, the candidate) for these strokes read by this model."""
        with self._lock:
            item = self._items.get((id(classifier), key))
            if item is None or item[0]() is not classifier:
                return False, None
            self._items.move_to_end((id(classifier), key))
            return True, item[1]

    def put(self, classifier: Classifier, key: str, candidate: Candidate) -> None:
        with self._lock:
            self._items[(id(classifier), key)] = (weakref.ref(classifier), candidate)
            self._items.move_to_end((id(classifier), key))
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


CANDIDATES = CandidateMemo()


def read_number_strokes(strokes: Sequence[CanvasStroke], classifier: Classifier, size: tuple[int, int],
                        segments: SegmentJudge | None | bool = True,
                        max_new: int | None = None) -> NumberReading | None:
    """Read a whole number from its strokes on a canvas of `size` (width, height); None when nothing is drawn.

    The strokes are grouped into digits without cutting one (`group_strokes`); the unclear cases
    are judged by how surely this model reads each candidate as a digit and how likely the
    `segments` judge finds it one whole digit (True: the shipped one; False: none). Each digit is
    drawn alone, as the person drew it, and read from its pixels and strokes. Dots and specks (a
    decimal point) are left out. Raises `UnreadableDrawingError` when the strokes are so tangled
    that more than `MAX_CANDIDATES` runs of them could each be a digit, or when more than `max_new`
    candidates would have to be read that no earlier answer read (`CANDIDATES` remembers them).
    """
    strokes = [stroke for stroke in strokes if len(stroke.points)]
    if not strokes:
        return None
    if isinstance(segments, bool):
        segments = shipped_segment_judge() if segments else None
    return StrokeNumberReader(strokes, classifier, size, segments, max_new=max_new).read()


class StrokeNumberReader:
    """One number's strokes read as digits: each candidate run of strokes drawn, read and judged once.

    Candidates read for an earlier answer come from `memo`; with `max_new`, at most that many are
    read anew, so one message, whatever its strokes, costs a bounded amount of work.
    """

    def __init__(self, strokes: Sequence[CanvasStroke], classifier: Classifier, size: tuple[int, int],
                 segments: SegmentJudge | None, memo: CandidateMemo = CANDIDATES, max_new: int | None = None) -> None:
        self.strokes, self.classifier, self.size, self.segments = list(strokes), classifier, size, segments
        self.memo, self.max_new = memo, max_new
        self._keys = [signature([stroke]) for stroke in self.strokes]
        self._candidates: dict[tuple[int, ...], Candidate] = {}

    def read(self) -> NumberReading | None:
        """The number: its digits left to right, each with the network's probabilities calibrated once."""
        groups = group_strokes([stroke.points for stroke in self.strokes], self.judge)
        readings = []
        for members in groups:
            candidate = self._candidates[tuple(members)] if tuple(members) in self._candidates else \
                self.candidates([members])[0]
            if candidate is None:  # a dot, a speck: not a digit
                continue
            pixels, _, probabilities = candidate
            left, top, right, bottom = box([self.strokes[i].points for i in members])
            pad = max(self.strokes[i].width for i in members) / 2
            readings.append(Reading(int(probabilities.argmax()), self.classifier.calibrate(probabilities), pixels,
                                    box=(left - pad, top - pad, right + pad, bottom + pad), network=probabilities))
        return NumberReading(tuple(readings)) if readings else None

    def judge(self, candidates: list[list[int]]) -> list[float]:
        """How surely each candidate run of strokes is one digit: read surely, and whole by the segment judge."""
        if len(candidates) > MAX_CANDIDATES:
            raise UnreadableDrawingError(TANGLED)
        sureness = [0.0 if c is None else float(c[2].max()) for c in self.candidates(candidates)]
        if self.segments is None:
            return sureness
        whole = self.segments([stroke.points for stroke in self.strokes], candidates)
        return [sure * float(w) for sure, w in zip(sureness, whole)]

    def candidates(self, groups: Sequence[Sequence[int]]) -> list[Candidate]:
        """Each group read (None: not a digit): remembered ones from the memo, new ones drawn and read in one batch.

        The probabilities are the network's own: the grouping was tuned on them, and the temperature
        is applied once a group is settled.
        """
        new = []
        for members in dict.fromkeys(tuple(members) for members in groups):
            if members in self._candidates:
                continue
            found, candidate = self.memo.get(self.classifier, self._key(members))
            if found:
                self._candidates[members] = candidate
            else:
                new.append(members)
        if self.max_new is not None and len(new) > self.max_new:
            raise UnreadableDrawingError(TOO_MUCH_AT_ONCE)
        inputs = {members: self._inputs(members) for members in new}
        readable = [members for members in new if inputs[members] is not None]
        if readable:
            features = None if inputs[readable[0]][1] is None else np.stack([inputs[m][1] for m in readable])
            pixels = np.stack([inputs[members][0] for members in readable])
            own = self.classifier.predict_drawing(pixels, features, calibrated=False)
            for members, probabilities in zip(readable, own):
                inputs[members] = (*inputs[members], probabilities)
        for members in new:
            self._candidates[members] = inputs[members]
            self.memo.put(self.classifier, self._key(members), inputs[members])
        return [self._candidates[tuple(members)] for members in groups]

    def _key(self, members: Sequence[int]) -> str:
        return "+".join(self._keys[i] for i in members) + f"@{self.size}"

    def _inputs(self, members: Sequence[int]) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The model's input for these strokes drawn alone: (28x28 pixels, stroke features or None); None if unreadable.

        A run whose pen went further than `MAX_PATH` times its size is a scribble, never drawn.
        """
        chosen = [self.strokes[i] for i in members]
        if path_length(chosen) > MAX_PATH:
            return None
        try:
            pixels = to_mnist(_draw(chosen, self.size))
        except (EmptyDrawingError, UnreadableDrawingError):
            return None
        return pixels, digit_features(chosen) if self.classifier.reads_strokes else None


def _draw(strokes: Sequence[CanvasStroke], size: tuple[int, int]) -> np.ndarray:
    """These strokes alone on a blank canvas, each with its own brush but never thicker than PIXEL_BRUSH.

    Digits in a number are small beside the brush: at full width a narrow 8's loops fill in and it
    reads as a 1. Redrawn thinner (the strokes are known), the pixel CNN reads 0.98 of held-out
    writers' digits in close numbers, not 0.95 (PIXEL_BRUSH 0.06 to 0.2 tried).
    """
    left, top, right, bottom = box([stroke.points for stroke in strokes])
    return draw_canvas(strokes, size, max_brush=max(PIXEL_BRUSH * max(right - left, bottom - top), 2.0), grey=True)
