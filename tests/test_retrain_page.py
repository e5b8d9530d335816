"""The Retrain page in AppTest: controls and preview, a short training run, using the result."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digit_app.database import CorrectionsTable, Database, JobsTable, VersionsTable, open_database
from digit_app.database import registry as versions
from digit_app.database.schema import SUGGESTED
from digit_app.database.trainers import TrainersTable
from digit_app.settings import ENV_DATABASE_URL
from digit_app.training import TrainConfig
from digit_app.training.config import TrainRequest
from tests.pages import open_page, unlock, versions_shown
from tests.paths import MNIST_SAMPLE
from tests.services import database_url, postgres_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.apptest

RETRAIN = "digit_app/ui/retrain.py"


@pytest.fixture(autouse=True)
def own_database(tmp_path, monkeypatch):
    """Every test's page keeps its training jobs in a database of its own (SQLite in the test's folder)."""
    url = f"sqlite:///{tmp_path / 'digit_app.sqlite'}"
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    return url


@pytest.fixture()
def page(models, monkeypatch) -> AppTest:
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    return open_page(RETRAIN)


def train_until_done(page: AppTest) -> list[str]:
    """Press Start training and rerun the page until the run has ended (at most 240 s); what it said."""
    next(b for b in page.button if b.label == "Start training").click().run()
    deadline = time.monotonic() + 240
    while not (page.success or page.error or page.info) and time.monotonic() < deadline:
        time.sleep(1)
        page.run()
    return [e.value for e in (*page.success, *page.error, *page.info)]


def keep_versions(*ids: str) -> None:
    """Versions made of the shipped model's file, in the configured database, as another machine's training adds."""
    from digit_app.store.metadata import TrainingSummary
    from digit_app.store.versions import SHIPPED_MODEL

    for version_id in ids:
        VersionsTable(open_database()).add(version_id, TrainingSummary(test_accuracy=0.99),
                                           {"keras": SHIPPED_MODEL.read_bytes()})


def version_box(page: AppTest):
    return next(box for box in page.selectbox if box.label == "Version")


def test_controls_and_preview(page):
    assert not page.exception
    labels = [s.label for s in page.slider]
    for name in ("Turn, degrees either way", "Wobble, %", "Stroke thickness, %",
                 "Also written the continental way, % of 1s, 5s, 7s"):
        assert name in labels
    assert all(s.help for s in page.slider)  # every setting says what it does
    assert page.selectbox(key="data-source").value.startswith(MNIST_SAMPLE.name)  # the operator's file, first
    assert not page.text_input  # no field where a visitor could type a path on the server
    assert len(page.get("image")) == 1  # the augmentation preview
    assert versions_shown(page)["version"].tolist() == [versions.SHIPPED]
    assert versions_shown(page)["epochs"].tolist() == ["—"]  # the shipped model's metadata names none: not "None"


def test_an_upload_is_checked_before_it_joins_the_list(page, tmp_path, monkeypatch):
    monkeypatch.setenv("DIGIT_APP_DATA_DIR", str(tmp_path / "data"))
    page.selectbox(key="data-source").set_value("Upload an .npz…").run()
    buffer = io.BytesIO()
    np.savez(buffer, x_train=np.zeros((4, 28, 28), np.uint8), y_train=np.arange(3))
    page.file_uploader(key="data-upload").upload("mine.npz", buffer.getvalue(), "application/octet-stream").run()
    assert not page.exception
    assert "The uploaded file lacks x_test, y_test" in page.error[0].value
    assert not list((tmp_path / "data").rglob("*.npz"))  # nothing kept
    page.file_uploader(key="data-upload").upload("mine.npz", MNIST_SAMPLE.read_bytes(),
                                                 "application/octet-stream").run()
    assert not page.exception and not page.error
    assert len(list((tmp_path / "data" / "uploads").glob("upload-*.npz"))) == 1


def test_a_locked_deployment_needs_the_operator_to_train_or_change_versions(models, monkeypatch):
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    page = open_page(RETRAIN, secrets={"operator_password": "correct horse"})
    assert not page.exception
    start = next(b for b in page.button if b.label == "Start training")
    assert start.disabled and all(b.disabled for b in page.button if b.label in ("Activate", "Delete"))
    assert "Upload an .npz…" not in page.selectbox(key="data-source").options
    assert any("Training needs the operator" in c.value for c in page.caption)
    unlock(page, "correct horse")
    assert not next(b for b in page.button if b.label == "Start training").disabled
    assert "Upload an .npz…" in page.selectbox(key="data-source").options


@pytest.mark.slow
def test_a_short_training_run_with_corrections_then_use_it(models, monkeypatch, mnist_sample):
    store = CorrectionsTable(open_database())
    for image, label in zip(mnist_sample["x_test"][:12], mnist_sample["y_test"][:12]):
        store.add(image, int(label))
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    page = open_page(RETRAIN)
    assert page.checkbox(key="include-corrections").value is True  # there are corrections: offered
    assert page.checkbox(key="learn-drawn").value is True  # real pen digits and a stroke model: on by default
    page.number_input[0].set_value(1).run()
    next(n for n in page.number_input if n.label == "Stroke model epochs").set_value(2).run()
    ended = train_until_done(page)
    assert page.success and "MNIST test accuracy" in page.success[0].value, ended or "still running after 240 s"
    assert versions.list_versions()[1].summary.training["stroke_epochs"] == 2  # the stroke model's own control
    assert page.metric[0].label == "MNIST test accuracy, new model"
    labels = [metric.label for metric in page.metric]
    assert "Your corrections, new model" in labels and "Your corrections, model in use" in labels
    assert "Drawings by 6 writers it never saw, new model" in labels
    next(b for b in page.button if b.label == "Use this model").click().run()
    # one epoch reads worse than the shipped model: the page says so and asks first
    assert versions.active_version_id() == versions.SHIPPED
    assert any("worse than the model in use" in warning.value for warning in page.warning)
    next(b for b in page.button if b.label == "Use it anyway").click().run()
    assert versions.active_version_id() != versions.SHIPPED
    table = versions_shown(page)
    assert table[table["in use"] == "yes"]["version"].item() == versions.active_version_id()
    assert table[table["in use"] == "yes"]["epochs"].item() == "1"
    # The report still compares with the model that was in use when the run started.
    shipped = versions.get_version(versions.SHIPPED).test_accuracy
    baseline = next(m for m in page.metric if m.label.startswith("MNIST test accuracy, previous model"))
    assert baseline.label == f"MNIST test accuracy, previous model ({versions.SHIPPED})"
    assert baseline.value == f"{shipped:.2%}"
    new = page.metric[0]  # its badge is the change from the shipped model, in points, not from itself
    assert new.delta.endswith(" points")
    assert abs(float(new.delta.split()[0]) - (float(new.value.rstrip("%")) - shipped * 100)) <= 0.011


@pytest.mark.slow
def test_without_the_pen_digits_the_run_learns_pixels_only(page):
    page.checkbox(key="learn-drawn").set_value(False).run()
    page.number_input[0].set_value(1).run()
    ended = train_until_done(page)
    assert page.success, ended or "still running after 240 s"
    labels = [metric.label for metric in page.metric]
    assert "MNIST test accuracy, new model" in labels
    assert not any(label.startswith("Drawings by") for label in labels)  # no stroke model, no drawings measured
    version = versions.list_versions()[1]
    assert version.summary.training["drawn"] is False


@pytest.mark.slow
def test_a_version_deleted_in_another_tab_is_never_confused_with_another(page, models):
    """Tab A shows version aaaa; another session deletes it; A's Delete must not hit the version now in its place."""
    keep_versions("v1-aaaa", "v2-bbbb")
    versions.activate("v2-bbbb")
    page.run()
    version_box(page).set_value("v1-aaaa").run()
    next(b for b in page.button if b.label == "Delete").click().run()
    assert "Delete version v1-aaaa?" in page.warning[0].value  # asks first, naming what goes
    confirm = next(b for b in page.button if b.label == "Delete v1-aaaa")
    versions.delete("v1-aaaa")  # another session, meanwhile
    confirm.click().run()
    assert not page.exception
    assert any("v1-aaaa is gone" in error.value for error in page.error)
    assert versions.active_version_id() == "v2-bbbb"  # the model in use is untouched
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED, "v2-bbbb"]
    assert versions_shown(page)["version"].tolist() == [versions.SHIPPED, "v2-bbbb"]
    # the model in use cannot be deleted from the page
    version_box(page).set_value("v2-bbbb").run()
    assert next(b for b in page.button if b.label == "Delete").disabled


