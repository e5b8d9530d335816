"""Why this answer: which strokes pushed the model toward its digit, and which toward the runner-up.

Occlusion: cover one small square of the 28x28 input at a time and see how much the probability
of each digit falls. A square whose covering makes the answer less likely held evidence for it.
All the covered copies go through the model in one batch, a few milliseconds on a CPU, so it is
cheap enough to show for every drawing.
"""

from __future__ import annotations

import numpy as np

from digit_app.model import Classifier

PATCH = 4  # side of the covered square, in input pixels (a stroke is about 2 px wide)
STRIDE = 2
ANSWER_COLOUR = np.array([1.0, 0.29, 0.29])  # evidence for the answer: red ...
RUNNER_UP_COLOUR = np.array([0.25, 0.55, 1.0])  # ... and for the runner-up: blue


def occlusion_maps(classifier: Classifier, image: np.ndarray, digits: list[int]) -> np.ndarray:
    """(len(digits), 28, 28): how much covering each pixel's neighbourhood lowers each digit's probability.

    Positive where the pixels held evidence for that digit; averaged over every square covering a pixel.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.shape != (28, 28):
        raise ValueError(f"expected a (28, 28) model input, got shape {image.shape}")
    corners = [(top, left) for top in range(0, 28 - PATCH + 1, STRIDE) for left in range(0, 28 - PATCH + 1, STRIDE)]
    covered = np.repeat(image[None], len(corners) + 1, axis=0)  # the last copy stays whole
    for index, (top, left) in enumerate(corners):
        covered[index, top : top + PATCH, left : left + PATCH] = 0.0
    probabilities = classifier.predict_proba(covered, calibrated=False)  # the network's own: maps keep their shades
    drops = probabilities[-1, digits] - probabilities[:-1, digits]  # (squares, digits)
    total, counts = np.zeros((len(digits), 28, 28), np.float32), np.zeros((28, 28), np.float32)
    for (top, left), drop in zip(corners, drops):
        total[:, top : top + PATCH, left : left + PATCH] += drop[:, None, None]
        counts[top : top + PATCH, left : left + PATCH] += 1
    return total / counts


def overlay(image: np.ndarray, toward: np.ndarray, runner_up: np.ndarray) -> np.ndarray:
    """An RGB picture of the input: strokes red where they made the answer, blue where they made the runner-up."""
    scale = max(float(toward.max()), float(runner_up.max()), 1e-6)  # one scale: the weaker evidence looks weaker
    red, blue = (np.sqrt(np.clip(evidence / scale, 0, 1))[..., None] for evidence in (toward, runner_up))
    grey = 0.35 * np.asarray(image, dtype=np.float32)[..., None] * np.ones(3)
    picture = grey + red * ANSWER_COLOUR + blue * RUNNER_UP_COLOUR
    return np.clip(picture, 0.0, 1.0).astype(np.float32)
