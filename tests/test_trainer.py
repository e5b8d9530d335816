"""A replica's training (digit_app/jobs/trainer.py, jobs/progress.py): Start queues the job in the database and runs it
here only when no trainer is alive; progress, cancel and a dead worker seen from any replica; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from digit_app.database import Database, Job, JobsTable
from digit_app.database import registry as versions
from digit_app.database.trainers import TrainersTable
from digit_app.jobs.progress import JobStatus, job_status, time_left
from digit_app.jobs.queue_trainer import QueuedRequestError
from digit_app.jobs.trainer import Trainer, worker_reason
from digit_app.model import load_classifier
from digit_app.training import TrainConfig, Variations
from digit_app.training.config import TrainRequest
from tests.paths import MNIST_SAMPLE
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures

TINY = TrainConfig(epochs=2, batch_size=32, stroke_epochs=1, augment=Variations(redraw=0.1, styles=0.2))
LONG = TrainConfig(epochs=50, batch_size=16, augment=Variations.none(), drawn=False)


def wait_for(table: JobsTable, job_id: int, done, seconds: float = 300) -> Job:
    """The job once `done(job)` holds (polling as the page does), or the test fails saying where it stood."""
    deadline = time.monotonic() + seconds
    while not done(job := table.get(job_id)):
        assert time.monotonic() < deadline, f"job {job_id} is still {job.state}: {job.progress} {job.message}"
        time.sleep(0.2)
    return job


def ended(job: Job) -> bool:
    return job.state in ("done", "cancelled", "failed")


@pytest.mark.slow
def test_start_with_no_trainer_alive_runs_the_job_here_and_keeps_a_new_version(database, models):
    trainer = Trainer(database)
    job_id = trainer.start(TrainRequest(str(MNIST_SAMPLE), TINY))
    assert trainer.worker_running  # no trainer alive: this server's own worker takes it
    status = job_status(wait_for(trainer.table, job_id, ended))
    assert status.state == "done", status.message
    assert status.fraction == 1.0 and len(status.history) == 2
    kept = versions.model_file(status.version_id, database)  # the worker kept it in the database it took the job from
    assert load_classifier(kept).summary.test_accuracy == status.summary.test_accuracy
    assert f"saved as {status.version_id}" in status.message
    assert len(status.gallery) > 0 and all(truth != read for _, truth, read in status.gallery)
    assert versions.active_version_id(database) == versions.SHIPPED
    deadline = time.monotonic() + 30
    while trainer.worker_running:  # nothing else waits: the worker ends
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.slow
def test_a_worker_started_ahead_takes_the_start_that_comes_then_ends(database, models):
    trainer = Trainer(database)
    assert trainer.warm(linger=120)  # the operator opened the Retrain page
    ahead = trainer._process
    time.sleep(1)
    job_id = trainer.start(TrainRequest(str(MNIST_SAMPLE), TINY))
    assert trainer._process is ahead  # Start started no second worker: the one ahead takes the job
    job = wait_for(trainer.table, job_id, ended)
    assert job.state == "done", job.message
    assert "models built" not in job.result["phases"]  # built and traced while it waited: the run took them
    deadline = time.monotonic() + 30
    while trainer.worker_running:  # nothing else waits: it ends, not lingering again
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_no_worker_is_started_ahead_for_a_trainer_alive_or_without_lingering(database):
    trainer = Trainer(database)
    assert not trainer.warm(linger=0) and not trainer.worker_running
    TrainersTable(database).beat("gpu-box:4242:ab")
    assert not trainer.warm(linger=60) and not trainer.worker_running  # the trainer takes every job


def test_with_a_trainer_alive_start_only_queues(database, models):
    TrainersTable(database).beat("gpu-box:4242:ab")  # a trainer elsewhere, heard from just now
    trainer = Trainer(database)
    job_id = trainer.start(TrainRequest(str(MNIST_SAMPLE), TINY))
    assert not trainer.worker_running and not trainer.run_waiting()  # this replica never trains
    assert trainer.table.get(job_id).state == "queued"
    assert job_status(trainer.table.get(job_id)).running  # shown as waiting, with Cancel


def test_a_request_a_trainer_would_refuse_is_refused_at_start_and_nothing_is_queued(database, tmp_path):
    trainer = Trainer(database)
    with pytest.raises(QueuedRequestError, match="models_dir"):
        trainer.start(TrainRequest(str(MNIST_SAMPLE), TINY, models_dir=tmp_path))
    assert trainer.table.list() == [] and not trainer.worker_running


def test_progress_and_cancel_are_seen_through_another_replica(database, database_url):
    table = JobsTable(database)
    job_id = table.submit(TrainRequest(str(MNIST_SAMPLE), TINY).to_json())
    running = table.claim()  # as a trainer does
    running.report({"state": "training", "stage_started": 5.0, "epoch": 2, "batch": 3, "steps": 10,
                    "history": [{"epoch": 1, "loss": 0.4}]}, force=True)
    replica = Database(database_url)
    try:
        other = JobsTable(replica)
        status = job_status(other.current())
        assert (status.job_id, status.state, status.epoch, status.batch) == (job_id, "training", 2, 3)
        assert status.fraction == pytest.approx(13 / 20) and status.history == ({"epoch": 1, "loss": 0.4},)
        assert other.cancel(job_id)  # Cancel pressed on the other replica
        assert running.report({"state": "training", "epoch": 2, "batch": 4, "steps": 10}, force=True) is True
        running.cancelled()
        assert job_status(other.get(job_id)).state == "cancelled"
    finally:
        replica.dispose()


@pytest.mark.slow
def test_a_worker_killed_mid_run_fails_its_job_with_a_reason_and_the_next_start_works(database, models):
    trainer = Trainer(database)
    job_id = trainer.start(TrainRequest(str(MNIST_SAMPLE), LONG))
    wait_for(trainer.table, job_id, lambda job: job.progress.get("state") == "training")
    os.kill(trainer._process.pid, signal.SIGKILL)  # out of memory, say
    failed = wait_for(trainer.table, job_id, ended, seconds=30)
    assert failed.state == "failed" and "killed by signal 9" in failed.message and "No model was kept" in failed.message
    assert trainer.table.current() is None
    following = trainer.start(TrainRequest(str(MNIST_SAMPLE), LONG))
    wait_for(trainer.table, following, lambda job: job.state == "running")  # the lock was freed: it runs
    trainer.table.cancel(following)
    assert wait_for(trainer.table, following, ended, seconds=120).state == "cancelled"
    assert [v.id for v in versions.list_versions(database)] == [versions.SHIPPED]  # nothing kept from either


def test_a_job_s_status_takes_only_well_formed_fields_from_the_database():
    good = [[[0] * 28] * 28, 3, 5]
    job = Job(id=7, state="done", request={"source": "mnist", "config": {"epochs": 3}}, created=1.0, started=2.0,
              finished=9.0, progress={"state": "saving", "history": [{"epoch": 1}, "junk"], "epoch": "x"},
              result={"version_id": "v7", "summary": {"test_accuracy": 0.9}, "gallery": [good, [[1, 2], 3, 4], "x"]},
              message="saved as v7")
    status = job_status(job)
    assert (status.state, status.config.epochs, status.version_id, status.summary.test_accuracy) == \
        ("done", 3, "v7", 0.9)
    assert status.history == ({"epoch": 1},) and status.epoch == 0 and status.started == 2.0
    assert len(status.gallery) == 1 and status.gallery[0][0].shape == (28, 28) and status.gallery[0][1:] == (3, 5)
    queued = job_status(Job(id=8, state="queued", request={"config": {"epochs": 0}}, created=1.0))
    assert queued.state == "queued" and queued.running and queued.config == TrainConfig()  # a bad config: defaults


def test_time_left_follows_the_pace_so_far():
    from dataclasses import replace

    status = JobStatus(state="training", source="x", config=TrainConfig(epochs=10), started=40.0,
                       stage_started=100.0, epoch=3, batch=50, steps=100)  # a quarter done after 50 s of training
    assert time_left(status, now=150.0) == pytest.approx(150.0)  # the minute of data preparation is not counted
    assert time_left(replace(status, state="loading"), now=150.0) is None  # no pace yet
    assert time_left(replace(status, epoch=1, batch=1), now=150.0) is None
    preparing = replace(status, state="preparing", prepared=0.4)  # 40% of the pen digits drawn in 50 s
    assert preparing.fraction == 0.4 and time_left(preparing, now=150.0) == pytest.approx(75.0)


def test_settings_and_the_job_runner_load_no_keras():
    """The Retrain page's settings, its preview and its job runner cost the server no TensorFlow (the worker process
    trains), nor SciPy, scikit-image or Pillow (about 1.5 s: they wait for the copies of digits that need them)."""
    code = ("import sys\n"
            "from digit_app.jobs.trainer import Trainer\n"
            "from digit_app.jobs.progress import job_status\n"
            "from digit_app.training import TrainConfig, Variations\n"
            "from digit_app.training.augment import preview_grid\n"
            "config = TrainConfig.from_dict(TrainConfig(augment=Variations(rotation=5)).to_dict())\n"
            "print(config.augment.rotation, 'keras' in sys.modules, 'tensorflow' in sys.modules,\n"
            "      sorted({'scipy', 'skimage', 'PIL', 'digit_app.preprocess'} & set(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5", "False", "False", "[]"]


def test_a_dead_worker_is_reported_by_its_own_error_not_tensorflow_chatter():
    stderr = ("Traceback (most recent call last):\n  File \"x.py\", line 1\nMemoryError: could not allocate 12 GB\n"
              "I0000 00:00:1795670684.141811   16902 port.cc:153] oneDNN custom operations are on.\n")
    assert worker_reason(stderr) == "MemoryError: could not allocate 12 GB"
    assert worker_reason("W tensorflow: something\n") == ""