def test_delete_asks_first_and_keep_it_deletes_nothing(page, models):
    keep_versions("v1-aaaa")
    page.run()
    version_box(page).set_value("v1-aaaa").run()
    next(b for b in page.button if b.label == "Delete").click().run()
    assert "Delete version v1-aaaa?" in page.warning[0].value
    next(b for b in page.button if b.label == "Keep it").click().run()
    assert not page.exception and not page.warning
    assert "v1-aaaa" in [v.id for v in versions.list_versions()]


def test_a_data_file_name_is_shown_as_text_never_as_markdown(page, tmp_path, monkeypatch):
    """A file named like Markdown (bold, a link) in the data folder: its name shows literally, and no folder does."""
    from digit_app.ui.text import literal

    folder = tmp_path / "server-only-folder"
    folder.mkdir()
    name = "**x**[y](http:evil) `z`.npz"
    np.savez(folder / name, images=np.zeros((2, 28, 28), np.uint8))  # no MNIST keys: the page names the file
    monkeypatch.setenv("DIGIT_APP_DATA_DIR", str(folder))
    page.run()
    label = next(option for option in page.selectbox(key="data-source").options if option.startswith(name))
    page.selectbox(key="data-source").set_value(label).run()
    assert not page.exception
    message = page.error[0].value
    assert message == literal(f"{name} lacks x_train, y_train, x_test, y_test: an MNIST .npz holds "
                              "x_train, y_train, x_test, y_test (it has images).")
    assert message.startswith("`` ") and "server-only-folder" not in message  # a code span: nothing in it is Markdown


