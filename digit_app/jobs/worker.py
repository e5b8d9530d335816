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

from digit_app.database import JobsTable, open_database
from digit_app.jobs.queue_trainer import QueueTrainer

NICENESS = 10  # lower priority than the server that answers drawings
POLL = 0.5  # seconds between looks at the queue while another process trains


def main() -> None:
    os.nice(NICENESS)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker: %(message)s", stream=sys.stderr)
    trainer = QueueTrainer(JobsTable(open_database()), poll=POLL)
    trainer.handle_signals()
    trainer.run(until_empty=True)


if __name__ == "__main__":
    main()
