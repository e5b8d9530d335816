"""The server's own training process: it takes the queued jobs from the database and runs them, then ends.

    DIGIT_APP_DATABASE_URL=<the server's database> python -m digit_app.jobs.worker

A replica starts it (`digit_app.jobs.trainer`) when a job waits and no trainer is alive. It is the
queue's trainer (`digit_app.jobs.queue_trainer.QueueTrainer`) without the heartbeat: it claims each
job under the training lock, writes its progress and result to the job, and ends when no job waits
or a trainer comes alive to take them. Training keeps both cores busy for minutes; in the server's
own process it starved every session's drawing, so it runs here, niced, and the operating system
serves drawings first. SIGTERM stops it between batches (the job is marked failed).

Loading TensorFlow and Keras takes the worker several seconds before any training. A replica can
start it ahead (`Trainer.warm`, when the operator opens the Retrain page), with `--linger`: it
loads them, draws the default run's pen digits, builds and traces its models (`training.ready`) and
waits that long for a job, so Start finds it ready.
"""

from __future__ import annotations

import argparse
import logging
import os

from digit_app.jobs.queue_trainer import QueueTrainer, start_process

POLL = 0.5  # seconds between looks at the queue while another process trains
MAX_LINGER = 900.0  # seconds a warmed worker waits for a job at most


def main(argv: list[str] | None = None) -> None:
    """Run what waits; `--linger SECONDS` first loads TensorFlow and waits that long for a job to be started."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--linger", type=float, default=0.0)
    linger = min(max(args.parse_args(argv).linger, 0.0), MAX_LINGER)
    server = os.getppid()  # before the slow preparing: a server that ends meanwhile leaves the worker another parent
    trainer = QueueTrainer(start_process("worker"), poll=POLL)
    trainer.handle_signals()
    if linger:  # TensorFlow and Keras loaded, the default run's pen digits drawn and its models built and traced,
        # while the person chooses settings
        import digit_app.training.run  # noqa: F401
        from digit_app.training import TrainConfig, ready
        from digit_app.training.fit import prepare_pen_digits

        default = TrainConfig()
        try:
            prepare_pen_digits(default.seed)
        except (OSError, ValueError) as error:  # the run itself says what is wrong with the pen digits
            logging.warning("The pen digits were not drawn ahead: %s", error)
        try:
            ready.prepare(default.width, default.seed, default.drawn)
        except Exception as error:  # noqa: BLE001 - the run then builds its own models, as without a worker ahead
            logging.warning("The models were not built ahead: %s", error)
    trainer.run(until_empty=True, linger=linger, linger_while=lambda: os.getppid() == server)  # not past its server


if __name__ == "__main__":
    main()
