"""What a replica pays at each answer to follow "Use this model": `registry.active_model()`, on SQLite and PostgreSQL.

    python benchmarks/active_model.py [--only sqlite|postgresql] [--asks 500]

With the shipped model's files kept as the active version (Keras file and both LiteRT parts), it
prints the seconds of the first `active_model()` in a replica with an empty models folder (the
files fetched by digest from the database and written to its `.cache/`), then the median and p95
milliseconds of the next --asks calls (one query; the copy is already there). The page calls it
once per answer; the old models folder's pointer file was read as often.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digit_app.database import Database, VersionsTable, registry  # noqa: E402
from digit_app.store.metadata import read_summary  # noqa: E402
from digit_app.store.model_files import read_lite  # noqa: E402
from digit_app.store.versions import SHIPPED_MODEL  # noqa: E402
from tests.services import postgres  # noqa: E402


def measure(name: str, url: str, asks: int) -> None:
    """Keep the shipped model as the active version at `url`, then time `active_model()` in a fresh models folder."""
    database = Database(url)
    files = {"keras": SHIPPED_MODEL.read_bytes(), **read_lite(SHIPPED_MODEL)[0]}
    VersionsTable(database).add("benchmark", read_summary(SHIPPED_MODEL), files)
    VersionsTable(database).activate("benchmark")
    with tempfile.TemporaryDirectory() as folder:
        begun = time.perf_counter()
        first = registry.active_model(database, Path(folder))
        fetched = time.perf_counter() - begun
        assert first.version_id == "benchmark" and first.problem is None, first
        times = []
        for _ in range(asks):
            begun = time.perf_counter()
            registry.active_model(database, Path(folder))
            times.append((time.perf_counter() - begun) * 1000)
    times.sort()
    print(f"{name}: first answer in an empty models folder {fetched:.2f} s (14 MB fetched); then per answer "
          f"median {statistics.median(times):.2f} ms, p95 {times[int(0.95 * len(times))]:.2f} ms ({asks} asks)")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--asks", type=int, default=500)
    args = parser.parse_args()
    if args.only in (None, "postgresql"):
        with postgres(fast=False) as server:
            measure("PostgreSQL", server.create_database("benchmark"), args.asks)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            measure("SQLite", f"sqlite:///{Path(folder) / 'benchmark.sqlite'}", args.asks)


if __name__ == "__main__":
    main()
