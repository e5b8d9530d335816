"""WCAG 2.2 AA on the pages, measured in Chromium: target sizes, contrast, names, focus and 200% zoom.

Desktop 1280x800 in light mode and a phone 390x844 in dark mode; screenshots go to build/screenshots/.
"""

from __future__ import annotations

import io
import re
from itertools import combinations

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, colour, contrast, finger_draw, largest, mouse_draw, over
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
DEVICES = {
    "desktop, light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "phone, dark": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True,
                    "is_mobile": True, "color_scheme": "dark"},
}
# Every caption's text, colour and opacity (its own times its ancestors'): Streamlit's and the pages' own.
CAPTIONS = """() => [...document.querySelectorAll('[data-testid="stCaptionContainer"], .dc-caption')].map((c) => {
    let alpha = 1;
    for (let node = c; node; node = node.parentElement) alpha *= parseFloat(getComputedStyle(node).opacity);
    return [c.innerText, getComputedStyle(c).color, alpha];
})"""
PAGE_BACKGROUND = "() => getComputedStyle(document.querySelector('.stApp')).backgroundColor"


def open_draw_page(browser, app_url: str, device: str, **options) -> Page:
    page = browser.new_context(**{**DEVICES[device], **options}).new_page()
    page.goto(app_url)
    expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Undo")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return page


def canvas_box(page: Page) -> dict:
    return largest([c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()])


