"""Training jobs in the shared database: the queue, the one job running, its live progress, cancel, the result.

Any replica or the command line `submit`s a job; whichever process trains (a trainer on any
machine, or a server without one) `claim`s the oldest queued job while holding the training lock
(`digit_app.database.locks`), so one job runs at a time across every machine. The running job
reports its progress, which also renews the lock and tells it whether someone asked to cancel it;
it ends `done` with its result, `cancelled`, or `failed` with the reason. A job whose process died
mid-run is found by the next process that takes the lock (a job is `running` only while its
process holds the lock) and marked failed, with when its trainer was last heard from.

Why not a queue library: procrastinate and pgqueuer are both well kept, but run on PostgreSQL
only (PL/pgSQL functions, LISTEN/NOTIFY), and the app must keep working as today on one machine
with SQLite and no server. They also queue many short tasks, while this is one long job at a time
whose live progress and cancel flag every replica reads; that is two small tables here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from digit_app.database import json_columns
from digit_app.database.engine import Database
from digit_app.database.errors import DatabaseError
from digit_app.database.locks import HeldLock
from digit_app.database.schema import jobs

TRAINING_LOCK = "training"
MAX_QUEUED = 10  # jobs waiting at once, at most
MAX_JSON_BYTES = 2_000_000  # a job's request, progress or result as JSON, at most
REPORT_INTERVAL = 0.25  # seconds between progress writes; reports in between are kept for the next one
STALE_AFTER = 10.0  # seconds without a report after which `current` checks whether the job's trainer is alive
RUNNING, QUEUED, DONE, CANCELLED, FAILED = "running", "queued", "done", "cancelled", "failed"
CANCELLED_MESSAGE = "Training was cancelled; no model was kept."


class JobsTableError(DatabaseError):
    """A job that cannot be queued (the queue is full, its request too large) or found."""


class JobLockLostError(JobsTableError):
    """The running job's process lost the training lock (the database restarted): it must stop; the job failed."""


@dataclass(frozen=True)
class Job:
    """A training job as stored: what was asked, where it is, and how it ended."""

    id: int
    state: str  # "queued", "running", "done", "cancelled", "failed"
    request: dict[str, Any]
    created: float  # Unix seconds
    started: float | None = None
    finished: float | None = None
    worker: str | None = None  # host:pid:token of the process that runs (ran) it
    heartbeat: float | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    cancel_requested: bool = False
    result: dict[str, Any] | None = None
    message: str = ""

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def to_dict(self) -> dict[str, Any]:
        """The job as JSON-ready values (`status --json`)."""
        return asdict(self)


def _dump(value: Mapping[str, Any], what: str) -> str:
    return json_columns.dump(value, MAX_JSON_BYTES, f"A job's {what}", JobsTableError)


def _load(text: str | None) -> dict[str, Any] | None:
    return json_columns.load(text, MAX_JSON_BYTES)


def _job(row: sa.Row) -> Job:
    return Job(int(row.id), str(row.state), _load(row.request) or {}, float(row.created), row.started, row.finished,
               row.worker, row.heartbeat, _load(row.progress) or {}, bool(row.cancel_requested), _load(row.result),
               str(row.message or ""))


