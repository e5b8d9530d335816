"""The line reader: a whole line of handwritten digits read at once, without cutting it into digits first.

A small convolutional network looks at the line's picture (`digit_app.photos.ink.line_picture`,
scaled to INPUT_HEIGHT) and says, for each of FRAMES narrow columns, how likely each digit is
there, or nothing (the CTC "blank"); trained with the CTC loss (Connectionist Temporal
Classification), it never needs to be told where one digit ends. Reading is the best path: the
likeliest answer in each column, repeats merged, blanks dropped. Where each digit peaks gives
its place on the line, so the per-digit view stays.

The best path's probability is not the chance that the number is right: a logistic fit
(`Calibration`) on lines no training saw turns it into that chance, and below `unsure_below` a
reading is flagged "not sure".

It is shipped as a LiteRT file in `model/` (made by `train_line_reader` and `save_line_reader`),
with a JSON file beside it holding its digest, its calibration and how it was trained.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from digit_app.lite import LiteRunner, convert
from digit_app.photos.confidence import CONFIDENCE_FILE, ShownConfidence, load_shown_confidence
from digit_app.store.files import atomic_write, read_plain

INPUT_HEIGHT, INPUT_WIDTH = 32, 256  # px: the network's picture of a line (a longer line is scaled down to fit)
FRAMES = 64  # columns the network answers for: one every INPUT_WIDTH / FRAMES px
CLASSES = 11  # 0 is CTC's blank, 1-10 the digits 0-9
MAX_DIGITS = 16  # digits a training line holds, at most
FILTERS = (16, 32, 64)
SEQUENCE_FILTERS = 96
DROPOUT = 0.25
LINES = 30_000  # composed lines trained on, by default
CALIBRATION_LINES = 4000  # composed lines of writers and MNIST digits no training saw, for the calibration
MIN_LINES, MAX_LINES = 100, 200_000
EPOCHS, MAX_EPOCHS = 8, 200
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
TUNING_RATE = 5e-4  # the learning rate when training goes on from a trained reader
BLANK_WEIGHT = 0.5  # reading a line with digits, "nothing" in a column counts this much against a digit (best_path)
WRONG_FLAGGED = 0.85  # "not sure" is set so that this share of the calibration lines read wrong are flagged
MAX_READER_BYTES = 20_000_000  # the shipped reader is a few hundred KB; a larger file is not read
MODEL_DIR = Path(__file__).resolve().parents[2] / "model"
READER_FILE = MODEL_DIR / "line_reader.tflite"
METADATA_FILE = MODEL_DIR / "line_reader.json"
KERAS_FILE = MODEL_DIR / "line_reader.keras"
CALIBRATION_WRITERS = frozenset({22, 23, 24})  # training writers kept out of the reader's training for calibrating it
MNIST_CALIBRATION = 9000  # MNIST training digits from this index on calibrate; those before it train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Calibration:
    """The chance a reading is right, from its best path's log-probability: sigmoid(slope * log p + offset)."""

    slope: float = 1.0
    offset: float = 0.0
    unsure_below: float = 0.9  # a reading less sure than this is "not sure"

    def __call__(self, log_path: np.ndarray | float) -> np.ndarray:
        z = self.slope * np.asarray(log_path, np.float64) + self.offset
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # the sigmoid, without exp's overflow for a very unlikely path


@dataclass(frozen=True)
class DigitSpan:
    """One digit of a line as the reader saw it: the digit, its ten probabilities, and its columns in the picture."""

    digit: int
    probabilities: np.ndarray  # (10,): the reader's, in the column where the digit peaks
    left: float  # in the line picture's pixels: where its share of the line begins and ends
    right: float


@dataclass(frozen=True)
class LineReading:
    """What the line reader read on one line: its digits (none: nothing written) and how sure it is of them all."""

    digits: tuple[DigitSpan, ...]
    confidence: float  # calibrated: the chance the whole number is right
    sure: bool
    log_path: float = 0.0  # the best path's log-probability, before the calibration

    @property
    def text(self) -> str:
        return "".join(str(span.digit) for span in self.digits)


