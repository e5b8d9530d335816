"""The pages in dark mode, measured in Chromium on a phone (390x844, touch) as the system's dark theme draws them.

Until the theme fix, every "dark" run looked at Streamlit's light page; these look at what the pages' own HTML and CSS
show on the dark one. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import io
import math
import re

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests import photo_scenes as scenes
from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, colour, contrast, finger_draw
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
PHONE_DARK = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "has_touch": True,
              "is_mobile": True, "color_scheme": "dark"}
PAGE_BACKGROUND = "() => getComputedStyle(document.querySelector('.stApp')).backgroundColor"


def open_dark(browser, url: str) -> Page:
    page = browser.new_context(**PHONE_DARK).new_page()
    page.goto(url)
    expect(page.get_by_role("heading").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return page


def edge_contrast(page: Page, picture: Locator) -> tuple[float, float]:
    """A picture's edge against the page, read off a screenshot at its left side (the best of the two pixels either side
    of it), and the page's contrast with itself 8 px further out (to check that the pixel there is the page)."""
    picture.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = picture.bounding_box()
    background = colour(page.evaluate(PAGE_BACKGROUND))
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    middle = round(box["y"] + box["height"] / 2)
    left = math.floor(box["x"])
    edge = max(contrast(shot.getpixel((left + step, middle)), background) for step in (-2, -1, 0, 1))
    return edge, contrast(shot.getpixel((left - 8, middle)), background)


def assert_framed(page: Page, picture: Locator, name: str) -> None:
    edge, beyond = edge_contrast(page, picture)
    assert beyond < 1.1, (name, beyond)  # the page indeed, a few pixels further out
    assert edge >= 3, (name, edge)  # the black picture's bounds show on the dark page


def test_the_draw_page_s_pictures_have_an_edge_on_the_dark_page(browser, app_url):
    """What the model saw and "Why this answer" are white on black: without an edge their bounds vanish (1.2:1)."""
    page = open_dark(browser, app_url)
    expect(page.get_by_role("button", name="Undo")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert contrast(colour(page.evaluate(PAGE_BACKGROUND)), (255, 255, 255)) > 10  # the dark page
    assert_framed(page, page.get_by_role("img", name="Nothing drawn yet"), "nothing drawn")
    finger_draw(page, DIGITS[7])
    expect(answer_of(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    assert_framed(page, page.get_by_role("img", name=re.compile("as the model saw it")), "model input")
    page.get_by_text("Why this answer").click()
    why = page.get_by_test_id("answerWhy")
    expect(why).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert_framed(page, why, "why")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dark-draw-why.png")
    page.context.close()


def test_the_photo_page_s_digits_have_an_edge_on_the_dark_page(browser, app_url, tmp_path):
    photo = tmp_path / "sheet.jpg"
    photo.write_bytes(scenes.jpeg(scenes.close_up([[2, 0, 4, 7, 1]])))
    page = open_dark(browser, f"{app_url}/photo")
    page.locator("input[type=file]").first.set_input_files(str(photo))
    crops = page.get_by_role("img", name=re.compile(r"digit \d+, read as \d"))
    expect(crops.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert_framed(page, crops.first, "a photo's digit")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dark-photo-digits.png")
    page.context.close()
