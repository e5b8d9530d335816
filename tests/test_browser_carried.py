"""Undo and Redo of the strokes carried into the other mode's canvas, in Chromium.

The canvas' own history starts at the drawing it was given, so its Undo and Redo cannot reach the strokes
carried over when "Whole number" is switched: the page's helper asks the server for those instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, mouse_draw
from tests.handwriting import counted_draw_page, strokes_on_server
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "build" / "screenshots"


@pytest.fixture()
def page(browser, app_url) -> Iterator[Page]:
    with counted_draw_page(browser, app_url) as page:
        yield page


def test_redo_puts_back_the_carried_strokes_undo_took(page):
    """A two-stroke 4 carried into number mode, both strokes undone: Redo is enabled, puts back the down
    stroke, then the bar (the 4 is read again), then is disabled; a stroke drawn after an Undo ends Redo."""
    mouse_draw(page, DIGITS[4])
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_text("Whole number").click()
    expect(page.get_by_role("heading", name="Write a number")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    undo = page.get_by_role("button", name="Undo", exact=True)
    redo = page.get_by_role("button", name="Redo", exact=True)
    expect(redo).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)
    for _ in range(2):
        expect(undo).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
        undo.click()
        page.wait_for_timeout(300)
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    expect(redo).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
    redo.click()
    expect(answer_of(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    assert strokes_on_server(page) == 1
    expect(redo).to_be_enabled()
    redo.click()
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)  # the whole 4 back, and read
    assert strokes_on_server(page) == 2
    expect(redo).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)
    page.screenshot(path=SCREENSHOTS / "carried-redo-desktop-light.png")

    undo.click()  # the bar again; then a new stroke: what Undo took back is gone for good
    expect(answer_of(page)).not_to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    expect(redo).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
    mouse_draw(page, DIGITS[1])
    expect(redo).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)
