"""How long a retrain takes from the Retrain page's Start to the Draw page answering with the new model, phase by phase.

    nice -n 10 flock /tmp/heavy.lock python benchmarks/retrain_time.py [--epochs 2] [--stroke-epochs N] [--data PATH]

Start does what the page's button does (`Trainer.start`: the job queued in a fresh SQLite database,
this server's worker process started for it); the job is then read from the database every 50 ms,
as the page does every second. The worker's own phases come from the job's result (`phases`, timed
in `train_and_keep`, and `phases_cpu`: their CPU seconds, every thread of the worker), the rest from
the job's timestamps: queued -> claimed by the worker (process
start) -> its first progress (TensorFlow imported, data loaded) -> done. Last, "Use this model"
(activate) and the Draw page's path: the active model loaded (LiteRT) and one drawing read.
Without --stroke-epochs, the stroke model gets the Retrain page's default for those epochs. With
--warm S, the page is opened first (`Trainer.warm`: the worker loads TensorFlow ahead) and Start
pressed S seconds later, as when the operator chooses the settings meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.drawn_digits import MNIST_SUBSET  # noqa: E402
from digit_app.settings import ENV_DATABASE_URL, ENV_MODELS_DIR  # noqa: E402
from digit_app.training import TrainConfig  # noqa: E402
from digit_app.training.config import TrainRequest, default_stroke_epochs  # noqa: E402

POLL = 0.05  # seconds between looks at the job


def run(data: str, config: TrainConfig, record: Path | None = None, warm: float = 0.0) -> None:
    """Train once through the queue and print each phase's seconds and the total; with `record`, write there every
    progress the page could have read (the job as stored, and when it was read) as JSON."""
    from digit_app.database import JobsTable, open_database
    from digit_app.database import registry as versions
    from digit_app.jobs.trainer import Trainer
    from digit_app.model import load_classifier

    database = open_database()
    table = JobsTable(database)
    trainer = Trainer(database)
    if warm:  # the operator opened the Retrain page (its worker started ahead) and chose settings meanwhile
        trainer.warm()
        time.sleep(warm)
    load_at_start = os.getloadavg()[0]
    pressed = time.time()
    job_id = trainer.start(TrainRequest(data, config))
    queued = time.time()
    first_progress = None
    seen: list[dict] = []
    while True:
        job = table.get(job_id)
        if first_progress is None and job.progress:
            first_progress = time.time()
        if job.state == "running" and (not seen or seen[-1]["heartbeat"] != job.heartbeat):
            seen.append({"read": time.time(), "created": job.created, "started": job.started,
                         "heartbeat": job.heartbeat, "request": job.request, "progress": job.progress})
        if job.state not in ("queued", "running"):
            break
        time.sleep(POLL)
    seen_done = time.time()
    if job.state != "done":
        sys.exit(f"the job ended {job.state}: {job.message}")
    if record is not None:
        record.write_text(json.dumps({"finished": job.finished, "reports": seen}) + "\n", encoding="utf-8")
    version_id = job.result["version_id"]
    versions.activate(version_id, database)
    activated = time.time()
    classifier = load_classifier()  # the Draw page's loader: the active version's LiteRT parts
    classifier.predict_proba(np.zeros((28, 28), np.float32))
    answered = time.time()

    deadline = time.monotonic() + 60
    while trainer.worker_running and time.monotonic() < deadline:  # it ends when nothing else waits
        time.sleep(0.1)
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker, once it has ended
    phases = dict(job.result.get("phases", {}))
    phases_cpu = dict(job.result.get("phases_cpu", {}))
    inside = sum(phases.values())
    rows = [("Start -> queued", queued - pressed),
            ("queued -> worker claims it (process start)", job.started - queued),
            ("worker imports (TensorFlow, Keras) and the rest", (job.finished - job.started) - inside),
            *phases.items(),
            ("done -> seen by the page (polling)", seen_done - job.finished),
            ("Use this model (activate)", activated - seen_done),
            ("Draw page: model loaded, one drawing read", answered - activated)]
    print(f"{config.epochs} epochs, stroke model {config.stroke_epochs if config.drawn else 0}, "
          f"data {Path(data).name}, {os.cpu_count()} cores, "
          + (f"Start {warm:g} s after the page started its worker" if warm else "no worker started ahead"))
    for name, seconds in rows:
        cpu = f"{phases_cpu[name]:7.1f} CPU s" if name in phases_cpu else ""
        print(f"  {name:<48} {seconds:7.1f} s {cpu}")
    print(f"  {'Start -> the first progress on the page':<48} {(first_progress or seen_done) - pressed:7.1f} s")
    print(f"  the worker's CPU time {worker.ru_utime + worker.ru_stime:.0f} s over {job.finished - job.created:.0f} s; "
          f"load average {load_at_start:.1f} at Start, {os.getloadavg()[0]:.1f} at the end "
          "(other work on the machine slows the worker: it runs niced)")
    print(f"total, Start -> the Draw page answering with it: {answered - pressed:.1f} s; "
          f"MNIST test accuracy {job.result['summary'].get('test_accuracy')}, "
          f"held-out drawings {job.result['summary'].get('held_out_writers')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST_SUBSET))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--stroke-epochs", type=int, default=None)
    parser.add_argument("--warm", type=float, default=0.0, metavar="SECONDS",
                        help="open the page first (its worker starts ahead) and press Start this much later")
    parser.add_argument("--record", type=Path, help="write the job's progress as the page could read it (JSON)")
    args = parser.parse_args()
    stroke_epochs = args.stroke_epochs or default_stroke_epochs(args.epochs)
    config = TrainConfig(epochs=args.epochs, stroke_epochs=stroke_epochs)
    with tempfile.TemporaryDirectory(prefix="retrain-time-") as folder:
        os.environ[ENV_DATABASE_URL] = f"sqlite:///{folder}/app.sqlite"
        os.environ[ENV_MODELS_DIR] = str(Path(folder) / "models")
        run(str(Path(args.data).resolve()), config, args.record.resolve() if args.record else None,
            args.warm)


if __name__ == "__main__":
    main()
