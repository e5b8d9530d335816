"""The Retrain page's time left (digit_app/jobs/progress.py) over a real run's progress, as the page reads it."""

from __future__ import annotations

import json

import numpy as np

from digit_app.database import Job
from digit_app.jobs.progress import job_status, steady_time_left
from tests.paths import FIXTURES

# A 2-epoch run of the Retrain page's defaults (benchmarks/retrain_time.py --record, the request and times kept
# once): every progress the trainer wrote, with the time it wrote it (the job's heartbeat), as the database kept it.
RECORDED = FIXTURES / "retrain_progress.json"


def pages_reading(recorded: dict, every: float = 1.0):
    """(now, the job as the page reads it then) every `every` seconds from the first report to the end."""
    reports = recorded["reports"]
    for now in np.arange(reports[0]["heartbeat"], recorded["finished"], every):
        latest = [report for report in reports if report["heartbeat"] <= now][-1]
        yield float(now), Job(id=1, state="running", request=recorded["request"], created=recorded["created"],
                              started=recorded["started"], heartbeat=latest["heartbeat"], progress=latest["progress"])


def test_the_time_left_never_rises_within_a_stage_of_a_recorded_run():
    recorded = json.loads(RECORDED.read_text())
    shown: dict = {}
    last: dict[str, float] = {}
    paced: dict[str, list[float]] = {}
    for now, job in pages_reading(recorded):
        status = job_status(job)
        left = steady_time_left(status, now, shown)
        if left is not None:
            assert left <= last.get(status.state, float("inf")) + 1e-9, (status.state, now)
            last[status.state] = left
        if status.fraction >= 0.02 and status.state in ("training", "strokes"):  # the pace from now, as before
            paced.setdefault(status.state, []).append((now - status.stage_started) * (1 - status.fraction)
                                                      / status.fraction)
    assert {"training", "strokes"} <= set(last)  # both models' epochs were timed
    assert any(np.diff(values).max() > 0 for values in paced.values())  # the pace alone rose in this run


def test_the_time_left_in_training_is_near_what_it_took():
    recorded = json.loads(RECORDED.read_text())
    reports = recorded["reports"]
    ended = next(r["heartbeat"] for r in reports if r["progress"].get("state") not in (None, "loading", "preparing",
                                                                                          "training"))
    shown: dict = {}
    for now, job in pages_reading(recorded):
        status = job_status(job)
        left = steady_time_left(status, now, shown)
        if status.state == "training" and status.fraction >= 0.5 and left is not None:
            assert abs(left - (ended - now)) <= max(5.0, 0.5 * (ended - now)), (now, left, ended - now)
            return
    raise AssertionError("the recorded run never passed half of its training")
