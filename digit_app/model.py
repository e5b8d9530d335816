"""A saved model loaded (with its metadata) as a fast Classifier, and run; `digit_app.networks` defines them.

A reader (`digit_app.networks.build_reader`) is saved, versioned and loaded like a plain pixel
CNN, and `Classifier` takes it apart again to read pixels alone (photos, uploads) or a drawing
with its strokes.

A saved model is a `.keras` file with a JSON file of the same name beside it that says how it was
made (data, epochs, augmentation, test accuracy, versions). Loading is always `safe_mode=True`,
so a file with arbitrary Python code in a `Lambda` layer is refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digit_app.calibration import MAX_TEMPERATURE, MIN_TEMPERATURE, apply_temperature
from digit_app.database.registry import active_model
from digit_app.errors import DigitAppError, first_line
from digit_app.lite import LiteRunner, convert
from digit_app.networks import STROKE_SHAPE, reader_parts
from digit_app.sizes import INPUT_SHAPE, MNIST_SHAPE, NUM_CLASSES
from digit_app.store.metadata import TrainingSummary, read_summary
from digit_app.store.model_files import read_lite, write_lite
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS

PREDICT_BATCH = 256  # images per compiled call when classifying many at once

log = logging.getLogger(__name__)


class ModelLoadError(DigitAppError, RuntimeError):
    """A model file is missing, unreadable or not a digit classifier; the message says which."""


@dataclass
class Classifier:
    """A loaded model with compiled forward passes: cheap enough to call on every stroke.

    `pixel_model` is the pixel CNN; `stroke_model`, when the file was a reader, reads a drawing's
    strokes. Loaded from a file's LiteRT parts (`lite`), it runs on LiteRT alone: no TensorFlow, no
    Keras model (`pixel_model` and `stroke_model` are None).
    """

    pixel_model: Any
    path: Path | None
    summary: TrainingSummary = field(default_factory=TrainingSummary)  # how it was made, as saved beside it
    fast_single: bool = True  # build LiteRT copies for one-drawing calls (~1.8 s at load)
    stroke_model: Any = None
    lite: dict[str, bytes] | None = None  # LiteRT flatbuffers "pixels" (and "strokes"), instead of Keras models
    reader: Any = field(default=None, repr=False)  # the whole Keras model as saved, when loaded with Keras
    converted: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)  # LiteRT copies made at load
    notice: str | None = None  # what went wrong at load and what answers instead (a damaged LiteRT copy), for people

    def __post_init__(self) -> None:
        if self.lite:
            self._pixels: Any = LiteRunner(self.lite["pixels"], INPUT_SHAPE, NUM_CLASSES)
            self._strokes: Any = (LiteRunner(self.lite["strokes"], STROKE_SHAPE, NUM_CLASSES)
                                  if "strokes" in self.lite else None)
            return
        # The one-drawing path runs a LiteRT copy of each part, converted once here (and kept, so a
        # loader can save the same copies beside the model file).
        if self.fast_single:
            for part, net in (("pixels", self.pixel_model), ("strokes", self.stroke_model)):
                if net is not None:
                    with contextlib.suppress(Exception):  # any conversion problem: the Keras path still works
                        self.converted[part] = convert(net)
        self._pixels = _Runner(self.pixel_model, INPUT_SHAPE, self.converted.get("pixels"))
        self._strokes = (None if self.stroke_model is None
                         else _Runner(self.stroke_model, STROKE_SHAPE, self.converted.get("strokes")))

    @property
    def metadata(self) -> dict[str, Any]:
        """The summary as it is saved (entries by their saved names): for code that reads one entry by name."""
        return self.summary.to_json()

    @property
    def reads_strokes(self) -> bool:
        """True when this model also reads strokes (a drawing's `stroke_features`)."""
        return self._strokes is not None

    @property
    def temperature(self) -> float:
        """The calibration saved with the model (`digit_app.calibration`); 1.0, the network's own, without one."""
        value = self.summary.temperature
        valid = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if valid and MIN_TEMPERATURE <= value <= MAX_TEMPERATURE else 1.0

    def calibrate(self, probabilities: np.ndarray) -> np.ndarray:
        """The network's probabilities made honest by the model's temperature; every answer stays the same."""
        return apply_temperature(probabilities, self.temperature)

    def predict_proba(self, images: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Probabilities (n, 10) for images (n, 28, 28) or one (28, 28), values in [0, 1]: pixels alone.

        `calibrated=False` gives the network's own probabilities, before the temperature.
        """
        batch = np.asarray(images, dtype=np.float32)
        if batch.shape[-2:] != MNIST_SHAPE or batch.ndim not in (2, 3):
            raise ValueError(f"expected images of shape (n, 28, 28) or (28, 28), got {batch.shape}")
        raw = self._pixels(batch.reshape(-1, *INPUT_SHAPE))
        return self.calibrate(raw) if calibrated else raw

    def predict_strokes(self, features: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Probabilities (n, 10) from the stroke model alone, for features (n, *STROKE_SHAPE) or one."""
        if self._strokes is None:
            raise ValueError("This model reads pixels only: it has no stroke model.")
        batch = np.asarray(features, dtype=np.float32)
        if batch.shape[-2:] != STROKE_SHAPE or batch.ndim not in (2, 3):
            raise ValueError(f"expected stroke features of shape (n, {STROKE_POINTS}, {STROKE_FEATURES}), "
                             f"got {batch.shape}")
        raw = self._strokes(batch.reshape(-1, *STROKE_SHAPE))
        return self.calibrate(raw) if calibrated else raw

    def predict_drawing(self, images: np.ndarray, features: np.ndarray | None, calibrated: bool = True) -> np.ndarray:
        """Probabilities (n, 10) for drawings: the mean of the pixel and stroke models, as the saved reader computes.

        Without features (or without a stroke model) the pixel CNN answers alone. The temperature,
        fitted on the pixel CNN's answers, applies to the mean: on the shipped reader it brings the
        held-out writers' calibration error from 0.064 to 0.007 (`benchmarks/recognition.py`).
        """
        pixels = self.predict_proba(images, calibrated=False)
        if features is not None and self._strokes is not None:
            strokes = self.predict_strokes(features, calibrated=False)
            if len(strokes) != len(pixels):
                raise ValueError(f"{len(pixels)} images but {len(strokes)} stroke sequences")
            pixels = (pixels + strokes) / 2
        return self.calibrate(pixels) if calibrated else pixels


class _Runner:
    """One model's forward pass: a single-threaded LiteRT copy for one input, compiled Keras for batches.

    TensorFlow's thread pools cost more than the arithmetic for one drawing; LiteRT answers it on
    the calling thread in well under a millisecond.
    """

    def __init__(self, model: Any, shape: tuple[int, ...], flat: bytes | None) -> None:
        import tensorflow as tf

        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, *shape), tf.float32)],
            reduce_retracing=True,
        )
        self._single = LiteRunner(flat, shape, NUM_CLASSES) if flat else None
        self(np.zeros((1, *shape), np.float32))  # trace once, now, not on first use

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) == 1 and self._single is not None:
            return self._single(batch)
        chunks = [
            self._forward(batch[start : start + PREDICT_BATCH]).numpy()
            for start in range(0, len(batch), PREDICT_BATCH)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, NUM_CLASSES), np.float32)


