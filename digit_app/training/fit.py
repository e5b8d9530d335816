"""Train the digit CNN: settings in, a model and a report out, progress reported as it goes.

`train()` is plain Python so that the Retrain page, the command line and the tests all drive the
same code. Progress goes to a callback after every batch and epoch; a `should_stop` callable is
polled between batches so a run can be cancelled cleanly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from digit_app.calibration import fit_temperature
from digit_app.errors import DigitAppError, SettingsError
from digit_app.model import Classifier, lite_parts
from digit_app.networks import build_reader, reader_parts
from digit_app.sizes import NUM_CLASSES
from digit_app.store.metadata import TrainingSummary
from digit_app.strokes.network import LEARNING_RATE as STROKE_RATE
from digit_app.strokes.network import steps_per_pass, train_stroke_model
from digit_app.strokes.pen_digits import load_pen_digits
from digit_app.training import ready
from digit_app.training.augment import build_augmenter
from digit_app.training.config import TrainConfig
from digit_app.training.data import TrainingData
from digit_app.training.drawn_cache import drawn_pen_digits, kept_copies
from digit_app.training.pen import retrace_digits
from digit_app.training.redrawn import redraw_digits
from digit_app.training.stopwatch import Stopwatch
from digit_app.training.styles import add_styles

CALIBRATION_DIGITS = 10_000  # training digits the temperature is fitted on, at most
HELD_OUT_SEED = 12345  # the held-out writers are drawn the same way for every model, so figures compare
ProgressFn = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Evaluation:
    """How a model reads a labelled set of digits: the share right, the confusion matrix, each answer."""

    accuracy: float
    confusion: np.ndarray  # (10, 10): row = true digit, column = predicted
    predictions: np.ndarray  # predicted digit per image
    misclassified: np.ndarray  # indices of the images read wrong


@dataclass(frozen=True)
class TrainReport:
    """What a training run produced: the test set's evaluation and how the run went."""

    evaluation: Evaluation  # on the test set
    seconds: float
    images_per_second: float
    history: list[dict[str, float]]
    train_images: int
    held_out: dict[str, float] = field(default_factory=dict)  # accuracy on held-out writers' drawings
    temperature: float = 1.0  # the calibration fitted after training (`digit_app.calibration`)
    phases: dict[str, float] = field(default_factory=dict)  # seconds of each phase of the run (`Stopwatch`)
    phases_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of each phase
    lite: dict[str, bytes] = field(default_factory=dict, repr=False)  # the model's LiteRT copies (`lite_parts`)

    @property
    def test_accuracy(self) -> float:
        return self.evaluation.accuracy

    def summary(self, data: dict[str, Any], training: dict[str, Any]) -> TrainingSummary:
        """The record kept with the model: `data` and `training` say what it learnt from and how."""
        return TrainingSummary(
            data=data, training=training, test_accuracy=round(self.test_accuracy, 4),
            confusion_matrix=self.evaluation.confusion.tolist(), train_seconds=round(self.seconds, 1),
            images_per_second=round(self.images_per_second, 1), train_images=self.train_images,
            history=self.history, held_out_writers=self.held_out, temperature=round(self.temperature, 4))


class Cancelled(DigitAppError):
    """Training was stopped by `should_stop` before it finished."""


