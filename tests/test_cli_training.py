"""`train` and `combine` (digit_app/cli/training.py): a new version kept, here or through the queue; settings and
destinations refused before any work."""

from __future__ import annotations

import numpy as np
import pytest

from tests.command_line import run
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures


@pytest.mark.slow
def test_train_keeps_a_version_and_evaluate_reads_it(tmp_path):
    from tests.paths import MNIST_SAMPLE

    result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--batch-size", "32", "--redraw", "0.1",
                 "--output", str(tmp_path), "--activate")
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("test accuracy ") and "now active" in summary
    assert "held-out writers' drawings: pixels" in summary  # learnt from the pen digits, by default
    assert "epoch 1/1" in result.stderr  # the terminal progress bar
    from digit_app.database import registry

    version_id = registry.active_version_id()  # kept in the database and made the one in use
    assert version_id != registry.SHIPPED and f"saved version {version_id}" in result.stdout
    model = registry.model_file(version_id, folder=tmp_path)  # this machine's copy, in the models folder
    assert model.is_file() and model.is_relative_to(tmp_path)
    evaluated = run("evaluate", "--data", str(MNIST_SAMPLE), "--model", str(model))
    assert evaluated.returncode == 0 and "test accuracy" in evaluated.stdout
    from digit_app.calibration import MAX_TEMPERATURE, MIN_TEMPERATURE
    from digit_app.model import load_classifier

    assert MIN_TEMPERATURE <= load_classifier(model).summary.temperature <= MAX_TEMPERATURE  # fitted after training


@pytest.mark.slow
def test_train_no_drawn_learns_mnist_pixels_only(tmp_path):
    from digit_app.model import load_classifier
    from tests.paths import MNIST_SAMPLE

    result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--no-drawn", "--save-as",
                 str(tmp_path / "pixels.keras"))
    assert result.returncode == 0, result.stderr
    assert "held-out writers" not in result.stdout and "stroke model" not in result.stderr
    classifier = load_classifier(tmp_path / "pixels.keras")
    assert not classifier.reads_strokes and classifier.summary.training["drawn"] is False


@pytest.mark.slow
def test_combine_readers_averages_pixels_and_strokes_into_one_reader(tmp_path):
    import numpy as np

    from digit_app.model import load_classifier
    from digit_app.networks import build_model, build_reader
    from digit_app.store.metadata import TrainingSummary
    from digit_app.store.model_files import save_model
    from digit_app.strokes.network import build_stroke_model
    from tests.paths import MNIST_SAMPLE

    readers = [load_classifier(save_model(build_reader(build_model(), build_stroke_model()),
                                          tmp_path / f"r{i}.keras", TrainingSummary()))
               for i in (1, 2)]
    result = run("combine", *(str(r.path) for r in readers), "--data", str(MNIST_SAMPLE),
                 "--save-as", str(tmp_path / "both.keras"))
    assert result.returncode == 0, result.stderr
    assert "held-out writers: pixels" in result.stdout
    both = load_classifier(tmp_path / "both.keras")
    assert both.reads_strokes and set(both.summary.held_out_writers) == {"pixels", "strokes", "drawing"}
    features = np.random.default_rng(0).normal(size=(3, 64, 5)).astype(np.float32)
    expected = (readers[0].predict_strokes(features) + readers[1].predict_strokes(features)) / 2
    np.testing.assert_allclose(both.predict_strokes(features, calibrated=False), expected, atol=1e-5)  # the networks


