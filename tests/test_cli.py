"""The command line (python -m digit_app): predict, train, calibrate, combine, segments, pen-digits, status, trainer;
clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digit_app.strokes.pen_digits import load_pen_digits
from tests.paths import PEN_SAMPLE, UNIPEN_SAMPLE
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures
from tests.strokes import draw_digit

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The command line in a process of its own, with a timeout: one that blocks (a bug) fails instead of hanging."""
    return subprocess.run([sys.executable, "-m", "digit_app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def enough_digits(folder: Path) -> Path:
    """The MNIST sample with its 300 test digits added to its 300 training digits: enough to fit a temperature on."""
    from tests.paths import MNIST_SAMPLE

    with np.load(MNIST_SAMPLE) as sample:
        data = dict(sample)
    path = folder / "six_hundred.npz"
    np.savez(path, x_train=np.concatenate([data["x_train"], data["x_test"]]),
             y_train=np.concatenate([data["y_train"], data["y_test"]]), x_test=data["x_test"], y_test=data["y_test"])
    return path


def test_predict_reads_each_image(tmp_path):
    seven, one = tmp_path / "seven.png", tmp_path / "one.jpg"
    Image.fromarray(draw_digit(7, 40, 40, 180, brush=20)).save(seven)
    Image.fromarray(255 - draw_digit(1, 80, 30, 200, brush=12)[..., :3]).save(one)  # dark ink on white
    result = run("predict", str(seven), str(one))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{seven}: 7 (") and lines[1].startswith(f"{one}: 1 (")


def test_predict_json(tmp_path):
    path = tmp_path / "two.png"
    Image.fromarray(draw_digit(2, 40, 40, 180, brush=20)).save(path)
    result = run("predict", "--json", str(path))
    record = json.loads(result.stdout)
    assert record["digit"] == 2 and len(record["probabilities"]) == 10
    assert abs(sum(record["probabilities"]) - 1) < 0.01


@pytest.mark.slow  # about 5 s: two processes read a photo each
def test_predict_photo_reads_each_line_as_the_photo_page_does(tmp_path):
    from tests.photo_scenes import close_up

    photo, blank = tmp_path / "two_lines.png", tmp_path / "blank.png"
    Image.fromarray(close_up([[2, 0, 4], [7, 1]])).save(photo)
    Image.fromarray(close_up([])).save(blank)
    result = run("predict", "--photo", str(photo), str(blank))
    assert result.returncode == 1  # the blank photo is a failure of its own, on its own line
    said = result.stdout.strip()
    assert said.removesuffix(" (not sure)") == f"{photo}: 204 71"
    assert result.stderr.strip() == f"{blank}: error: No digits found in this photo."
    record = json.loads(run("predict", "--photo", "--json", str(photo)).stdout)
    assert record["numbers"] == ["204", "71"] and [line["number"] for line in record["lines"]] == ["204", "71"]
    assert 0 <= record["confidence"] <= min(line["confidence"] for line in record["lines"]) <= 1
    assert record["sure"] == all(line["sure"] for line in record["lines"]) == (not said.endswith("(not sure)"))
    first = record["lines"][0]["digits"]
    assert [digit["digit"] for digit in first] == [2, 0, 4]
    assert all(len(digit["probabilities"]) == 10 and abs(sum(digit["probabilities"]) - 1) < 0.01 for digit in first)
    lefts = [digit["box"][0] for digit in first]
    assert lefts == sorted(lefts) and all(digit["box"][0] < digit["box"][2] for digit in first)  # left to right


def test_bad_and_missing_files_give_one_line_errors(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("this is not an image")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (50, 50), "white").save(blank)
    result = run("predict", str(bad), str(tmp_path / "missing.png"), str(blank))
    assert result.returncode != 0
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "bad.png: error" in errors[0] and "missing.png: error" in errors[1] and "Nothing is drawn" in errors[2]


def test_missing_model_is_a_one_line_error(tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(draw_digit(7, 40, 40, 180, brush=20)).save(path)
    result = run("predict", "--model", str(tmp_path / "none.keras"), str(path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: No model file at") and "Traceback" not in result.stderr


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
def test_calibrate_keeps_the_fitted_temperature_beside_the_model(tmp_path):
    import shutil

    from digit_app.model import load_classifier
    from digit_app.store.versions import SHIPPED_MODEL

    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, tmp_path / part.name)
    copy = tmp_path / SHIPPED_MODEL.name
    (tmp_path / "digit_cnn.json").write_text('{"test_accuracy": 0.99}')  # no temperature yet
    result = run("calibrate", "--data", str(enough_digits(tmp_path)), "--model", str(copy))
    assert result.returncode == 0, result.stderr
    assert "(was 1.0)" in result.stdout and "fitted on 600 training digits" in result.stdout
    calibrated = load_classifier(copy)
    assert 0.2 < calibrated.temperature < 0.8 and calibrated.summary.test_accuracy == 0.99


@pytest.mark.slow
def test_calibrate_on_too_few_digits_is_refused_and_writes_nothing(tmp_path):
    import shutil

    from digit_app.store.versions import SHIPPED_MODEL
    from tests.paths import MNIST_SAMPLE

    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, tmp_path / part.name)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    result = run("calibrate", "--data", str(MNIST_SAMPLE), "--model", str(tmp_path / SHIPPED_MODEL.name))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("error: Fitting a temperature needs at least 500 training digits, and the data "
                                     "has 300; nothing was changed.")
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


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
def test_absurd_training_settings_are_refused_in_one_line(tmp_path):
    from tests.paths import MNIST_SAMPLE

    for flags, message, code in ((["--rotation", "720"], "rotation", 2), (["--epochs", "0"], "epochs", 2),
                                 (["--batch-size", "1000"], "is larger than the", 1)):
        result = run("train", "--data", str(MNIST_SAMPLE), "--output", str(tmp_path), *flags)
        assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("command", "flags", "message"), [
    ("segments", ["--epochs", "0"], "argument --epochs: a whole number from 1 to 200 is wanted, not '0'"),
    ("segments", ["--numbers", "0"], "argument --numbers: a whole number from 20 to 20000 is wanted, not '0'"),
    ("segments", ["--numbers", "1e8"], "argument --numbers: a whole number from 20 to 20000 is wanted, not '1e8'"),
    ("segments", ["--numbers", "100000000"], "a whole number from 20 to 20000 is wanted, not '100000000'"),
    ("segments", ["--seed", "-3"], "argument --seed: a whole number from 0 to 4294967295 is wanted"),
    ("train", ["--epochs", "100000"], "argument --epochs: epochs must be between 1 and 500, got 100000"),
    ("train", ["--batch-size", "0"], "argument --batch-size: batch size must be between 1 and 4096, got 0"),
    ("train", ["--learning-rate", "nan"], "argument --learning-rate: a number is wanted, not 'nan'"),
    ("train", ["--learning-rate", "5"], "learning rate must be above 0 and at most 1, got 5.0"),
    ("train", ["--width", "1.5"], "argument --width: a whole number is wanted, not '1.5'"),
    ("train", ["--stroke-epochs", "-1"], "stroke epochs must be between 1 and 500, got -1"),
    ("train", ["--rotation", "inf"], "argument --rotation: a number is wanted, not 'inf'"),
    ("train", ["--noise", "-0.5"], "augmentation noise must be between 0 and 1.0, got -0.5"),
    ("train", ["--corrections-repeat", "5000"], "a whole number from 0 to 1000 is wanted, not '5000'"),
    ("train", ["--seed", "1e3"], "argument --seed: a whole number from 0 to 4294967295 is wanted, not '1e3'"),
])
def test_every_argument_out_of_range_is_one_sentence_and_exit_code_2(tmp_path, command, flags, message):
    result = run(command, *flags, "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line
    assert list(tmp_path.iterdir()) == []  # refused before any work


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
@pytest.mark.parametrize("kind", ["fifo", "folder", "link to /dev/full"])
def test_segments_never_replaces_a_fifo_a_folder_or_a_device(tmp_path, kind):
    target = tmp_path / "segments.tflite"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target.symlink_to("/dev/full")
    result = run("segments", "--numbers", "20", "--epochs", "1", "--output", str(target))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("not a plain file: it was not replaced.")
    assert [p.name for p in tmp_path.iterdir()] == ["segments.tflite"] and not target.is_file()
    assert os.stat("/dev/full").st_rdev == os.makedev(1, 7)  # the device itself untouched


@pytest.mark.slow
def test_train_with_corrections_when_none_are_accepted_says_so(tmp_path, app_database):
    from digit_app.database import CorrectionsTable, open_database
    from tests.paths import MNIST_SAMPLE

    CorrectionsTable(open_database()).add(np.zeros((28, 28), np.uint8), 3, state="suggested")  # not training's yet
    result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--corrections-repeat", "5",
                 "--output", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == "error: There are no accepted corrections in the SQLite file app.sqlite to add."


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
@pytest.mark.parametrize(("target", "message"), [("{tmp}/nowhere/model.keras", "There is no folder"),
                                                 ("{tmp}/model.h5", "ends in .keras")])
def test_a_bad_save_as_is_refused_before_training(tmp_path, target, message):
    from tests.paths import MNIST_SAMPLE

    result = run("train", "--data", str(MNIST_SAMPLE), "--epochs", "1", "--save-as", target.format(tmp=tmp_path))
    assert result.returncode == 1 and message in result.stderr
    assert "training on" not in result.stderr  # refused before any work
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_segments_trains_a_judge_that_loads_and_refuses_a_missing_folder(tmp_path):
    from digit_app.strokes.segments import SegmentJudge, number_runs

    target = tmp_path / "segments.tflite"
    result = run("segments", "--numbers", "60", "--epochs", "1", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    judge = SegmentJudge(target.read_bytes())
    one, other = np.array([[0, 0], [0, 50]], np.float32), np.array([[40, 0], [40, 50]], np.float32)
    runs, _ = number_runs([[one], [other]])
    scores = judge([one, other], runs)
    assert scores.shape == (len(runs),) and ((scores >= 0) & (scores <= 1)).all()
    missing = run("segments", "--output", str(tmp_path / "nowhere" / "segments.tflite"))
    assert missing.returncode != 0 and "There is no folder" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_the_command_line_packs_a_unipen_file(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "pen.npz"
    result = subprocess.run([sys.executable, "-m", "digit_app", "pen-digits", str(UNIPEN_SAMPLE),
                             "--output", str(target)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "6 digits by 6 writers" in result.stdout
    assert load_pen_digits(target).labels.tolist() == [8, 2, 4, 0, 1, 4]
    bad = tmp_path / "bad.tra"
    bad.write_text(".PEN_DOWN\n")
    refused = subprocess.run([sys.executable, "-m", "digit_app", "pen-digits", str(bad), "--output", str(target)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "line 1" in refused.stderr and "Traceback" not in refused.stderr


def pen_digits_command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m digit_app` in a process of its own, with a timeout: a blocking read fails instead of hanging."""
    return subprocess.run([sys.executable, "-m", "digit_app", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_a_unipen_source_that_is_a_device_or_a_fifo_is_refused_unopened(tmp_path, source):
    if source == "fifo":
        source = str(tmp_path / "pendigits.tra")
        os.mkfifo(source)
    target = tmp_path / "pen.npz"
    result = pen_digits_command("pen-digits", source, "--output", str(target))
    assert result.returncode == 1 and "not a plain file: it was not opened" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_pen_digits_are_never_written_over_a_fifo(tmp_path):
    target = tmp_path / "pen.npz"
    os.mkfifo(target)
    result = pen_digits_command("pen-digits", str(UNIPEN_SAMPLE), "--output", str(target))
    assert result.returncode == 1 and "FIFO (named pipe), not a plain file" in result.stderr
    assert stat_is_fifo(target) and os.listdir(tmp_path) == ["pen.npz"]


def stat_is_fifo(path) -> bool:
    import stat

    return stat.S_ISFIFO(os.stat(path).st_mode)


@pytest.mark.slow
@pytest.mark.parametrize(("damage", "reason"), [("truncated", "File is not a zip file"),
                                              ("fifo", "is a FIFO (named pipe), not a plain file")])
def test_a_truncated_or_fifo_pen_digits_file_is_one_sentence_from_the_command_line(tmp_path, damage, reason):
    pen = tmp_path / "pen.npz"
    if damage == "fifo":
        os.mkfifo(pen)  # opening it would wait for a writer forever
    else:
        pen.write_bytes(PEN_SAMPLE.read_bytes()[:4000])
    result = pen_digits_command("segments", "--numbers", "60", "--epochs", "1", "--output",
                                str(tmp_path / "segments.tflite"), env={"DIGIT_APP_PEN_DIGITS": str(pen)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: Could not read the pen digits in {pen} (") and reason in line
    assert line.endswith("restore the file from the repository, or train without drawn digits.")
    assert sorted(os.listdir(tmp_path)) == ["pen.npz"]


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


def test_the_compose_file_s_trainer_runs_the_command_line_s_trainer():
    import re

    from digit_app.__main__ import parser
    from digit_app.cli.database import trainer

    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    service = re.search(r"^  trainer:\n((?:    .*\n)+)", compose, re.MULTILINE).group(1)
    command = json.loads(re.search(r"^    command: (\[.*\])$", service, re.MULTILINE).group(1))
    assert command[:3] == ["python", "-m", "digit_app"]
    assert parser().parse_args(command[3:]).run is trainer


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


@pytest.mark.parametrize("flags, stroke_epochs",
                         [(["--epochs", "2"], 3), (["--epochs", "2", "--stroke-epochs", "9"], 9), ([], 30)],
                         ids=["follow", "chosen", "default"])
def test_train_s_stroke_epochs_follow_epochs_unless_chosen_as_on_the_retrain_page(flags, stroke_epochs):
    from digit_app.__main__ import parser
    from digit_app.cli.training import train_request

    request = train_request(parser().parse_args(["train", *flags]))
    assert request.config.stroke_epochs == stroke_epochs
