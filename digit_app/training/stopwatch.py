"""How long each phase of a training run took, in seconds and in CPU seconds: the figures
`benchmarks/retrain_time.py` prints for a run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Stopwatch:
    """Seconds and CPU seconds (the whole process, every thread) spent in each named phase, in the order the phases
    first ran (a phase run twice adds up)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block as `name`; the time counts even when the block raises."""
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def rounded(self, digits: int = 2) -> dict[str, float]:
        """The phases' seconds rounded, ready for JSON."""
        return {name: round(value, digits) for name, value in self.seconds.items()}

    def cpu_rounded(self, digits: int = 2) -> dict[str, float]:
        """The phases' CPU seconds rounded, ready for JSON."""
        return {name: round(value, digits) for name, value in self.cpu.items()}
