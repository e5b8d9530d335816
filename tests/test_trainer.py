"""Background training jobs: one at a time, cancel, a complete version or none."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from digit_app.jobs.trainer import JobRunningError, Trainer, TrainingJob
from digit_app.model import load_classifier
from digit_app.database import registry as versions
from digit_app.training import TrainConfig, Variations
from digit_app.training.config import TrainRequest
from tests.paths import MNIST_SAMPLE

TINY = TrainConfig(epochs=2, batch_size=32, augment=Variations(redraw=0.1, styles=0.2))


@pytest.mark.slow
def test_a_job_trains_and_keeps_a_new_version(models):
    trainer = Trainer()
    job = trainer.start(str(MNIST_SAMPLE), TINY)
    job.join(timeout=300)
    status = job.status
    assert status.state == "done", status.message
    assert status.fraction == 1.0 and len(status.history) == 2
    assert load_classifier(versions.model_file(status.version_id)).summary.test_accuracy == status.summary.test_accuracy
    assert len(status.gallery) > 0 and all(truth != read for _, truth, read in status.gallery)
    assert versions.active_version_id() == versions.SHIPPED


@pytest.mark.slow
def test_only_one_job_at_a_time(models):
    trainer = Trainer()
    job = trainer.start(str(MNIST_SAMPLE), TrainConfig(epochs=50, batch_size=16, augment=Variations.none()))
    try:
        with pytest.raises(JobRunningError, match="already being trained"):
            trainer.start(str(MNIST_SAMPLE), TINY)
        assert trainer.job is job
    finally:
        job.cancel()
        job.join(timeout=120)


@pytest.mark.slow
def test_cancel_keeps_nothing(models):
    trainer = Trainer()
    job = trainer.start(str(MNIST_SAMPLE), TrainConfig(epochs=50, batch_size=16, augment=Variations.none()))
    job.cancel()
    job.join(timeout=120)
    assert job.status.state == "cancelled"
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED]
    trainer.start(str(MNIST_SAMPLE), TINY).join(timeout=300)  # the slot is free again
    assert trainer.job.status.state == "done"


@pytest.mark.slow
@pytest.mark.parametrize("phase, outcome", [("loading", "cancelled"), ("training", "cancelled"), ("saving", "done")])
def test_a_cancel_at_any_phase_leaves_a_complete_version_or_none(models, phase, outcome):
    """Cancel as soon as the job reaches `phase`: before the save nothing is kept; during the save
    it is too late, and the version is kept whole."""
    job = Trainer().start(str(MNIST_SAMPLE), TINY)
    deadline = time.monotonic() + 300
    while job.status.state != phase:
        assert job.status.running and time.monotonic() < deadline, f"never saw {phase}: {job.status.state}"
        time.sleep(0.002)
    job.cancel()
    job.join(timeout=300)
    assert job.status.state == outcome, job.status.message
    kept = [v.id for v in versions.list_versions() if v.id != versions.SHIPPED]
    if outcome == "done":
        assert kept == [job.status.version_id]
        assert load_classifier(versions.model_file(kept[0])).summary.test_accuracy > 0
    else:
        assert kept == [] and job.status.message == "Training was cancelled; no model was kept."


@pytest.mark.slow
def test_bad_data_fails_with_a_message(models, tmp_path):
    job = Trainer().start(str(tmp_path / "missing.npz"), TINY)
    job.join(timeout=60)
    assert job.status.state == "failed" and "no data file" in job.status.message


@pytest.mark.slow
def test_settings_that_do_not_fit_the_data_fail_with_just_the_reason(models):
    job = Trainer().start(str(MNIST_SAMPLE), TrainConfig(epochs=1, batch_size=1024))
    job.join(timeout=120)
    assert job.status.state == "failed"
    assert re.match(r"The batch size 1024 is larger than the \d+ training images; choose \d+ or fewer",
                    job.status.message)


def test_time_left_follows_the_pace_so_far():
    from dataclasses import replace

    from digit_app.jobs.trainer import JobStatus, time_left

    status = JobStatus(state="training", source="x", config=TrainConfig(epochs=10), started=40.0,
                       stage_started=100.0, epoch=3, batch=50, steps=100)  # a quarter done after 50 s of training
    assert time_left(status, now=150.0) == pytest.approx(150.0)  # the minute of data preparation is not counted
    assert time_left(replace(status, state="loading"), now=150.0) is None  # no pace yet
    assert time_left(replace(status, epoch=1, batch=1), now=150.0) is None
    preparing = replace(status, state="preparing", prepared=0.4)  # 40% of the pen digits drawn in 50 s
    assert preparing.fraction == 0.4 and time_left(preparing, now=150.0) == pytest.approx(75.0)


@pytest.mark.slow
def test_a_training_run_reports_how_far_the_data_preparation_is(mnist_sample):
    """The pen digits are drawn before the first epoch: the job says how far, from 0 up, in steps."""
    seen = []
    job = TrainingJob(TrainRequest(str(MNIST_SAMPLE), TrainConfig(epochs=1, stroke_epochs=1)))
    original = job._update

    def spy(**changes):
        original(**changes)
        if job.status.state == "preparing":
            seen.append((job.status.prepared, job.status.stage_started))

    job._update = spy
    job.start()
    job.join(300)
    assert job.status.state == "done", job.status.message
    shares = [share for share, _ in seen]
    assert shares[0] == 0.0 and shares == sorted(shares) and 0.9 < shares[-1] < 1.0 and len(shares) >= 10
    assert len({started for _, started in seen}) == 1  # one stage, one start


@pytest.mark.slow
def test_one_training_per_models_folder_even_across_server_processes(models):
    """Two servers (replicas) sharing a models folder: the second cannot start while the first trains."""
    from digit_app.jobs.trainer import JobRunningError, machine_slot

    held = machine_slot()  # what another server process holds while it trains
    assert held is not None
    other_server = Trainer()
    with pytest.raises(JobRunningError, match="Another server process is training"):
        other_server.start(str(MNIST_SAMPLE), TrainConfig(epochs=1))
    assert other_server.job is None
    held.close()  # that run ended
    job = other_server.start(str(MNIST_SAMPLE), TrainConfig(epochs=1, stroke_epochs=1, drawn=False))
    with pytest.raises(JobRunningError, match="Another server process"):
        machine_slot()  # ... and now this one holds the slot until its run ends
    job.join(300)
    assert job.status.state == "done", job.status.message
    machine_slot().close()  # given back


def test_settings_and_the_job_runner_load_no_keras():
    """The Retrain page's settings and its job runner cost the server no TensorFlow: the worker process trains."""
    code = ("import sys\n"
            "from digit_app.jobs.trainer import Trainer\n"
            "from digit_app.training import TrainConfig, Variations\n"
            "config = TrainConfig.from_dict(TrainConfig(augment=Variations(rotation=5)).to_dict())\n"
            "print(config.augment.rotation, 'keras' in sys.modules, 'tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5", "False", "False"]


def test_a_dead_worker_is_reported_by_its_own_error_not_tensorflow_chatter():
    from digit_app.jobs.trainer import worker_reason

    stderr = ("Traceback (most recent call last):\n  File \"x.py\", line 1\nMemoryError: could not allocate 12 GB\n"
              "I0000 00:00:1795670684.141811   16902 port.cc:153] oneDNN custom operations are on.\n")
    assert worker_reason(stderr) == "MemoryError: could not allocate 12 GB"
    assert worker_reason("W tensorflow: something\n") == ""
