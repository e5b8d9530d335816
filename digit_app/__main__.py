"""Command line: `python -m digit_app COMMAND`; the commands live in `digit_app.cli`, a module per group.

Every command reports problems in one line on stderr and exits non-zero; no tracebacks for the
mistakes a user can make (a missing file, a broken image, bad settings). Every argument is checked
for its range as it is parsed (exit code 2), before any work; failures while working exit with 1.
"""

from __future__ import annotations

import argparse
import os
import sys

from digit_app.cli import database, measuring, reading, shipped, training
from digit_app.cli.arguments import Parser
from digit_app.errors import DigitAppError

# The app's own errors, and what the operating system says of a file named on the command line; any other
# exception is a bug, and its traceback is shown.
USER_ERRORS = (DigitAppError, OSError)
GROUPS = (reading, training, measuring, shipped, database)  # in the order `--help` lists their commands


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = parser().parse_args(argv)
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


def parser() -> argparse.ArgumentParser:
    """The whole command line: each group's commands, their arguments added when chosen, their handler as `run`."""
    built = Parser(prog="python -m digit_app", description="Read handwritten digits.")
    commands = built.add_subparsers(required=True, metavar="COMMAND")
    for command in (command for group in GROUPS for command in group.COMMANDS):
        chosen = commands.add_parser(command.name, help=command.help, arguments=command.arguments)
        chosen.set_defaults(run=command.run, tensorflow=command.tensorflow)
    return built


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (CUDA probing on machines without a GPU) hidden.

    They are written to file descriptor 2 before Python's logging can filter them, so stderr is
    pointed at /dev/null for the import only; Python errors still reach the terminal afterwards.
    """
    from digit_app.lite import quiet_output

    with quiet_output():
        import tensorflow  # noqa: F401


if __name__ == "__main__":
    sys.exit(main())