def test_training_offers_the_accepted_corrections_only(page):
    store = CorrectionsTable(open_database())
    store.add(np.full((28, 28), 0.5, np.float32), 3)
    for label in (1, 2):
        store.add(np.full((28, 28), 0.5, np.float32), label, state=SUGGESTED)
    page.run()
    assert page.checkbox(key="include-corrections").label.startswith("Add the 1 accepted corrections")
    assert any("2 suggestions from visitors wait" in caption.value for caption in page.caption)


def test_retrain_page_opens():
    at = open_page(RETRAIN)
    assert not at.exception
    assert at.title[0].value == "Retrain"


@pytest.mark.slow
def test_a_run_under_way_is_at_the_top_for_who_arrives_and_under_start_for_who_started_it(page, models, monkeypatch):
    page.number_input[0].set_value(50).run()  # long enough to be running while the second page opens
    next(b for b in page.button if b.label == "Start training").click().run()
    try:
        assert page.subheader[0].value == "Data"  # who started it: the progress comes under Start
        arriving = open_page(RETRAIN)
        assert arriving.subheader[0].value == "Training now"  # the first thing a person arriving sees
        assert any(b.label == "Cancel training" for b in arriving.button)
    finally:
        next(b for b in page.button if b.label == "Cancel training").click().run()
        deadline = time.monotonic() + 120
        while not any("no model was kept" in info.value for info in page.info) and time.monotonic() < deadline:
            time.sleep(1)
            page.run()
    assert open_page(RETRAIN).subheader[0].value == "Data"  # nothing runs: the page as usual


def test_the_time_left_never_rises_within_a_stage_while_the_page_waits_for_progress():
    from dataclasses import replace

    from digit_app.jobs.progress import JobStatus, steady_time_left, time_left

    status = JobStatus(state="training", source="mnist", config=TrainConfig(epochs=2), started=0.0,
                       stage_started=100.0, epoch=1, batch=50, steps=100)
    shown: dict = {}
    first = steady_time_left(status, 150.0, shown)
    assert first == pytest.approx(150.0)
    assert time_left(status, 152.0) > first  # no new batch yet: the pace alone would say more time is left
    assert steady_time_left(status, 152.0, shown) == pytest.approx(first)  # held, not risen
    later = replace(status, batch=100)
    assert steady_time_left(later, 160.0, shown) == pytest.approx(time_left(later, 160.0))  # lower: shown
    strokes = replace(status, state="strokes", stage_started=300.0, epoch=1)
    assert steady_time_left(strokes, 400.0, shown) == pytest.approx(time_left(strokes, 400.0))  # a new stage: its own


