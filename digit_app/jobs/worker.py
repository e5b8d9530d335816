"""A training run in its own low-priority process, driven by `digit_app.jobs.trainer` over pipes.

    python -m digit_app.jobs.worker   < {"source": ..., "config": {...TrainConfig...}, ...}   (TrainRequest.to_json)

Training keeps both cores busy for minutes. In the server's own process it starved every
session's drawing (answers took tens of seconds), so it runs here instead, niced, and the
operating system serves drawings first. The request comes as one JSON object on stdin; progress,
then the outcome, go to stdout as JSON lines: {"phase": "batch"|"epoch", ...} while training, then
one of {"phase": "done", ...}, {"phase": "cancelled"} or {"phase": "failed", "message": ...}.
SIGTERM cancels between batches; nothing is saved then.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from typing import Any

NICENESS = 10  # lower priority than the server that answers drawings
MAX_GALLERY = 24  # misclassified test digits sent back for the report


def emit(event: dict[str, Any]) -> None:
    """One progress or outcome line for the parent process."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def run(request: dict[str, Any]) -> None:
    """Run the train-and-keep recipe on a request (`TrainRequest.to_json`), and report each step with `emit`."""
    from digit_app.training.config import TrainRequest
    from digit_app.training.fit import Cancelled
    from digit_app.training.run import train_and_keep

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        kept = train_and_keep(TrainRequest.from_json(request), progress=emit, should_stop=stop.is_set)
        emit({"phase": "done", "version_id": kept.version_id, "summary": kept.summary.to_json(),
              "gallery": [[image.tolist(), truth, read] for image, truth, read in kept.misread(MAX_GALLERY)]})
    except Cancelled:
        emit({"phase": "cancelled"})
    except ValueError as error:  # bad data or settings: the message says what to change
        emit({"phase": "failed", "message": str(error)})
    except Exception as error:  # the parent must get a reason a person can read
        emit({"phase": "failed", "message": f"{type(error).__name__}: {error}"})


def main() -> None:
    os.nice(NICENESS)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    run(json.loads(sys.stdin.readline()))


if __name__ == "__main__":
    main()
