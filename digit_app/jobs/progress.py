"""A training job as the Retrain page shows it: its stage, how far, the learning curve, and how it ended.

Built from the job as the database keeps it (`digit_app.database.Job`), so every replica shows any
job the same, live: the progress snapshot the trainer writes (`queue_trainer.snapshot`) and the
result it leaves (`worker.outcome`). What the database holds is read as input: a field of the
wrong kind is left out, never trusted.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from digit_app.database import Job
from digit_app.store.metadata import TrainingSummary
from digit_app.training.config import TrainConfig

RUNNING_STATES = ("queued", "loading", "preparing", "training", "strokes", "evaluating", "saving")
MAX_GALLERY = 24  # misread test digits shown, at most


@dataclass(frozen=True)
class JobStatus:
    """A copy of a job's state, as the page draws it."""

    state: str  # one of RUNNING_STATES, or "done", "cancelled", "failed"
    source: str
    config: TrainConfig
    started: float
    stage_started: float = 0.0  # when the current state began: each stage's pace is its own
    reported: float = 0.0  # when the trainer wrote this progress (0: unknown)
    prepared: float = 0.0  # share of the pen digits drawn, while "preparing"
    epoch: int = 0
    batch: int = 0
    steps: int = 0
    history: tuple[dict[str, float], ...] = ()
    message: str = ""
    version_id: str | None = None
    summary: TrainingSummary = field(default_factory=TrainingSummary)
    gallery: tuple[tuple[np.ndarray, int, int], ...] = ()  # (image, true digit, predicted digit)
    job_id: int = 0

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES

    @property
    def fraction(self) -> float:
        """Share of this stage done, 0..1: pen digits drawn, training batches, or the stroke model's epochs."""
        if self.state == "done":
            return 1.0
        if self.state == "preparing":
            return self.prepared
        if self.state == "strokes":
            return min(1.0, self.epoch / self.config.stroke_epochs)
        total = self.config.epochs * max(self.steps, 1)
        return min(1.0, ((max(self.epoch, 1) - 1) * self.steps + self.batch) / total) if self.steps else 0.0


def time_left(status: JobStatus, now: float) -> float | None:
    """Seconds the current stage still needs, from its own pace up to the last report, counted down since then
    (None before there is a pace to go by). Between two reports the pace alone would climb: 47 s, then 49 s."""
    if status.state not in ("preparing", "training", "strokes") or status.fraction < 0.02:
        return None
    reported = status.reported if status.stage_started <= status.reported <= now else now
    elapsed = reported - status.stage_started
    return max(0.0, elapsed * (1.0 - status.fraction) / status.fraction - (now - reported))


def steady_time_left(status: JobStatus, now: float, shown: MutableMapping[str, object]) -> float | None:
    """The time left to show, never more than was shown before in the same stage of the same run.

    A slower batch makes the pace estimate climb; `shown` (a session's memory) keeps the last figure,
    and a higher estimate holds it instead.
    """
    left = time_left(status, now)
    stage = (status.job_id, status.started, status.state)
    before = shown.get("left")
    if left is not None and shown.get("stage") == stage and isinstance(before, float):
        left = min(left, before)
    shown["stage"], shown["left"] = stage, left
    return left


def _number(value: Any, default: float = 0.0) -> float:
    """A finite number from stored JSON, or `default`."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        else default


def _gallery(entries: Any) -> tuple[tuple[np.ndarray, int, int], ...]:
    """The misread digits a result lists: only well-formed (28x28 image, digit, digit) entries."""
    kept = []
    for entry in entries[:MAX_GALLERY] if isinstance(entries, list) else []:
        try:
            image, truth, read = entry
            pixels = np.clip(np.asarray(image, dtype=np.float64), 0, 255).astype(np.uint8)
            if pixels.shape == (28, 28) and int(truth) in range(10) and int(read) in range(10):
                kept.append((pixels, int(truth), int(read)))
        except (TypeError, ValueError):
            continue
    return tuple(kept)


def _config(request: dict[str, Any]) -> TrainConfig:
    try:
        return TrainConfig.from_dict(request.get("config") or {})
    except (TypeError, ValueError):  # a request no trainer would run either: its job fails with the reason
        return TrainConfig()


def job_status(job: Job) -> JobStatus:
    """What the page shows of `job`: for a running one its latest progress, for an ended one how it ended."""
    progress, result = job.progress, job.result or {}
    started = job.started or job.created
    state = str(progress.get("state", "loading")) if job.state == "running" else job.state
    if state not in (*RUNNING_STATES, "done", "cancelled", "failed"):
        state = "loading"
    history = tuple(record for record in progress.get("history", []) if isinstance(record, dict)) \
        if isinstance(progress.get("history"), list) else ()
    version = result.get("version_id")
    return JobStatus(
        state=state, source=str(job.request.get("source", "")), config=_config(job.request), started=started,
        stage_started=_number(progress.get("stage_started"), started), reported=_number(job.heartbeat),
        prepared=min(1.0, _number(progress.get("done")) / max(_number(progress.get("total"), 1.0), 1.0)),
        epoch=int(_number(progress.get("epoch"))), batch=int(_number(progress.get("batch"))),
        steps=int(_number(progress.get("steps"))), history=history, message=job.message,
        version_id=str(version) if isinstance(version, str) else None,
        summary=TrainingSummary.from_json(result.get("summary")), gallery=_gallery(result.get("gallery")),
        job_id=job.id)