def test_the_version_table_reads_the_database_and_activates_for_every_process(page, tmp_path):
    keep_versions("v1-aaaa")  # trained on another machine
    page.run()
    table = versions_shown(page)
    assert table["version"].tolist() == [versions.SHIPPED, "v1-aaaa"]
    assert table["MNIST test accuracy"].tolist()[1] == "99.00%" and table["in use"].tolist() == ["yes", ""]
    version_box(page).set_value("v1-aaaa").run()
    next(b for b in page.button if b.label == "Activate").click().run()
    assert not page.exception and "v1-aaaa is now the model in use." in page.success[0].value
    assert versions.active_version_id() == "v1-aaaa"
    # another replica, with a models folder of its own, answers with it
    assert versions.active_model(folder=tmp_path / "other-replica").version_id == "v1-aaaa"
    assert versions_shown(page)["in use"].tolist() == ["", "yes"]


def test_the_version_table_says_so_when_the_database_is_out_of_reach(page, monkeypatch):
    from digit_app.database import DatabaseUnavailableError

    def unreachable(*args, **kwargs):
        raise DatabaseUnavailableError("The shared database cannot be reached right now.")

    monkeypatch.setattr(versions, "list_versions", unreachable)
    page.run()
    assert not page.exception and versions_shown(page) is None
    assert [e.value for e in page.error] == ["The shared database cannot be reached right now. The list of model "
                                             "versions cannot be shown."]


@pytest.fixture()
def queue(database_url, monkeypatch, models):
    """The page on `database_url` (SQLite or PostgreSQL) and, as another replica or a trainer would, that database's
    queue through connections of its own."""
    monkeypatch.setenv(ENV_DATABASE_URL, database_url)
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    other = Database(database_url)
    yield JobsTable(other)
    other.dispose()


def a_request(epochs: int = 3) -> dict:
    return TrainRequest(str(MNIST_SAMPLE), TrainConfig(epochs=epochs)).to_json()


def test_with_a_trainer_alive_start_queues_the_job_and_the_page_shows_it_waiting_then_cancelled(queue):
    TrainersTable(queue.database).beat("gpu-box:7:ab")
    page = open_page(RETRAIN)
    next(b for b in page.button if b.label == "Start training").click().run()
    assert not page.exception and not page.error
    [job] = queue.list()
    assert job.state == "queued" and job.request["source"] == str(MNIST_SAMPLE)
    assert any("Waiting for its turn" in bar.proto.text for bar in page.get("progress"))
    assert next(b for b in page.button if b.label == "Start training").disabled
    next(b for b in page.button if b.label == "Cancel training").click().run()
    assert queue.get(job.id).state == "cancelled"
    page.run()
    assert any("no model was kept" in info.value for info in page.info)
    assert not next(b for b in page.button if b.label == "Start training").disabled


def test_a_job_run_elsewhere_shows_its_progress_here_and_cancel_here_reaches_it(queue):
    job_id = queue.submit(a_request())
    running = queue.claim()  # a trainer on another machine
    running.report({"state": "training", "stage_started": 0.0, "epoch": 2, "batch": 5, "steps": 10,
                    "history": [{"epoch": 1, "accuracy": 0.5, "loss": 1.0}]}, force=True)
    page = open_page(RETRAIN)
    assert not page.exception
    assert page.subheader[0].value == "Training now"  # who arrives sees the run first
    assert any(bar.proto.text.startswith("Epoch 2 of 3") for bar in page.get("progress"))
    next(b for b in page.button if b.label == "Cancel training").click().run()
    assert queue.get(job_id).cancel_requested
    assert any("Cancel asked" in info.value for info in page.info)
    assert running.report({"state": "training", "epoch": 2, "batch": 6, "steps": 10}, force=True) is True
    running.cancelled()
    page.run()
    assert page.subheader[0].value == "Data" and any("no model was kept" in i.value for i in page.info)


