"""digit_app/database/jobs.py: the training queue, one job at a time across processes, progress, cancel, a trainer
killed mid-run; on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from digit_app.database import Database, DatabaseError, JobsTable, status
from digit_app.database import jobs as jobs_module
from digit_app.database.locks import HeldLock
from tests.browser import ROOT
from tests.services import database, database_url, postgres, postgres_server  # noqa: F401 - fixtures


def test_a_job_is_queued_claimed_reported_and_finished(database):
    table = JobsTable(database)
    job_id = table.submit({"source": "mnist", "config": {"epochs": 2}})
    assert table.get(job_id).state == "queued" and table.current() is None
    running = table.claim()
    assert running.id == job_id and running.request == {"source": "mnist", "config": {"epochs": 2}}
    assert running.report({"epoch": 1, "batch": 3}, force=True) is False
    seen = table.current()
    assert seen.id == job_id and seen.running and seen.progress == {"epoch": 1, "batch": 3}
    assert seen.worker.split(":")[1] == str(os.getpid())
    running.finish({"version_id": "v1", "test_accuracy": 0.99}, "saved as v1")
    done = table.get(job_id)
    assert (done.state, done.result, done.message) == ("done", {"version_id": "v1", "test_accuracy": 0.99},
                                                       "saved as v1")
    assert done.finished >= done.started >= done.created
    assert table.current() is None and table.claim() is None  # nothing waits


def test_one_job_runs_at_a_time_and_the_next_waits_its_turn(database, database_url):
    table = JobsTable(database)
    first, second = table.submit({"n": 1}), table.submit({"n": 2})
    running = table.claim()
    elsewhere = Database(database_url)  # another replica or trainer: its own connections
    try:
        assert JobsTable(elsewhere).claim() is None  # the training lock is held
        assert table.get(second).state == "queued"
        running.fail("out of memory")
        assert table.get(first).message == "out of memory"
        following = JobsTable(elsewhere).claim()
        assert following.id == second
        following.cancelled()
    finally:
        elsewhere.dispose()
    assert [job.state for job in table.list()] == ["cancelled", "failed"]


def test_cancel_reaches_the_running_job_at_its_next_report_and_drops_a_queued_one(database):
    table = JobsTable(database)
    running_id, queued_id = table.submit({}), table.submit({})
    running = table.claim()
    assert table.cancel(queued_id) and table.get(queued_id).state == "cancelled"
    assert table.cancel(running_id) and table.get(running_id).state == "running"
    assert running.report({"epoch": 2}, force=True) is True
    running.cancelled()
    assert table.get(running_id).state == "cancelled" and not table.cancel(running_id)


def test_progress_is_written_at_most_every_interval_but_the_last_is_kept(database):
    table = JobsTable(database)
    table.submit({})
    running = table.claim()
    running.report({"batch": 1}, force=True)
    for batch in range(2, 50):
        running.report({"batch": batch})  # a fast loop: these land in memory
    assert table.current().progress == {"batch": 1}
    time.sleep(jobs_module.REPORT_INTERVAL)
    running.report({"batch": 50})
    assert table.current().progress == {"batch": 50}
    with running:
        pass  # leaving without an ending fails it, with the last progress
    assert table.get(running.id).state == "failed" and table.get(running.id).progress == {"batch": 50}


def test_the_queue_and_what_it_keeps_are_bounded(database, monkeypatch):
    monkeypatch.setattr(jobs_module, "MAX_QUEUED", 2)
    table = JobsTable(database)
    table.submit({}), table.submit({})
    with pytest.raises(DatabaseError, match="already wait"):
        table.submit({})
    monkeypatch.setattr(jobs_module, "MAX_QUEUED", 10)
    with pytest.raises(DatabaseError, match="at most"):
        table.submit({"data": "x" * (jobs_module.MAX_JSON_BYTES + 1)})
    with pytest.raises(DatabaseError, match="JSON"):
        table.submit({"data": object()})


TRAINER = textwrap.dedent("""
    import sys, time
    from digit_app.database import Database, JobsTable
    running = JobsTable(Database(sys.argv[1])).claim()
    running.report({"epoch": 1}, force=True)
    print("running", flush=True)
    time.sleep(600)
