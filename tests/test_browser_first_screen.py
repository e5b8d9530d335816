"""The first screen in Chromium: the page's frame painted before Streamlit has loaded, then Streamlit's page in its
place, on the Draw page and on a deep link, with nothing asked of another host."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, mouse_draw
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
# Polled every frame from the start: what the page showed when Chromium first painted content.
AT_FIRST_PAINT = """() => {
  if (window.__atPaint === undefined && performance.getEntriesByName("first-contentful-paint").length)
    window.__atPaint = {frame: document.querySelectorAll(".dr-frame h1").length,
                        streamlit: document.querySelectorAll('[data-testid="stApp"]').length,
                        heading: (document.querySelector("h1") || {}).textContent || ""};
  return window.__atPaint || null;
}"""


@pytest.mark.parametrize(("path", "heading", "device"), [
    ("", "Draw a digit", {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"}),
    ("/photo", "Read a photo", {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "is_mobile": True,
                                "has_touch": True, "device_scale_factor": 2}),
])
def test_the_frame_is_painted_first_and_streamlit_replaces_it(browser, app_url, path, heading, device):
    context = browser.new_context(**device)
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    page.goto(app_url + path, wait_until="commit")
    first = page.wait_for_function(AT_FIRST_PAINT, polling="raf", timeout=ANSWER_TIMEOUT_MS).json_value()
    assert first == {"frame": 1, "streamlit": 0, "heading": heading}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"first-screen{path.replace('/', '-') or '-draw'}.png")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".dr-frame")).to_have_count(0)  # React drew the app in its place
    expect(page.get_by_role("heading", name=heading, exact=True)).to_have_count(1)
    if not path:
        mouse_draw(page, DIGITS[7])
        expect(answer_of(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    assert hosts == {"127.0.0.1"}  # nothing from the internet: no font, icon or script from elsewhere
    context.close()


# The title's and the canvas' boxes, [left, top, width, height] rounded to the pixel: in the frame, and in the page
# Streamlit draws in its place.
FRAME_BOXES = """() => Object.fromEntries([["title", ".dr-frame h1"], ["canvas", ".dr-canvas"]].map(([name, css]) => {
  const box = document.querySelector(css).getBoundingClientRect();
  return [name, [box.left, box.top, box.width, box.height].map(Math.round)];
}))"""
PAGE_BOXES = """() => {
  const host = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].find((h) => h.shadowRoot);
  return Object.fromEntries([["title", document.querySelector('[data-testid="stHeading"] h1')],
                             ["canvas", host && host.shadowRoot.querySelector("canvas.upper-canvas")]].map(
    ([name, element]) => { const box = element.getBoundingClientRect();
                           return [name, [box.left, box.top, box.width, box.height].map(Math.round)]; }));
}"""


@pytest.mark.parametrize("device", [
    {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},  # the caption on one line
    {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "is_mobile": True, "has_touch": True,
     "device_scale_factor": 2},  # the caption on two lines
    {"viewport": {"width": 800, "height": 800}, "color_scheme": "light"},  # beside the sidebar: two lines, 218 px
    {"viewport": {"width": 320, "height": 640}, "color_scheme": "light"},  # the title on one line all the same
])
def test_the_frames_title_and_canvas_are_where_streamlit_draws_them(browser, app_url, device):
    """No jump as Streamlit replaces the frame: the same boxes, to the pixel (the frame held by keeping Streamlit's
    scripts from loading)."""
    context = browser.new_context(**device)
    held = context.new_page()
    held.route("**/static/js/**", lambda route: route.abort())
    held.goto(app_url)
    frame = held.evaluate(FRAME_BOXES)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{device['viewport']['width']}-{device['color_scheme']}"
    held.screenshot(path=SCREENSHOTS / f"first-screen-frame-{name}.png")
    page = context.new_page()
    page.goto(app_url)
    expect(page.get_by_role("button", name="Undo")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=ANSWER_TIMEOUT_MS)
    page.screenshot(path=SCREENSHOTS / f"first-screen-mounted-{name}.png")
    assert frame == page.evaluate(PAGE_BOXES)
    context.close()
