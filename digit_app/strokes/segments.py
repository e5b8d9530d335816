"""Whether a run of strokes is exactly one digit: the second judge of a whole number's grouping.

The digit reader says how surely a run of strokes reads as some digit, but it never saw two
touching digits taken together, nor half a digit, and it reads many of them fairly surely. This
small 1D CNN was shown the training writers' digits written as numbers, spaced and touching, and
every run of one to three consecutive strokes in them, and learned which runs are one whole
digit. It reads a run's trajectory (`stroke_features`) and three things the trajectory alone
loses: the run's width and height beside the number's height, and its stroke count.

It is shipped as a LiteRT file beside this module (made by `python -m digit_app segments`), so
the Draw page asks it without TensorFlow. It does not depend on a model version: retraining the
digit reader leaves it as it is.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digit_app.errors import SettingsError
from digit_app.lite import LiteRunner
from digit_app.store.files import read_plain
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS, box, stroke_features
from digit_app.strokes.grouping import MAX_STROKES

if TYPE_CHECKING:  # imported where numbers are written: the command line reads the bounds below without it
    from digit_app.strokes.pen_digits import PenDigits

SEGMENTS_FILE = Path(__file__).with_name("segments.tflite")
SEGMENT_SHAPE = (STROKE_POINTS, STROKE_FEATURES + 3)  # per point: its features, then the run's width, height, strokes
FILTERS = (32, 64, 64)
DENSE_UNITS = 64
NUMBERS = 4000  # pen numbers written to learn from (half spaced, half touching): about 40,000 runs
MIN_NUMBERS = 20  # fewer leave too few runs for the tenth kept aside to measure anything
MAX_NUMBERS = 20_000  # five times the default: about 200,000 runs, 400 MB of features
EPOCHS = 10
MAX_EPOCHS = 200
MAX_JUDGE_BYTES = 10_000_000  # the shipped judge is 150 KB; a larger file is not read
BATCH_SIZE = 128
LEARNING_RATE = 2e-3

log = logging.getLogger(__name__)


def segment_features(strokes: Sequence[np.ndarray], runs: Sequence[Sequence[int]]) -> np.ndarray:
    """The judge's input (n, *SEGMENT_SHAPE) for runs of `strokes` (index lists), sized against all the strokes."""
    paths = [np.asarray(stroke, np.float32).reshape(-1, 2) for stroke in strokes]
    height = max(float(np.ptp(np.concatenate(paths)[:, 1])), 1.0)
    features = np.zeros((len(runs), *SEGMENT_SHAPE), np.float32)
    for row, members in enumerate(runs):
        chosen = [paths[i] for i in members]
        left, top, right, bottom = box(chosen)
        features[row, :, :STROKE_FEATURES] = stroke_features(chosen)
        size = ((right - left) / height, (bottom - top) / height, len(members) / MAX_STROKES)
        features[row, :, STROKE_FEATURES:] = size
    return features


def number_runs(digits: Sequence[Sequence[np.ndarray]]) -> tuple[list[list[int]], np.ndarray]:
    """Every run of 1 to MAX_STROKES consecutive strokes of a written number, and whether each is one whole digit."""
    owner = [index for index, strokes in enumerate(digits) for _ in strokes]
    runs, whole = [], []
    for start in range(len(owner)):
        for stop in range(start + 1, min(start + MAX_STROKES, len(owner)) + 1):
            runs.append(list(range(start, stop)))
            whole.append(len(set(owner[start:stop])) == 1 and stop - start == len(digits[owner[start]]))
    return runs, np.array(whole, np.float32)


def segment_examples(pen: PenDigits, numbers: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Features and 0/1 labels of every run in `numbers` numbers of 2-5 digits, each by one writer of `pen`."""
    from digit_app.strokes.pen_numbers import write_number

    features, labels = [], []
    writers = np.unique(pen.writers)
    for count in range(numbers):
        writer = rng.choice(writers)
        chosen = rng.choice(np.flatnonzero(pen.writers == writer), rng.integers(2, 6), replace=False)
        written = write_number([pen.strokes[i] for i in chosen], rng, close=bool(count % 2))
        runs, whole = number_runs(written)
        features.append(segment_features([stroke for digit in written for stroke in digit], runs))
        labels.append(whole)
    return np.concatenate(features), np.concatenate(labels)


def build_segment_model() -> Any:
    """Conv1D blocks over the run's trajectory, averaged, then one probability: "this is one whole digit"."""
    import keras

    inputs = keras.Input(SEGMENT_SHAPE, name="run")
    x = inputs
    for filters in FILTERS:
        x = keras.layers.Conv1D(filters, 5, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling1D(2)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dense(DENSE_UNITS, activation="relu")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="one_digit")(x)
    return keras.Model(inputs, outputs, name="segment_judge")


def train_segment_model(pen: PenDigits, numbers: int = NUMBERS, epochs: int = EPOCHS,
                        seed: int = 0) -> tuple[Any, float]:
    """A segment judge trained on numbers written with `pen`'s digits, and its accuracy on a tenth kept aside.

    Raises ValueError, before any work, for a count of numbers or epochs outside the bounds above.
    """
    if not MIN_NUMBERS <= numbers <= MAX_NUMBERS:
        raise SettingsError(f"The segment judge learns from {MIN_NUMBERS} to {MAX_NUMBERS} numbers, not {numbers}.")
    if not 1 <= epochs <= MAX_EPOCHS:
        raise SettingsError(f"The segment judge trains for 1 to {MAX_EPOCHS} epochs, not {epochs}.")
    import keras

    features, labels = segment_examples(pen, numbers, np.random.default_rng(seed))
    keras.utils.set_random_seed(seed)
    model = build_segment_model()
    model.compile(keras.optimizers.Adam(LEARNING_RATE), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(features, labels, batch_size=BATCH_SIZE, epochs=epochs, validation_split=0.1, verbose=0)
    return model, float(history.history["val_accuracy"][-1])


class SegmentJudge:
    """The shipped judge, run by LiteRT: how likely each run of strokes is one whole digit."""

    def __init__(self, flat: bytes) -> None:
        self._run = LiteRunner(flat, SEGMENT_SHAPE, 1)

    def __call__(self, strokes: Sequence[np.ndarray], runs: Sequence[Sequence[int]]) -> np.ndarray:
        if not runs:
            return np.zeros(0, np.float32)
        return self._run(segment_features(strokes, runs))[:, 0]


@functools.cache
def shipped_segment_judge() -> SegmentJudge | None:
    """The judge in SEGMENTS_FILE, loaded once; None if it is unusable (the digit reader then groups alone)."""
    try:
        return SegmentJudge(read_plain(SEGMENTS_FILE, MAX_JUDGE_BYTES))
    except (OSError, ValueError, RuntimeError) as problem:
        log.warning("The segment judge %s cannot be used (%s): whole numbers are grouped without it.",
                    SEGMENTS_FILE, problem)
        return None
