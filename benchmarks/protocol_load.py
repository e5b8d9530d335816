"""A classroom drawing at once, measured at the server: 10 to 100 sessions spoken at Streamlit's own protocol.

    python benchmarks/protocol_load.py [--sessions 10 25 50 100] [--digits 3]

Starts the app with `streamlit run` (usage stats on, so that every run reports its own script
time in its page profile; nothing leaves this machine: only this process talks to the server).
Chromium draws a 4 (two strokes) once on the Draw page; the messages it sent (opening the page, then the canvas
value after each stroke) are replayed by N sessions over websockets of their own, from this one
process: each session opens the page at a random moment within 2 s, then draws the 4 `--digits`
times, each stroke sent when the answer to the last has arrived and half a second has passed.
Each round runs idle, then while a training runs (started from the Retrain page). Per stroke it
prints the answer time (sent -> the Prediction's element arriving) p50/p95/max, the server's
script time p50, how many final answers read 4, and the server's CPU share; and, as the check
that the protocol client sees what a person sees, one Chromium page opened (timed: a new visitor's
page, while the training runs) and drawing during the round.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import RunningApp, answer_of, draw_and_time, serve, start_training  # noqa: E402
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.protocol import LOCAL_ONLY, Recording, protocol_session, record_drawing  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402

MAX_SESSIONS = 100  # bounded: a round never opens more
ROUND_TIMEOUT = 600.0  # seconds


async def one_round(app: RunningApp, recording: Recording, sessions: int, digits: int, training: bool) -> str:
    """N protocol sessions and one Chromium page drawing at once; one line of figures."""
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=["--no-sandbox", "--disable-gpu",
                                                         "--disable-background-networking",
                                                         "--disable-component-update", "--no-first-run"])
        try:
            trainer = await start_training(browser, app.url) if training else None
            person = await browser.new_page(viewport={"width": 1000, "height": 900})
            await person.route(LOCAL_ONLY, lambda route: route.abort())
            opened = time.monotonic()
            await person.goto(app.url)
            await expect(answer_of(person)).to_have_text("—", timeout=90_000)
            page_load = time.monotonic() - opened  # a new visitor, while the training (if any) runs
            cpu, started = app.cpu_seconds(), time.monotonic()
            rng = random.Random(sessions)
            crowd = [protocol_session(app.url, recording, digits, start_after=rng.uniform(0, 2))
                     for _ in range(min(sessions, MAX_SESSIONS))]

            async def person_draws():
                await asyncio.sleep(3)  # in the thick of it
                return await draw_and_time(person, DIGITS[7], "7")

            *results, seen = await asyncio.wait_for(asyncio.gather(*crowd, person_draws(), return_exceptions=True),
                                                    ROUND_TIMEOUT)
            cpu, wall = app.cpu_seconds() - cpu, time.monotonic() - started
            if trainer is not None:
                await trainer.get_by_role("button", name="Cancel training").click()
                await expect(trainer.get_by_text("no model was kept", exact=False)).to_be_visible(timeout=90_000)
        finally:
            await browser.close()
    failed = [r for r in results if isinstance(r, BaseException)]
    timings = [t for r in results if not isinstance(r, BaseException) for t in r]
    seconds = np.array([t.seconds for t in timings]) * 1000
    script = [t.script_ms for t in timings if t.script_ms is not None]
    last = len(recording.strokes)
    finals = [r[k].answer for r in results if not isinstance(r, BaseException) for k in range(last - 1, len(r), last)]
    person = (f"page ready in {page_load * 1000:.0f} ms, answered in {seen.seconds * 1000:.0f} ms, read {seen.answer}"
              if not isinstance(seen, BaseException) else repr(seen))
    return (f"{sessions:>3} sessions {'training' if training else 'idle':<8} strokes {len(timings):>4}  answer "
            f"p50 {np.percentile(seconds, 50):6.0f} p95 {np.percentile(seconds, 95):6.0f} max {seconds.max():6.0f} ms  "
            f"script p50 {np.median(script):5.1f} ms  "
            f"final answers right {sum(a == recording.expected for a in finals)}/{len(finals)}  "
            f"sessions failed {len(failed)}  server CPU {cpu / wall:.0%} of a core  Chromium page: {person}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--digits", type=int, default=3, help="digits each session draws")
    parser.add_argument("--no-training", action="store_true", help="only the idle rounds")
    args = parser.parse_args()
    with serve(Path(tempfile.mkdtemp()), MNIST_SAMPLE, usage_stats=True) as app:
        recording = asyncio.run(record_drawing(app.url, DIGITS[4], "4"))
        print(f"recorded: opening {len(recording.opening)} bytes, {len(recording.strokes)} strokes of "
              f"{', '.join(str(len(s)) for s in recording.strokes)} bytes; Chromium read {recording.expected}")
        for training in (False, True) if not args.no_training else (False,):
            for sessions in args.sessions:
                print(asyncio.run(one_round(app, recording, sessions, args.digits, training)), flush=True)


if __name__ == "__main__":
    main()
