"""`train` and `combine`: a new model, trained as the Retrain page trains it or averaged from others, kept as a new
version (or as exactly the file `--save-as` names)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from digit_app.cli.arguments import MAX_SEED, Command, checked_by, whole
from digit_app.cli.outputs import check_save_as
from digit_app.errors import SettingsError

if TYPE_CHECKING:
    from digit_app.training.config import TrainRequest

MAX_CORRECTIONS_REPEAT = 1000  # as often as `TrainingData.with_corrections` repeats a correction


def _train_settings() -> dict[str, Callable[[str], float]]:
    """TrainConfig's fields, as flags, each with its range: the bounds TrainConfig itself checks."""
    from digit_app.training import TrainConfig

    def setting(name: str, kind: type) -> Callable[[str], float]:
        return checked_by(lambda value: TrainConfig(**{name: value}), kind)

    return {"epochs": setting("epochs", int), "batch_size": setting("batch_size", int),
            "learning_rate": setting("learning_rate", float), "seed": whole(0, MAX_SEED),
            "stroke_epochs": setting("stroke_epochs", int), "width": setting("width", int)}


def _train_arguments(command: argparse.ArgumentParser) -> None:
    """`train`'s arguments: TrainConfig's and Variations' fields within their own bounds, the data, what is kept."""
    from digit_app.training import Variations

    def variation(name: str) -> Callable[[str], float]:
        return checked_by(lambda value: Variations(**{name: value}))

    command.add_argument("--data", default="mnist", help="'mnist' (Keras download) or a local .npz")
    for name, kind in _train_settings().items():
        command.add_argument(f"--{name.replace('_', '-')}", type=kind, help="default: the Retrain page's")
    defaults = Variations()
    for f in fields(Variations):
        command.add_argument(f"--{f.name}", type=variation(f.name), default=getattr(defaults, f.name))
    command.add_argument("--no-drawn", dest="drawn", action="store_false",
                         help="learn from MNIST only: no pen digits, no stroke model "
                              "(default: both, as the Draw page reads)")
    command.add_argument("--corrections-repeat", type=whole(0, MAX_CORRECTIONS_REPEAT), default=0, metavar="K",
                         help=f"add the corrections saved on the Draw page, each K times, at most "
                              f"{MAX_CORRECTIONS_REPEAT} (default: none)")
    command.add_argument("--queue", action="store_true",
                         help="submit the job to the shared database for `python -m digit_app trainer` to run, "
                              "instead of training here")
    _keep_options(command)


def _combine_arguments(command: argparse.ArgumentParser) -> None:
    """`combine`'s arguments."""
    command.add_argument("models", nargs="+", metavar="MODEL", help=".keras model files")
    command.add_argument("--data", default="mnist", help="test data: 'mnist' (Keras download) or a local .npz")
    _keep_options(command)


def _keep_options(command: argparse.ArgumentParser) -> None:
    """The options that say where a new model is kept."""
    command.add_argument("--output", metavar="DIR", help="this machine's models folder, where it keeps its copies of "
                         "versions (default: model/); the version itself goes into the database")
    command.add_argument("--activate", action="store_true", help="make the new version the one the app uses")
    command.add_argument("--save-as", metavar="FILE", help="write exactly this .keras file instead of a new version")


def train(args: argparse.Namespace) -> int:
    """Train as the Retrain page does (`digit_app.training.run`), in the database's training slot; say where it
    went."""
    from digit_app.training.run import check_destination, train_and_keep

    if args.queue:
        return _queue_training(args)
    request = train_request(args)
    check_destination(request.models_dir, request.save_as)
    with _training_slot():
        kept = train_and_keep(request, progress=terminal_progress)
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
    job_id = JobsTable(open_database()).submit(train_request(args).to_json())
    print(f"queued as training job {job_id}; `python -m digit_app status` shows its progress")
    return 0


def train_request(args: argparse.Namespace) -> TrainRequest:
    """The run the flags ask for; what is not chosen keeps the Retrain page's default."""
    from digit_app.store.corrections import default_path
    from digit_app.training import TrainConfig, Variations
    from digit_app.training.config import CorrectionsToAdd, TrainRequest, default_stroke_epochs

    augment = Variations(**{f.name: getattr(args, f.name) for f in fields(Variations)})
    chosen = {name: value for name in _train_settings() if (value := getattr(args, name)) is not None}
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
    check_save_as(args.save_as)
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


def combine(args: argparse.Namespace) -> int:
    """Average the models into one reader (their stroke models too, when each has one), measure it, and keep it
    (`digit_app.training.ensemble`)."""
    from digit_app.training.ensemble import combine_and_keep

    combined = combine_and_keep(args.models, args.data, _folder(args), _save_as(args), args.activate)
    each = ", ".join(f"{accuracy:.4f}" for accuracy in combined.members_accuracy)
    held_out = ", ".join(f"{name} {value:.4f}" for name, value in combined.summary.held_out_writers.items())
    print(f"test accuracy {combined.test_accuracy:.4f} on {combined.test_images} images (members alone: {each})"
          f"{'; held-out writers: ' + held_out if held_out else ''}; "
          f"{_where(combined.path, combined.version_id, args)}")
    return 0


def _where(path: Path, version_id: str | None, args: argparse.Namespace) -> str:
    """Where a new model was kept, in words."""
    if version_id is None:
        return f"saved {path}"
    return f"saved version {version_id} ({path}){', now active' if args.activate else ''}"


def terminal_progress(event: dict) -> None:
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


COMMANDS = (  # this group's commands, in the order `--help` lists them
    Command("train", "train a model on MNIST", _train_arguments, train, tensorflow=True),
    Command("combine", "average two or more models into one (an ensemble)", _combine_arguments, combine,
            tensorflow=True),
)
