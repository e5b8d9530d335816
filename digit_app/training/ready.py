"""A run's two models built, compiled and traced before Start, so the run goes straight to its first batch.

Building a model and tracing its training step cost several CPU seconds for each model in every
run. A worker started ahead (`digit_app.jobs.worker --linger`) does it while the operator chooses
the settings (`prepare`), for the page's default width and seed; a run with those takes them
(`take`), any other run builds its own the same way (`compiled_models`). Tracing runs one step on
made-up digits; every variable that step changed (weights, batch-norm statistics, dropout seeds,
the optimizer's moments and step count) is put back after it, so the models start the run exactly
as built. The learning-rate schedules read their peak and length from variables set for each run
(`CosineSchedule.set`): the traced steps hold for any epochs and learning rate.
"""

from __future__ import annotations

import contextlib
import math
import threading
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from digit_app.networks import STROKE_SHAPE, build_model
from digit_app.sizes import INPUT_SHAPE, LABEL_SMOOTHING, NUM_CLASSES
from digit_app.strokes.network import LEARNING_RATE as STROKE_RATE
from digit_app.strokes.network import build_stroke_model


class CosineSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Keras' cosine decay to zero, its peak and length in variables: set for each run, read by a step traced once."""

    def __init__(self, peak: float = 1e-3, steps: int = 1) -> None:
        self.peak = keras.Variable(float(peak), trainable=False, dtype="float32", name="peak_rate")
        self.steps = keras.Variable(float(max(1, steps)), trainable=False, dtype="float32", name="decay_steps")

    def set(self, peak: float, steps: int) -> None:
        """This run's learning rate and its number of steps."""
        self.peak.assign(float(peak))
        self.steps.assign(float(max(1, steps)))

    def __call__(self, step: Any) -> Any:
        ops = keras.ops
        done = ops.minimum(ops.cast(step, "float32"), self.steps) / self.steps
        return self.peak * 0.5 * (1.0 + ops.cos(math.pi * done))

    def get_config(self) -> dict[str, Any]:
        return {"peak": float(self.peak.numpy()), "steps": int(self.steps.numpy())}


@dataclass
class RunModels:
    """The pixel CNN and the stroke model (None without pen digits) of one run, compiled, with their schedules."""

    pixels: Any
    pixel_schedule: CosineSchedule
    strokes: Any | None
    stroke_schedule: CosineSchedule | None
    width: int
    seed: int

    def fits(self, width: int, seed: int, drawn: bool) -> bool:
        """Whether these are the models a run with these settings would build."""
        return (self.width, self.seed, self.strokes is not None) == (width, seed, drawn)


def compiled_models(width: int, seed: int, drawn: bool, strategy: Any = None) -> RunModels:
    """A run's models, fresh from `seed`: the pixel CNN `width` wide (in `strategy`'s scope, if given: several GPUs)
    and, if `drawn`, the stroke model."""
    keras.utils.set_random_seed(seed)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        pixels, pixel_schedule = build_model(width), CosineSchedule()
        _compile(pixels, pixel_schedule)
    strokes = stroke_schedule = None
    if drawn:
        strokes, stroke_schedule = build_stroke_model(), CosineSchedule(STROKE_RATE)
        _compile(strokes, stroke_schedule)
    return RunModels(pixels, pixel_schedule, strokes, stroke_schedule, width, seed)


def traced(models: RunModels) -> RunModels:
    """The models with their training (and the pixel CNN's validation) steps traced, every variable as before."""
    import tensorflow as tf

    def one_step(model: Any, shape: tuple[int, ...], batch: int, validate: bool) -> None:
        kept = [variable.numpy() for variable in model.variables]
        made_up = tf.data.Dataset.from_tensor_slices((np.zeros((batch, *shape), np.float32),
                                                      np.eye(NUM_CLASSES, dtype=np.float32)[np.arange(batch) % 10]))
        made_up = made_up.batch(batch)
        model.fit(made_up.repeat(), steps_per_epoch=1, epochs=1, verbose=0, shuffle=False,
                  validation_data=made_up if validate else None)
        for variable, value in zip(model.variables, kept):
            variable.assign(value)
        for variable in model.optimizer.variables:  # moments and step count: zero, as before the first step
            variable.assign(np.zeros(variable.shape, variable.dtype))

    one_step(models.pixels, INPUT_SHAPE, 2, validate=True)
    if models.strokes is not None:
        one_step(models.strokes, STROKE_SHAPE, 2, validate=False)
    return models


_kept: RunModels | None = None
_keeping = threading.Lock()


def prepare(width: int, seed: int, drawn: bool = True) -> None:
    """Build and trace a run's models now and keep them for the next run with these settings (`take`)."""
    global _kept
    models = traced(compiled_models(width, seed, drawn))
    with _keeping:
        _kept = models


def take(width: int, seed: int, drawn: bool) -> RunModels | None:
    """The models kept by `prepare`, if they are the ones a run with these settings needs (each is taken once)."""
    global _kept
    with _keeping:
        models, _kept = _kept, None
    return models if models is not None and models.fits(width, seed, drawn) else None


def _compile(model: Any, schedule: CosineSchedule) -> None:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING), metrics=["accuracy"])