def train(
    data: TrainingData,
    config: TrainConfig,
    progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    strategy: Any | None = None,
) -> tuple[Any, TrainReport]:
    """Train a fresh CNN on `data` with `config`; return (model, report on the test set).

    With `config.drawn`, the training writers' pen digits join the pixel CNN's data (drawn on a
    canvas, read by `to_mnist`), a stroke model learns them too, and the model returned is the
    reader of both (`build_reader`); the report adds accuracy on the held-out writers.
    Raises `Cancelled` when `should_stop()` turns true; the half-trained model is discarded.
    `strategy` is a `tf.distribute` strategy; by default, `distribution_strategy()`.
    """
    keras.utils.set_random_seed(config.seed)
    watch = Stopwatch()
    with watch.phase("copies of the digits"):
        images, labels = _training_arrays(data, config)
    if config.drawn:
        def prepared(done: int, total: int) -> None:
            if progress is not None:
                progress({"phase": "preparing", "what": "pen digits", "done": done, "total": total})

        with watch.phase("pen digits drawn"):
            pen = load_pen_digits()
            drawn_pixels, drawn_strokes, drawn_labels = drawn_pen_digits(pen.for_training(), config.seed, prepared)
        images = np.concatenate([images, drawn_pixels[..., None]])
        labels = np.concatenate([labels, drawn_labels])
    validation_count = int(len(images) * config.validation_split)
    order = np.random.default_rng(config.seed).permutation(len(images))
    val_idx, train_idx = order[:validation_count], order[validation_count:]
    if config.batch_size > len(train_idx):
        raise SettingsError(f"The batch size {config.batch_size} is larger than the {len(train_idx)} training images; "
                         f"choose {len(train_idx)} or fewer.")
    steps_per_epoch = int(np.ceil(len(train_idx) / config.batch_size))

    strategy = strategy or distribution_strategy()
    with watch.phase("input pipeline"):
        train_ds, val_ds = _streams(images, labels, train_idx, val_idx, config, strategy.num_replicas_in_sync)
    several = strategy.num_replicas_in_sync > 1
    models = None if several else ready.take(config.width, config.seed, config.drawn)  # built ahead, if they were
    if models is None:
        with watch.phase("models built"):  # (their steps are traced in their first batch)
            models = ready.compiled_models(config.width, config.seed, config.drawn, strategy if several else None)
    model = models.pixels
    models.pixel_schedule.set(config.learning_rate, config.epochs * steps_per_epoch)
    if models.stroke_schedule is not None:
        models.stroke_schedule.set(STROKE_RATE, config.stroke_epochs * steps_per_pass(len(drawn_strokes)))
    keras.utils.set_random_seed(config.seed)  # the same random draws in the run, whenever its models were built

    tracker = _Progress(config, steps_per_epoch, progress, should_stop)
    started = time.perf_counter()
    with watch.phase("pixel CNN epochs"):
        model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, steps_per_epoch=steps_per_epoch,
                  callbacks=[tracker], verbose=0, shuffle=False)
    pixel_seconds = time.perf_counter() - started
    if tracker.cancelled:
        raise Cancelled("Training was cancelled; no model was kept.")
    if config.drawn:
        def stroke_epoch(epoch: int, logs: dict[str, float]) -> None:
            if progress is not None:
                progress({"phase": "strokes", "epoch": epoch, "epochs": config.stroke_epochs, **logs})

        with watch.phase("stroke model epochs"):
            stroke_model = train_stroke_model(drawn_strokes, drawn_labels, config.stroke_epochs, seed=config.seed,
                                              on_epoch=stroke_epoch, should_stop=should_stop, model=models.strokes)
        if should_stop is not None and should_stop():
            raise Cancelled("Training was cancelled; no model was kept.")
    seconds = time.perf_counter() - started

    if progress is not None:
        progress({"phase": "evaluating"})
    model = build_reader(model, stroke_model) if config.drawn else model
    with watch.phase("LiteRT copies"):
        lite = lite_parts(model)  # what the Draw page will run, made once: saved with the model, and measured here
    # One classifier for every figure of the report (the test set, the temperature, the held-out writers): the
    # LiteRT copies, which read these batches on 40% less CPU than the Keras model and give its answers.
    reader = Classifier(pixel_model=None, path=None, lite=lite)
    with watch.phase("evaluation: test set"):
        evaluation = evaluate(reader, data.x_test, data.y_test)
    with watch.phase("calibration"):
        temperature = training_temperature(reader, data, config.seed)
    with watch.phase("evaluation: held-out writers"):
        held_out = held_out_accuracy(reader, pen) if config.drawn else {}
    return model, TrainReport(
        evaluation=evaluation, seconds=seconds, history=tracker.history, train_images=len(train_idx),
        images_per_second=tracker.images_seen / pixel_seconds if pixel_seconds else 0.0, held_out=held_out,
        temperature=temperature, phases=watch.rounded(), phases_cpu=watch.cpu_rounded(), lite=lite)


def evaluate(model: Any, x_test: np.ndarray, y_test: np.ndarray) -> Evaluation:
    """Accuracy, confusion matrix and misclassified indices of `model` (its pixel CNN) on a test set."""
    # Scoring a whole test set only needs the batched path: skip the one-drawing LiteRT copy.
    classifier = model if isinstance(model, Classifier) else Classifier(pixel_model=reader_parts(model)[0], path=None,
                                                                        fast_single=False)
    pixels = np.asarray(x_test, dtype=np.float32)
    pixels = pixels / 255.0 if pixels.max() > 1.0 else pixels
    predicted = classifier.predict_proba(pixels).argmax(axis=1)
    truth = np.asarray(y_test).astype(np.int64)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    return Evaluation(accuracy=float((predicted == truth).mean()), confusion=confusion, predictions=predicted,
                      misclassified=np.flatnonzero(predicted != truth))


def training_temperature(classifier: Classifier, data: TrainingData, seed: int = 0) -> float:
    """The temperature that makes the pixel CNN's confidence honest, fitted on MNIST digits it trained on.

    Augmentation and label smoothing keep it from memorising them: on the shipped model, the
    temperature fitted on its training digits (0.46) is within 0.05 of the best one for held-out
    writers' drawings, and takes their calibration error from 0.064 to 0.007.
    """
    chosen = np.random.default_rng(seed).permutation(len(data.x_train))[:CALIBRATION_DIGITS]
    raw = classifier.predict_proba(data.x_train[chosen].astype(np.float32) / 255.0, calibrated=False)
    return fit_temperature(raw, data.y_train[chosen])