def lite_parts(model: Any) -> dict[str, bytes]:
    """LiteRT flatbuffers of a model's parts: "pixels", and "strokes" for a reader; saved beside the model."""
    pixels, strokes = reader_parts(model)
    return {"pixels": convert(pixels), **({"strokes": convert(strokes)} if strokes is not None else {})}


def load_classifier(path: str | os.PathLike[str] | None = None, keras: bool = False) -> Classifier:
    """Load a model for prediction: the active one when `path` is None.

    When the model's LiteRT parts lie beside it (every saved version has them) and match the SHA-256
    digests in its metadata, they answer alone, without importing TensorFlow. A model without them,
    or whose metadata has no digests (saved before they were kept), is loaded with Keras and they are
    made for next time, digests and all. A part that does not match its digest, or cannot run, is
    never used: the Keras model answers, `notice` says so, and the part is made again.
    `keras=True` always loads the Keras models (to combine or retrain them), with no LiteRT
    copies: one drawing at a time then runs through Keras too.
    Raises `ModelLoadError` naming the file and what to do when it is missing or broken.
    """
    model_path = Path(path) if path is not None else active_model().path  # the database's, copied here by digest
    if not model_path.is_file():
        raise ModelLoadError(
            f"No model file at {model_path}. Train one with `python -m digit_app train` "
            "or restore the shipped model/ folder from the repository."
        )
    _check_archive(model_path)
    summary = read_summary(model_path)
    notice = None
    if not keras:
        lite, notice = _lite_parts(model_path)
        wants_strokes = summary.reads_strokes
        if notice is None and "pixels" in lite and ("strokes" in lite or not wants_strokes):
            try:
                return Classifier(pixel_model=None, path=model_path, summary=summary, lite=lite)
            except (ValueError, RuntimeError) as error:  # the Keras model below answers, the file is made again
                notice = (f"The LiteRT copy of {model_path.name} cannot run ({first_line(error)}); "
                          "the Keras model answers instead and the copy is made again.")
    classifier = _load_keras(model_path, summary, fast_single=not keras)
    if notice is not None:
        log.warning(notice)
        classifier.notice = notice
    needed = {"pixels", "strokes"} if classifier.reads_strokes else {"pixels"}
    if not keras and set(classifier.converted) == needed:
        write_lite(model_path, classifier.converted)  # the copies just made; a read-only folder keeps none
    return classifier


