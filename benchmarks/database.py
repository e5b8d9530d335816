"""Corrections saved per second into the shared database, from several processes with several threads each, none lost.

    python benchmarks/database.py [--processes 4] [--threads 4] [--seconds 10] [--only sqlite|postgresql]

For each backend, a fresh database (a throwaway PostgreSQL from tests/services.py with its default
durability, fsync on; an SQLite file in WAL mode) takes `CorrectionsTable.add` calls as fast as
--processes x --threads savers can make them for --seconds; then every saved id is looked up: the
count in the table must equal the ids the savers were handed, all distinct. Prints saves per second,
the p50 and p95 time of one save, and how many were lost (target: >= 200/s, none lost). Run it alone
on the machine (flock /tmp/heavy.lock): it keeps every core busy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digit_app.database import CorrectionsTable, Database  # noqa: E402
from tests.services import postgres  # noqa: E402


def saver(url: str, threads: int, seconds: float, start_at: float, results) -> None:
    """One process: `threads` threads saving corrections until the time is up; sends back (ids, save times)."""
    table = CorrectionsTable(Database(url, migrate=False))
    ids: list[int] = []
    times: list[float] = []
    lock = threading.Lock()
    rng = np.random.default_rng()

    def save() -> None:
        image = rng.integers(0, 256, (28, 28), np.uint8)
        while time.time() < start_at + seconds:
            begun = time.perf_counter()
            new = table.add(image, int(rng.integers(0, 10)), predicted=int(rng.integers(0, 10)))
            took = time.perf_counter() - begun
            with lock:
                ids.append(new)
                times.append(took)

    time.sleep(max(0.0, start_at - time.time()))
    workers = [threading.Thread(target=save) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    table.database.dispose()
    results.put((ids, times))


def run(name: str, url: str, processes: int, threads: int, seconds: float) -> None:
    Database(url).dispose()  # migrated once, before the clock starts
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 3.0  # every process has imported and connected by then
    savers = [context.Process(target=saver, args=(url, threads, seconds, start_at, results)) for _ in range(processes)]
    for process in savers:
        process.start()
    ids: list[int] = []
    times: list[float] = []
    for _ in savers:
        more_ids, more_times = results.get(timeout=seconds + 120)
        ids += more_ids
        times += more_times
    for process in savers:
        process.join()
    opened = Database(url)
    kept = CorrectionsTable(opened).count()
    opened.dispose()
    lost = len(ids) - kept
    times.sort()
    print(f"{name}: {len(ids) / seconds:,.0f} corrections saved per second ({len(ids):,} in {seconds:.0f} s, "
          f"{processes} processes x {threads} threads); one save p50 {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms; {kept:,} in the table, {len(set(ids)):,} distinct ids, "
          f"lost {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only in (None, "postgresql"):
        with postgres(fast=False) as server:
            run("PostgreSQL", server.create_database("benchmark"), args.processes, args.threads, args.seconds)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{Path(folder) / 'benchmark.sqlite'}", args.processes, args.threads, args.seconds)


if __name__ == "__main__":
    main()