def prepare_pen_digits(seed: int = 0) -> None:
    """Draw and keep (`drawn_cache`) the pen digits a run with this seed learns from and is measured on, ahead of
    the run: what a worker started ahead does while the operator chooses the settings."""
    pen = load_pen_digits()
    drawn_pen_digits(pen.for_training(), seed)
    drawn_pen_digits(pen.held_out(), HELD_OUT_SEED)


def held_out_accuracy(classifier: Classifier, pen: Any = None) -> dict[str, float]:
    """Accuracy on held-out writers' pen digits drawn on a canvas: pixels, strokes, both as the Draw page reads them."""
    pen = pen if pen is not None else load_pen_digits()
    pixels, strokes, labels = drawn_pen_digits(pen.held_out(), HELD_OUT_SEED)
    # Each model reads them once; the drawing's answer is their mean, as `Classifier.predict_drawing` makes it.
    scores = {"pixels": classifier.predict_proba(pixels, calibrated=False)}
    if classifier.reads_strokes:
        scores["strokes"] = classifier.predict_strokes(strokes, calibrated=False)
        scores["drawing"] = (scores["pixels"] + scores["strokes"]) / 2
    return {name: round(float((p.argmax(axis=1) == labels).mean()), 4) for name, p in scores.items()}


def distribution_strategy() -> Any:
    """Mirror across GPUs when there are several; otherwise the default one-device strategy."""
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def _streams(images: np.ndarray, labels: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray, config: TrainConfig,
             replicas: int) -> tuple[Any, Any]:
    """The training stream (shuffled, batched, augmented on the fly, endless) and the validation batches (or None)."""
    # Several replicas need equal shares of every batch: whole multiples, no ragged last batch.
    uneven = replicas > 1

    def share_evenly(size: int) -> int:
        return max(replicas, size // replicas * replicas)

    augment = None if config.augment.is_identity() else build_augmenter(config.augment, config.seed)
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    train_ds = tf.data.Dataset.from_tensor_slices((images[train_idx], one_hot[train_idx]))
    # One endless stream, reshuffled every pass, cut into epochs by `steps_per_epoch`: a fresh
    # iterator for each epoch stalled 1 to 8 s with the CPU idle before its first batch.
    train_ds = train_ds.shuffle(len(train_idx), seed=config.seed).repeat()
    train_ds = train_ds.batch(share_evenly(config.batch_size), drop_remainder=uneven)
    if augment is not None:
        train_ds = train_ds.map(lambda x, y: (augment(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
    val_ds = None
    if len(val_idx) >= replicas:
        val_ds = tf.data.Dataset.from_tensor_slices((images[val_idx], one_hot[val_idx]))
        val_ds = val_ds.batch(share_evenly(min(512, len(val_idx))), drop_remainder=uneven)
    return train_ds, val_ds


def _training_arrays(data: TrainingData, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Float images (n, 28, 28, 1) and int labels: MNIST plus styled, redrawn and retraced copies if asked for."""
    originals, labels, seed = data.x_train, data.y_train.astype(np.int64), config.seed
    if config.augment.styles:
        share = config.augment.styles
        styled, styled_labels = kept_copies("styled", originals, labels, share, seed,
                                            lambda: add_styles(originals, labels, share, seed=seed))
        originals, labels = np.concatenate([originals, styled]), np.concatenate([labels, styled_labels])
    images, copied_from = originals.astype(np.float32) / 255.0, labels
    for kind, share, make_copies in (("redrawn", config.augment.redraw, redraw_digits),
                                     ("retraced", config.augment.pen, retrace_digits)):
        if share:
            chosen, copies = kept_copies(kind, originals, copied_from, share, seed,
                                         lambda make=make_copies, share=share: make(originals, share, seed=seed))
            images, labels = np.concatenate([images, copies]), np.concatenate([labels, copied_from[chosen]])
    return images[..., None], labels


class _Progress(keras.callbacks.Callback):
    """Forwards progress to a plain function and polls for cancellation between batches."""

    def __init__(self, config: TrainConfig, steps: int, report: ProgressFn | None, stop: Any) -> None:
        super().__init__()
        self.config, self.steps, self.report, self.stop = config, steps, report, stop
        self.history: list[dict[str, float]] = []
        self.images_seen = 0
        self.cancelled = False
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.images_seen += self.config.batch_size
        if self.report is not None:
            self.report(
                {"phase": "batch", "epoch": self.epoch + 1, "epochs": self.config.epochs,
                 "batch": batch + 1, "steps": self.steps, **_floats(logs)}
            )
        if self.stop is not None and self.stop():
            self.cancelled = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        record = {"epoch": epoch + 1, **_floats(logs)}
        self.history.append(record)
        if self.report is not None:
            self.report({"phase": "epoch", "epochs": self.config.epochs, **record})


def _floats(logs: dict | None) -> dict[str, float]:
    return {key: float(value) for key, value in (logs or {}).items()}
