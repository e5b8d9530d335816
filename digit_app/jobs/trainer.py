"""Training in the background: one job at a time per server, watched and cancelled from any page.

A `Trainer` owns at most one running `TrainingJob`. The job trains in a separate, low-priority
process (`digit_app.jobs.worker`) watched by a thread, so it outlives the page run that started it (a
Streamlit rerun, a page switch or a closed tab do not stop it) and does not slow anyone's drawing;
its progress is a snapshot any session can read. A finished job has saved a new model version,
complete, or nothing at all.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from digit_app.errors import DigitAppError
from digit_app.store.metadata import TrainingSummary
from digit_app.store.versions import models_dir
from digit_app.training.config import CorrectionsToAdd, TrainConfig, TrainRequest

CANCELLED = "Training was cancelled; no model was kept."


class JobRunningError(DigitAppError, RuntimeError):
    """Another training job is running on this server."""


@dataclass(frozen=True)
class JobStatus:
    """A copy of a job's state, safe to read from any thread."""

    state: str  # "loading", "preparing", "training", "strokes", "saving", "done", "cancelled", "failed"
    source: str
    config: TrainConfig
    started: float
    stage_started: float = 0.0  # when the current state began: each stage's pace is its own
    prepared: float = 0.0  # share of the pen digits drawn, while "preparing"
    epoch: int = 0
    batch: int = 0
    steps: int = 0
    history: tuple[dict[str, float], ...] = ()
    message: str = ""
    version_id: str | None = None
    summary: TrainingSummary = field(default_factory=TrainingSummary)
    gallery: tuple[tuple[np.ndarray, int, int], ...] = ()  # (image, true digit, predicted digit)

    @property
    def running(self) -> bool:
        return self.state in ("loading", "preparing", "training", "strokes", "saving")

    @property
    def fraction(self) -> float:
        """Share of this stage done, 0..1: pen digits drawn, training batches, or the stroke model's epochs."""
        if self.state == "preparing":
            return self.prepared
        if self.state == "strokes":
            return min(1.0, self.epoch / self.config.stroke_epochs)
        total = self.config.epochs * max(self.steps, 1)
        return min(1.0, ((max(self.epoch, 1) - 1) * self.steps + self.batch) / total) if self.steps else 0.0


def time_left(status: JobStatus, now: float) -> float | None:
    """Seconds the current stage still needs, from its own pace so far (None before there is a pace to go by)."""
    if status.state not in ("preparing", "training", "strokes") or status.fraction < 0.02:
        return None
    elapsed = now - status.stage_started
    return elapsed * (1.0 - status.fraction) / status.fraction


