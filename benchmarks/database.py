"""Corrections saved per second into the shared database, from several processes with several threads each, none lost.

    python benchmarks/database.py [--processes 4] [--threads 4] [--seconds 10] [--only sqlite|postgresql]
                                  [--what all|corrections|versions]

For each backend, a fresh database (a throwaway PostgreSQL from tests/services.py with its default
durability, fsync on; an SQLite file in WAL mode) takes `CorrectionsTable.add` calls as fast as
--processes x --threads savers can make them for --seconds; then every saved id is looked up: the
count in the table must equal the ids the savers were handed, all distinct. Prints saves per second,
the p50 and p95 time of one save, and how many were lost (target: >= 200/s, none lost). Run it alone
on the machine (flock /tmp/heavy.lock): it keeps every core busy.

Then, with the shipped model as a version (its Keras file and both LiteRT parts, 14 MB): the
seconds to add it, to copy its Keras file into a replica's empty cache, and the milliseconds of
`active()`, the question each replica asks at every answer (median of 200).
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

from digit_app.database import CorrectionsTable, Database, VersionsTable  # noqa: E402
from digit_app.store.metadata import TrainingSummary  # noqa: E402
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


def versions(name: str, url: str) -> None:
    model = ROOT / "model"
    files = {"keras": (model / "digit_cnn.keras").read_bytes(),
             "pixels": next(model.glob("digit_cnn.*.pixels.tflite")).read_bytes(),
             "strokes": next(model.glob("digit_cnn.*.strokes.tflite")).read_bytes()}
    opened = Database(url)
    table = VersionsTable(opened)
    begun = time.perf_counter()
    record = table.add("benchmark", TrainingSummary(), files)
    added = time.perf_counter() - begun
    table.activate("benchmark")
    asks = []
    for _ in range(200):
        begun = time.perf_counter()
        table.active()
        asks.append(time.perf_counter() - begun)
    with tempfile.TemporaryDirectory() as folder:
        begun = time.perf_counter()
        table.cache(record.files["keras"].digest, folder)
        cached = time.perf_counter() - begun
    opened.dispose()
    print(f"{name}: a {sum(map(len, files.values())) / 1e6:.0f} MB version added in {added:.2f} s; its Keras file "
          f"into an empty cache {cached:.2f} s; active() {statistics.median(asks) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--what", choices=["all", "corrections", "versions"], default="all")
    args = parser.parse_args()

    def measure(name: str, url: str) -> None:
        if args.what in ("all", "corrections"):
            run(name, url, args.processes, args.threads, args.seconds)
        if args.what in ("all", "versions"):
            versions(name, url)

    if args.only in (None, "postgresql"):
        with postgres(fast=False) as server:
            measure("PostgreSQL", server.create_database("benchmark"))
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{Path(folder) / 'benchmark.sqlite'}")


if __name__ == "__main__":
    main()
