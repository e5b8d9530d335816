"""`status`, `versions` and `trainer` (digit_app/cli/database.py): the shared database from a terminal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.command_line import ROOT, run
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures


def test_status_prints_the_shared_database_s_active_version_corrections_and_job(database, database_url):
    from digit_app.database import CorrectionsTable, JobsTable, VersionsTable
    from digit_app.store.metadata import TrainingSummary

    VersionsTable(database).add("v7", TrainingSummary(test_accuracy=0.9), {"keras": b"a model"})
    VersionsTable(database).activate("v7")
    for label in (3, 5):
        CorrectionsTable(database).add(np.zeros((28, 28), np.uint8), label)
    idle = run("status", "--json", env={"DIGIT_APP_DATABASE_URL": database_url})
    assert idle.returncode == 0, idle.stderr
    assert json.loads(idle.stdout) == {"active": "v7", "corrections": 2, "training": None, "queued": 0}
    table = JobsTable(database)
    job_id = table.submit({"source": "mnist"})
    running = table.claim()
    running.report({"epoch": 2, "batch": 7}, force=True)
    table.submit({"source": "mnist"})  # a second Start while the first trains: it waits
    try:
        state = json.loads(run("status", "--json", env={"DIGIT_APP_DATABASE_URL": database_url}).stdout)
        training = state["training"]
        assert (training["id"], training["state"]) == (job_id, "running") and state["queued"] == 1
        assert training["progress"] == {"epoch": 2, "batch": 7}
        words = run("status", env={"DIGIT_APP_DATABASE_URL": database_url}).stdout.splitlines()
        assert words[:2] == ["active version: v7", "corrections: 2"]
        assert words[2].startswith(f"training: job {job_id} (running)") and words[3] == "queued: 1 job"
    finally:
        running.finish({})


@pytest.mark.parametrize(("url", "message"), [("mysql://someone@host/db", "names a mysql database"),
                                              ("postgresql://digit:secret@127.0.0.1:9/none", "cannot be reached")])
def test_status_of_a_database_it_cannot_use_is_one_line_without_the_password(url, message):
    result = run("status", "--json", env={"DIGIT_APP_DATABASE_URL": url})
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line and "secret" not in line


def test_versions_lists_activates_and_deletes_in_the_shared_database(database, database_url):
    from digit_app.database import VersionsTable
    from digit_app.store.metadata import TrainingSummary

    for version_id, accuracy in (("v1", 0.91), ("v2", 0.92)):
        VersionsTable(database).add(version_id, TrainingSummary(test_accuracy=accuracy), {"keras": b"a model"})
    env = {"DIGIT_APP_DATABASE_URL": database_url}
    used = run("versions", "--activate", "v1", env=env)
    assert used.returncode == 0, used.stderr
    lines = used.stdout.splitlines()
    assert lines[0] == "v1 is now the model in use"
    assert lines[2:] == ["  v2  MNIST test 92.00%", "* v1  MNIST test 91.00%"] and lines[1].startswith("  shipped")
    refused = run("versions", "--delete", "v1", env=env)
    assert refused.returncode == 1 and refused.stderr.strip() == "error: v1 is the model in use: activate another " \
                                                                 "version first."
    assert run("versions", "--delete", "v2", env=env).returncode == 0
    gone = run("versions", "--activate", "v2", env=env)
    assert gone.returncode == 1 and gone.stderr.strip() == "error: There is no model version 'v2'."
    assert VersionsTable(database).active() == "v1" and [v.id for v in VersionsTable(database).list()] == ["v1"]


def test_the_compose_file_s_trainer_runs_the_command_line_s_trainer():
    import re

    from digit_app.__main__ import parser
    from digit_app.cli.database import trainer

    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    service = re.search(r"^  trainer:\n((?:    .*\n)+)", compose, re.MULTILINE).group(1)
    command = json.loads(re.search(r"^    command: (\[.*\])$", service, re.MULTILINE).group(1))
    assert command[:3] == ["python", "-m", "digit_app"]
    assert parser().parse_args(command[3:]).run is trainer