@dataclass
class LineReaderReport:
    """How a line reader was trained and how it reads composed lines no training saw."""

    lines: int
    epochs: int
    seed: int
    seconds: float
    parameters: int
    held_out_lines: int = 0
    numbers_right: float = 0.0  # on the calibration lines
    count_right: float = 0.0
    calibration_error: float = 0.0  # on the half of the calibration lines the fit did not see
    wrong_flagged: float = 0.0  # same half: share of wrong readings flagged "not sure"
    calibration: Calibration = field(default_factory=Calibration)
    losses: list[float] = field(default_factory=list)
    start: dict[str, str] | None = None  # the reader it went on from (`--start`): its file's name and SHA-256


def model_input(picture: np.ndarray) -> tuple[np.ndarray, float]:
    """(the network's (INPUT_HEIGHT, INPUT_WIDTH) float32 input, its scale: input pixels per picture pixel).

    The picture (white on black) is scaled to INPUT_HEIGHT high, or to fit INPUT_WIDTH if it is
    longer than that allows, and laid at the input's left, middle.
    """
    rows, columns = picture.shape
    scale = min(INPUT_HEIGHT / max(rows, 1), INPUT_WIDTH / max(columns, 1))
    size = (max(1, min(INPUT_WIDTH, round(columns * scale))), max(1, min(INPUT_HEIGHT, round(rows * scale))))
    scaled = np.asarray(Image.fromarray(np.asarray(picture, np.float32)).resize(size, Image.Resampling.BILINEAR))
    canvas = np.zeros((INPUT_HEIGHT, INPUT_WIDTH), np.float32)
    top = (INPUT_HEIGHT - size[1]) // 2
    canvas[top : top + size[1], : size[0]] = np.clip(scaled, 0.0, 1.0)
    return canvas, scale