def test_a_failed_job_says_why_and_a_done_one_shows_its_report(queue):
    job_id = queue.submit(a_request())
    queue.claim().fail("The batch size 1024 is larger than the 300 training images; choose 300 or fewer.")
    page = open_page(RETRAIN)
    assert not page.exception
    assert page.error[0].value.startswith("Training failed: ") and "larger than the 300" in page.error[0].value
    assert queue.get(job_id).state == "failed"
    queue.submit(a_request())
    matrix = [[30 if t == p else 0 for p in range(10)] for t in range(10)]
    queue.claim().finish({"phase": "done", "version_id": "v2-abcd", "gallery": [],
                          "summary": {"test_accuracy": 0.97, "confusion_matrix": matrix}},
                         "MNIST test accuracy 97.00%; saved as v2-abcd.")
    page.run()
    assert not page.exception and not page.error
    assert page.success[0].value == "MNIST test accuracy 97.00%; saved as v2-abcd."
    assert page.metric[0].label == "MNIST test accuracy, new model" and page.metric[0].value == "97.00%"


def test_a_database_that_cannot_be_reached_is_said_plainly_and_the_page_still_works(models, monkeypatch):
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://digits@127.0.0.1:1/digits")  # nothing listens there
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    page = open_page(RETRAIN)
    assert not page.exception
    assert any("cannot be reached right now" in error.value for error in page.error)
    next(b for b in page.button if b.label == "Start training").click().run()
    assert not page.exception and any("cannot be reached" in error.value for error in page.error)
    assert page.selectbox(key="data-source")  # the rest of the page is there; the versions live in the database:
    assert any("The list of model versions cannot be shown." in error.value for error in page.error)


def test_a_job_left_waiting_with_no_trainer_alive_is_taken_by_this_server_s_worker(queue):
    import sqlalchemy as sa

    from digit_app.database.schema import jobs

    job_id = queue.submit({**a_request(), "save_as": "/etc/passwd"})  # queued when a trainer was alive; it died
    with queue.database.write() as db:
        db.execute(jobs.update().where(jobs.c.id == job_id).values(created=time.time() - 60))
    page = open_page(RETRAIN)
    assert not page.exception
    failed = wait_until_ended(queue, job_id)
    assert failed.state == "failed" and "may not name a file" in failed.message  # the worker claimed it, checked it
    page.run()
    assert page.error and "may not name a file" in page.error[0].value


def wait_until_ended(queue: JobsTable, job_id: int, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while (job := queue.get(job_id)).state in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job_id} is still {job.state}"
        time.sleep(0.2)
    return job


def test_the_stroke_model_epochs_follow_epochs_until_chosen_and_the_run_says_its_whole_length(queue):
    TrainersTable(queue.database).beat("gpu-box:7:ab")  # a trainer takes the job: nothing trains here
    page = open_page(RETRAIN)
    epochs = next(n for n in page.number_input if n.label == "Epochs")
    strokes = next(n for n in page.number_input if n.label == "Stroke model epochs")
    assert (epochs.value, strokes.value) == (20, 30)
    epochs.set_value(200).run()
    assert next(n for n in page.number_input if n.label == "Stroke model epochs").value == 200  # within its range
    next(n for n in page.number_input if n.label == "Epochs").set_value(2).run()
    assert next(n for n in page.number_input if n.label == "Stroke model epochs").value == 3  # a short run stays short
    next(n for n in page.number_input if n.label == "Stroke model epochs").set_value(7).run()
    next(n for n in page.number_input if n.label == "Epochs").set_value(4).run()
    assert next(n for n in page.number_input if n.label == "Stroke model epochs").value == 7  # chosen: kept
    next(b for b in page.button if b.label == "Start training").click().run()
    [job] = queue.list()
    assert (job.request["config"]["epochs"], job.request["config"]["stroke_epochs"]) == (4, 7)
    running = queue.claim()
    running.report({"state": "training", "stage_started": time.time() - 10, "epoch": 2, "batch": 5, "steps": 10},
                   force=True)
    page.run()
    [bar] = page.get("progress")
    assert bar.proto.text.startswith("Epoch 2 of 4, pixel CNN · about ")
    assert bar.proto.text.endswith("; then the stroke model's 7 epochs")  # the whole length, said before it comes
    running.report({"state": "strokes", "stage_started": time.time() - 4, "epoch": 2}, force=True)
    page.run()
    assert page.get("progress")[0].proto.text.startswith("Stroke model: epoch 2 of 7 · about ")
    running.cancelled()
