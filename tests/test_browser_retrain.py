"""The Retrain page in Chromium while a model trains: the run's whole length said, the time left never rising, and
the run at the top of the page for whoever arrives (desktop 1280x800 light, phone 390x844 dark). Screenshots go to
build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ANSWER_TIMEOUT_MS, ROOT, chromium, serve
from tests.paths import MNIST_SAMPLE, SMALL_PEN_DIGITS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = ROOT / "build" / "screenshots"
EPOCHS = 200  # the most the page takes: long enough to look at it while it runs, on the tests' 300 digits
LEFT = re.compile(r"Epoch (\d+) of 200, pixel CNN · about (?:(\d+) min )?(\d+) s left")


def bar_text(page: Page) -> str:
    return page.get_by_test_id("stProgress").first.inner_text()


def test_a_running_job_is_at_the_top_with_its_whole_length_and_a_time_left_that_never_rises(tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(tmp_path, MNIST_SAMPLE, env=SMALL_PEN_DIGITS) as app, chromium() as browser:
        starter = browser.new_page(viewport={"width": 1280, "height": 800}, color_scheme="light")
        starter.goto(f"{app.url}/retrain")
        epochs = starter.get_by_label("Epochs", exact=True)
        epochs.fill(str(EPOCHS))
        epochs.press("Enter")
        strokes = starter.get_by_role("spinbutton", name="Stroke model epochs")
        expect(strokes).to_have_value("200", timeout=ANSWER_TIMEOUT_MS)  # 1.5 for each, within the field's 200
        starter.get_by_role("button", name="Start training").click()
        expect(starter.get_by_text(LEFT)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

        arrivals = {"desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
                    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark",
                                   "is_mobile": True, "has_touch": True, "device_scale_factor": 2}}
        for name, options in arrivals.items():
            context = browser.new_context(**options)
            page = context.new_page()
            page.goto(f"{app.url}/retrain")
            heading = page.get_by_role("heading", name="Training now")
            expect(heading).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
            expect(page.get_by_text(LEFT)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
            bar = page.get_by_test_id("stProgress").first
            assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= options["viewport"]["height"]  # no scroll
            assert bar_text(page).endswith("then the stroke model's 200 epochs")  # the whole length, said up front
            page.screenshot(path=str(SCREENSHOTS / f"retrain-running-{name}.png"))
            context.close()

        shown: list[tuple[int, float]] = []  # (epoch, seconds left) as the page showed them, once a second
        for _ in range(12):
            found = LEFT.search(bar_text(starter))
            if found:
                shown.append((int(found[1]), int(found[2] or 0) * 60 + int(found[3])))
            time.sleep(1)
        assert len(shown) >= 6
        assert all(later <= earlier for (_, earlier), (_, later) in zip(shown, shown[1:])), shown
        starter.screenshot(path=str(SCREENSHOTS / "retrain-running-starter.png"))
        starter.get_by_role("button", name="Cancel training").click()
        expect(starter.get_by_text("no model was kept", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
