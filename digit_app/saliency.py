"""Why this answer: which strokes pushed the model toward its digit, and which toward the runner-up.

Occlusion: cover one small square of the 28x28 input at a time and see how much the probability
of each digit falls. A square whose covering makes the answer less likely held evidence for it.
All the covered copies go through the model in one batch; the page asks for it on request, once
per drawing. The maps are shown on the person's own strokes (`stroke_colours`) or over the input (`overlay`).
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


def input_frame(points: np.ndarray, image: np.ndarray, pen: float = 2.0) -> tuple[float, np.ndarray]:
    """The scale and shift taking canvas points to 28x28 input coordinates: (x, y) -> scale * (x, y) + shift.

    The input is the drawing's centre lines fitted into MNIST's box (aspect kept) and redrawn with a
    pen about `pen` input pixels wide; so the points' box, fitted onto the input's ink box less that
    pen, centre on centre, lands the strokes on the ink the maps were measured on.
    """
    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    image = np.asarray(image, dtype=np.float32)
    ink = np.argwhere(image >= 0.5 * max(float(image.max()), 1e-6))  # (row, column)
    if not len(points) or not len(ink):
        raise ValueError("no strokes or no ink to line up")
    low, high = points.min(axis=0), points.max(axis=0)
    ink_low, ink_high = ink.min(axis=0)[::-1].astype(np.float32), ink.max(axis=0)[::-1].astype(np.float32)
    reach = max(float(np.max(high - low)), 1.0)
    scale = max(float(np.max(ink_high - ink_low)) + 1.0 - pen, 1.0) / reach
    shift = (ink_low + ink_high) / 2 - scale * (low + high) / 2
    return scale, shift


def sample(evidence: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """`evidence` (28, 28) read at input coordinates `xy` (k, 2) (x, y), between pixels linearly; 0 outside."""
    padded = np.pad(np.asarray(evidence, dtype=np.float32), 1)
    x, y = (np.clip(np.asarray(xy, dtype=np.float32)[:, axis] + 1, 0, 29) for axis in (0, 1))
    left, top = np.minimum(np.floor(x).astype(int), 28), np.minimum(np.floor(y).astype(int), 28)
    dx, dy = x - left, y - top
    return ((1 - dy) * ((1 - dx) * padded[top, left] + dx * padded[top, left + 1])
            + dy * ((1 - dx) * padded[top + 1, left] + dx * padded[top + 1, left + 1]))


def stroke_colours(strokes: list[np.ndarray], image: np.ndarray, toward: np.ndarray,
                   runner_up: np.ndarray) -> list[np.ndarray]:
    """For each stroke's canvas points (k, 2), an RGB colour (k, 3) per point: `overlay`'s colours, on the strokes.

    The maps are read along the strokes where they lie in the input; ink is full there, so a
    stroke that decided nothing is `overlay`'s grey and one that made the answer is red.
    """
    scale, shift = input_frame(np.concatenate(strokes), image)
    top = max(float(toward.max()), float(runner_up.max()), 1e-6)  # one scale, as in overlay
    colours = []
    for points in strokes:
        xy = scale * np.asarray(points, dtype=np.float32) + shift
        red, blue = (np.sqrt(np.clip(sample(evidence, xy) / top, 0, 1))[:, None] for evidence in (toward, runner_up))
        colours.append(np.clip(0.35 + red * ANSWER_COLOUR + blue * RUNNER_UP_COLOUR, 0.0, 1.0).astype(np.float32))
    return colours


def along(points: np.ndarray, step: float) -> np.ndarray:
    """The polyline `points` (k, 2) with a point at least every `step` along it, so colours can change between them."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if len(points) < 2 or step <= 0:
        return points
    pieces = [points[:1]]
    for start, end in zip(points[:-1], points[1:]):
        count = max(int(np.ceil(float(np.hypot(*(end - start))) / step)), 1)
        pieces.append(start + (end - start) * (np.arange(1, count + 1, dtype=np.float32)[:, None] / count))
    return np.concatenate(pieces)