def _lite_parts(model_path: Path) -> tuple[dict[str, bytes], str | None]:
    """The model's LiteRT parts that match their recorded SHA-256, and a sentence when one on disk did not."""
    try:
        lite, damaged = read_lite(model_path)
    except OSError:
        return {}, None
    if not damaged:
        return lite, None
    return lite, (f"The LiteRT copy of {model_path.name} ({', '.join(damaged)}) does not match the SHA-256 kept "
                  "in its metadata: it is damaged, so the Keras model answers instead and the copy is made again.")


def _load_keras(model_path: Path, summary: TrainingSummary, fast_single: bool = True) -> Classifier:
    import keras

    try:
        model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
    except Exception as error:  # keras raises many kinds for a bad file; all mean the same here
        raise ModelLoadError(
            f"Could not load the model {model_path}: {first_line(error)}. "
            "The file is damaged or not a Keras model: delete it and train again, "
            "or use the shipped model."
        ) from error
    pixels, strokes = reader_parts(model)
    if tuple(pixels.input_shape[1:]) != INPUT_SHAPE or tuple(pixels.output_shape[1:]) != (NUM_CLASSES,):
        raise ModelLoadError(
            f"The model {model_path} takes {model.input_shape} and gives {model.output_shape}; "
            f"a digit classifier takes (None, 28, 28, 1) and gives (None, 10)."
        )
    if strokes is not None and (tuple(strokes.input_shape[1:]) != STROKE_SHAPE
                                or tuple(strokes.output_shape[1:]) != (NUM_CLASSES,)):
        raise ModelLoadError(f"The stroke model in {model_path} takes {strokes.input_shape}, not (None, "
                             f"{STROKE_POINTS}, {STROKE_FEATURES}): "
                             "train the model again with this version of the app.")
    return Classifier(pixel_model=pixels, path=model_path, summary=summary, stroke_model=strokes, reader=model,
                      fast_single=fast_single)


MAX_CONFIG_BYTES = 5_000_000  # a model's config.json, uncompressed (ours: ~40 KB)
MAX_ARCHIVE_BYTES = 500_000_000  # everything in a .keras archive, uncompressed (ours: ~10 MB)


def _check_archive(model_path: Path) -> None:
    """Refuse, before Keras reads it, a file that is not a .keras archive or would unpack to far too much."""
    try:
        with zipfile.ZipFile(model_path) as archive:
            members = {info.filename: info.file_size for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ModelLoadError(
            f"The model {model_path} is not a Keras model file ({first_line(error)}): it is damaged or cut "
            "short. Delete it and train again, or use the shipped model.") from None
    if "config.json" not in members:
        raise ModelLoadError(f"The model {model_path} has no config.json: it is not a Keras model file. "
                             "Delete it and train again, or use the shipped model.")
    if members["config.json"] > MAX_CONFIG_BYTES or sum(members.values()) > MAX_ARCHIVE_BYTES:
        raise ModelLoadError(
            f"The model {model_path} would unpack to {sum(members.values()) / 1e6:.0f} MB (config "
            f"{members['config.json'] / 1e6:.1f} MB); a digit model is far smaller, so it was not opened.")
