"""The command line's arguments: a command as each group declares it, a parser with one-line usage errors (exit code 2)
that adds a command's arguments only when that command is chosen, and argparse types that check each range as it is
parsed, before any work."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

USAGE_ERROR = 2  # argparse's exit code for a bad argument
MAX_SEED = 2**32 - 1  # NumPy's and Keras' seeds are 32-bit


@dataclass(frozen=True)
class Command:
    """One command as `--help` lists it, what adds its arguments, and the handler that runs it (its exit code)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    tensorflow: bool = False  # TensorFlow is imported first, its start-up lines hidden


class Parser(argparse.ArgumentParser):
    """argparse with its errors in one line, like the commands' own, and exit code 2.

    A command's parser may be given `arguments`, a function that adds them: it is called when the
    command is the one parsed (or its help or usage is shown), never for the others, so the imports
    its arguments need (settings' ranges and defaults) cost nothing to `--help` or another command.
    """

    def __init__(self, *args: Any, arguments: Callable[[argparse.ArgumentParser], None] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_arguments = arguments

    def _complete(self) -> None:
        """Add the arguments not added yet, once."""
        add, self._add_arguments = self._add_arguments, None
        if add is not None:
            add(self)

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        self._complete()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self._complete()
        return super().format_usage()

    def format_help(self) -> str:
        self._complete()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"error: {message} (see {self.prog} --help)\n")


def whole(low: int, high: int) -> Callable[[str], int]:
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


def checked_by(make: Callable[[float], object], kind: type = float) -> Callable[[str], float]:
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
