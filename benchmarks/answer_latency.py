"""Pen-up to answer on the Draw page, timed inside Chromium: from the pointer lifting to the answer showing it.

    python benchmarks/answer_latency.py [--tries 20] [--sessions 50] [--no-training]
    python benchmarks/answer_latency.py --elements   # how many elements a stroke's rerun sends

Starts the app on 127.0.0.1. In Chromium, on a desktop (1280x800, mouse) and a phone (390x844,
finger: real touch events), it draws a one-stroke 7 and a two-stroke 4 `--tries` times each,
clearing the canvas between them. The page itself times each: a listener notes `performance.now()`
at every pointerup, and a mutation observer notes when the answer first reads the expected
digit; the figure is the time from the last stroke's pointerup to that moment. Beside it, the time
from that pointerup to the page's first message to the server (the stroke sent), and from the
last message heard from the server before the answer appeared to that moment (the browser's part: Streamlit's frontend
and React drawing the run's elements). Rounds: idle; with
`--sessions` protocol sessions drawing meanwhile (tests/protocol.py, replaying what Chromium sent);
and while a model trains (started from the Retrain page). Prints median, p95 and max per round.
Target (issue "Instant"): median <= 100 ms, p95 <= 150 ms idle and while training; p95 <= 250 ms
with 50 sessions drawing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import (  # noqa: E402
    ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, ROOT, answer_of, largest, serve, start_training, stroke_path)
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.protocol import LOCAL_ONLY, protocol_session, record_drawing  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402

MAX_SESSIONS = 100
SCREENSHOTS = ROOT / "build" / "screenshots"
OPENING_S = 10  # the protocol sessions open one after another over this many seconds: 50 opening in 2 s on a
# loaded 2-core machine timed out opening their sockets (10 s), and the measured page's own opening (30 s)
# Installed in the page: the time of the last pointerup, of the first message sent after it and of the
# latest message heard from the server, and a promise for the answer (its hook, data-testid="answerValue")
# reading `expected`: [pen-up to answer, pen-up to the stroke sent, last message heard to answer drawn] in ms.
TIMER = """
() => {
  if (window.__answerTimer) return;
  const timer = window.__answerTimer = { up: 0, sent: null, heard: 0 };
  const penUp = () => { timer.up = performance.now(); timer.sent = null; };
  window.addEventListener("pointerup", penUp, true);
  window.addEventListener("touchend", penUp, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (timer.sent === null) timer.sent = performance.now() - timer.up;
    if (!this.__heard) {
      this.__heard = true;
      this.addEventListener("message", () => { timer.heard = performance.now(); });
    }
    return send.call(this, data);
  };
  window.__awaitAnswer = (expected) => new Promise((resolve) => {
    const reads = () => {
      const answer = document.querySelector('[data-testid="answerValue"]');
      return answer && answer.innerText.trim() === expected;
    };
    const observer = new MutationObserver(() => {
      if (!reads()) return;
      observer.disconnect();
      const now = performance.now();
      resolve([now - timer.up, timer.sent, timer.heard > timer.up ? now - timer.heard : null]);
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  });
}
"""


async def draw(page, strokes, finger: bool) -> None:
    """Draw `strokes` on the largest canvas with the mouse, or with a finger through the DevTools protocol."""
    await page.locator("canvas").first.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    box = largest([await canvas.bounding_box() for canvas in await page.locator("canvas").all()])
    session = await page.context.new_cdp_session(page) if finger else None
    for stroke in strokes:
        path = stroke_path(box, stroke)
        if finger:
            await session.send("Input.dispatchTouchEvent",
                               {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]})
            for x, y in path[1:]:
                await session.send("Input.dispatchTouchEvent",
                                   {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            await session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            await page.mouse.move(*path[0])
            await page.mouse.down()
            for point in path[1:]:
                await page.mouse.move(*point)
            await page.mouse.up()


async def device_round(browser, url: str, device: str, tries: int,
                       name: str = "idle") -> list[tuple[float, float, float]]:
    """Milliseconds from the last pen-up to the answer, to the stroke's message sent, and from the last message
    heard from the server to the answer drawn (the browser's own part), for every drawing.

    The page as it was at the last answer is kept in build/screenshots/latency-`device`-`name`.png.
    """
    from playwright.async_api import expect

    phone = device == "phone"
    context = await browser.new_context(viewport={"width": 390, "height": 844} if phone else
                                        {"width": 1280, "height": 800}, has_touch=phone, is_mobile=phone)
    page = await context.new_page()
    await page.route(LOCAL_ONLY, lambda route: route.abort())
    await page.goto(url, timeout=ANSWER_TIMEOUT_MS)  # with 50 sessions drawing, opening the page waits too
    answer = answer_of(page)
    await expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    await page.evaluate(TIMER)
    if phone:
        await page.locator("canvas").first.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
        box = largest([await canvas.bounding_box() for canvas in await page.locator("canvas").all()])
        await page.evaluate(f"window.scrollBy(0, {box['y'] - 60})")
    times = []
    for _ in range(tries):
        for digit in (7, 4):
            waiting = asyncio.ensure_future(page.evaluate(f"() => window.__awaitAnswer('{digit}')"))
            await draw(page, DIGITS[digit], phone)
            times.append(tuple(await asyncio.wait_for(waiting, ANSWER_TIMEOUT_MS / 1000)))
            if len(times) == 2 * tries:
                await page.screenshot(path=SCREENSHOTS / f"latency-{device}-{name}.png")
            await page.get_by_role("button", name="Clear").click()
            await expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
            await page.wait_for_timeout(300)
    await context.close()
    return times


def summary(name: str, times: list[tuple[float, float, float]]) -> str:
    ms = np.array([answer for answer, _, _ in times])
    sent = np.array([s for _, s, _ in times if s is not None])
    drawn = np.array([d for _, _, d in times if d is not None])
    return (f"{name:<44} n={len(ms):>3}  median {np.median(ms):5.0f} ms  p95 {np.percentile(ms, 95):5.0f} ms  "
            f"max {ms.max():5.0f} ms  (sent after {np.median(sent) if len(sent) else float('nan'):3.0f} ms, "
            f"drawn {np.median(drawn) if len(drawn) else float('nan'):3.0f} ms after the last message heard: medians)")


async def rounds(url: str, tries: int, sessions: int, training: bool) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for device in ("desktop", "phone"):
                print(summary(f"{device}, idle", await device_round(browser, url, device, tries)), flush=True)
            if sessions:
                recording = await record_drawing(url, DIGITS[4], "4")
                crowd = asyncio.gather(*(protocol_session(url, recording, digits=1000, pause=0.5,
                                                          start_after=i * OPENING_S / sessions)
                                        for i in range(sessions)), return_exceptions=True)
                await asyncio.sleep(OPENING_S + 3)  # all of them open, and drawing
                for device in ("desktop", "phone"):
                    print(summary(f"{device}, {sessions} protocol sessions drawing",
                                  await device_round(browser, url, device, tries, "sessions")), flush=True)
                crowd.cancel()
            if training:
                trainer = await start_training(browser, url)
                for device in ("desktop", "phone"):
                    print(summary(f"{device}, while a model trains",
                                  await device_round(browser, url, device, tries, "training")), flush=True)
                await trainer.get_by_role("button", name="Cancel training").click()
        finally:
            await browser.close()


def elements_per_stroke() -> int:
    """How many elements and blocks a stroke's rerun sends: the Draw page's fragment, run in AppTest on a 7."""
    from tests.canvas_values import seed
    from tests.pages import open_page
    from tests.strokes import digit_strokes

    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()

    def preorder(node) -> list[str]:
        children = getattr(node, "children", None) or {}
        children = children.values() if isinstance(children, dict) else children
        return [getattr(node, "type", "")] + [kind for child in children for kind in preorder(child)]

    # The fragment: the page's block that holds the canvas, with all inside it; the page's title, switch, line and
    # controls before it and the helper's script after it are not sent again at a stroke.
    children = at.main.children
    blocks = [preorder(child) for child in (children.values() if isinstance(children, dict) else children)]
    return next(len(kinds) for kinds in blocks if "bidi_component" in kinds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20, help="drawings of each digit per round and device")
    parser.add_argument("--sessions", type=int, default=50, help=f"protocol sessions drawing (0 to {MAX_SESSIONS})")
    parser.add_argument("--no-training", action="store_true", help="skip the round while a model trains")
    parser.add_argument("--elements", action="store_true", help="only count the elements a stroke's rerun sends")
    args = parser.parse_args()
    if args.elements:
        print(f"a stroke's rerun sends {elements_per_stroke()} elements and blocks (AppTest, a one-digit 7)")
        return
    if not 0 <= args.sessions <= MAX_SESSIONS or not 1 <= args.tries <= 200:
        parser.error(f"--sessions must be 0 to {MAX_SESSIONS} and --tries 1 to 200")
    with serve(Path(__file__).resolve().parents[1] / "build" / "latency-models", MNIST_SAMPLE) as app:
        asyncio.run(rounds(app.url, args.tries, args.sessions, not args.no_training))


if __name__ == "__main__":
    main()
