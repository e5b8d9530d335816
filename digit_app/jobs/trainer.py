"""A replica's side of training: queue the job in the database; run it here only when no trainer is alive.

Start puts the request in the shared queue (`JobsTable.submit`). If a trainer (`python -m digit_app
trainer`, on any machine) was heard from lately, that is all: it takes the job, and replicas never
train. Otherwise this server starts its own worker process (`digit_app.jobs.worker`), which claims
the job from the queue under the training lock, as a trainer would, and runs the one recipe. One
job runs at a time across every machine because of that lock, not because of anything here.
Progress, cancel and the result live in the job's row, so any replica shows and cancels any job.
A worker that dies mid-run is noticed by its watcher, and its job failed with the reason at once.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from digit_app.database import Database, JobsTable
from digit_app.database.trainers import TrainersTable
from digit_app.jobs.queue_trainer import checked_request
from digit_app.settings import ENV_DATABASE_URL
from digit_app.training.config import TrainRequest

LOCK_FREED_WITHIN = 15.0  # seconds for the database to free a dead worker's training lock
RECOVER_RETRY = 0.2  # seconds between tries meanwhile
LINGER = 600.0  # seconds a worker started ahead (`Trainer.warm`) waits for a job

log = logging.getLogger(__name__)


def worker_reason(stderr: str) -> str:
    """The reason a worker gave for dying: its last Python exception line, not TensorFlow's log chatter."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    exceptions = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b", line)]
    return (exceptions or [""])[-1][:300]


def _start_worker(database: Database, errors: IO[str], linger: float = 0.0) -> subprocess.Popen:
    """`python -m digit_app.jobs.worker` on `database` (lingering `linger` seconds for a job), able to import this
    package whatever the current folder."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, ENV_DATABASE_URL: database.url.render_as_string(hide_password=False),
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    lingering = ["--linger", f"{linger:g}"] if linger else []
    return subprocess.Popen([sys.executable, "-m", "digit_app.jobs.worker", *lingering], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=errors, text=True, env=env)


class Trainer:
    """This server's door to the training queue: `start` a job, and `run_waiting` jobs here when no trainer is."""

    def __init__(self, database: Database) -> None:
        self.table = JobsTable(database)
        self.trainers = TrainersTable(database)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def start(self, request: TrainRequest) -> int:
        """Queue `request` (checked as a trainer will check it; `ValueError` says what is refused) and see that it
        runs; returns the job's id."""
        checked_request(request.to_json())
        job_id = self.table.submit(request.to_json())
        self.run_waiting()
        return job_id

    def trainer_alive(self) -> bool:
        """Whether a dedicated trainer was heard from lately: then this server leaves every job to it."""
        return bool(self.trainers.alive())

    def run_waiting(self) -> bool:
        """If a job waits and no trainer is alive, see that this server's worker runs it (starting the worker if it
        is not running); whether a worker of this server runs."""
        return self._see_worker(warm=False)

    def warm(self, linger: float | None = None) -> bool:
        """Start this server's worker ahead of a Start, unless one runs or a trainer is alive: it loads TensorFlow
        and waits `linger` seconds (`LINGER`; 0: no worker ahead) for a job, so a run starts at once, and ends
        sooner if this server does. Whether a worker of this server runs."""
        linger = LINGER if linger is None else linger
        if linger <= 0:
            return self.worker_running
        return self._see_worker(warm=True, linger=linger)

    def _see_worker(self, warm: bool, linger: float = 0.0) -> bool:
        with self._lock:
            if self.worker_running:
                return True
            if (not warm and not self.table.waiting()) or self.trainer_alive():
                return False
            errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 - the watcher closes it when the worker ends
            try:
                self._process = _start_worker(self.table.database, errors, linger if warm else 0.0)
            except OSError as error:
                errors.close()
                raise OSError(f"Could not start the training process: {error}") from error
            threading.Thread(target=self._watch, args=(self._process, errors), name="digit-training-watch",
                             daemon=True).start()
            return True

    @property
    def worker_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop_worker(self) -> None:
        """Stop this server's worker between batches (its job is marked failed); for shutting a server down."""
        with self._lock:
            if self.worker_running:
                self._process.terminate()

    def _watch(self, process: subprocess.Popen, errors: IO[str]) -> None:
        """Wait for the worker to end; if it died mid-run, fail its job with the reason; then run what still waits."""
        try:
            code = process.wait()
            if code != 0:
                errors.seek(0)
                reason = worker_reason(errors.read()) or f"exit code {code}"
                failed = self._fail_its_job(reason if code > 0 else f"killed by signal {-code}")
                log.warning("The training worker ended with code %s; %s job(s) marked failed.", code, failed)
            self.run_waiting()  # queued while it was ending
        except Exception as error:  # noqa: BLE001 - a watcher thread must not die loudly; the next look recovers
            log.warning("Watching the training worker: %s", error)
        finally:
            errors.close()


    def _fail_its_job(self, why: str) -> int:
        """Fail the job a dead worker left running. Its training lock is freed only once the database notices the
        lost connection (PostgreSQL: a moment after the process died), so try again until then."""
        deadline = time.monotonic() + LOCK_FREED_WITHIN
        while True:
            failed = self.table.recover(why)
            if failed or self.table.current() is None or time.monotonic() > deadline:
                return failed
            time.sleep(RECOVER_RETRY)

_trainers: dict[str, Trainer] = {}
_making = threading.Lock()


def trainer_for(database: Database) -> Trainer:
    """The process' one `Trainer` for `database` (every page and session shares it, as they share the database)."""
    key = database.url.render_as_string(hide_password=False)
    with _making:
        if key not in _trainers:
            _trainers[key] = Trainer(database)
        return _trainers[key]
