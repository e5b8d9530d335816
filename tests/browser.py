"""The app in a real browser: a Streamlit server on 127.0.0.1, Debian's Chromium, drawing by hand.

Shared by the browser tests and `benchmarks/load.py`. Strokes are lists of (x, y) points in a
unit box (y down), placed inside the canvas with a margin, as a person would draw them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ANSWER_TIMEOUT_MS = 90_000  # the first answer waits for TensorFlow to load on a cold machine
MOVE_STEPS = 12  # mouse positions between two points of a stroke
Strokes = Sequence[Sequence[tuple[float, float]]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningApp:
    """A Streamlit server started by `serve`."""

    url: str
    pid: int
    started: float = 0.0  # time.monotonic() when `streamlit run` was started
    healthy: float = 0.0  # ... and when its health check first answered

    def rss_mb(self) -> float:
        """The server process's resident memory now, in MB (VmRSS from /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def has_loaded(self, library: str) -> bool:
        """Whether the server process has a shared library whose path contains `library` mapped."""
        return library in Path(f"/proc/{self.pid}/maps").read_text()

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system), from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve(models: Path, data: Path, usage_stats: bool = False,
          env: Mapping[str, str] | None = None) -> Iterator[RunningApp]:
    """Run the app with `streamlit run` on a free port; yield it; stop it afterwards.

    New models, the database (`app.sqlite`: saved corrections) go to the folder `models`. With `usage_stats`, every run
    sends its page profile (its script time) to the client, as Streamlit does for its statistics.
    `env` adds environment variables for the server: the tests pass tests.paths.SMALL_PEN_DIGITS, so that
    training in it learns from the small pen sample; the benchmarks pass none, so it learns from the real
    pen digits (unless the caller's own environment sets $DIGIT_APP_PEN_DIGITS).
    """
    port = free_port()
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", str(usage_stats).lower()],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "DIGIT_APP_MODELS": str(models), "DIGIT_APP_DATA": str(data),
             "DIGIT_APP_CORRECTIONS": str(models / "corrections.sqlite"),
             "DIGIT_APP_DATABASE_URL": f"sqlite:///{models / 'app.sqlite'}", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the Streamlit server did not start") from None
                time.sleep(0.05)
        yield RunningApp(url, server.pid, started, time.monotonic())
    finally:
        server.terminate()
        server.wait(timeout=20)


def stroke_path(box: dict, stroke: Sequence[tuple[float, float]], margin: float = 0.15) -> list[tuple[float, float]]:
    """Page coordinates of a unit-box stroke inside the canvas `box`, with the in-between moves."""
    span = 1 - 2 * margin

    def place(x: float, y: float) -> tuple[float, float]:
        return box["x"] + box["width"] * (margin + x * span), box["y"] + box["height"] * (margin + y * span)

    points = [place(*p) for p in stroke]
    path = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        path += [(x0 + (x1 - x0) * t / MOVE_STEPS, y0 + (y1 - y0) * t / MOVE_STEPS) for t in range(1, MOVE_STEPS + 1)]
    return path


def largest(boxes: Sequence[dict | None]) -> dict:
    """The drawing surface: the largest of the page's visible canvases."""
    return max((b for b in boxes if b), key=lambda b: b["width"] * b["height"])


@dataclass
class Timing:
    """When one browser session finished drawing and when its answer appeared (monotonic seconds)."""

    expected: str
    drawn: float
    answered: float
    answer: str

    @property
    def seconds(self) -> float:
        return self.answered - self.drawn


def answer_of(page) -> Any:
    """The Draw page's answer (the digit, the number, or "—"): the element with its hook
    data-testid="answerValue"."""
    return page.get_by_test_id("answerValue").first


