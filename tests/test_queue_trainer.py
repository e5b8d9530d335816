"""digit_app/jobs/queue_trainer.py: the trainer that takes jobs from the shared database's queue, runs them through the
one recipe, reports progress, honours cancel, and stops cleanly on SIGTERM; on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from digit_app.database import JobsTable
from digit_app.jobs import queue_trainer
from digit_app.jobs.queue_trainer import STOPPED, QueuedRequestError, QueueTrainer, checked_request, snapshot
from digit_app.training import TrainConfig, Variations
from digit_app.training.config import TrainRequest
from tests.browser import ROOT
from tests.paths import MNIST_SAMPLE
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures


def request(**changes) -> dict:
    return {**TrainRequest(str(MNIST_SAMPLE), TrainConfig(epochs=1)).to_json(), **changes}


@pytest.mark.parametrize("key", ["models_dir", "save_as"])
def test_a_queued_request_naming_a_place_on_another_machine_is_refused(key):
    with pytest.raises(QueuedRequestError, match=key):
        checked_request(request(**{key: "/etc/somewhere"}))


def test_queued_corrections_are_read_from_this_machine_s_corrections_file(corrections_file):
    checked = checked_request(request(corrections={"path": "/elsewhere/corrections.sqlite", "repeat": 5}))
    assert checked["corrections"] == {"path": str(corrections_file), "repeat": 5}
    assert TrainRequest.from_json(checked).corrections.repeat == 5
    assert checked_request(request())["corrections"] is None


def test_progress_keeps_the_stage_when_it_began_and_the_learning_curve():
    seen = snapshot({}, {"phase": "loaded", "source": "x", "train_images": 300, "epochs": 2}, now=10.0)
    seen = snapshot(seen, {"phase": "batch", "epoch": 1, "batch": 1, "steps": 5}, now=11.0)
    seen = snapshot(seen, {"phase": "batch", "epoch": 1, "batch": 2, "steps": 5}, now=12.0)
    seen = snapshot(seen, {"phase": "epoch", "epochs": 2, "epoch": 1, "loss": 0.5}, now=13.0)
    assert (seen["state"], seen["stage_started"], seen["batch"]) == ("training", 11.0, 2)
    assert seen["history"] == [{"epoch": 1, "loss": 0.5}]
    assert snapshot(seen, {"phase": "saving"}, now=14.0) == {"state": "saving", "stage_started": 14.0,
                                                             "history": [{"epoch": 1, "loss": 0.5}]}


def fake_outcome(ending: dict, batches: int = 3):
    """A stand-in for the recipe: a few batches reported, stopping when asked, then `ending`."""
    def run(request, progress, should_stop):
        for batch in range(1, batches + 1):
            progress({"phase": "batch", "epoch": 1, "batch": batch, "steps": batches})
            time.sleep(0.3)  # past the report interval: each batch is written, and the cancel flag read back
            if should_stop():
                return {"phase": "cancelled"}
        return ending
    return run


def test_a_job_is_run_its_progress_written_and_its_result_kept(database, monkeypatch):
    table = JobsTable(database)
    job_id = table.submit(request())
    monkeypatch.setattr(queue_trainer, "outcome", fake_outcome(
        {"phase": "done", "version_id": "v9", "summary": {"test_accuracy": 0.75}, "gallery": []}))
    assert QueueTrainer(table, poll=0.05).run(once=True) == 1
    job = table.get(job_id)
    assert job.state == "done" and job.result["version_id"] == "v9"
    assert job.message == "MNIST test accuracy 75.00%; saved as v9."
    assert (job.progress["state"], job.progress["batch"]) == ("training", 3)
    assert table.submit({}) and table.claim() is not None  # the lock was freed


@pytest.mark.parametrize(("ending", "state", "message"), [
    ({"phase": "failed", "message": "The data has no test digits."}, "failed", "The data has no test digits."),
    ("cancel", "cancelled", "Training was cancelled; no model was kept."),
    ("stop", "failed", STOPPED.format(why="SIGTERM")),
])
def test_a_job_that_fails_is_cancelled_or_is_stopped_by_a_signal_says_so(database, monkeypatch, ending, state,
                                                                         message):
    table = JobsTable(database)
    job_id = table.submit(request())
    trainer = QueueTrainer(table, poll=0.05)
    if ending == "cancel":
        def progress_then_cancel(request, progress, should_stop):
            table.cancel(job_id)  # as from another replica
            return fake_outcome({"phase": "done"})(request, progress, should_stop)
        monkeypatch.setattr(queue_trainer, "outcome", progress_then_cancel)
    elif ending == "stop":
        def progress_then_signal(request, progress, should_stop):
            trainer.stop("SIGTERM")
            return fake_outcome({"phase": "done"})(request, progress, should_stop)
        monkeypatch.setattr(queue_trainer, "outcome", progress_then_signal)
    else:
        monkeypatch.setattr(queue_trainer, "outcome", fake_outcome(ending))
    trainer.run(once=True)
    job = table.get(job_id)
    assert (job.state, job.message) == (state, message)
    assert table.submit({}) and table.claim() is not None  # the lock was freed


def test_a_refused_request_fails_its_job_before_any_work(database, monkeypatch):
    table = JobsTable(database)
    job_id = table.submit(request(save_as="/etc/passwd"))
    monkeypatch.setattr(queue_trainer, "outcome", lambda *_: pytest.fail("the recipe ran"))
    QueueTrainer(table, poll=0.05).run(once=True)
    assert table.get(job_id).state == "failed" and "may not name a file" in table.get(job_id).message


def test_a_trainer_says_it_is_alive_while_it_runs_and_leaves_when_it_stops(database, monkeypatch):
    import threading

    from digit_app.database.trainers import TrainersTable

    table, trainers = JobsTable(database), TrainersTable(database)
    job_id = table.submit(request())
    seen = []

    def look_then_finish(request, progress, should_stop):
        seen.extend(trainers.alive())  # as a replica would look, mid-run
        return {"phase": "failed", "message": "enough"}

    monkeypatch.setattr(queue_trainer, "outcome", look_then_finish)
    thread = threading.Thread(target=queue_trainer.serve, args=(table,), kwargs={"once": True, "signals": False,
                                                                                "poll": 0.05})
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and table.get(job_id).message == "enough"
    assert len(seen) == 1 and seen[0].split(":")[1] == str(os.getpid())
    assert trainers.alive() == []  # gone: replicas train again at once


def test_a_replica_s_worker_runs_what_waits_then_ends_and_leaves_jobs_to_a_live_trainer(database, monkeypatch):
    from digit_app.database.trainers import TrainersTable

    table = JobsTable(database)
    first, second = table.submit(request()), table.submit(request())
    monkeypatch.setattr(queue_trainer, "outcome", fake_outcome(
        {"phase": "done", "version_id": "v1", "summary": {}, "gallery": []}, batches=1))
    assert QueueTrainer(table, poll=0.05).run(until_empty=True) == 2  # both, then nothing waits: it ends
    assert [table.get(first).state, table.get(second).state] == ["done", "done"]
    TrainersTable(database).beat("gpu-box:1:aa")
    third = table.submit(request())
    assert QueueTrainer(table, poll=0.05).run(until_empty=True) == 0  # a trainer is alive: the job is its
    assert table.get(third).state == "queued"


@contextlib.contextmanager
def trainer_process(database_url: str, models, *flags: str) -> Iterator[subprocess.Popen]:
    """`python -m digit_app trainer` on the database, keeping versions in `models`; killed if the test leaves it
    running."""
    env = {**os.environ, "DIGIT_APP_DATABASE_URL": database_url, "DIGIT_APP_MODELS": str(models),
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "digit_app", "trainer", *flags], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture()
def sqlite_queue(tmp_path):
    """The queue in a new SQLite file: (its URL, its JobsTable)."""
    from digit_app.database import Database

    url = f"sqlite:///{tmp_path / 'digit_app.sqlite'}"
    opened = Database(url)
    yield url, JobsTable(opened)
    opened.dispose()


@pytest.mark.slow
def test_trainer_once_trains_a_queued_job_through_the_recipe_and_keeps_the_version(tmp_path, sqlite_queue):
    from digit_app.database import open_database
    from digit_app.database import registry as versions

    url, table = sqlite_queue
    tiny = TrainConfig(epochs=1, batch_size=32, stroke_epochs=1, augment=Variations(redraw=0.1))
    job_id = table.submit(TrainRequest(str(MNIST_SAMPLE), tiny, activate=True).to_json())
    with trainer_process(url, tmp_path / "models", "--once") as process:
        _, errors = process.communicate(timeout=600)
    assert process.returncode == 0, errors
    job = table.get(job_id)
    assert job.state == "done", job.message
    assert job.progress["state"] == "saving" and len(job.progress["history"]) == 1
    assert versions.active_version_id(open_database(url)) == job.result["version_id"]
    assert job.result["summary"]["test_accuracy"] > 0 and f"saved as {job.result['version_id']}" in job.message
    assert f"Job {job_id}: done" in errors
    assert table.submit({}) and table.claim() is not None  # the lock was freed


@pytest.mark.slow
def test_sigterm_mid_run_marks_the_job_failed_frees_the_lock_and_exits_cleanly(tmp_path, sqlite_queue):
    url, table = sqlite_queue
    long_run = TrainConfig(epochs=50, batch_size=16, augment=Variations.none(), drawn=False)
    job_id = table.submit(TrainRequest(str(MNIST_SAMPLE), long_run).to_json())
    with trainer_process(url, tmp_path / "models") as process:
        deadline = time.monotonic() + 300
        while table.get(job_id).progress.get("state") != "training" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert table.get(job_id).progress.get("state") == "training"
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    job = table.get(job_id)
    assert (job.state, job.message) == ("failed", STOPPED.format(why="SIGTERM"))
    assert job.progress["state"] == "training" and job.progress["epoch"] >= 1  # its last progress kept
    assert not list((tmp_path / "models").glob("versions/*.keras"))  # nothing kept from a stopped run
    assert table.submit({}) and table.claim() is not None  # the lock was freed: the next Start works


def test_a_worker_started_ahead_waits_for_the_job_then_runs_it_and_ends(database, monkeypatch):
    import threading

    table = JobsTable(database)
    monkeypatch.setattr(queue_trainer, "outcome", fake_outcome(
        {"phase": "done", "version_id": "v1", "summary": {}, "gallery": []}, batches=1))
    ran: list[int] = []
    worker = threading.Thread(target=lambda: ran.append(QueueTrainer(table, poll=0.05).run(until_empty=True,
                                                                                          linger=30.0)))
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive()  # nothing waits yet: it lingers, ready
    job_id = table.submit(request())
    worker.join(20)
    assert not worker.is_alive() and ran == [1] and table.get(job_id).state == "done"  # taken, run, then it ended
    started = time.monotonic()
    assert QueueTrainer(table, poll=0.05).run(until_empty=True, linger=30.0, linger_while=lambda: False) == 0
    assert time.monotonic() - started < 5  # its server gone: it stops waiting at once


def test_a_trainer_process_starts_niced_logging_as_its_role_on_the_configured_database_s_queue(monkeypatch):
    import logging

    from digit_app.database import open_database

    niced, configured = [], []
    monkeypatch.setattr(queue_trainer.os, "nice", niced.append)
    monkeypatch.setattr(queue_trainer.logging, "basicConfig", lambda **settings: configured.append(settings))
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    table = queue_trainer.start_process("worker")
    assert niced == [queue_trainer.NICENESS] and queue_trainer.NICENESS > 0  # below the servers' priority
    assert configured[0]["level"] == logging.INFO and configured[0]["stream"] is sys.stderr
    assert " worker: %(message)s" in configured[0]["format"]
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert table.database is open_database()


def test_the_command_line_s_trainer_and_a_server_s_worker_start_the_same_way(monkeypatch):
    from digit_app.cli.database import trainer
    from digit_app.jobs import worker

    started, served, ran = [], [], []
    monkeypatch.setattr(queue_trainer, "start_process", lambda role: started.append(role) or f"{role}'s queue")
    monkeypatch.setattr(worker, "start_process", queue_trainer.start_process)
    monkeypatch.setattr(queue_trainer, "serve", lambda table, once: served.append((table, once)))
    monkeypatch.setattr(QueueTrainer, "handle_signals", lambda self: None)
    monkeypatch.setattr(QueueTrainer, "run", lambda self, **how: ran.append(self.table))
    assert trainer(argparse.Namespace(once=True)) == 0
    worker.main([])
    assert started == ["trainer", "worker"]
    assert served == [("trainer's queue", True)] and ran == ["worker's queue"]


def test_a_worker_started_ahead_lingers_only_while_the_server_that_started_it_lives(monkeypatch):
    """The server is the parent seen as the worker starts: one that ends while the models are built ahead
    (the worker then belongs to another parent) is not taken for its server."""
    import types

    from digit_app.jobs import worker
    from digit_app.training import fit, ready

    parent = {"pid": 4242}
    lingering = []
    monkeypatch.setattr(worker.os, "getppid", lambda: parent["pid"])
    monkeypatch.setattr(worker, "start_process", lambda role: "queue")
    monkeypatch.setitem(sys.modules, "digit_app.training.run", types.ModuleType("digit_app.training.run"))
    monkeypatch.setattr(fit, "prepare_pen_digits", lambda seed: None)
    monkeypatch.setattr(ready, "prepare", lambda *settings: parent.update(pid=1))  # the server ends meanwhile
    monkeypatch.setattr(QueueTrainer, "handle_signals", lambda self: None)
    monkeypatch.setattr(QueueTrainer, "run", lambda self, **how: lingering.append(how["linger_while"]()))
    worker.main(["--linger", "60"])
    assert lingering == [False]