""")


def test_a_trainer_killed_mid_run_fails_its_job_with_a_reason_and_frees_the_lock(database, database_url):
    table = JobsTable(database)
    killed = table.submit({"n": 1})
    trainer = subprocess.Popen([sys.executable, "-c", TRAINER, database_url], stdout=subprocess.PIPE, text=True,
                               cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert trainer.stdout.readline().strip() == "running"
        assert table.current().id == killed and table.claim() is None
    finally:
        trainer.send_signal(signal.SIGKILL)
        trainer.wait()
    following = table.submit({"n": 2})
    deadline = time.monotonic() + 10  # PostgreSQL frees the lock once it sees the connection closed
    while (running := table.claim()) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running is not None and running.id == following  # the next Start works
    failed = table.get(killed)
    assert failed.state == "failed" and "stopped mid-run" in failed.message and "No model was kept" in failed.message
    running.finish({})


def test_a_dead_trainer_s_job_is_not_shown_as_running(database, monkeypatch):
    table = JobsTable(database)
    table.submit({})
    running = table.claim()
    monkeypatch.setattr(jobs_module, "STALE_AFTER", 0.0)
    assert table.current().id == running.id  # quiet, but its trainer still holds the lock: a long epoch
    running._lock.release()  # as the lock of a dead process is freed
    assert table.current() is None
    assert table.get(running.id).state == "failed"
    assert status(database.url.render_as_string(hide_password=False))["training"] is None


def test_the_status_shows_the_running_job(database):
    table = JobsTable(database)
    job_id = table.submit({"source": "mnist"})
    running = table.claim()
    running.report({"epoch": 3}, force=True)
    training = status(database.url.render_as_string(hide_password=False))["training"]
    assert (training["id"], training["state"], training["progress"]) == (job_id, "running", {"epoch": 3})
    running.finish({})


def test_an_sqlite_lock_of_a_process_gone_is_taken_over(tmp_path):
    opened = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        first = HeldLock(opened, "training")
        assert first.take() and not HeldLock(opened, "training").take()
        first.holder = first.holder.replace(f":{os.getpid()}:", ":999999999:")  # a pid that runs nowhere
        with opened.write() as connection:
            connection.exec_driver_sql("UPDATE locks SET holder = ?", (first.holder,))
        assert HeldLock(opened, "training").take()
        assert not first.renew()
    finally:
        opened.dispose()


def test_a_lock_whose_renewal_failed_is_still_freed_on_release(database):
    lock = HeldLock(database, "training")
    assert lock.take()
    lock.held = False  # as after a renewal that met a passing error
    lock.release()
    assert HeldLock(database, "training").take()


def test_a_running_job_that_loses_postgres_stops_and_is_failed():
    with postgres() as server:
        opened = Database(server.create_database("lost"))
        table = JobsTable(opened)
        table.submit({})
        running = table.claim()
        server.stop()
        server.start()
        with pytest.raises(DatabaseError, match="lost the training lock"):
            running.report({"epoch": 2}, force=True)
        job = table.get(running.id)
        assert job.state == "failed" and "lost touch with the database" in job.message
        assert table.submit({}) and table.claim() is not None
        opened.dispose()


def test_a_trainer_is_alive_while_it_beats_and_gone_when_it_leaves_or_goes_quiet(database, database_url):
    from digit_app.database.trainers import ALIVE_WITHIN, TrainersTable

    table = TrainersTable(database)
    assert table.alive() == []
    table.beat("gpu-box:12:ab")
    table.beat("gpu-box:12:ab")  # a second beat keeps one row
    table.beat("old-box:9:cd", now=time.time() - ALIVE_WITHIN - 1)  # heard from too long ago: dead
    elsewhere = Database(database_url)  # a replica sees it through its own connections
    try:
        assert TrainersTable(elsewhere).alive() == ["gpu-box:12:ab"]
        table.leave("gpu-box:12:ab")
        assert TrainersTable(elsewhere).alive() == []
    finally:
        elsewhere.dispose()


def test_a_lock_held_for_a_block_is_renewed_meanwhile_refused_to_others_and_freed_after(database):
    import sqlalchemy as sa

    from digit_app.database.locks import held
    from digit_app.database.schema import locks

    def expires() -> float | None:
        with database.read() as db:
            return db.execute(sa.select(locks.c.expires).where(locks.c.name == "x")).scalar()

    with held(database, "x", every=0.05) as taken:
        assert taken
        with held(database, "x") as again:
            assert not again  # the command line's `train` while a job runs: refused
        first = expires()
        time.sleep(0.3)
        assert database.is_postgres or expires() > first  # SQLite's lease is renewed in the background
    with held(database, "x") as after:
        assert after
