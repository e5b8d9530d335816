"""Training in the background: one job at a time per server, watched and cancelled from any page.

A `Trainer` owns at most one running `TrainingJob`. The job trains in its own thread, so it
outlives the page run that started it (a Streamlit rerun, a page switch or a closed tab do not stop
it); its progress is a snapshot any session can read. A finished job has saved a new model
version, complete, or nothing at all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from digit_app.training import TrainConfig

MAX_GALLERY = 24  # misclassified test digits kept for the report


class JobRunningError(RuntimeError):
    """Another training job is running on this server."""


@dataclass(frozen=True)
class JobStatus:
    """A copy of a job's state, safe to read from any thread."""

    state: str  # "loading", "training", "saving", "done", "cancelled", "failed"
    source: str
    config: TrainConfig
    started: float
    epoch: int = 0
    batch: int = 0
    steps: int = 0
    history: tuple[dict[str, float], ...] = ()
    message: str = ""
    version_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    gallery: tuple[tuple[np.ndarray, int, int], ...] = ()  # (image, true digit, predicted digit)

    @property
    def running(self) -> bool:
        return self.state in ("loading", "training", "saving")

    @property
    def fraction(self) -> float:
        """Share of all training batches done, 0..1."""
        total = self.config.epochs * max(self.steps, 1)
        return min(1.0, ((max(self.epoch, 1) - 1) * self.steps + self.batch) / total) if self.steps else 0.0


class TrainingJob:
    """One training run in a background thread."""

    def __init__(self, source: str, config: TrainConfig) -> None:
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._status = JobStatus(state="loading", source=source, config=config, started=time.time())
        self._thread = threading.Thread(target=self._run, name="digit-training", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop after the current batch; nothing is saved."""
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    def _update(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    def _on_progress(self, event: dict[str, Any]) -> None:
        if event["phase"] == "batch":
            self._update(state="training", epoch=event["epoch"], batch=event["batch"], steps=event["steps"])
        else:
            record = {k: v for k, v in event.items() if k not in ("phase", "epochs")}
            self._update(history=(*self.status.history, record))

    def _run(self) -> None:
        from digit_app.data import load_mnist
        from digit_app.training import Cancelled, train
        from digit_app.versions import save_version

        status = self.status
        try:
            data = load_mnist(status.source)
            if self._cancel.is_set():
                raise Cancelled("cancelled before training started")
            self._update(state="training")
            model, report = train(data, status.config, progress=self._on_progress, should_stop=self._cancel.is_set)
            if self._cancel.is_set():
                raise Cancelled("cancelled after training")
            self._update(state="saving")
            summary = {"data": data.describe(), "training": status.config.to_dict(), **report.summary()}
            version = save_version(model, summary)
            gallery = tuple(
                (data.x_test[i], int(data.y_test[i]), int(report.predictions[i]))
                for i in report.misclassified[:MAX_GALLERY]
            )
            self._update(state="done", version_id=version.id, summary=summary, gallery=gallery,
                         message=f"Test accuracy {report.test_accuracy:.4f}; saved as {version.id}.")
        except Cancelled:
            self._update(state="cancelled", message="Training was cancelled; no model was kept.")
        except ValueError as error:  # bad data or settings: the message says what to change
            self._update(state="failed", message=str(error))
        except Exception as error:  # the thread must end with a status a person can read
            self._update(state="failed", message=f"{type(error).__name__}: {error}")


class Trainer:
    """The server's training slot: at most one job runs at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: TrainingJob | None = None

    @property
    def job(self) -> TrainingJob | None:
        """The running job, or the last one to finish."""
        return self._job

    def start(self, source: str, config: TrainConfig) -> TrainingJob:
        """Start training, or raise `JobRunningError` while another job runs."""
        with self._lock:
            if self._job is not None and self._job.status.running:
                raise JobRunningError("A model is already being trained on this server; wait for it or cancel it.")
            self._job = TrainingJob(source, config)
            self._job.start()
            return self._job
