"""One drawing in, one answer out: the digit (or the number), how sure the model is, and what it looked at."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_app.model import Classifier
from digit_app.preprocess import EmptyDrawingError, UnreadableDrawingError, split_digits, to_mnist

SURE_PROBABILITY = 0.6  # below this top probability the answer is "not sure" ...
SURE_MARGIN = 0.25  # ... and so it is when the runner-up is closer than this


@dataclass(frozen=True)
class Reading:
    """The model's answer for one drawing."""

    digit: int
    probabilities: np.ndarray  # (10,)
    model_input: np.ndarray  # the (28, 28) image the model saw

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.digit])

    @property
    def runner_up(self) -> int:
        return int(np.argsort(self.probabilities)[-2])

    @property
    def is_sure(self) -> bool:
        """False when the top answer is weak or a second digit is nearly as likely."""
        margin = self.confidence - float(self.probabilities[self.runner_up])
        return self.confidence >= SURE_PROBABILITY and margin >= SURE_MARGIN


def read_digit(image: np.ndarray | None, classifier: Classifier) -> Reading | None:
    """Read the digit in a canvas or image; None when nothing is drawn.

    Raises `UnreadableDrawingError` (with a message for the person drawing) when the ink cannot be
    one digit, rather than guessing confidently at a dot or a scribble.
    """
    if image is None:
        return None
    try:
        model_input = to_mnist(image)
    except EmptyDrawingError:
        return None
    probabilities = classifier.predict_proba(model_input)[0]
    return Reading(digit=int(probabilities.argmax()), probabilities=probabilities, model_input=model_input)


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
    probabilities = classifier.predict_proba(np.stack(inputs))
    readings = (Reading(int(p.argmax()), p, model_input) for p, model_input in zip(probabilities, inputs))
    return NumberReading(tuple(readings))