def build_line_model() -> Any:
    """Conv blocks down to FRAMES columns, 1D convolutions along the line for context, CLASSES logits per column."""
    import keras

    inputs = keras.Input((INPUT_HEIGHT, INPUT_WIDTH), name="line")
    x = keras.layers.Reshape((INPUT_HEIGHT, INPUT_WIDTH, 1))(inputs)
    x = keras.layers.Conv2D(FILTERS[0], 3, strides=2, padding="same", activation="relu")(x)  # strided: less work
    for index, filters in enumerate(FILTERS[1:]):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        x = keras.layers.MaxPooling2D((2, 2) if index == 0 else (2, 1))(x)
    x = keras.layers.Permute((2, 1, 3))(x)  # (frames, rows, filters)
    x = keras.layers.Reshape((FRAMES, (INPUT_HEIGHT // 8) * FILTERS[-1]))(x)
    x = keras.layers.Dense(SEQUENCE_FILTERS, activation="relu")(x)
    x = keras.layers.Dropout(DROPOUT)(x)
    for dilation in (1, 2, 4):
        step = keras.layers.Conv1D(SEQUENCE_FILTERS, 5, padding="same", dilation_rate=dilation, activation="relu")(x)
        x = keras.layers.Add()([x, step])
    x = keras.layers.Dropout(DROPOUT)(x)
    outputs = keras.layers.Dense(CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name="line_reader")


def serving_model(model: Any) -> Any:
    """The trained network with its probabilities flattened to one row per line, as LiteRunner takes them."""
    import keras

    probabilities = keras.layers.Softmax()(model.output)
    return keras.Model(model.input, keras.layers.Reshape((FRAMES * CLASSES,))(probabilities))


def best_path(frames: np.ndarray, scale: float, blank_weight: float = 1.0) -> tuple[tuple[DigitSpan, ...], float]:
    """(the digits on the best path with their places in the picture, the path's log-probability) from one line's
    (FRAMES, CLASSES) probabilities.

    With `blank_weight` below 1, "nothing" must win a column by that much more to be chosen: a digit the
    reader half sees is kept rather than dropped. The path's probability is the reader's own either way.
    """
    weighted = frames.copy()
    weighted[:, 0] *= blank_weight
    best = weighted.argmax(axis=1)
    log_path = float(np.log(np.maximum(frames[np.arange(FRAMES), best], 1e-12)).sum())
    peaks: list[tuple[int, int]] = []  # (frame, class) where each digit of the path peaks
    start = 0
    for index in range(1, FRAMES + 1):
        if index == FRAMES or best[index] != best[start]:
            if best[start] != 0:
                run = np.arange(start, index)
                peaks.append((int(run[np.argmax(frames[run, best[start]])]), int(best[start])))
            start = index
    width = INPUT_WIDTH / FRAMES
    centres = [(frame + 0.5) * width for frame, _ in peaks]
    bounds = [0.0] + [(a + b) / 2 for a, b in zip(centres, centres[1:])] + [float(INPUT_WIDTH)]
    spans = []
    for (frame, cls), left, right in zip(peaks, bounds, bounds[1:]):
        digits = frames[frame, 1:] / max(float(frames[frame, 1:].sum()), 1e-12)
        spans.append(DigitSpan(cls - 1, digits.astype(np.float32), left / scale, right / scale))
    return tuple(spans), log_path


class LineReader:
    """A line reader run by LiteRT, with its calibration."""

    def __init__(self, flat: bytes, calibration: Calibration, shown: ShownConfidence | None = None) -> None:
        self._run = LiteRunner(flat, (INPUT_HEIGHT, INPUT_WIDTH), FRAMES * CLASSES)
        self.calibration = calibration
        self.shown = shown  # the confidence for what read_photo shows, fitted for this reader (None: none yet)
        self.sha256 = hashlib.sha256(flat).hexdigest()

    def frames(self, pictures: Sequence[np.ndarray]) -> tuple[np.ndarray, list[float]]:
        """Each picture's (FRAMES, CLASSES) probabilities, and the scale it was read at."""
        inputs, scales = zip(*(model_input(picture) for picture in pictures)) if pictures else ((), ())
        if not inputs:
            return np.zeros((0, FRAMES, CLASSES), np.float32), []
        return self._run(np.stack(inputs)).reshape(-1, FRAMES, CLASSES), list(scales)

    def read(self, pictures: Sequence[np.ndarray]) -> list[LineReading]:
        """Each line picture (white on black, as `line_picture` makes it) read as a number (no digits: nothing)."""
        frames, scales = self.frames(pictures)
        readings = []
        for line, scale in zip(frames, scales):
            spans, log_path = best_path(line, scale)
            if spans:  # a line read as nothing stays nothing: a faint mark on a blank page is no digit
                spans, log_path = best_path(line, scale, BLANK_WEIGHT)
            confidence = float(self.calibration(log_path))
            readings.append(LineReading(spans, confidence, confidence >= self.calibration.unsure_below, log_path))
        return readings


def load_line_reader(reader: Path = READER_FILE, metadata: Path = METADATA_FILE,
                     shown: Path = CONFIDENCE_FILE) -> LineReader:
    """The line reader in `reader`, checked against the digest in `metadata`, with the confidence fitted for what
    read_photo shows from it when `shown` holds one for it; ValueError or OSError if unusable."""
    flat = read_plain(reader, MAX_READER_BYTES)
    about = json.loads(read_plain(metadata, 1_000_000))
    if hashlib.sha256(flat).hexdigest() != about.get("sha256"):
        raise ValueError(f"{reader} does not match the digest in {metadata}: restore both from the repository")
    return LineReader(flat, Calibration(**about["calibration"]), load_shown_confidence(about["sha256"], shown))


@functools.cache
def shipped_line_reader() -> LineReader | None:
    """The line reader shipped in model/, loaded once; None if it is unusable (lines are then cut into digits)."""
    try:
        return load_line_reader()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as problem:
        log.warning("The line reader %s cannot be used (%s): photo lines are cut into digits instead.",
                    READER_FILE, problem)
        return None


# ---- training ----------------------------------------------------------------------------------------

def composed_lines(pool: Any, count: int, seed: int, workers: int = 1) -> tuple[np.ndarray, list[str]]:
    """`count` composed lines (`digit_app.photos.synthetic.compose_line`) as network inputs, and their texts."""
    seeds = np.random.SeedSequence(seed).spawn(max(1, workers))
    shares = np.array_split(np.arange(count), max(1, workers))
    jobs = [(pool, len(share), s) for share, s in zip(shares, seeds)]
    if workers > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as processes:
            parts = processes.starmap(_compose, jobs)
    else:
        parts = [_compose(*job) for job in jobs]
    inputs = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, INPUT_HEIGHT, INPUT_WIDTH), np.float32)
    return inputs, [text for p in parts for text in p[1]]


def _compose(pool: Any, count: int, seed: np.random.SeedSequence) -> tuple[np.ndarray, list[str]]:
    from digit_app.photos.synthetic import compose_line

    rng = np.random.default_rng(seed)
    inputs = np.zeros((count, INPUT_HEIGHT, INPUT_WIDTH), np.float32)
    texts = []
    for index in range(count):
        picture, text = compose_line(pool, rng)
        inputs[index] = model_input(picture)[0]
        texts.append(text)
    return inputs, texts


def _cached(folder: Path | None, name: str, compose: Any) -> tuple[np.ndarray, list[str]]:
    """Composed lines kept in `folder` under `name` (made by `compose` the first time); just made without a folder."""
    if folder is None:
        return compose()
    path = Path(folder) / f"lines-{name}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as kept:
            return kept["inputs"], [str(text) for text in kept["texts"]]
    inputs, texts = compose()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: np.savez(tmp, inputs=inputs, texts=np.array(texts, dtype=str)))
    return inputs, texts


