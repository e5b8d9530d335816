"""`pen-digits`, `segments` and `line-reader`: remake the learnt files shipped beside the model (the pen digits
training learns from, the judge of which strokes make one digit, the Photo page's line reader)."""

from __future__ import annotations

import argparse
from pathlib import Path

from digit_app.cli.arguments import MAX_SEED, Command, whole
from digit_app.cli.outputs import check_writable_file


def _pen_digits_arguments(command: argparse.ArgumentParser) -> None:
    """`pen-digits`' arguments."""
    command.add_argument("unipen", help="a UNIPEN file, such as UCI's pendigits-orig.tra")
    command.add_argument("--output", help="where to write it (default: the shipped digit_app/strokes/pen_digits.npz)")


def _segments_arguments(command: argparse.ArgumentParser) -> None:
    """`segments`' arguments, with the segment judge's own bounds and defaults."""
    from digit_app.strokes import segments as judge

    command.add_argument("--numbers", type=whole(judge.MIN_NUMBERS, judge.MAX_NUMBERS), default=judge.NUMBERS,
                         help=f"pen numbers to learn from (default {judge.NUMBERS}, {judge.MIN_NUMBERS} to "
                              f"{judge.MAX_NUMBERS})")
    command.add_argument("--epochs", type=whole(1, judge.MAX_EPOCHS), default=judge.EPOCHS,
                         help=f"epochs (default {judge.EPOCHS}, at most {judge.MAX_EPOCHS})")
    command.add_argument("--seed", type=whole(0, MAX_SEED), default=0)
    command.add_argument("--output", help="where to write it (default: the shipped digit_app/strokes/segments.tflite)")


def _line_reader_arguments(command: argparse.ArgumentParser) -> None:
    """`line-reader`'s arguments."""
    command.add_argument("--data", default="mnist", help="'mnist' (Keras download) or a local .npz")
    command.add_argument("--lines", type=whole(100, 200_000), default=30_000, help="composed lines to learn from")
    command.add_argument("--epochs", type=whole(1, 200), default=8)
    command.add_argument("--seed", type=whole(0, MAX_SEED), default=0)
    command.add_argument("--cache", help="a folder to keep the composed lines in, for the next run")
    command.add_argument("--output", help="models folder to write it in (default: the shipped model/)")
    command.add_argument("--start", help="a line reader's .keras file to go on training from (default: from scratch)")


def pen_digits(args: argparse.Namespace) -> int:
    """Pack a UNIPEN file's pen digits into the file training learns from."""
    from digit_app.strokes.pen_digits import PEN_DIGITS_FILE, from_unipen, save_pen_digits
    from digit_app.strokes.unipen import read_unipen

    target = Path(args.output or PEN_DIGITS_FILE)
    check_writable_file(target)
    digits = from_unipen(read_unipen(args.unipen))
    save_pen_digits(digits, target)
    print(f"{len(digits)} digits by {len(set(digits.writers.tolist()))} writers written to {target}")
    return 0


def segments(args: argparse.Namespace) -> int:
    """Train the segment judge on the pen digits and write it, as LiteRT, whole or not at all."""
    from digit_app.lite import convert
    from digit_app.store.files import atomic_write
    from digit_app.strokes.pen_digits import load_pen_digits
    from digit_app.strokes.segments import SEGMENTS_FILE, train_segment_model

    target = Path(args.output or SEGMENTS_FILE)
    check_writable_file(target)  # before training: `--output /dev/full` is refused, never replaced
    model, accuracy = train_segment_model(load_pen_digits().for_training(), args.numbers, args.epochs, args.seed)
    flat = convert(model)
    atomic_write(target, lambda tmp: tmp.write_bytes(flat))
    print(f"segment judge: {accuracy:.4f} of the runs kept aside judged right; "
          f"{len(flat) // 1024} KB written to {target}")
    return 0


def line_reader(args: argparse.Namespace) -> int:
    """Train the Photo page's line reader on composed lines and write it in the models folder."""
    from digit_app.photos.line_reader import MODEL_DIR, retrain_line_reader
    from digit_app.training.data import load_training_data

    cache = Path(args.cache) if args.cache else None
    path, report = retrain_line_reader(load_training_data(args.data), args.lines, args.epochs, args.seed, cache,
                                       Path(args.output or MODEL_DIR), Path(args.start) if args.start else None)
    print(f"line reader: {report.numbers_right:.3f} of composed lines no training saw read right, calibration error "
          f"{report.calibration_error:.3f}; written to {path}")
    return 0


COMMANDS = (  # this group's commands, in the order `--help` lists them
    Command("pen-digits", "pack a UNIPEN file of pen digits into the file training learns from", _pen_digits_arguments,
            pen_digits),
    Command("segments", "train the judge of which strokes make one digit in a whole number", _segments_arguments,
            segments, tensorflow=True),
    Command("line-reader", "train the Photo page's line reader (CTC) on composed lines", _line_reader_arguments,
            line_reader, tensorflow=True),
)
