"""What the Retrain page's live progress costs and how soon another replica sees it, on SQLite and PostgreSQL.

    python benchmarks/job_polling.py [--looks 300]

A job is claimed and reports progress through one `Database` (the process that trains); another
`Database` on the same URL (another replica) does what each Retrain tab does every second: one look
at the job (`JobsTable.current`, else the newest, then `job_status`). Prints the median and p95 of one
look, and the time from a progress write to the other replica reading it (median of --looks
writes, polled as fast as it can). A few seconds; no lock needed.
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

from digit_app.database import Database, JobsTable  # noqa: E402
from digit_app.jobs.progress import job_status  # noqa: E402
from digit_app.training import TrainConfig  # noqa: E402
from digit_app.training.config import TrainRequest  # noqa: E402
from tests.services import postgres  # noqa: E402


def look(table: JobsTable):
    """One refresh of a Retrain tab: the job shown, as the page draws it."""
    job = table.current() or next(iter(table.list(1)), None)
    return job_status(job)


def measure(url: str, looks: int) -> tuple[list[float], list[float]]:
    """(seconds per look, seconds from a progress write to another replica reading it)."""
    trainer_side, replica_side = Database(url), Database(url)
    try:
        table, other = JobsTable(trainer_side), JobsTable(replica_side)
        table.submit(TrainRequest("mnist", TrainConfig(epochs=5)).to_json())
        running = table.claim()
        one_look, seen_after = [], []
        for batch in range(1, looks + 1):
            progress = {"state": "training", "stage_started": 0.0, "epoch": 1, "batch": batch, "steps": 10 ** 6,
                        "history": [{"epoch": e, "loss": 0.1, "accuracy": 0.9} for e in range(20)]}
            running.report(progress, force=True)
            written = time.perf_counter()
            while other.current().progress.get("batch") != batch:
                pass
            seen_after.append(time.perf_counter() - written)
            begun = time.perf_counter()
            assert look(other).batch == batch
            one_look.append(time.perf_counter() - begun)
        running.cancelled()
        return one_look, seen_after
    finally:
        trainer_side.dispose()
        replica_side.dispose()


def report(backend: str, one_look: list[float], seen_after: list[float]) -> None:
    p95 = statistics.quantiles(one_look, n=20)[-1]
    print(f"{backend:10s}  one look p50 {statistics.median(one_look) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms; "
          f"a progress write read by another replica after {statistics.median(seen_after) * 1000:.2f} ms (p50)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--looks", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report("SQLite", *measure(f"sqlite:///{folder}/digit_app.sqlite", args.looks))
    with postgres(fast=False) as server:
        report("PostgreSQL", *measure(server.create_database("polling"), args.looks))


if __name__ == "__main__":
    main()