def targets(texts: Sequence[str]) -> np.ndarray:
    """CTC targets: each digit d as d + 1, padded with 0 (CTC's blank) to MAX_DIGITS."""
    labels = np.zeros((len(texts), MAX_DIGITS), np.int32)
    for row, text in enumerate(texts):
        labels[row, : len(text)] = [int(c) + 1 for c in text[:MAX_DIGITS]]
    return labels


def fit_calibration(log_paths: np.ndarray, right: np.ndarray) -> Calibration:
    """The logistic fit of right (0/1) on the best path's log-probability, and the "not sure" level that flags
    WRONG_FLAGGED of the wrong readings."""
    from scipy.optimize import minimize

    x, y = np.asarray(log_paths, np.float64), np.asarray(right, np.float64)

    def loss(params: np.ndarray) -> float:
        z = params[0] * x + params[1]
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    slope, offset = minimize(loss, np.array([1.0, 3.0]), method="Nelder-Mead").x
    chances = Calibration(float(slope), float(offset))(x)
    wrong = chances[y < 0.5]
    unsure_below = float(np.quantile(wrong, WRONG_FLAGGED)) if len(wrong) else 0.5
    return Calibration(float(slope), float(offset), min(max(unsure_below, 0.5), 0.99))


def calibration_error(chances: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the gap between how sure and how often right, weighted over equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(chances, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            error += chosen.mean() * abs(float(chances[chosen].mean()) - float(right[chosen].mean()))
    return float(error)


def train_line_reader(training_pool: Any, calibration_pool: Any, lines: int = LINES, epochs: int = EPOCHS,
                      seed: int = 0, workers: int = 2, calibration_lines: int = CALIBRATION_LINES,
                      cache: Path | None = None, start: Path | None = None) -> tuple[Any, LineReaderReport]:
    """A line reader trained with CTC on `lines` lines composed from `training_pool`, calibrated on lines composed
    from `calibration_pool` (digits and writers it never trained on): (the Keras model, its report).

    Composing the lines is most of the work: with `cache` (a folder), the lines composed for these counts and
    seed are kept there and used again. With `start` (a reader's Keras file), training goes on from that reader at
    TUNING_RATE instead of from scratch. Raises ValueError, before any work, for counts outside the bounds above.
    """
    if not MIN_LINES <= lines <= MAX_LINES or not MIN_LINES <= calibration_lines <= MAX_LINES:
        raise ValueError(f"The line reader learns from {MIN_LINES} to {MAX_LINES} lines, not {lines}.")
    if not 1 <= epochs <= MAX_EPOCHS:
        raise ValueError(f"The line reader trains for 1 to {MAX_EPOCHS} epochs, not {epochs}.")
    import keras

    started = time.perf_counter()
    inputs, texts = _cached(cache, f"train-{lines}-{seed}", lambda: composed_lines(training_pool, lines, seed, workers))
    held, held_texts = _cached(cache, f"calibrate-{calibration_lines}-{seed}",
                               lambda: composed_lines(calibration_pool, calibration_lines, seed + 1, workers))
    keras.utils.set_random_seed(seed)
    model = build_line_model()
    started_from = None
    if start is not None:
        started_from = {"file": Path(start).name, "sha256": hashlib.sha256(Path(start).read_bytes()).hexdigest()}
        model.set_weights(keras.models.load_model(start, compile=False).get_weights())
    steps = epochs * int(np.ceil(lines / BATCH_SIZE))
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE if start is None else TUNING_RATE, steps,
                                                      alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.CTC())
    history = model.fit(inputs, targets(texts), batch_size=BATCH_SIZE, epochs=epochs, verbose=2, shuffle=True)
    report = LineReaderReport(lines, epochs, seed, 0.0, int(model.count_params()), calibration_lines,
                              losses=[float(v) for v in history.history["loss"]], start=started_from)
    frames = keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(held, batch_size=256, verbose=0)))
    paths = [best_path(f, 1.0) for f in frames]
    read = ["".join(str(s.digit) for s in spans) for spans, _ in paths]
    right = np.array([r == t for r, t in zip(read, held_texts)], np.float64)
    log_paths = np.array([p for _, p in paths])
    half = len(right) // 2
    calibration = fit_calibration(log_paths[:half], right[:half])
    chances = calibration(log_paths[half:])
    report.numbers_right = float(right.mean())
    report.count_right = float(np.mean([len(r) == len(t) for r, t in zip(read, held_texts)]))
    report.calibration_error = calibration_error(chances, right[half:])
    wrong = right[half:] < 0.5
    report.wrong_flagged = float((chances[wrong] < calibration.unsure_below).mean()) if wrong.any() else 1.0
    report.calibration = fit_calibration(log_paths, right)  # the shipped fit uses all of them
    report.seconds = time.perf_counter() - started
    return model, report


