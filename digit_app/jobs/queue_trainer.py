"""The trainer that takes training jobs from the shared database's queue: `python -m digit_app trainer`.

It runs on any machine that reaches the database (one with a GPU, if there is one: TensorFlow uses
it), claims the oldest queued job while holding the training lock (`JobsTable.claim`), runs it
through the same recipe as every other training (`digit_app.jobs.recipe.outcome`, which runs
`training.run.train_and_keep`), and writes its progress to the job, where every replica reads it.
A cancel asked from any replica stops it at its next report. SIGTERM or SIGINT stops it between
batches: the job it was running is marked failed with that reason and the lock freed; a second
signal stops it at once (the job still marked failed on the way out).

While it runs it says so every few seconds (`TrainersTable.beat`): replicas that see a trainer alive
only queue their jobs and never train themselves. The server's own worker (`digit_app.jobs.worker`,
started by a replica when no trainer is alive) is this class too, without the heartbeat, and it
ends when the queue is empty.

A job's request comes from the database, so it is checked before any work: it may not name files
or folders of its submitter's machine. The model is kept as a new version in this trainer's own
models folder (`$DIGIT_APP_MODELS`); corrections, if asked for, come from its corrections file.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from digit_app.database import DatabaseError, DatabaseUnavailableError, JobsTable, RunningJob, open_database
from digit_app.database.locks import holder_name
from digit_app.database.trainers import BEAT, TrainersTable
from digit_app.errors import DigitAppError
from digit_app.jobs.recipe import outcome
from digit_app.store.corrections import default_path

POLL = 1.0  # seconds between looks at the queue while it is empty
NICENESS = 10  # a trainer's priority, below the servers that answer drawings on the same machine
STOPPED = "The trainer was stopped ({why}) before the job finished; no model was kept. Start it again."
PHASE_STATES = {"loaded": "loading", "preparing": "preparing", "batch": "training", "strokes": "strokes",
                "evaluating": "evaluating", "saving": "saving"}

log = logging.getLogger(__name__)


class QueuedRequestError(DigitAppError, ValueError):
    """A queued job's request this trainer will not run (it names a place on another machine)."""


def checked_request(request: dict[str, Any]) -> dict[str, Any]:
    """A queued request as this trainer runs it: no file or folder of the submitter's; its corrections (if any) the
    database's accepted ones. `QueuedRequestError` says what is refused."""
    if not isinstance(request, dict):
        raise QueuedRequestError("A queued training job's request is not a JSON object.")
    for key in ("models_dir", "save_as"):
        if request.get(key):
            raise QueuedRequestError(f"A queued training job may not name a file or folder ({key}); the trainer "
                                     "keeps each model as a new version in its own models folder.")
    corrections = request.get("corrections")
    if corrections:
        if not isinstance(corrections, dict):
            raise QueuedRequestError("A queued training job's corrections are not a JSON object.")
        corrections = {**corrections, "path": str(default_path())}
    return {**request, "corrections": corrections or None}


def snapshot(previous: dict[str, Any], event: dict[str, Any], now: float) -> dict[str, Any]:
    """The job's progress after one training event: its stage (and when it began), the latest figures of that stage,
    and the learning curve so far (one record per epoch)."""
    phase = event.get("phase")
    history = list(previous.get("history", []))
    if phase == "epoch":
        history.append({key: value for key, value in event.items() if key not in ("phase", "epochs")})
        return {**previous, "history": history}
    state = PHASE_STATES.get(phase, previous.get("state", "loading"))
    started = previous.get("stage_started", now) if state == previous.get("state") else now
    return {**{k: v for k, v in event.items() if k != "phase"}, "state": state, "stage_started": started,
            "history": history}


