"""The Draw page in the hand: strokes drawn right after Clear, and whether the canvas ever moves.

    python benchmarks/draw_page.py [--tries 20]

Starts the app on 127.0.0.1 and drives it in Chromium, on a desktop (1280x900, mouse) and on a
phone (390x844, finger, page scrolled so the canvas is near the top). Each try draws a 7, waits for
its answer, presses Clear, waits 0 to 1500 ms (spread evenly over the tries), and draws a 4 in two
strokes. A lost stroke shows as an answer other than 4. Prints the strokes lost and the largest
movement of the canvas seen between any two moments of all tries (before, answered, cleared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import (  # noqa: E402
    ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, answer_of, finger_draw, largest, mouse_draw, serve)
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402


def canvas_box(page) -> dict:
    return largest([c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()])


def draw(page, strokes, finger: bool) -> None:
    (finger_draw if finger else mouse_draw)(page, strokes)


def run(browser, url: str, device: str, tries: int) -> tuple[int, float]:
    """(tries whose 4 lost a stroke, the largest canvas movement in px) on one device."""
    from playwright.sync_api import expect

    phone = device == "phone"
    context = browser.new_context(viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
                                  has_touch=phone, is_mobile=phone, device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.goto(url)
    answer = answer_of(page)
    expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(1500)
    if phone:
        page.evaluate(f"window.scrollBy(0, {canvas_box(page)['y'] - 20})")
        page.wait_for_timeout(300)
    first = canvas_box(page)
    lost, moved = 0, 0.0
    for delay in np.linspace(0, 1500, tries):
        draw(page, DIGITS[7], phone)
        expect(answer).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
        boxes = [canvas_box(page)]
        page.get_by_role("button", name="Clear").click()
        page.wait_for_timeout(int(delay))
        draw(page, DIGITS[4], phone)
        try:
            expect(answer).to_have_text("4", timeout=15_000)
        except AssertionError:
            lost += 1
            print(f"  {device}: after {delay:.0f} ms the 4 read as {answer.inner_text()!r}")
            page.get_by_role("button", name="Clear").click()
            expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
        boxes.append(canvas_box(page))
        page.get_by_role("button", name="Clear").click()
        expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
        page.wait_for_timeout(300)
        boxes.append(canvas_box(page))
        moved = max(moved, *(abs(box[k] - first[k]) for box in boxes for k in ("x", "y", "width", "height")))
    context.close()
    return lost, moved


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()
    with serve(Path(tempfile.mkdtemp()), MNIST_SAMPLE) as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for device in ("desktop", "phone"):
            lost, moved = run(browser, app.url, device, args.tries)
            print(f"{device:<8} strokes lost after Clear: {lost} of {args.tries} tries (0-1500 ms)   "
                  f"largest canvas movement: {moved:.1f} px")
        browser.close()


if __name__ == "__main__":
    main()