def save_line_reader(model: Any, report: LineReaderReport, directory: Path = MODEL_DIR) -> Path:
    """The reader's LiteRT file, its Keras file and its metadata (digest, calibration, report), each written whole."""
    flat = convert(serving_model(model))
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(directory / READER_FILE.name, lambda path: path.write_bytes(flat))
    atomic_write(directory / KERAS_FILE.name, lambda path: model.save(path))
    about = {"sha256": hashlib.sha256(flat).hexdigest(), "input": [INPUT_HEIGHT, INPUT_WIDTH], "frames": FRAMES,
             "calibration": asdict(report.calibration), "report": {k: v for k, v in asdict(report).items()
                                                                    if k != "calibration"}}
    atomic_write(directory / METADATA_FILE.name, lambda path: path.write_text(json.dumps(about, indent=2)))
    return directory / READER_FILE.name


def retrain_line_reader(data: Any, lines: int = LINES, epochs: int = EPOCHS, seed: int = 0,
                        cache: Path | None = None, directory: Path = MODEL_DIR,
                        start: Path | None = None) -> tuple[Path, LineReaderReport]:
    """Train a line reader on `data` (a TrainingData) and the pen digits (going on from the reader in `start`, a
    Keras file, when given), and save it whole in `directory`: (the LiteRT file written, its report). The command
    line's `line-reader`."""
    from digit_app.photos.synthetic import training_pools
    from digit_app.strokes.pen_digits import load_pen_digits

    if not MIN_LINES <= lines <= MAX_LINES or not 1 <= epochs <= MAX_EPOCHS:
        raise ValueError(f"The line reader learns from {MIN_LINES} to {MAX_LINES} lines for 1 to {MAX_EPOCHS} "
                         f"epochs, not {lines} lines for {epochs}.")
    training, calibrating = training_pools(data.x_train, data.y_train, load_pen_digits(), CALIBRATION_WRITERS,
                                           min(MNIST_CALIBRATION, len(data.x_train) * 9 // 10))
    model, report = train_line_reader(training, calibrating, lines, epochs, seed, cache=cache, start=start)
    return save_line_reader(model, report, directory), report