def mouse_draw(page, strokes: Strokes) -> None:
    """Draw `strokes` with the mouse on the largest canvas of a (sync) Playwright page."""
    page.locator("canvas").first.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)  # it comes after the text
    box = largest([canvas.bounding_box() for canvas in page.locator("canvas").all() if canvas.is_visible()])
    for stroke in strokes:
        path = stroke_path(box, stroke)
        page.mouse.move(*path[0])
        page.mouse.down()
        for point in path[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def finger_draw(page, strokes: Strokes) -> None:
    """Draw `strokes` with a finger: real touch events through the DevTools protocol (Playwright's
    touchscreen only taps)."""
    page.locator("canvas").first.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    box = largest([canvas.bounding_box() for canvas in page.locator("canvas").all() if canvas.is_visible()])
    session = page.context.new_cdp_session(page)
    for stroke in strokes:
        path = stroke_path(box, stroke)
        session.send("Input.dispatchTouchEvent",
                     {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]})
        for x, y in path[1:]:
            session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def mouse_draw_async(page, strokes: Strokes, pause_ms: int = 0) -> None:
    """The same in an async Playwright page, waiting `pause_ms` after each stroke."""
    await page.locator("canvas").first.wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    box = largest([await canvas.bounding_box() for canvas in await page.locator("canvas").all()])
    for stroke in strokes:
        path = stroke_path(box, stroke)
        await page.mouse.move(*path[0])
        await page.mouse.down()
        for point in path[1:]:
            await page.mouse.move(*point)
        await page.mouse.up()
        if pause_ms:
            await page.wait_for_timeout(pause_ms)


async def draw_and_time(page, strokes: Strokes, expected: str) -> Timing:
    """Draw `strokes` with the mouse in an async Playwright page; time until the Prediction reads `expected`."""
    from playwright.async_api import expect

    metric = answer_of(page)
    await expect(metric).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    await mouse_draw_async(page, strokes)
    drawn = time.monotonic()
    with contextlib.suppress(AssertionError):
        await expect(metric).to_have_text(expected, timeout=ANSWER_TIMEOUT_MS)
    return Timing(expected, drawn, time.monotonic(), (await metric.inner_text()).strip())


async def start_training(browser, url: str, epochs: int = 200) -> Any:
    """A session that starts a long retrain from the Retrain page; returns its page (to cancel it)."""
    from playwright.async_api import expect

    page = await (await browser.new_context(viewport={"width": 1000, "height": 900})).new_page()
    await page.goto(f"{url}/retrain")
    field = page.get_by_label("Epochs", exact=True)
    await field.fill(str(epochs))
    await field.press("Enter")
    await page.get_by_role("button", name="Start training").click()
    await expect(page.get_by_role("button", name="Cancel training")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return page


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (sync), with the flags these machines need; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


async def sessions_drawing(url: str, drawings: Sequence[tuple[Strokes, str]],
                           while_training: bool = False) -> list[Timing]:
    """One browser, one context per drawing, all drawing at once; each answer timed.

    With `while_training`, one more session first starts a retrain, and cancels it at the end.
    """
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = []
            for _ in drawings:  # open the sessions one by one: a fair start for each
                context = await browser.new_context(viewport={"width": 1000, "height": 900})
                page = await context.new_page()
                await page.goto(url)
                await expect(answer_of(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
                pages.append(page)
            trainer = await start_training(browser, url) if while_training else None
            timings = await asyncio.gather(*(draw_and_time(page, strokes, expected)
                                             for page, (strokes, expected) in zip(pages, drawings)))
            if trainer is not None:
                await expect(trainer.get_by_role("button", name="Cancel training")).to_be_visible()  # still training
                await trainer.get_by_role("button", name="Cancel training").click()
                await expect(trainer.get_by_text("no model was kept", exact=False)).to_be_visible(
                    timeout=ANSWER_TIMEOUT_MS)
            return list(timings)
        finally:
            await browser.close()


def colour(css: str) -> tuple[float, float, float, float]:
    """A computed CSS colour, "rgb(r, g, b)" or "rgba(r, g, b, a)", as (r, g, b, alpha)."""
    numbers = [float(n) for n in css[css.index("(") + 1 : css.index(")")].replace("/", ",").split(",")]
    return (numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0)


def over(front: Sequence[float], back: Sequence[float], alpha: float) -> tuple[float, float, float]:
    """The colour `front` seen with `alpha` over `back` (all 0-255)."""
    return tuple(alpha * f + (1 - alpha) * b for f, b in zip(front[:3], back[:3]))


def contrast(first: Sequence[float], second: Sequence[float]) -> float:
    """WCAG's contrast ratio of two sRGB colours (0-255): 1 to 21."""
    def luminance(rgb: Sequence[float]) -> float:
        linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
