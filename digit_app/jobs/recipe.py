"""How a training job's run ends, whoever runs it: the one recipe (`training.run.train_and_keep`) and its last event.

Every trainer of the queue (`digit_app.jobs.queue_trainer`: a dedicated trainer, or a server's own
worker) runs a job through `outcome`, so the steps of a training exist once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_GALLERY = 24  # misclassified test digits sent back for the report


def outcome(request: dict[str, Any], progress: Callable[[dict[str, Any]], None],
            should_stop: Callable[[], bool]) -> dict[str, Any]:
    """Run the train-and-keep recipe on a request (`TrainRequest.to_json`) and say how it ended, as the last event:
    {"phase": "done", ...}, {"phase": "cancelled"} or {"phase": "failed", "message": ...}. What every trainer of the
    queue runs (`digit_app.jobs.queue_trainer`)."""
    from digit_app.training.config import TrainRequest
    from digit_app.training.fit import Cancelled
    from digit_app.training.run import train_and_keep

    try:
        kept = train_and_keep(TrainRequest.from_json(request), progress=progress, should_stop=should_stop)
        return {"phase": "done", "version_id": kept.version_id, "summary": kept.summary.to_json(),
                "phases": kept.phases, "phases_cpu": kept.phases_cpu,
                "gallery": [[image.tolist(), truth, read] for image, truth, read in kept.misread(MAX_GALLERY)]}
    except Cancelled:
        return {"phase": "cancelled"}
    except ValueError as error:  # bad data or settings: the message says what to change
        return {"phase": "failed", "message": str(error)}
    except Exception as error:  # everyone watching must get a reason a person can read
        return {"phase": "failed", "message": f"{type(error).__name__}: {error}"}