def switch_to_numbers(page: Page) -> None:
    page.get_by_text("Whole number").click()
    expect(page.get_by_role("heading", name="Write a number")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
        .some((host) => host.shadowRoot && host.shadowRoot.querySelector('canvas.upper-canvas')
                        && host.shadowRoot.querySelector('canvas.upper-canvas').width > 300)""",
                           timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # the helper fits the wide canvas to the column within a frame or its 1 s upkeep


def draw(page: Page, device: str, strokes) -> None:
    """With a finger on the phone, with the mouse on the desktop."""
    (finger_draw if device.startswith("phone") else mouse_draw)(page, strokes)


def save(page: Page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=full_page)


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("mode", ["digit", "number"])
def test_the_canvas_controls_are_44_px_targets_and_clear_is_the_one_reset(browser, app_url, device, mode):
    page = open_draw_page(browser, app_url, device)
    if mode == "number":
        switch_to_numbers(page)  # on a phone the wide canvas is scaled down, its toolbar must not be
    for name in ("Undo", "Redo", "Clear"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)
    expect(page.get_by_role("button", name="Reset canvas & history")).to_be_hidden()  # Clear does it
    draw(page, device, DIGITS[7])  # stretched across the wide canvas, a 7 may read as a 1: an answer is enough
    expect(answer_of(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    save(page, f"access-controls-{mode}-{device.split(',')[0]}.png")
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    page.context.close()


@pytest.mark.parametrize("device", list(DEVICES))
def test_the_page_follows_the_systems_theme(browser, app_url, device):
    """A dark system gets Streamlit's dark page, a light one its light page (no theme is configured)."""
    page = open_draw_page(browser, app_url, device)
    against_white = contrast(colour(page.evaluate(PAGE_BACKGROUND)), (255, 255, 255))
    if DEVICES[device]["color_scheme"] == "dark":
        assert against_white > 10, against_white
    else:
        assert against_white < 1.1, against_white
    page.context.close()


@pytest.mark.parametrize("device", list(DEVICES))
def test_the_canvas_edge_shows_against_the_page(browser, app_url, device):
    """Read off a screenshot, so an edge clipped away, or the same colour as the page, fails."""
    page = open_draw_page(browser, app_url, device, device_scale_factor=1)
    page.wait_for_timeout(500)
    box = canvas_box(page)
    background = colour(page.evaluate(PAGE_BACKGROUND))
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    middle = round(box["y"] + box["height"] / 2)
    edge = shot.getpixel((round(box["x"]) - 1, middle))  # just outside the canvas' left side
    beyond = shot.getpixel((round(box["x"]) - 6, middle))  # the page, a few pixels further out
    assert contrast(beyond, background) < 1.1  # that is the page indeed
    assert contrast(edge, background) >= 3, (edge, background)
    page.context.close()


@pytest.mark.parametrize("device", list(DEVICES))
def test_captions_carrying_messages_read_at_4_5_to_1(browser, app_url, device):
    page = open_draw_page(browser, app_url, device)
    expect(page.get_by_test_id("answerNote")).to_contain_text(
        "Nothing drawn yet", timeout=ANSWER_TIMEOUT_MS)  # the answer's own sentence, a caption like "Not sure: ..."
    page.wait_for_timeout(500)
    shown = page.evaluate(CAPTIONS)
    background = colour(page.evaluate(PAGE_BACKGROUND))
    assert len(shown) >= 4  # the page's line, the answer's sentence, the two headings beside it, the model's line
    for text, css, alpha in shown:
        text_colour = colour(css)
        seen = over(text_colour, background, alpha * text_colour[3])
        assert contrast(seen, background) >= 4.5, (text, css, alpha)
    save(page, f"access-captions-{device.split(',')[0]}.png")
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_brush_slider_is_named_once_and_sidebar_focus_is_not_the_current_page_look(browser, app_url, scheme):
    page = open_draw_page(browser, app_url, "desktop, light", color_scheme=scheme)  # the sidebar shown
    page.wait_for_timeout(1200)  # the helper's upkeep has run
    expect(page.get_by_role("slider", name="Brush width", exact=True)).to_have_count(1)
    current = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    other = page.get_by_role("link", name="Photo")
    for _ in range(30):  # the keyboard's way, so that :focus-visible applies
        page.keyboard.press("Tab")
        if other.evaluate("link => document.activeElement === link"):
            break
    else:
        pytest.fail("Tab never reached the Photo link")
    style = "link => { const s = getComputedStyle(link); return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    focus_style, focus_width, focus_colour = other.evaluate(style)
    assert focus_style != "none" and float(focus_width.rstrip("px")) >= 2
    assert current.evaluate(style)[0] == "none" or current.evaluate(style)[1] == "0px"  # the current page: no ring
    sidebar = colour(page.get_by_test_id("stSidebar").evaluate("s => getComputedStyle(s).backgroundColor"))
    assert contrast(colour(focus_colour), sidebar) >= 3
    save(page, f"access-focus-{scheme}.png")
    page.context.close()


def test_at_200_percent_zoom_the_canvas_and_the_answer_are_reachable_and_nothing_overlaps(browser, app_url):
    page = open_draw_page(browser, app_url, "desktop, light", viewport={"width": 640, "height": 400},
                          device_scale_factor=2)
    page.locator('[data-testid="stBidiComponentIsolated"]').first.evaluate(
        "host => host.scrollIntoView({block: 'center'})")  # clear of the page's header
    page.wait_for_timeout(300)
    mouse_draw(page, DIGITS[7])
    answer = answer_of(page)
    expect(answer).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    answer.scroll_into_view_if_needed()
    expect(answer).to_be_in_viewport()
    parts = {"slider": page.get_by_test_id("stSlider"), "clear": page.get_by_role("button", name="Clear"),
             "undo": page.get_by_role("button", name="Undo"), "redo": page.get_by_role("button", name="Redo"),
             "canvas": page.locator('[data-testid="stBidiComponentIsolated"]').first,
             "answer": page.locator(".st-key-answer"), "wrong": page.get_by_text("Wrong? It is a")}
    boxes = {name: part.first.bounding_box() for name, part in parts.items()}
    for (first, a), (second, b) in combinations(boxes.items(), 2):
        if {first, second} in ({"undo", "redo"},):
            continue
        apart = (a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1
                 or a["y"] + a["height"] <= b["y"] + 1 or b["y"] + b["height"] <= a["y"] + 1)
        assert apart, (first, a, second, b)
    assert boxes["undo"]["x"] + boxes["undo"]["width"] <= boxes["redo"]["x"] + 1
    page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")  # the page scrolls inside its main
    save(page, "access-zoom-200.png", full_page=True)
    page.context.close()


def test_the_corrections_page_names_each_delete_and_image(browser, app_url):
    page = open_draw_page(browser, app_url, "desktop, light")
    mouse_draw(page, DIGITS[7])
    expect(answer_of(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_test_id("stButtonGroup").get_by_text("1", exact=True).click()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Saved as a 1", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    page.goto(f"{app_url}/corrections")
    grid = page.locator(".st-key-corrections-grid")
    expect(grid.get_by_role("button", name=re.compile(r"^Delete #\d+, the 1$"))).to_have_count(1,
                                                                                        timeout=ANSWER_TIMEOUT_MS)
    expect(grid.get_by_role("img", name=re.compile(r"^Correction \d+: the digit 1, read as 7$"))).to_be_visible()
    grid.get_by_role("img").first.hover()  # where Streamlit would show its fullscreen button
    expect(grid.get_by_role("button", name=re.compile("fullscreen", re.IGNORECASE))).to_have_count(0)
    save(page, "access-corrections.png")
    page.context.close()