@pytest.mark.slow
def test_combine_averages_models_into_one_that_loads(tmp_path):
    from digit_app.model import load_classifier
    from digit_app.networks import build_model
    from digit_app.store.metadata import TrainingSummary
    from digit_app.store.model_files import save_model
    from tests.paths import MNIST_SAMPLE

    members = [save_model(build_model(), tmp_path / f"member{i}.keras",
                          TrainingSummary(test_accuracy=0.1 * i, temperature=4.9))
               for i in (1, 2)]
    result = run("combine", *map(str, members), "--data", str(MNIST_SAMPLE), "--save-as", str(tmp_path / "both.keras"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("test accuracy ") and "members alone: " in result.stdout
    combined = load_classifier(tmp_path / "both.keras")
    assert [m["file"] for m in combined.summary.training["average_of"]] == ["member1.keras", "member2.keras"]
    assert combined.summary.temperature != 4.9  # fitted for the average, not taken from a member

    assert not combined.reads_strokes

    lonely = run("combine", str(members[0]), "--data", str(MNIST_SAMPLE), "--save-as", str(tmp_path / "one.keras"))
    assert lonely.returncode == 1 and lonely.stderr.strip() == "error: Averaging needs at least two models, got 1."


@pytest.mark.slow
def test_absurd_training_settings_are_refused_in_one_line(tmp_path):
    from tests.paths import MNIST_SAMPLE

    for flags, message, code in ((["--rotation", "720"], "rotation", 2), (["--epochs", "0"], "epochs", 2),
                                 (["--batch-size", "1000"], "is larger than the", 1)):
        result = run("train", "--data", str(MNIST_SAMPLE), "--output", str(tmp_path), *flags)
        assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr


def test_train_refuses_while_another_training_holds_the_database_s_training_lock(tmp_path):
    from digit_app.database import Database
    from digit_app.database.jobs import TRAINING_LOCK
    from digit_app.database.locks import HeldLock
    from tests.paths import MNIST_SAMPLE

    url = f"sqlite:///{tmp_path / 'digit_app.sqlite'}"
    opened = Database(url)
    lock = HeldLock(opened, TRAINING_LOCK)  # as a trainer, a server's worker or another `train` holds it
    try:
        assert lock.take()
        result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--output", str(tmp_path / "models"),
                     env={"DIGIT_APP_DATABASE_URL": url})
    finally:
        lock.release()
        opened.dispose()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("error: A model is being trained with the SQLite file digit_app.sqlite (by a "
                                     "trainer, the app's server or another `train`); wait for it to finish.")
    assert not list(tmp_path.rglob("*.keras"))  # no version kept


@pytest.mark.slow
def test_train_refuses_a_read_only_models_folder_before_training(tmp_path):
    from tests.paths import MNIST_SAMPLE
    from tests.test_versions import read_only

    folder = tmp_path / "models"  # not the folder of the test's database file, which stays writable
    folder.mkdir()
    with read_only(folder):
        result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--output", str(folder))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "training on" not in result.stderr  # refused before any work
    assert result.stderr.strip().startswith(f"error: Could not write in the models folder {folder}: ")
    assert list(folder.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize(("target", "message"), [("{tmp}/nowhere/model.keras", "There is no folder"),
                                                 ("{tmp}/model.h5", "ends in .keras")])
def test_a_bad_save_as_is_refused_before_training(tmp_path, target, message):
    from tests.paths import MNIST_SAMPLE

    result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--save-as", target.format(tmp=tmp_path))
    assert result.returncode == 1 and message in result.stderr
    assert "training on" not in result.stderr  # refused before any work
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_train_with_corrections_when_none_are_accepted_says_so(tmp_path, app_database):
    from digit_app.database import CorrectionsTable, open_database
    from tests.paths import MNIST_SAMPLE

    CorrectionsTable(open_database()).add(np.zeros((28, 28), np.uint8), 3, state="suggested")  # not training's yet
    result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--corrections-repeat", "5",
                 "--output", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == "error: There are no accepted corrections in the SQLite file app.sqlite to add."


def test_train_queue_submits_the_job_to_the_database_and_trains_nothing_here(tmp_path, database, database_url):
    from digit_app.database import JobsTable
    from tests.paths import MNIST_SAMPLE

    env = {"DIGIT_APP_DATABASE_URL": database_url, "DIGIT_APP_MODELS": str(tmp_path / "models")}
    result = run("train", "--queue", "--data", str(MNIST_SAMPLE), "--epochs", "3", "--rotation", "5", "--activate",
                 env=env)
    assert result.returncode == 0, result.stderr
    (job,) = JobsTable(database).list()
    assert result.stdout.strip().startswith(f"queued as training job {job.id};")
    assert job.state == "queued" and job.request["source"] == str(MNIST_SAMPLE) and job.request["activate"] is True
    assert job.request["config"]["epochs"] == 3 and job.request["config"]["augment"]["rotation"] == 5
    assert job.request["models_dir"] is None and job.request["save_as"] is None
    assert not (tmp_path / "models").exists()  # nothing trained or kept here
    refused = run("train", "--queue", "--output", str(tmp_path), env=env)
    assert refused.returncode == 1 and "drop --output and --save-as" in refused.stderr
    assert len(JobsTable(database).list()) == 1


@pytest.mark.parametrize("flags, stroke_epochs",
                         [(["--epochs", "2"], 3), (["--epochs", "2", "--stroke-epochs", "9"], 9), ([], 30)],
                         ids=["follow", "chosen", "default"])
def test_train_s_stroke_epochs_follow_epochs_unless_chosen_as_on_the_retrain_page(flags, stroke_epochs):
    from digit_app.__main__ import parser
    from digit_app.cli.training import train_request

    request = train_request(parser().parse_args(["train", *flags]))
    assert request.config.stroke_epochs == stroke_epochs
