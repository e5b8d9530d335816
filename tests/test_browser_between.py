"""Between the strokes of a digit, in Chromium: a beginning that reads surely as another digit is not shown as sure.

A 5 begun with its top bar reads surely as 1. The server marks that answer as the possible beginning of a
longer digit (digit_app/unfinished.py), and the page's helper keeps it marked as still being written (greyed,
its confidence hidden, aria-busy) past the usual 600 ms pause, until 1.5 s after the pen lifted; the 5's
body then makes a whole 5, shown sure as usual.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, mouse_draw
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
TOP_BAR = [[(0.2, 0.0), (0.9, 0.0)]]
PAUSE_MS, HOLD_MS = 600, 1500  # digit_app/ui/canvas_helper.js
WRITING = ".st-key-answer.dc-writing"
# Resolves, 900 ms after the pen lifted (between the pause and the hold), to whether the answer looks written.
LOOKS_WRITTEN_AT_900 = """(up) => new Promise((done) => setTimeout(() => done({
    writing: !!document.querySelector('.st-key-answer.dc-writing'),
    busy: document.querySelector('.st-key-answer').getAttribute('aria-busy'),
    late: performance.now() - up > %d}), Math.max(0, up + 900 - performance.now())))""" % HOLD_MS


def test_a_5_s_top_bar_stays_marked_as_being_written_past_the_pause_and_the_whole_5_is_sure(browser, app_url):
    page = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light").new_page()
    page.goto(app_url)
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    mouse_draw(page, TOP_BAR)
    up = page.evaluate("() => performance.now()")
    expect(answer_of(page)).to_have_text("1", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".dc-answer[data-going-on]")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    seen = page.evaluate(LOOKS_WRITTEN_AT_900, up)
    assert seen == {"writing": True, "busy": "true", "late": False}, seen
    page.screenshot(path=SCREENSHOTS / "between-top-bar-held.png")
    expect(page.locator(WRITING)).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)  # released after the hold

    mouse_draw(page, [DIGITS[5][0]])  # the body: a whole 5
    expect(answer_of(page)).to_have_text("5", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".dc-answer[data-going-on]")).to_have_count(0)
    expect(page.locator(WRITING)).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    page.context.close()
