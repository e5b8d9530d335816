"""How long each phase of a training run took: the figures `benchmarks/retrain_time.py` prints for a run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    """Seconds spent in each named phase, in the order the phases first ran (a phase run twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as `name`; the time counts even when the block raises."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def rounded(self, digits: int = 2) -> dict[str, float]:
        """The phases' seconds rounded, ready for JSON."""
        return {name: round(value, digits) for name, value in self.seconds.items()}
