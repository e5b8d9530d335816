"""One drawing in, one answer out: the digit, how sure the model is, and what it looked at."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_app.model import Classifier
from digit_app.preprocess import EmptyDrawingError, to_mnist

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
