"""The Draw page's answer in Chromium: beside the canvas at 1280x800, under it on a phone, "Why" on the strokes.

Desktop 1280x800 in light mode (mouse) and a phone 390x844 in dark mode (finger); screenshots of each
before and after drawing go to build/screenshots/answer-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from digit_app.ui.answer import why_svg
from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, finger_draw, largest, mouse_draw
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True, "is_mobile": True,
         "color_scheme": "dark"}
# The parts of the answer a person reads, by what they are.
PARTS = {
    "answer": '[data-testid="answerValue"]',
    "probabilities": '.dc-answer figure[role="img"]',
    "what the model saw": '.dc-answer img[alt^="The drawing as the model saw it"]',
    "why": '[data-testid="answerWhy"]',
}


def open_draw_page(browser, app_url: str, device: dict) -> Page:
    page = browser.new_context(**device).new_page()
    page.goto(app_url)
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Undo")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return page


def canvas_box(page: Page) -> dict:
    return largest([c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()])


def box_of(page: Page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the page"
    return box


def ask_why(page: Page) -> None:
    page.get_by_text("Why this answer").click()
    expect(page.locator(PARTS["why"])).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def test_desktop_the_answer_and_why_sit_beside_the_canvas_without_scrolling(browser, app_url):
    page = open_draw_page(browser, app_url, DESKTOP)
    page.screenshot(path=SCREENSHOTS / "answer-desktop-light-before.png")
    before = canvas_box(page)
    mouse_draw(page, DIGITS[7])
    expect(answer_of(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    ask_why(page)
    page.wait_for_timeout(300)
    page.screenshot(path=SCREENSHOTS / "answer-desktop-light-after.png")
    canvas = canvas_box(page)
    assert (canvas["x"], canvas["y"]) == (before["x"], before["y"])  # the answer appearing moved nothing
    assert page.evaluate("window.scrollY") == 0
    for name, selector in PARTS.items():
        box = box_of(page, selector)
        assert box["y"] + box["height"] <= 800, f"{name} ends at y {box['y'] + box['height']:.0f}, below the fold"
        assert box["x"] >= canvas["x"] + canvas["width"], f"{name} at x {box['x']:.0f} is not right of the canvas"


def test_phone_the_answer_sits_under_the_canvas_and_the_canvas_never_moves(browser, app_url):
    page = open_draw_page(browser, app_url, PHONE)
    page.screenshot(path=SCREENSHOTS / "answer-phone-dark-before.png")
    before = canvas_box(page)
    finger_draw(page, DIGITS[4][:1])  # the first stroke of a 4: an answer (or a note) appears
    page.wait_for_timeout(800)
    first = canvas_box(page)
    finger_draw(page, DIGITS[4][1:])
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(800)  # the pause after the pen lifts: the confidence and the note come
    after = canvas_box(page)
    assert before == first == after  # nothing moved under the finger
    answer = box_of(page, PARTS["answer"])
    assert answer["y"] >= after["y"] + after["height"]
    assert answer["y"] + answer["height"] <= 844  # the answer on screen with the canvas
    page.screenshot(path=SCREENSHOTS / "answer-phone-dark-after.png")
    ask_why(page)  # the toggle is scrolled to: the page moves on purpose now, not under the finger
    page.wait_for_timeout(300)
    page.screenshot(path=SCREENSHOTS / "answer-phone-dark-why.png")


def test_why_colours_the_persons_own_strokes(browser, app_url):
    page = open_draw_page(browser, app_url, DESKTOP)
    mouse_draw(page, DIGITS[7])
    expect(answer_of(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    ask_why(page)
    why = page.locator(PARTS["why"])
    expect(why).to_have_attribute("alt", re.compile("red where they made it a 7"))
    assert why.evaluate("(img) => img.complete && img.naturalWidth") > 0  # the browser drew it
    svg = why_svg(f'src="{why.get_attribute("src")}"')
    rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in re.findall(r'stroke="(#[0-9a-f]{6})"', svg)]
    assert len(set(rgb)) >= 3  # the colour changes along the strokes, not one flat colour per stroke
    assert any(r > 180 and r > g + 60 and r > b + 60 for r, g, b in rgb)  # some of the 7 is what made it a 7: red
    assert svg.count("<polyline") >= len(DIGITS[7])  # drawn as lines along the strokes, not as 28x28 pixels