class TrainingJob:
    """One training run in a worker process, followed by a thread of this one."""

    def __init__(self, request: TrainRequest, slot: Any = None) -> None:
        self._slot = slot  # the machine's training slot (`machine_slot`), given back when the run ends
        self._request = request
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._process: subprocess.Popen | None = None
        now = time.time()
        self._status = JobStatus(state="loading", source=request.source, config=request.config, started=now,
                                 stage_started=now)
        self._thread = threading.Thread(target=self._run, name="digit-training", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop after the current batch; nothing is saved."""
        with self._lock:
            self._cancel.set()
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    def _update(self, **changes: Any) -> None:
        with self._lock:
            if changes.get("state", self._status.state) != self._status.state:
                changes.setdefault("stage_started", time.time())
            self._status = replace(self._status, **changes)

    def _run(self) -> None:
        try:
            self._train()
        finally:
            if self._slot is not None:
                self._slot.close()  # closing the file gives the lock back

    def _train(self) -> None:
        with tempfile.TemporaryFile("w+") as errors:
            try:
                process = _start_worker(errors)
                process.stdin.write(json.dumps(self._request.to_json()) + "\n")
                process.stdin.close()
            except OSError as error:
                self._update(state="failed", message=f"Could not start the training process: {error}")
                return
            with self._lock:
                self._process = process
                if self._cancel.is_set():  # cancelled while the process was starting
                    process.terminate()
            for line in process.stdout:
                self._follow(line)
            process.wait()
            if self.status.running:  # the worker ended without saying how
                errors.seek(0)
                last = [worker_reason(errors.read())]
                if self._cancel.is_set():
                    self._update(state="cancelled", message=CANCELLED)
                else:
                    self._update(state="failed", message=f"The training process stopped unexpectedly "
                                                         f"(exit code {process.returncode}). {last[0]}".strip())

    def _follow(self, line: str) -> None:
        """Take in one line from the worker: progress, or how the run ended."""
        try:
            event = json.loads(line)
        except ValueError:
            return  # something else printed to stdout; not ours
        phase = event.get("phase") if isinstance(event, dict) else None
        if phase == "preparing":
            self._update(state="preparing", prepared=event.get("done", 0) / max(event.get("total", 1), 1))
        elif phase == "batch":
            self._update(state="training", epoch=event["epoch"], batch=event["batch"], steps=event["steps"])
        elif phase == "strokes":
            self._update(state="strokes", epoch=event["epoch"])
        elif phase == "epoch":
            record = {k: v for k, v in event.items() if k not in ("phase", "epochs")}
            self._update(history=(*self.status.history, record))
        elif phase == "saving":
            self._update(state="saving")
        elif phase == "done":
            gallery = tuple((np.asarray(image, np.uint8), truth, read) for image, truth, read in event["gallery"])
            summary = TrainingSummary.from_json(event["summary"])
            self._update(state="done", version_id=event["version_id"], summary=summary, gallery=gallery,
                         message=f"MNIST test accuracy {summary.test_accuracy or 0.0:.2%}; "
                                 f"saved as {event['version_id']}.")
        elif phase == "cancelled":
            self._update(state="cancelled", message=CANCELLED)
        elif phase == "failed":
            self._update(state="failed", message=event["message"])


def worker_reason(stderr: str) -> str:
    """The reason a worker gave for dying: its last Python exception line, not TensorFlow's log chatter."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    exceptions = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b", line)]
    return (exceptions or [""])[-1][:300]


def _start_worker(errors: Any) -> subprocess.Popen:
    """`python -m digit_app.jobs.worker`, able to import this package whatever the current folder."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", "digit_app.jobs.worker"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=errors, text=True, env=env)


def machine_slot(folder: Path | None = None) -> Any:
    """The machine's one training slot: an open lock file in the models folder, or `JobRunningError`.

    Several server processes (replicas) sharing a models folder train one model at a time: the
    lock is held, by the process that trains, until its run ends (or the process dies). Without a
    writable models folder there is no slot to take (None); saving will say what is wrong.
    """
    try:
        folder = models_dir(folder)
        folder.mkdir(parents=True, exist_ok=True)
        slot = open(folder / ".training.lock", "a")  # noqa: SIM115 - held open for the whole run
    except OSError:
        return None
    try:
        fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        slot.close()
        raise JobRunningError("Another server process is training a model with this models folder; "
                              "wait for it to finish.") from None
    return slot


class Trainer:
    """The server's training slot: at most one job runs at a time (and one per models folder)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: TrainingJob | None = None

    @property
    def job(self) -> TrainingJob | None:
        """The running job, or the last one to finish."""
        return self._job

    def start(self, source: str, config: TrainConfig, corrections: CorrectionsToAdd | None = None,
              models_dir: Path | None = None) -> TrainingJob:
        """Start training, or raise `JobRunningError` while another job runs.

        `corrections` adds a person's saved corrections to the data; the new version is kept in
        `models_dir` (None: the settings' models folder).
        """
        with self._lock:
            if self._job is not None and self._job.status.running:
                raise JobRunningError("A model is already being trained on this server; wait for it or cancel it.")
            request = TrainRequest(source, config, corrections, models_dir)
            self._job = TrainingJob(request, slot=machine_slot(models_dir))
            self._job.start()
            return self._job
