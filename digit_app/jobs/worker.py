"""The server's own training process: it takes the queued jobs from the database and runs them, then ends.

    DIGIT_APP_DATABASE_URL=<the server's database> python -m digit_app.jobs.worker

A replica starts it (`digit_app.jobs.trainer`) when a job waits and no trainer is alive. It is the
queue's trainer (`digit_app.jobs.queue_trainer.QueueTrainer`) without the heartbeat: it claims each
job under the training lock, writes its progress and result to the job, and ends when no job waits
or a trainer comes alive to take them. Training keeps both cores busy for minutes; in the server's
own process it starved every session's drawing, so it runs here, niced, and the operating system
serves drawings first. SIGTERM stops it between batches (the job is marked failed).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

NICENESS = 10  # lower priority than the server that answers drawings
MAX_GALLERY = 24  # misclassified test digits sent back for the report
POLL = 0.5  # seconds between looks at the queue while another process trains


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
                "gallery": [[image.tolist(), truth, read] for image, truth, read in kept.misread(MAX_GALLERY)]}
    except Cancelled:
        return {"phase": "cancelled"}
    except ValueError as error:  # bad data or settings: the message says what to change
        return {"phase": "failed", "message": str(error)}
    except Exception as error:  # everyone watching must get a reason a person can read
        return {"phase": "failed", "message": f"{type(error).__name__}: {error}"}


def main() -> None:
    os.nice(NICENESS)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker: %(message)s", stream=sys.stderr)
    from digit_app.database import JobsTable, open_database
    from digit_app.jobs.queue_trainer import QueueTrainer

    trainer = QueueTrainer(JobsTable(open_database()), poll=POLL)
    trainer.handle_signals()
    trainer.run(until_empty=True)


if __name__ == "__main__":
    main()
