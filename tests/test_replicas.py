"""Two replicas for real: deploy/compose.yaml's shape on loopback (one throwaway PostgreSQL, two `streamlit run`
with their own models and data folders, deploy/nginx.conf in front). A correction saved through one replica is
listed by the other, "Activate" on one reaches the other's next answer, a replica killed leaves the other serving
with nothing lost, and PostgreSQL restarting is a sentence on the page, then work as before.

One deployment for the whole file (a module fixture): the scenarios run in order, the last ones kill things."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import Iterator

import pytest

from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, chromium, mouse_draw
from tests.paths import SMALL_PEN_DIGITS
from tests.protocol import Recording, Reply, drawing_reply, record_drawing
from tests.services import REPLICA_COOKIE, TRAINER_COMMAND, Replicas, replicas_behind_nginx
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser  # the file starts servers and Chromium; its compose check alone starts nothing

UNREACHABLE = "cannot be reached"  # what the pages say while PostgreSQL is down (DatabaseUnavailableError)


def test_compose_gives_its_services_what_the_test_gives_its_processes():
    """deploy/compose.yaml's replicas and trainer get the settings the deployment here sets (each its own models
    and data folders, the one database URL), every DIGIT_APP_* name it uses is one the app reads, and its trainer
    runs the command the test's trainer runs."""
    from digit_app import settings

    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    app = re.search(r"^x-app: &app\n((?:  .*\n|\s*\n)+)", compose, re.MULTILINE).group(1)
    given = set(re.findall(r"^    (DIGIT_APP_\w+):", app, re.MULTILINE))
    known = {value for name, value in vars(settings).items() if name.startswith("ENV_")}
    assert {"DIGIT_APP_DATABASE_URL", "DIGIT_APP_MODELS", "DIGIT_APP_DATA_DIR"} <= given <= known
    assert "DIGIT_APP_DATABASE_URL: postgresql://" in app
    trainer = re.search(r"^  trainer:\n((?:    .*\n|\s*\n)+)", compose, re.MULTILINE).group(1)
    assert "command: [" + ", ".join(f'"{part}"' for part in TRAINER_COMMAND) + "]" in trainer
    assert "<<: *app" in trainer


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Replicas]:
    with replicas_behind_nginx(tmp_path_factory.mktemp("replicas"), env=SMALL_PEN_DIGITS) as running:
        yield running


@pytest.fixture(scope="module")
def recording(deployment) -> Recording:
    """A 4 drawn in Chromium on replica A (two strokes): the messages its browser sent, replayed on either."""
    return asyncio.run(record_drawing(deployment.a.url, DIGITS[4], "4"))


@pytest.fixture(scope="module")
def cookies(deployment) -> dict[str, str]:
    """A replica cookie nginx sends to A, and one it sends to B."""
    proxy = deployment.proxy
    return {"a": proxy.cookie_for(deployment.port(deployment.a)), "b": proxy.cookie_for(deployment.port(deployment.b))}


def through_nginx(deployment: Replicas, recording: Recording, cookie: str | None) -> Reply:
    """The recorded 4 drawn by a new protocol session through nginx (with this replica cookie, if any)."""
    headers = {"Cookie": f"{REPLICA_COOKIE}={cookie}"} if cookie else None
    return asyncio.run(asyncio.wait_for(drawing_reply(deployment.proxy.url, recording, headers), 120))


def pinned(browser, deployment: Replicas, cookie: str, path: str = ""):
    """A page of its own opened through nginx with a replica cookie: every request of it goes to that replica."""
    context = browser.new_context(viewport={"width": 1100, "height": 1100})
    context.add_cookies([{"name": REPLICA_COOKIE, "value": cookie, "url": deployment.proxy.url}])
    page = context.new_page()
    page.goto(f"{deployment.proxy.url}/{path}")
    return page


@contextlib.contextmanager
def pinned_page(deployment: Replicas, cookie: str, path: str = "") -> Iterator:
    """One pinned page in a Chromium of its own."""
    with chromium() as browser:
        yield pinned(browser, deployment, cookie, path)


