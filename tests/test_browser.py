"""The app in a real headless Chromium: draw with the mouse (and a finger), read the answer off the page.

Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it). Screenshots go to
build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import MNIST_SAMPLE

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ANSWER_TIMEOUT_MS = 90_000  # the first answer waits for TensorFlow to load on a cold machine
# Strokes in a unit box (x, y down), as a person would draw them.
SEVEN = [[(0.1, 0.1), (0.9, 0.1), (0.4, 0.95)]]
FOUR = [[(0.6, 0.05), (0.1, 0.65), (0.9, 0.65)], [(0.65, 0.3), (0.65, 0.98)]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """A real Streamlit server for the app, on 127.0.0.1, keeping new models in a temporary folder."""
    port = free_port()
    models = tmp_path_factory.mktemp("models")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "DIGIT_APP_MODELS": str(models),
             "DIGIT_APP_DATA": str(MNIST_SAMPLE)},
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
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def canvas_box(page: Page) -> dict:
    """The bounding box of the largest visible <canvas>: the drawing surface."""
    page.locator("canvas").first.wait_for(state="visible", timeout=60_000)
    boxes = [box for c in page.locator("canvas").all() if c.is_visible() and (box := c.bounding_box())]
    return max(boxes, key=lambda b: b["width"] * b["height"])


def to_page(box: dict, x: float, y: float, margin: float = 0.15) -> tuple[float, float]:
    """A unit-box point drawn inside the canvas, leaving a margin."""
    span = 1 - 2 * margin
    return box["x"] + box["width"] * (margin + x * span), box["y"] + box["height"] * (margin + y * span)


def wait_until_drawn(page: Page) -> None:
    """Wait until the model is loaded and the page drawn: a line names the model in use."""
    expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def draw_with_mouse(page: Page, strokes: Sequence[Sequence[tuple[float, float]]]) -> None:
    wait_until_drawn(page)
    box = canvas_box(page)
    for stroke in strokes:
        page.mouse.move(*to_page(box, *stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*to_page(box, *point), steps=12)
        page.mouse.up()


def draw_with_finger(page: Page, strokes: Sequence[Sequence[tuple[float, float]]]) -> None:
    """Real touch events through the DevTools protocol (Playwright's touchscreen only taps)."""
    wait_until_drawn(page)
    box = canvas_box(page)
    session = page.context.new_cdp_session(page)
    for stroke in strokes:
        points = [to_page(box, *p) for p in stroke]
        session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for step in range(1, 13):
                t = step / 12
                point = {"x": x0 + (x1 - x0) * t, "y": y0 + (y1 - y0) * t}
                session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def prediction(page: Page):
    """The value of the first metric on the page: the Prediction."""
    return page.get_by_test_id("stMetricValue").first


def screenshot(page: Page, name: str) -> None:
    """Save the whole page once the chart and the model's-eye image have rendered."""
    expect(page.get_by_test_id("stImage").locator("img")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


def test_draw_with_the_mouse_and_read_the_answer(browser, app_url):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(app_url)
    expect(page.get_by_test_id("stMetricLabel").first).to_contain_text("Prediction", timeout=ANSWER_TIMEOUT_MS)
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    screenshot(page, "draw-seven-desktop.png")

    page.get_by_role("button", name="Clear").click()
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    draw_with_mouse(page, FOUR)
    expect(prediction(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    page.close()


def test_draw_with_a_finger_on_a_phone_in_dark_mode(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  has_touch=True, is_mobile=True, color_scheme="dark")
    page = context.new_page()
    page.goto(app_url)
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    draw_with_finger(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    screenshot(page, "draw-seven-phone-dark.png")
    context.close()


def test_retrain_from_the_page_then_draw_with_the_new_model(browser, app_url):
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.goto(f"{app_url}/retrain")
    expect(page.get_by_role("heading", name="Retrain")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    epochs = page.get_by_label("Epochs")
    epochs.fill("1")
    epochs.press("Enter")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_test_id("stProgress").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # live progress
    done = page.get_by_text("Test accuracy", exact=False).first
    expect(done).to_be_visible(timeout=300_000)
    message = page.get_by_test_id("stAlertContentSuccess").inner_text()
    new_version = message.rsplit("saved as ", 1)[1].rstrip(". \n")
    page.get_by_role("button", name="Use this model").click()
    expect(page.get_by_role("button", name="Use this model")).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("combobox", name="Version")).to_have_value(new_version, timeout=ANSWER_TIMEOUT_MS)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "retrain-done.png", full_page=True)

    page.goto(app_url)
    expect(page.get_by_text(f"Model: {new_version}")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    assert prediction(page).inner_text().strip() in "0123456789"
    page.close()
