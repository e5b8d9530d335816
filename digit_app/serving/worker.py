"""A training run in its own low-priority process, driven by `digit_app.serving.jobs` over pipes.

    python -m digit_app.serving.worker   < {"source": ..., "config": {...TrainConfig...}, "corrections": {...}}

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
    """Load the data, train, save a new version, and report each step with `emit`.

    With "corrections": {"path": ..., "repeat": k}, a person's saved corrections join the
    training data k times each, and the report says how well the new model and the one in use
    read them.
    """
    from digit_app.model import ModelLoadError, lite_parts, load_classifier
    from digit_app.store.corrections import CorrectionStore
    from digit_app.store.versions import active_version_id, get_version, save_version
    from digit_app.training import TrainConfig
    from digit_app.training.data import load_mnist
    from digit_app.training.fit import Cancelled, evaluate, train

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        config = TrainConfig.from_dict(request["config"])
        in_use_at_start = active_version_id()  # what the report compares with, even after a switch
        data = load_mnist(request["source"])
        corrections = request.get("corrections")
        if corrections:
            images, labels = CorrectionStore(corrections["path"]).arrays()
            data = data.with_corrections(images, labels, int(corrections["repeat"]))
        if stop.is_set():
            raise Cancelled("cancelled before training started")
        model, report = train(data, config, progress=emit, should_stop=stop.is_set)
        if stop.is_set():
            raise Cancelled("cancelled after training")
        emit({"phase": "saving"})
        summary = {"data": data.describe(), "training": config.to_dict(), **report.summary(),
                   "compared_with": in_use_at_start}
        if corrections:
            try:
                in_use = evaluate(load_classifier(get_version(in_use_at_start).path), images, labels).test_accuracy
            except (ModelLoadError, KeyError):  # broken (the page says so) or deleted meanwhile
                in_use = None
            summary["corrections_accuracy"] = {"new model": evaluate(model, images, labels).test_accuracy,
                                               "model in use": in_use}
        version = save_version(model, summary, lite_parts(model))
        wrong = report.misclassified[:MAX_GALLERY]
        emit({"phase": "done", "version_id": version.id, "summary": summary,
              "gallery": [[data.x_test[i].tolist(), int(data.y_test[i]), int(report.predictions[i])] for i in wrong]})
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