def choose_version(page, version: str) -> None:
    """Pick a version in the Retrain page's table; the list is opened again if a rerun of the page closed it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name="Version")
    box.wait_for(timeout=ANSWER_TIMEOUT_MS)  # the page loads TensorFlow first
    for _ in range(5):
        box.click()
        try:
            page.get_by_role("option", name=version, exact=True).click(timeout=5_000)
            expect(box).to_have_value(version, timeout=5_000)
            return
        except (PlaywrightTimeoutError, AssertionError):
            page.keyboard.press("Escape")
    raise AssertionError(f"{version} could not be chosen")


def went_to(deployment: Replicas, replica, request: str) -> bool:
    """Whether nginx sent a request starting `request` (e.g. "GET /_stcore/stream") to `replica`."""
    return any(line.startswith(f"127.0.0.1:{deployment.port(replica)} ") and f'"{request}' in line
               for line in deployment.proxy.log().splitlines())


def database(deployment: Replicas):
    from digit_app.database import Database

    return Database(deployment.database_url)


@pytest.mark.slow
def test_a_correction_saved_through_replica_a_is_listed_by_replica_b(deployment, cookies):
    from playwright.sync_api import expect

    with pinned_page(deployment, cookies["a"]) as page:
        mouse_draw(page, DIGITS[7])
        answer = answer_of(page)
        expect(answer).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
        shown = int(answer.inner_text().strip())
        right = 7 if shown != 7 else 1
        page.get_by_test_id("stButtonGroup").get_by_text(str(right), exact=True).click()
        page.get_by_role("button", name="Save the correction").click()
        expect(page.get_by_text(f"Saved as a {right}", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert went_to(deployment, deployment.a, "GET /_stcore/stream")
    assert not went_to(deployment, deployment.b, "GET /_stcore/stream")  # the cookie kept the session on A

    with pinned_page(deployment, cookies["b"], "corrections") as page:
        expect(page.get_by_text(f"{right}, read as {shown}")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert went_to(deployment, deployment.b, "GET /_stcore/stream")


@pytest.mark.slow
def test_activate_on_replica_a_answers_replica_b_s_next_drawing(deployment, cookies, recording, tmp_path):
    from playwright.sync_api import expect

    before = through_nginx(deployment, recording, cookies["b"])
    assert before.answer == "4" and not before.errors
    version = deployment.add_version_reading(7, tmp_path)
    with pinned_page(deployment, cookies["a"], "retrain") as page:
        choose_version(page, version)
        page.get_by_role("button", name="Activate").click()
        expect(page.get_by_role("button", name="Activate")).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)  # in use now
    after = through_nginx(deployment, recording, cookies["b"])
    assert after.answer == "7", after
    assert any(text.startswith(f"Model: {version}") for text in after.texts), after.texts
    assert not after.errors
    assert through_nginx(deployment, recording, cookies["a"]).answer == "7"  # and A's, of course


def until(check, seconds: float = 90.0, every: float = 0.5):
    """`check()` once it is true (polled every `every` s), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {check.__doc__ or check}"
        time.sleep(every)
    return found


def newest_job(deployment: Replicas):
    """The newest training job in the shared database, read by a connection of the test's own."""
    from digit_app.database import JobsTable

    opened = database(deployment)
    try:
        return next(iter(JobsTable(opened).list(1)), None)
    finally:
        opened.dispose()


def trainer_alive(deployment: Replicas) -> list[str]:
    from digit_app.database.trainers import TrainersTable

    opened = database(deployment)
    try:
        return TrainersTable(opened).alive()
    finally:
        opened.dispose()


