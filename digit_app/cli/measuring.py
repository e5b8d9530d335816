"""`evaluate` and `calibrate`: how often a model is right on the test digits, and how sure it should say it is."""

from __future__ import annotations

import argparse

from digit_app.cli.arguments import Command
from digit_app.cli.classifier import load_chosen


def _evaluate_arguments(command: argparse.ArgumentParser) -> None:
    """`evaluate`'s arguments."""
    command.add_argument("--data", default="mnist", help="'mnist' (Keras download) or a local .npz")
    command.add_argument("--model", help="a .keras model file (default: the active model)")


def _calibrate_arguments(command: argparse.ArgumentParser) -> None:
    """`calibrate`'s arguments."""
    command.add_argument("--data", required=True, help="the data the model trained on, 'mnist' (Keras download) "
                                                      "or a local .npz: its training digits fit the temperature")
    command.add_argument("--model", help="a .keras model file (default: the active model)")


def evaluate(args: argparse.Namespace) -> int:
    """The model's accuracy on the test digits of `--data`."""
    from digit_app.training import fit
    from digit_app.training.data import load_training_data

    data = load_training_data(args.data)
    classifier = load_chosen(args.model)
    report = fit.evaluate(classifier, data.x_test, data.y_test)
    print(f"{classifier.path}: test accuracy {report.accuracy:.4f} "
          f"on {len(data.x_test)} images from {data.source}")
    return 0


def calibrate(args: argparse.Namespace) -> int:
    """Fit a model's temperature on the training digits of `--data` and keep it in its metadata.

    Too few digits, or a best fit on the bound of the search, is refused and nothing is written.
    """
    from digit_app.calibration import apply_temperature, calibration_error, check_digits, check_fit
    from digit_app.database import registry as versions
    from digit_app.store.model_files import update_summary
    from digit_app.store.versions import SHIPPED, version_id_of
    from digit_app.training.data import load_training_data
    from digit_app.training.fit import CALIBRATION_DIGITS, training_temperature

    data = load_training_data(args.data)
    digits = min(len(data.x_train), CALIBRATION_DIGITS)
    check_digits(digits)  # before the model is loaded
    classifier = load_chosen(args.model)
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


COMMANDS = (  # this group's commands, in the order `--help` lists them
    Command("evaluate", "test accuracy of a model", _evaluate_arguments, evaluate, tensorflow=True),
    Command("calibrate", "fit how sure a model says it is to how often it is right", _calibrate_arguments, calibrate,
            tensorflow=True),
)
