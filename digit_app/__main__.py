"""Command line: `python -m digit_app predict|train|combine|evaluate|calibrate|pen-digits|segments|status|trainer`.

Every command reports problems in one line on stderr and exits non-zero; no tracebacks for the
mistakes a user can make (a missing file, a broken image, bad settings). Every argument is checked
for its range as it is parsed (exit code 2), before any work; failures while working exit with 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from digit_app.errors import DigitAppError, SettingsError, first_line
from digit_app.strokes import segments as segment_judge
from digit_app.training import TrainConfig, Variations
from digit_app.training.config import CorrectionsToAdd, TrainRequest, default_stroke_epochs

if TYPE_CHECKING:
    import numpy as np

    from digit_app.model import Classifier
    from digit_app.photo import Box, FoundLine
    from digit_app.prediction import Reading

# The app's own errors, and what the operating system says of a file named on the command line; any other
# exception is a bug, and its traceback is shown.
USER_ERRORS = (DigitAppError, OSError)
USAGE_ERROR = 2  # argparse's exit code for a bad argument
MAX_SEED = 2**32 - 1  # NumPy's and Keras' seeds are 32-bit
MAX_CORRECTIONS_REPEAT = 1000  # as often as `TrainingData.with_corrections` repeats a correction


class PhotoWithoutDigitsError(DigitAppError):
    """A photo in which no line of digits was found."""


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # predict, pen-digits and train --queue run without it (LiteRT, numpy, the database)
    if getattr(args, "tensorflow", False) and not getattr(args, "queue", False):
        _import_tensorflow_quietly()
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in one line, like the commands' own, and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"error: {message} (see {self.prog} --help)\n")


def _whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"a whole number from {low} to {high} is wanted, not {text[:40]!r}")
        return value
    return parse


def _checked_by(make: Callable[[float], object], kind: type = float) -> Callable[[str], float]:
    """An argparse type whose range is the one the settings object `make` builds checks: one source of bounds."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"a {'whole ' if kind is int else ''}number is wanted, not {text[:40]!r}")
        try:
            make(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value
    return parse


def _train_setting(name: str, kind: type) -> Callable[[str], float]:
    """An argparse type for one TrainConfig field, within the bounds TrainConfig itself checks."""
    return _checked_by(lambda value: TrainConfig(**{name: value}), kind)


def _augment_setting(name: str) -> Callable[[str], float]:
    """An argparse type for one Variations field, within the bounds Variations itself checks."""
    return _checked_by(lambda value: Variations(**{name: value}))


TRAIN_SETTINGS = {  # TrainConfig's fields, as flags, each with its range
    "epochs": _train_setting("epochs", int), "batch_size": _train_setting("batch_size", int),
    "learning_rate": _train_setting("learning_rate", float), "seed": _whole(0, MAX_SEED),
    "stroke_epochs": _train_setting("stroke_epochs", int), "width": _train_setting("width", int),
}


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (CUDA probing on machines without a GPU) hidden.

    They are written to file descriptor 2 before Python's logging can filter them, so stderr is
    pointed at /dev/null for the import only; Python errors still reach the terminal afterwards.
    """
    from digit_app.lite import quiet_output

    with quiet_output():
        import tensorflow  # noqa: F401


def _predict(args: argparse.Namespace) -> int:
    """One answer per file, read as the pages read it; a file that cannot be read gets its own line (and record)."""
    from digit_app.images import load_image, read_image_file

    classifier = _load(args.model)
    failures = 0
    for name in args.images:
        try:
            image = load_image(read_image_file(name))  # a FIFO or a device is refused unopened
            record, line = (_read_photo if args.photo else _read_one_digit)(image, classifier)
        except (OSError, DigitAppError) as error:
            failures += 1
            reason = error.strerror or first_line(error) if isinstance(error, OSError) else first_line(error)
            if args.json:
                print(json.dumps({"file": name, "error": reason}))
            print(f"{name}: error: {reason}", file=sys.stderr)
            continue
        print(json.dumps({"file": name, **record}) if args.json else f"{name}: {line}")
    return 1 if failures else 0


def _read_one_digit(image: np.ndarray, classifier: Classifier) -> tuple[dict, str]:
    """The digit in an image as the Draw page reads one (`read_digit`): a JSON record and a line of text."""
    from digit_app.prediction import read_digit
    from digit_app.preprocess import NOTHING_DRAWN, EmptyDrawingError

    reading = read_digit(image, classifier)
    if reading is None:
        raise EmptyDrawingError(NOTHING_DRAWN)
    return _digit_record(reading), f"{reading.digit} ({reading.confidence:.1%})"


def _read_photo(image: np.ndarray, classifier: Classifier) -> tuple[dict, str]:
    """Every line of digits in a photo as the Photo page reads it (`read_photo`): a JSON record and a line of text.

    Boxes are (left, top, right, bottom) in the pixels of the page as read (the sheet straightened).
    """
    from digit_app.photo import read_photo

    reading = read_photo(image, classifier)
    if not reading.numbers:
        raise PhotoWithoutDigitsError("No digits found in this photo.")
    lines = [{"number": line.number.text, "confidence": round(line.confidence, 4), "sure": line.sure,
              "box": [round(float(v), 1) for v in line.box],
              "digits": [{**_digit_record(digit), "box": [round(float(v), 1) for v in box] if box else None}
                         for digit, box in zip(line.number.digits, _boxes(line))]}
             for line in reading.lines if line.number is not None]
    text = " ".join(reading.numbers) + ("" if reading.sure else " (not sure)")
    return {"numbers": list(reading.numbers), "confidence": round(reading.confidence, 4), "sure": reading.sure,
            "lines": lines}, text


def _boxes(line: FoundLine) -> list[Box | None]:
    """Each digit's box on a photo's line, or None for each when they could not be placed."""
    boxes = list(line.digit_boxes)
    return boxes if len(boxes) == len(line.number.digits) else [None] * len(line.number.digits)


def _digit_record(reading: Reading) -> dict:
    """One digit's answer as JSON: the digit, how sure, all ten probabilities."""
    return {"digit": reading.digit, "confidence": round(reading.confidence, 4),
            "probabilities": [round(float(p), 4) for p in reading.probabilities]}


def _load(path: str | None) -> Classifier:
    """The model at `path` (the active one when None); what went wrong loading it, if anything, on stderr."""
    from digit_app.database.registry import active_model
    from digit_app.model import load_classifier

    if path is None:  # the database's active version, copied here by digest; or the shipped model, and why
        active = active_model()
        if active.problem:
            print(f"warning: {active.problem}", file=sys.stderr)
        path = str(active.path)
    classifier = load_classifier(path)
    if classifier.notice:
        print(f"warning: {classifier.notice}", file=sys.stderr)
    return classifier


def _train(args: argparse.Namespace) -> int:
    """Train as the Retrain page does (`digit_app.training.run`), in the database's training slot; say where it
    went."""
    from digit_app.training.run import check_destination, train_and_keep

    if args.queue:
        return _queue_training(args)
    request = _train_request(args)
    check_destination(request.models_dir, request.save_as)
    with _training_slot():
        kept = train_and_keep(request, progress=_terminal_progress)
    print(file=sys.stderr)  # the progress line ends before the result
    report = kept.report
    held_out = ", ".join(f"{name} {value:.4f}" for name, value in report.held_out.items())
    held_out = f"; held-out writers' drawings: {held_out}" if held_out else ""
    print(f"test accuracy {report.test_accuracy:.4f} on {len(kept.data.x_test)} images{held_out}; "
          f"{report.seconds:.0f} s, {report.images_per_second:.0f} images/s; "
          f"{_where(kept.path, kept.version_id, args)}")
    return 0


def _queue_training(args: argparse.Namespace) -> int:
    """`train --queue`: the run the flags ask for, submitted to the shared database for a trainer to take."""
    from digit_app.database import JobsTable, open_database

    if args.output or args.save_as:
        raise SettingsError("--queue keeps the model as a new version in the trainer's own models folder; drop "
                            "--output and --save-as.")
    job_id = JobsTable(open_database()).submit(_train_request(args).to_json())
    print(f"queued as training job {job_id}; `python -m digit_app status` shows its progress")
    return 0


def _train_request(args: argparse.Namespace) -> TrainRequest:
    """The run the flags ask for; what is not chosen keeps the Retrain page's default."""
    from digit_app.store.corrections import default_path

    augment = Variations(**{f.name: getattr(args, f.name) for f in fields(Variations)})
    chosen = {name: value for name in TRAIN_SETTINGS if (value := getattr(args, name)) is not None}
    if "epochs" in chosen and "stroke_epochs" not in chosen:  # as on the Retrain page: they follow Epochs
        chosen["stroke_epochs"] = default_stroke_epochs(chosen["epochs"])
    config = TrainConfig(**chosen, augment=augment, drawn=args.drawn)
    corrections = CorrectionsToAdd(default_path(), args.corrections_repeat) if args.corrections_repeat else None
    return TrainRequest(args.data, config, corrections, models_dir=_folder(args), save_as=_save_as(args),
                        activate=args.activate)


def _folder(args: argparse.Namespace) -> Path | None:
    """The models folder `--output` names (None: the settings')."""
    return Path(args.output) if args.output else None


def _save_as(args: argparse.Namespace) -> Path | None:
    """The file `--save-as` names, checked writable before any work (None without it)."""
    if not args.save_as:
        return None
    _check_save_as(args.save_as)
    return Path(os.path.abspath(args.save_as))


@contextmanager
def _training_slot() -> Iterator[None]:
    """The one training slot of every machine sharing the database (the lock its queued jobs run under), held until
    the run ends."""
    from digit_app.database import open_database
    from digit_app.database.jobs import TRAINING_LOCK, JobsTableError
    from digit_app.database.locks import held

    database = open_database()
    with held(database, TRAINING_LOCK) as taken:
        if not taken:
            raise JobsTableError(f"A model is being trained with {database.describe()} (by a trainer, the app's server "
                                 "or another `train`); wait for it to finish.")
        yield


def _combine(args: argparse.Namespace) -> int:
    from digit_app.model import Classifier, load_classifier
    from digit_app.networks import STROKE_SHAPE, average_models, build_reader
    from digit_app.store.metadata import TrainingSummary
    from digit_app.training.data import load_training_data
    from digit_app.training.fit import evaluate, held_out_accuracy, training_temperature
    from digit_app.training.run import check_destination, keep_model

    folder, save_as = _folder(args), _save_as(args)
    check_destination(folder, save_as)
    members = [load_classifier(path, keras=True) for path in args.models]
    model = average_models([member.pixel_model for member in members])
    # their stroke models are averaged too, into one reader, when every member has one
    strokes = (average_models([member.stroke_model for member in members], STROKE_SHAPE)
               if all(member.reads_strokes for member in members) else None)
    reader = Classifier(pixel_model=model, path=None, fast_single=False, stroke_model=strokes)
    data = load_training_data(args.data)
    evaluation = evaluate(reader, data.x_test, data.y_test)
    summary = TrainingSummary(
        data=members[0].summary.data or data.describe(),
        training={"average_of": [{"file": member.path.name, **_brief(member.metadata)} for member in members]},
        test_accuracy=round(evaluation.accuracy, 4), confusion_matrix=evaluation.confusion.tolist(),
        temperature=round(training_temperature(reader, data), 4))
    if strokes is not None:
        summary = summary.with_changes(held_out_writers=held_out_accuracy(reader))
        model = build_reader(model, strokes)
    each = ", ".join(f"{evaluate(member, data.x_test, data.y_test).accuracy:.4f}" for member in members)
    held_out = ", ".join(f"{name} {value:.4f}" for name, value in summary.held_out_writers.items())
    path, version_id = keep_model(model, summary, folder, save_as, args.activate)
    print(f"test accuracy {evaluation.accuracy:.4f} on {len(data.x_test)} images (members alone: {each})"
          f"{'; held-out writers: ' + held_out if held_out else ''}; {_where(path, version_id, args)}")
    return 0


def _check_save_as(save_as: str) -> None:
    """Refuse a --save-as path that cannot be written."""
    target = os.path.abspath(save_as)
    if not target.endswith(".keras"):
        raise SettingsError(f"--save-as {save_as}: a model file's name ends in .keras.")
    _check_writable_file(Path(target))


def _check_writable_file(target: Path) -> None:
    """Refuse (SettingsError, OSError) an output file whose folder is missing or read-only, or that is no plain file."""
    from digit_app.store.files import check_target

    if not target.parent.is_dir():
        raise SettingsError(f"There is no folder {target.parent} to write {target.name} in.")
    check_target(target)  # a FIFO, a device or a folder is never replaced
    if not os.access(target.parent, os.W_OK):
        raise SettingsError(f"Cannot write {target.name} in {target.parent}: the folder is read-only.")


def _brief(metadata: dict) -> dict:
    """A model's metadata without its per-epoch history and confusion matrix."""
    return {key: value for key, value in metadata.items() if key not in ("history", "confusion_matrix")}


def _where(path: Path, version_id: str | None, args: argparse.Namespace) -> str:
    """Where a new model was kept, in words."""
    if version_id is None:
        return f"saved {path}"
    return f"saved version {version_id} ({path}){', now active' if args.activate else ''}"


def _evaluate(args: argparse.Namespace) -> int:
    from digit_app.training.data import load_training_data
    from digit_app.training.fit import evaluate

    data = load_training_data(args.data)
    classifier = _load(args.model)
    report = evaluate(classifier, data.x_test, data.y_test)
    print(f"{classifier.path}: test accuracy {report.accuracy:.4f} "
          f"on {len(data.x_test)} images from {data.source}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    """Fit a model's temperature on the training digits of `--data` and keep it in its metadata.

    Too few digits, or a best fit on the bound of the search, is refused and nothing is written.
    """
    from digit_app.calibration import calibration_error, check_digits, check_fit, apply_temperature
    from digit_app.database import registry as versions
    from digit_app.store.model_files import update_summary
    from digit_app.store.versions import SHIPPED, version_id_of
    from digit_app.training.data import load_training_data
    from digit_app.training.fit import CALIBRATION_DIGITS, training_temperature

    data = load_training_data(args.data)
    digits = min(len(data.x_train), CALIBRATION_DIGITS)
    check_digits(digits)  # before the model is loaded
    classifier = _load(args.model)
    fitted = training_temperature(classifier, data)
    check_fit(fitted, digits)
    temperature = round(fitted, 4)
    raw = classifier.predict_proba(data.x_test / 255.0, calibrated=False)
    version_id = version_id_of(classifier.path) if args.model is None else SHIPPED
    if version_id != SHIPPED:  # the active version: its metadata in the database, for every machine
        versions.update_summary(version_id, temperature=temperature)
    else:
        update_summary(classifier.path, temperature=temperature)
    calibrated = apply_temperature(raw, temperature)
    accuracy = float((raw.argmax(axis=1) == data.y_test).mean())
    print(f"{classifier.path}: temperature {temperature} (was {classifier.temperature}), fitted on "
          f"{digits} training digits. On the {len(data.x_test)} test digits, right "
          f"{accuracy:.4f}: mean confidence {raw.max(axis=1).mean():.3f} -> {calibrated.max(axis=1).mean():.3f}, "
          f"calibration error {calibration_error(raw, data.y_test):.4f} -> "
          f"{calibration_error(calibrated, data.y_test):.4f}")
    return 0


def _pen_digits(args: argparse.Namespace) -> int:
    from digit_app.strokes.pen_digits import PEN_DIGITS_FILE, from_unipen, save_pen_digits
    from digit_app.strokes.unipen import read_unipen

    target = Path(args.output or PEN_DIGITS_FILE)
    _check_writable_file(target)
    digits = from_unipen(read_unipen(args.unipen))
    save_pen_digits(digits, target)
    print(f"{len(digits)} digits by {len(set(digits.writers.tolist()))} writers written to {target}")
    return 0


def _segments(args: argparse.Namespace) -> int:
    from digit_app.lite import convert
    from digit_app.store.files import atomic_write
    from digit_app.strokes.pen_digits import load_pen_digits
    from digit_app.strokes.segments import SEGMENTS_FILE, train_segment_model

    target = Path(args.output or SEGMENTS_FILE)
    _check_writable_file(target)  # before training: `--output /dev/full` is refused, never replaced
    model, accuracy = train_segment_model(load_pen_digits().for_training(), args.numbers, args.epochs, args.seed)
    flat = convert(model)
    atomic_write(target, lambda tmp: tmp.write_bytes(flat))
    print(f"segment judge: {accuracy:.4f} of the runs kept aside judged right; "
          f"{len(flat) // 1024} KB written to {target}")
    return 0


def _line_reader(args: argparse.Namespace) -> int:
    from digit_app.photos.line_reader import MODEL_DIR, retrain_line_reader
    from digit_app.training.data import load_training_data

    cache = Path(args.cache) if args.cache else None
    path, report = retrain_line_reader(load_training_data(args.data), args.lines, args.epochs, args.seed, cache,
                                       Path(args.output or MODEL_DIR), Path(args.start) if args.start else None)
    print(f"line reader: {report.numbers_right:.3f} of composed lines no training saw read right, calibration error "
          f"{report.calibration_error:.3f}; written to {path}")
    return 0


def _status(args: argparse.Namespace) -> int:
    """The shared database's state: the active version, how many corrections, the training job (or none), the queue."""
    from digit_app.database import status

    logging.getLogger("digit_app.database").setLevel(logging.ERROR)  # the error line says it once, not the log too
    state = status()
    if args.json:
        print(json.dumps(state))
        return 0
    job = state["training"]
    print(f"active version: {state['active']}")
    print(f"corrections: {state['corrections']}")
    print("training: none" if job is None else f"training: job {job['id']} ({job['state']}), progress "
                                                 f"{json.dumps(job['progress'])}")
    print(f"queued: {state['queued']} job{'' if state['queued'] == 1 else 's'}")
    return 0


def _versions(args: argparse.Namespace) -> int:
    """The shared database's model versions, the one in use marked with *; --activate or --delete one first."""
    from digit_app.database import registry

    logging.getLogger("digit_app.database").setLevel(logging.ERROR)  # the error line says it once, not the log too
    if args.activate:
        registry.activate(args.activate)
        print(f"{args.activate} is now the model in use")
    if args.delete:
        registry.delete(args.delete)  # never the shipped model nor the one in use
        print(f"deleted {args.delete}")
    active = registry.active_version_id()
    for version in registry.list_versions():
        accuracy = "—" if version.test_accuracy is None else f"{version.test_accuracy:.2%}"
        mark = "*" if version.id == active else " "
        print(f"{mark} {version.id}  MNIST test {accuracy}  {version.summary.saved_at or ''}".rstrip())
    return 0


def _trainer(args: argparse.Namespace) -> int:
    """Take training jobs from the shared database's queue and run them, one at a time, until SIGTERM or SIGINT (or,
    with --once, after one job)."""
    from digit_app.database import JobsTable, open_database
    from digit_app.jobs.queue_trainer import serve
    from digit_app.jobs.worker import NICENESS

    logging.basicConfig(level=logging.INFO, format="%(asctime)s trainer: %(message)s", stream=sys.stderr)
    os.nice(NICENESS)  # beside replicas on one machine, their answers come first
    serve(JobsTable(open_database()), once=args.once)
    return 0


def _terminal_progress(event: dict) -> None:
    """Training's progress events as lines that rewrite themselves on stderr."""
    if event["phase"] == "loaded":
        print(f"training on {event['train_images']} images from {event['source']} for {event['epochs']} epochs",
              file=sys.stderr)
    elif event["phase"] == "preparing":
        print(f"\rdrawing the {event['what']} on a canvas: {event['done']}/{event['total']}", end="",
              file=sys.stderr, flush=True)
    elif event["phase"] == "strokes":
        print(f"\rstroke model: epoch {event['epoch']}/{event['epochs']} accuracy {event.get('accuracy', 0):.4f}",
              end="", file=sys.stderr, flush=True)
    if event["phase"] != "batch" or event["batch"] % 10 and event["batch"] != event["steps"]:
        return
    done = event["batch"] / event["steps"]
    bar = "#" * int(done * 30)
    print(f"\repoch {event['epoch']}/{event['epochs']} [{bar:<30}] loss {event.get('loss', 0):.4f} "
          f"accuracy {event.get('accuracy', 0):.4f}", end="", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m digit_app", description="Read handwritten digits.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    predict = commands.add_parser("predict", help="read the digit in each image file (or the number in each photo)")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--model", help="a .keras model file (default: the active model)")
    predict.add_argument("--photo", action="store_true",
                         help="each image is a photo of digits written on paper: read every line, as the Photo page "
                              "does")
    predict.add_argument("--json", action="store_true",
                         help="one JSON object per line (with --photo: each line's digits with their probabilities "
                              "and boxes)")
    predict.set_defaults(run=_predict)

    train = commands.add_parser("train", help="train a model on MNIST")
    train.add_argument("--data", default="mnist", help="'mnist' (Keras download) or a local .npz")
    for name, kind in TRAIN_SETTINGS.items():
        train.add_argument(f"--{name.replace('_', '-')}", type=kind, help="default: the Retrain page's")
    defaults = Variations()
    for f in fields(Variations):
        train.add_argument(f"--{f.name}", type=_augment_setting(f.name), default=getattr(defaults, f.name))
    train.add_argument("--no-drawn", dest="drawn", action="store_false",
                       help="learn from MNIST only: no pen digits, no stroke model "
                            "(default: both, as the Draw page reads)")
    train.add_argument("--corrections-repeat", type=_whole(0, MAX_CORRECTIONS_REPEAT), default=0, metavar="K",
                       help=f"add the corrections saved on the Draw page, each K times, at most "
                            f"{MAX_CORRECTIONS_REPEAT} (default: none)")
    train.add_argument("--queue", action="store_true",
                       help="submit the job to the shared database for `python -m digit_app trainer` to run, "
                            "instead of training here")
    _keep_options(train)
    train.set_defaults(run=_train, tensorflow=True)

    combine = commands.add_parser("combine", help="average two or more models into one (an ensemble)")
    combine.add_argument("models", nargs="+", metavar="MODEL", help=".keras model files")
    combine.add_argument("--data", default="mnist", help="test data: 'mnist' (Keras download) or a local .npz")
    _keep_options(combine)
    combine.set_defaults(run=_combine, tensorflow=True)

    evaluate = commands.add_parser("evaluate", help="test accuracy of a model")
    evaluate.add_argument("--data", default="mnist", help="'mnist' (Keras download) or a local .npz")
    evaluate.add_argument("--model", help="a .keras model file (default: the active model)")
    evaluate.set_defaults(run=_evaluate, tensorflow=True)

    calibrate = commands.add_parser("calibrate", help="fit how sure a model says it is to how often it is right")
    calibrate.add_argument("--data", required=True, help="the data the model trained on, 'mnist' (Keras download) "
                                                        "or a local .npz: its training digits fit the temperature")
    calibrate.add_argument("--model", help="a .keras model file (default: the active model)")
    calibrate.set_defaults(run=_calibrate, tensorflow=True)

    pen = commands.add_parser("pen-digits", help="pack a UNIPEN file of pen digits into the file training learns from")
    pen.add_argument("unipen", help="a UNIPEN file, such as UCI's pendigits-orig.tra")
    pen.add_argument("--output", help="where to write it (default: the shipped digit_app/strokes/pen_digits.npz)")
    pen.set_defaults(run=_pen_digits)
    segments = commands.add_parser("segments", help="train the judge of which strokes make one digit in a whole number")
    segments.add_argument("--numbers", type=_whole(segment_judge.MIN_NUMBERS, segment_judge.MAX_NUMBERS),
                          default=segment_judge.NUMBERS, help=f"pen numbers to learn from (default "
                          f"{segment_judge.NUMBERS}, {segment_judge.MIN_NUMBERS} to {segment_judge.MAX_NUMBERS})")
    segments.add_argument("--epochs", type=_whole(1, segment_judge.MAX_EPOCHS), default=segment_judge.EPOCHS,
                          help=f"epochs (default {segment_judge.EPOCHS}, at most {segment_judge.MAX_EPOCHS})")
    segments.add_argument("--seed", type=_whole(0, MAX_SEED), default=0)
    segments.add_argument("--output", help="where to write it (default: the shipped digit_app/strokes/segments.tflite)")
    segments.set_defaults(run=_segments, tensorflow=True)
    reader = commands.add_parser("line-reader", help="train the Photo page's line reader (CTC) on composed lines")
    reader.add_argument("--data", default="mnist", help="'mnist' (Keras download) or a local .npz")
    reader.add_argument("--lines", type=_whole(100, 200_000), default=30_000, help="composed lines to learn from")
    reader.add_argument("--epochs", type=_whole(1, 200), default=8)
    reader.add_argument("--seed", type=_whole(0, MAX_SEED), default=0)
    reader.add_argument("--cache", help="a folder to keep the composed lines in, for the next run")
    reader.add_argument("--output", help="models folder to write it in (default: the shipped model/)")
    reader.add_argument("--start", help="a line reader's .keras file to go on training from (default: from scratch)")
    reader.set_defaults(run=_line_reader, tensorflow=True)

    status = commands.add_parser("status", help="the shared database: active version, corrections, training job")
    status.add_argument("--json", action="store_true",
                        help='one JSON object: {"active": ..., "corrections": ..., "training": ...}')
    status.set_defaults(run=_status)

    kept = commands.add_parser("versions", help="the shared database's model versions; activate or delete one")
    action = kept.add_mutually_exclusive_group()
    action.add_argument("--activate", metavar="ID", help="make this version the one every replica answers with")
    action.add_argument("--delete", metavar="ID", help="delete this version (not the shipped one, not the one in use)")
    kept.set_defaults(run=_versions)

    trainer = commands.add_parser("trainer", help="take training jobs from the shared database, one at a time, until "
                                                  "stopped (SIGTERM or Ctrl-C)")
    trainer.add_argument("--once", action="store_true", help="wait for one job, run it, and exit")
    trainer.set_defaults(run=_trainer, tensorflow=True)
    return parser


def _keep_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--output", metavar="DIR", help="this machine's models folder, where it keeps its copies of "
                         "versions (default: model/); the version itself goes into the database")
    command.add_argument("--activate", action="store_true", help="make the new version the one the app uses")
    command.add_argument("--save-as", metavar="FILE", help="write exactly this .keras file instead of a new version")


if __name__ == "__main__":
    sys.exit(main())