def start_on(page, epochs: int) -> None:
    """Start a training of `epochs` epochs from a Retrain page."""
    from playwright.sync_api import expect

    field = page.get_by_label("Epochs", exact=True)
    field.fill(str(epochs), timeout=ANSWER_TIMEOUT_MS)  # the page loads TensorFlow for its preview first
    field.press("Enter")
    start = page.get_by_role("button", name="Start training")
    expect(start).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
    start.click()
    expect(page.get_by_role("button", name="Cancel training")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


@pytest.mark.slow
def test_a_trainer_runs_a_job_from_a_b_shows_and_cancels_it_and_a_killed_trainer_fails_its_job(deployment, cookies,
                                                                                                tmp_path):
    from playwright.sync_api import expect

    with chromium() as browser, deployment.trainer(tmp_path / "trainer-1") as trainer:
        until(lambda: trainer_alive(deployment), 120)  # heard from: the replicas leave every job to it
        a_page = pinned(browser, deployment, cookies["a"], "retrain")
        start_on(a_page, epochs=200)
        job = newest_job(deployment)
        b_page = pinned(browser, deployment, cookies["b"], "retrain")
        expect(b_page.get_by_text("Epoch ", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        running = newest_job(deployment)
        assert running.id == job.id and running.state == "running"
        assert f":{trainer.pid}:" in (running.worker or ""), running.worker  # the trainer runs it, no replica
        b_page.get_by_role("button", name="Cancel training").click()
        ended = until(lambda: (j := newest_job(deployment)).state != "running" and j)
        assert ended.state == "cancelled", ended
        expect(b_page.get_by_role("button", name="Start training")).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)

        a_page.reload()
        start_on(a_page, epochs=200)
        killed = until(lambda: (j := newest_job(deployment)).id != job.id and j.progress.get("state") == "training"
                       and j)  # mid-run
        os.kill(trainer.pid, signal.SIGKILL)
        trainer.wait()
        expect(b_page.get_by_text("Training failed", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        failed = newest_job(deployment)
        assert failed.id == killed.id and failed.state == "failed" and "stopped mid-run" in failed.message

        with deployment.trainer(tmp_path / "trainer-2"):  # the next Start works
            until(lambda: trainer_alive(deployment), 120)
            a_page.reload()
            start_on(a_page, epochs=200)
            following = until(lambda: (j := newest_job(deployment)).id != killed.id and j.state == "running" and j,
                              120)  # the new trainer claims it once it has started
            assert f":{killed.worker.split(':')[1]}:" not in following.worker
            b_page.get_by_role("button", name="Cancel training").click()
            assert until(lambda: (j := newest_job(deployment)).state != "running" and j).state == "cancelled"



def saved_corrections(deployment) -> list:
    """Every correction in the deployment's database, read through a connection of the test's own."""
    from digit_app.database import corrections_table

    opened = database(deployment)
    try:
        return corrections_table(opened).list()
    finally:
        opened.dispose()

@pytest.mark.slow
def test_postgresql_restarting_is_a_sentence_on_both_replicas_then_work_goes_on(deployment, cookies, recording):
    from digit_app.database.active_cache import KEEP_SECONDS

    kept = len(saved_corrections(deployment))
    deployment.postgres.stop()
    time.sleep(KEEP_SECONDS)  # an answer asked of the database just before may be kept this long (active_cache)
    try:
        for name in ("a", "b"):
            meanwhile = through_nginx(deployment, recording, cookies[name])
            assert not meanwhile.errors, (name, meanwhile.errors)  # never a traceback
            assert meanwhile.answer == "7", (name, meanwhile)  # the model last used answers ...
            assert any(UNREACHABLE in text for text in meanwhile.texts), (name, meanwhile.texts)  # ... and says why
    finally:
        deployment.postgres.start()
    for name in ("a", "b"):
        again = through_nginx(deployment, recording, cookies[name])
        assert again.answer == "7" and not again.errors, (name, again)
        assert not any(UNREACHABLE in text for text in again.texts), (name, again.texts)
    assert len(saved_corrections(deployment)) == kept


@pytest.mark.slow
def test_replica_a_killed_b_keeps_serving_and_every_correction_is_listed(deployment, cookies, recording):
    from playwright.sync_api import expect

    saved = saved_corrections(deployment)
    assert saved
    os.kill(deployment.a.pid, signal.SIGKILL)
    for cookie in (cookies["a"], cookies["b"], None, None):  # A's own browsers too: nginx sends them on to B
        reply = through_nginx(deployment, recording, cookie)
        assert reply.answer == "7" and not reply.errors, reply
    with pinned_page(deployment, cookies["a"], "corrections") as page:
        for correction in saved:
            expect(page.get_by_text(f"{correction.label}, read as {correction.predicted}")).to_be_visible(
                timeout=ANSWER_TIMEOUT_MS)
        expect(page.get_by_text(f"of {len(saved)}, newest first", exact=False)).to_be_visible()