class QueueTrainer:
    """Takes jobs from the queue one at a time, until `stop` (a signal) or, with `once`, after one job. With
    `heartbeat` it tells replicas it is alive (a dedicated trainer); without, it is a replica's own worker."""

    def __init__(self, table: JobsTable, poll: float = POLL, heartbeat: bool = False) -> None:
        self.table, self.poll = table, poll
        self.name = holder_name()
        self._heartbeat = heartbeat
        self._stop = threading.Event()
        self._why = ""
        self._signals = 0

    def stop(self, why: str = "asked to stop") -> None:
        """Stop after the current batch (the job is marked failed) or at once when idle."""
        self._why = self._why or why
        self._stop.set()

    def handle_signals(self) -> None:
        """SIGTERM and SIGINT stop the trainer cleanly; a second one stops it at once (KeyboardInterrupt)."""
        def handler(number: int, _frame: Any) -> None:
            self._signals += 1
            if self._signals > 1:
                raise KeyboardInterrupt
            self.stop(signal.Signals(number).name)

        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, handler)

    def run(self, once: bool = False, until_empty: bool = False, linger: float = 0.0,
            linger_while: Callable[[], bool] = lambda: True) -> int:
        """Take and run jobs until stopped (or, with `once`, until one has run; with `until_empty`, until no job
        waits, after up to `linger` seconds of waiting for one while `linger_while()`, or a dedicated trainer is
        alive to take them); returns how many ran."""
        beating = self._beat_in_background() if self._heartbeat else None
        try:
            return self._run(once, until_empty, linger, linger_while)
        finally:
            if beating is not None:
                self._stop.set()
                beating.join()
                try:
                    TrainersTable(self.table.database).leave(self.name)
                except DatabaseError as error:  # its row goes quiet instead, and replicas train after ALIVE_WITHIN
                    log.warning("%s", error)

    def _beat_in_background(self) -> threading.Thread:
        """Write this trainer's heartbeat now, then every `BEAT` seconds until it stops."""
        trainers = TrainersTable(self.table.database)

        def beat() -> None:
            try:
                trainers.beat(self.name)
            except DatabaseError as error:  # PostgreSQL restarting: the next beat says it again
                log.warning("Heartbeat not written: %s", error)

        def keep_beating() -> None:
            while not self._stop.wait(BEAT):
                beat()

        beat()  # alive before it claims anything: a replica never starts a job this trainer takes too
        thread = threading.Thread(target=keep_beating, name="trainer-heartbeat", daemon=True)
        thread.start()
        return thread

    def _run(self, once: bool, until_empty: bool, linger: float = 0.0,
             linger_while: Callable[[], bool] = lambda: True) -> int:
        ran = 0
        log.info("Waiting for training jobs in %s.", self.table.database.describe())
        idle_until = time.monotonic() + linger
        while not self._stop.is_set():
            try:
                waiting = self.table.waiting()
                if until_empty and waiting == 0 and time.monotonic() < idle_until and linger_while() \
                        and not TrainersTable(self.table.database).alive():
                    self._stop.wait(self.poll)  # ready, TensorFlow loaded, for the job about to be started
                    continue
                if until_empty and (not waiting or TrainersTable(self.table.database).alive()):
                    break
                running = self.table.claim() if waiting else None
            except DatabaseUnavailableError as error:  # PostgreSQL restarting: wait for it, as the replicas do
                log.warning("%s", error)
                running = None
            if running is None:  # nothing waits, or another process trains: look again soon
                self._stop.wait(self.poll)
                continue
            try:
                self.run_job(running)
            except DatabaseError as error:  # its ending could not be written: the next claim fails it as orphaned
                log.warning("Job %s: %s", running.id, error)
            ran += 1
            idle_until = 0.0  # it lingered for this job: when nothing else waits, it ends
            if once:
                break
        if self._why:
            log.info("Stopped (%s).", self._why)
        return ran

    def run_job(self, running: RunningJob) -> None:
        """Run one claimed job to its end, which it always gets: done, cancelled, or failed with the reason (the
        lock freed in every case)."""
        log.info("Job %s: started (%s).", running.id, running.request.get("source"))
        progress: dict[str, Any] = {}
        cancel = [False]

        def report(event: dict[str, Any]) -> None:
            nonlocal progress
            before = progress.get("state")
            progress = snapshot(progress, event, time.time())
            try:  # a new stage or epoch is written at once; batches at most every `REPORT_INTERVAL`
                cancel[0] = running.report(progress, force=event.get("phase") == "epoch" or progress["state"] != before)
            except DatabaseUnavailableError as error:  # a passing error: the lock says whether to go on
                log.warning("Job %s: progress not written: %s", running.id, error)

        try:
            try:
                request = checked_request(running.request)
            except QueuedRequestError as error:
                running.fail(str(error))
                return
            self._end(running, outcome(request, report, lambda: cancel[0] or self._stop.is_set()))
        except BaseException:  # a second signal, or the database lost while ending it
            if not running.ended:
                running.fail(STOPPED.format(why=self._why or "interrupted"))
            raise

    def _end(self, running: RunningJob, ended: dict[str, Any]) -> None:
        """Record how the job ended (`outcome`'s last event)."""
        phase = ended["phase"]
        if phase == "done":
            summary = ended["summary"]
            accuracy = summary.get("test_accuracy") or 0.0
            running.finish(ended, f"MNIST test accuracy {accuracy:.2%}; saved as {ended['version_id']}.")
            log.info("Job %s: done, saved as %s.", running.id, ended["version_id"])
        elif phase == "cancelled" and self._stop.is_set():
            running.fail(STOPPED.format(why=self._why))
            log.info("Job %s: stopped (%s); marked failed.", running.id, self._why)
        elif phase == "cancelled":
            running.cancelled()
            log.info("Job %s: cancelled.", running.id)
        elif not running.ended:  # a job that lost the lock was failed by `report` already
            running.fail(ended["message"])
            log.info("Job %s: failed: %s", running.id, ended["message"])


def serve(table: JobsTable, once: bool = False, signals: bool = True, poll: float = POLL) -> int:
    """Run a trainer on `table`'s queue (the command line's `trainer`), saying it is alive; returns how many jobs
    ran."""
    trainer = QueueTrainer(table, poll, heartbeat=True)
    if signals:
        trainer.handle_signals()
    return trainer.run(once)


def start_process(role: str) -> JobsTable:
    """Make this process a trainer of the shared queue, as the command line's `trainer` and a server's worker both
    start: niced below the servers that answer drawings, TensorFlow's C++ lines hidden, its log on stderr as `role`;
    the queue it takes jobs from."""
    os.nice(NICENESS)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {role}: %(message)s", stream=sys.stderr)
    return JobsTable(open_database())
