"""Two replicas behind nginx on one PostgreSQL: answers through the proxy, "Activate" reaching the other replica,
a job's progress reaching the other replica, and corrections saved from both at once with none lost.

    python benchmarks/replicas.py [--sessions 100] [--seconds 10]

The deployment is tests/services.py's `replicas_behind_nginx` (deploy/compose.yaml on loopback: a throwaway
PostgreSQL with fsync on, two `streamlit run` with their own models and data folders, deploy/nginx.conf).
Chromium draws a 4 once on replica A; then it prints:
- `--sessions` protocol sessions through nginx (no cookie: nginx spreads them over both replicas), each opening
  the Draw page at a random moment within 2 s and drawing the 4 once: the answer time per stroke (p50/p95/max),
  how many final answers read 4, and how many sessions each replica served;
- "Activate" clicked on A's Retrain page (Chromium pinned to A by its cookie) on a version that reads everything
  as a 7, while a protocol session pinned to B draws the 4 again and again: the seconds from the click to B's
  first 7 (target <= 2 s);
- with a trainer (`python -m digit_app trainer`) running: a tiny job started from A's Retrain page while B's
  Retrain page is open in Chromium; the seconds from the trainer's first progress write (the job's row) to B's
  page showing "Epoch" (target <= 2 s); then Cancel from B;
- corrections saved by two processes (one per replica's settings) x `--threads` threads for `--seconds` into the
  same PostgreSQL: saves per second and how many were lost (target >= 200/s, none lost). The pages themselves
  allow 2 saves a second per replica (digit_app.access.rate): this is the store behind them.
Run it alone on the machine (flock /tmp/heavy.lock).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.database import run as save_corrections  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.paths import SMALL_PEN_DIGITS  # noqa: E402
from tests.protocol import Recording, drawing_reply, protocol_session, record_drawing  # noqa: E402
from tests.services import REPLICA_COOKIE, Replicas, replicas_behind_nginx  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402

MAX_SESSIONS = 200  # bounded: a round never opens more
ROUND_TIMEOUT = 600.0  # seconds
WAIT = 120.0  # seconds any one step may take before the benchmark gives up


def streams_served(deployment: Replicas) -> tuple[int, int]:
    """How many websockets nginx has sent to A and to B so far."""
    lines = [line for line in deployment.proxy.log().splitlines() if '"GET /_stcore/stream' in line]
    return tuple(sum(line.startswith(f"127.0.0.1:{deployment.port(app)} ") for line in lines)
                 for app in (deployment.a, deployment.b))


async def crowd(deployment: Replicas, recording: Recording, sessions: int) -> str:
    """`sessions` protocol sessions through nginx, each drawing the recorded digit once; one line of figures."""
    before = streams_served(deployment)
    rng = random.Random(sessions)
    results = await asyncio.wait_for(asyncio.gather(
        *(protocol_session(deployment.proxy.url, recording, 1, pause=0.0, start_after=rng.uniform(0, 2))
          for _ in range(min(sessions, MAX_SESSIONS))), return_exceptions=True), ROUND_TIMEOUT)
    after = streams_served(deployment)
    failed = [r for r in results if isinstance(r, BaseException)]
    timings = [t for r in results if not isinstance(r, BaseException) for t in r]
    seconds = np.array([t.seconds for t in timings]) * 1000
    finals = [r[-1].answer for r in results if not isinstance(r, BaseException)]
    return (f"{sessions} sessions through nginx, {len(timings)} strokes: answer p50 {np.percentile(seconds, 50):.0f} "
            f"p95 {np.percentile(seconds, 95):.0f} max {seconds.max():.0f} ms; final answers right "
            f"{sum(a == recording.expected for a in finals)}/{sessions}; sessions failed {len(failed)}; "
            f"served by A {after[0] - before[0]}, by B {after[1] - before[1]}")


async def pinned_page(browser, deployment: Replicas, cookie: str, path: str):
    """A Chromium page opened through nginx with a replica cookie (so on that replica)."""
    context = await browser.new_context(viewport={"width": 1100, "height": 1100})
    await context.add_cookies([{"name": REPLICA_COOKIE, "value": cookie, "url": deployment.proxy.url}])
    page = await context.new_page()
    await page.goto(f"{deployment.proxy.url}/{path}")
    return page


async def activation_reaches_b(deployment: Replicas, recording: Recording, version: str,
                               cookies: dict[str, str]) -> str:
    """Seconds from clicking Activate on A's Retrain page to B's first answer from that version."""
    from playwright.async_api import async_playwright, expect

    headers = {"Cookie": f"{REPLICA_COOKIE}={cookies['b']}"}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await pinned_page(browser, deployment, cookies["a"], "retrain")
            await page.get_by_role("combobox", name="Version").click(timeout=WAIT * 1000)
            await page.get_by_role("option", name=version, exact=True).click()
            button = page.get_by_role("button", name="Activate")
            await expect(button).to_be_enabled()
            answers: list[tuple[float, str | None]] = []

            async def b_draws() -> None:
                while not answers or answers[-1][1] != "7":
                    reply = await drawing_reply(deployment.proxy.url, recording, headers)
                    answers.append((time.monotonic(), reply.answer))

            drawing = asyncio.create_task(b_draws())
            await asyncio.sleep(1.0)  # B is answering 4s by now
            clicked = time.monotonic()
            await button.click()
            await asyncio.wait_for(drawing, WAIT)
        finally:
            await browser.close()
    first = next(when for when, answer in answers if answer == "7")
    earlier = [answer for when, answer in answers if when < clicked]
    return (f"Activate on A -> B's answers: {first - clicked:.2f} s (B answered {len(answers)} drawings, "
            f"{len(earlier)} before the click, all {set(earlier)})")


def newest_job(url: str):
    from digit_app.database import Database, JobsTable

    opened = Database(url, migrate=False)
    try:
        return next(iter(JobsTable(opened).list(1)), None)
    finally:
        opened.dispose()


def trainer_alive(url: str) -> bool:
    from digit_app.database import Database
    from digit_app.database.trainers import TrainersTable

    opened = Database(url, migrate=False)
    try:
        return bool(TrainersTable(opened).alive())
    finally:
        opened.dispose()


async def progress_reaches_b(deployment: Replicas, cookies: dict[str, str], folder: Path) -> str:
    """With a trainer running: Start on A's Retrain page; seconds from the trainer's write of the training stage to
    B's open Retrain page showing "Epoch"; then Cancel on B and the seconds until the job has stopped."""
    from playwright.async_api import async_playwright, expect

    with deployment.trainer(folder):
        deadline = time.monotonic() + WAIT
        while not trainer_alive(deployment.database_url):
            assert time.monotonic() < deadline, "the trainer was not heard from"
            await asyncio.sleep(0.5)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                b_page = await pinned_page(browser, deployment, cookies["b"], "retrain")
                await expect(b_page.get_by_role("button", name="Start training")).to_be_visible(timeout=WAIT * 1000)
                a_page = await pinned_page(browser, deployment, cookies["a"], "retrain")
                field = a_page.get_by_label("Epochs", exact=True)
                await field.fill("200", timeout=WAIT * 1000)
                await field.press("Enter")
                await expect(a_page.get_by_role("button", name="Start training")).to_be_enabled()
                await a_page.get_by_role("button", name="Start training").click()
                await b_page.wait_for_function("document.body.innerText.includes('Epoch ')", polling=50,
                                               timeout=WAIT * 1000)
                shown = time.time()
                job = newest_job(deployment.database_url)
                written = job.progress.get("stage_started", job.started)
                cancel = b_page.get_by_role("button", name="Cancel training")
                await cancel.click()
                asked = time.monotonic()
                while newest_job(deployment.database_url).state == "running":
                    assert time.monotonic() < asked + WAIT, "the job did not stop"
                    await asyncio.sleep(0.1)
                stopped = time.monotonic() - asked
            finally:
                await browser.close()
    ended = newest_job(deployment.database_url)
    return (f"progress: the trainer's write of the training stage -> B's Retrain page showing it "
            f"{shown - written:.2f} s "
            f"(job run by {job.worker.split(':')[0]} pid {job.worker.split(':')[1]}); Cancel on B -> the job "
            f"{ended.state} after {stopped:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digit-replicas-") as name:
        folder = Path(name)
        with replicas_behind_nginx(folder, env=SMALL_PEN_DIGITS, fast=False) as deployment:
            recording = asyncio.run(record_drawing(deployment.a.url, DIGITS[4], "4"))
            print(f"two replicas behind nginx on PostgreSQL (fsync on); Chromium drew a 4 on A, read "
                  f"{recording.expected}", flush=True)
            print(asyncio.run(crowd(deployment, recording, args.sessions)), flush=True)
            cookies = {"a": deployment.proxy.cookie_for(deployment.port(deployment.a)),
                       "b": deployment.proxy.cookie_for(deployment.port(deployment.b))}
            (folder / "bench-models").mkdir()
            version = deployment.add_version_reading(7, folder / "bench-models")
            print(asyncio.run(activation_reaches_b(deployment, recording, version, cookies)), flush=True)
            if importlib.util.find_spec("digit_app.database.trainers"):  # training jobs on the database
                print(asyncio.run(progress_reaches_b(deployment, cookies, folder / "trainer")), flush=True)
            else:
                print("progress: not measured (this checkout's Retrain page does not queue jobs in the database)")
            save_corrections("corrections from two replicas' processes into one PostgreSQL",
                             deployment.database_url, 2, args.threads, args.seconds)


if __name__ == "__main__":
    main()