class JobsTable:
    """The training queue every replica and trainer share: submit, cancel, look at, and claim to run."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def submit(self, request: Mapping[str, Any]) -> int:
        """Queue a job (what to train, as JSON); returns its id. Refused while `MAX_QUEUED` jobs wait."""
        text = _dump(request, "request")
        with self.database.write(lock=TRAINING_LOCK + ".queue") as db:
            waiting = db.execute(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.state == QUEUED)).scalar()
            if waiting >= MAX_QUEUED:
                raise JobsTableError(f"{waiting} training jobs already wait; start another when one has run.")
            return int(db.execute(jobs.insert().returning(jobs.c.id)
                                  .values(state=QUEUED, request=text, created=time.time())).scalar_one())

    def get(self, job_id: int) -> Job:
        """The job with this id; `JobsTableError` if there is none."""
        with self.database.read() as db:
            row = db.execute(sa.select(jobs).where(jobs.c.id == int(job_id))).first()
        if row is None:
            raise JobsTableError(f"There is no training job {job_id}.")
        return _job(row)

    def list(self, limit: int = 20) -> list[Job]:
        """The latest jobs, newest first."""
        with self.database.read() as db:
            return [_job(row) for row in db.execute(sa.select(jobs).order_by(jobs.c.id.desc()).limit(int(limit)))]

    def waiting(self) -> int:
        """How many jobs are queued: one cheap read, for a trainer to ask before it tries to `claim`."""
        with self.database.read() as db:
            return int(db.execute(sa.select(sa.func.count()).select_from(jobs).where(jobs.c.state == QUEUED)).scalar())

    def current(self) -> Job | None:
        """The running job, or None. A running job not heard from in `STALE_AFTER` seconds whose trainer no longer
        holds the lock is marked failed first (its process died), so this never shows a dead job as running."""
        with self.database.read() as db:
            row = db.execute(sa.select(jobs).where(jobs.c.state == RUNNING).order_by(jobs.c.id.desc())).first()
        if row is None:
            return None
        job = _job(row)
        if time.time() - (job.heartbeat or job.started or 0) > STALE_AFTER and self.recover():
            return None
        return job

    def cancel(self, job_id: int) -> bool:
        """Cancel a job: a queued one at once, a running one at its next report. False if it had ended already."""
        with self.database.write() as db:
            dropped = db.execute(jobs.update().where(jobs.c.id == int(job_id), jobs.c.state == QUEUED)
                                 .values(state=CANCELLED, finished=time.time(), message=CANCELLED_MESSAGE)).rowcount
            asked = db.execute(jobs.update().where(jobs.c.id == int(job_id), jobs.c.state == RUNNING)
                               .values(cancel_requested=True)).rowcount
        return dropped + asked > 0

    def recover(self, why: str = "") -> int:
        """Fail every job left running by a process that died (if the training lock is free), saying `why` if its
        watcher knows (an exit code, its last error); returns how many."""
        lock = HeldLock(self.database, TRAINING_LOCK)
        if not lock.take():
            return 0
        try:
            return self._fail_orphans(why)
        finally:
            lock.release()

    def _fail_orphans(self, why: str = "") -> int:
        """With the training lock held, any job still `running` lost its process: it failed, and says when."""
        now = time.time()
        with self.database.write() as db:
            orphans = db.execute(sa.select(jobs.c.id, jobs.c.worker, jobs.c.heartbeat, jobs.c.started)
                                 .where(jobs.c.state == RUNNING)).all()
            for job_id, worker, heartbeat, started in orphans:
                ago = now - (heartbeat or started or now)
                where = (worker or "?").rsplit(":", 1)[0]
                db.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.state == RUNNING).values(
                    state=FAILED, finished=now,
                    message=f"The training process ({where}) stopped mid-run{f' ({why[:500]})' if why else ''}; it was "
                            f"last heard from {ago:.0f} s before this was noticed. No model was kept."))
        return len(orphans)

    def claim(self) -> RunningJob | None:
        """Take the oldest queued job to run here, holding the training lock; None if another process trains or
        nothing waits. The caller runs it and ends it (`finish`, `cancelled`, `fail`), or uses it as a context
        manager, which fails it if the block ends without an ending."""
        lock = HeldLock(self.database, TRAINING_LOCK)
        if not lock.take():
            return None
        try:
            self._fail_orphans()
            now = time.time()
            with self.database.write() as db:
                row = db.execute(sa.select(jobs).where(jobs.c.state == QUEUED).order_by(jobs.c.id)).first()
                if row is not None:
                    db.execute(jobs.update().where(jobs.c.id == row.id, jobs.c.state == QUEUED)
                               .values(state=RUNNING, started=now, heartbeat=now, worker=lock.holder))
                    row = db.execute(sa.select(jobs).where(jobs.c.id == row.id)).first()
            if row is None:
                lock.release()
                return None
            return RunningJob(self, _job(row), lock)
        except BaseException:
            lock.release()
            raise


class RunningJob:
    """The job this process runs, holding the training lock until it ends."""

    def __init__(self, table: JobsTable, job: Job, lock: HeldLock) -> None:
        self.table, self.job, self._lock = table, job, lock
        self._progress: dict[str, Any] = {}
        self._written = 0.0  # when progress was last written
        self._cancel = False
        self.ended = False

    @property
    def id(self) -> int:
        return self.job.id

    @property
    def request(self) -> dict[str, Any]:
        return self.job.request

    def report(self, progress: Mapping[str, Any], force: bool = False) -> bool:
        """Record the latest progress (written at most every `REPORT_INTERVAL` seconds unless `force`); returns
        whether someone asked to cancel. Raises `JobLockLostError` (the job marked failed) if the lock was lost."""
        self._progress = dict(progress)
        now = time.time()
        if not force and now - self._written < REPORT_INTERVAL:
            return self._cancel
        text = _dump(self._progress, "progress")
        if not self._lock.renew():
            self._end(FAILED, "The training process lost touch with the database (it restarted, or the lock ran "
                              "out) and stopped; no model was kept.")
            raise JobLockLostError(f"Training job {self.id} lost the training lock; it was stopped.")
        with self.table.database.write() as db:
            db.execute(jobs.update().where(jobs.c.id == self.id).values(progress=text, heartbeat=now))
            self._cancel = bool(db.execute(sa.select(jobs.c.cancel_requested).where(jobs.c.id == self.id)).scalar())
        self._written = now
        return self._cancel

    def cancel_requested(self) -> bool:
        """Whether someone asked to cancel, read now."""
        with self.table.database.read() as db:
            self._cancel = bool(db.execute(sa.select(jobs.c.cancel_requested).where(jobs.c.id == self.id)).scalar())
        return self._cancel

    def finish(self, result: Mapping[str, Any], message: str = "") -> None:
        """The job is done: keep its result (the new version, the summary) and free the lock."""
        self._end(DONE, message, _dump(result, "result"))

    def cancelled(self, message: str = CANCELLED_MESSAGE) -> None:
        """The job stopped because it was asked to; nothing was kept."""
        self._end(CANCELLED, message)

    def fail(self, reason: str) -> None:
        """The job failed; `reason` says why (shown to everyone)."""
        self._end(FAILED, reason[:2000])

    def _end(self, state: str, message: str, result: str | None = None) -> None:
        if self.ended:
            return
        try:
            now = time.time()
            with self.table.database.write() as db:
                db.execute(jobs.update().where(jobs.c.id == self.id, jobs.c.state == RUNNING).values(
                    state=state, finished=now, heartbeat=now, message=message, result=result,
                    progress=_dump(self._progress, "progress")))
            self.ended = True
        finally:
            self._lock.release()

    def __enter__(self) -> RunningJob:
        return self

    def __exit__(self, kind, error, _trace) -> None:
        if not self.ended:
            reason = f"{kind.__name__}: {error}" if kind else "it ended without saying how"
            self.fail(f"The training process stopped: {reason}.")
