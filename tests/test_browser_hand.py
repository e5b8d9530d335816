"""No lost work on the Draw page, in Chromium: every stroke of a number reaches the server, the drawing
goes along when "Whole number" is switched, and Undo reaches the strokes carried over.

The numbers are a held-out writer's real strokes (the small pen sample's writer 25) written with the
mouse; `benchmarks/lost_strokes.py` writes 100 of them in each round.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from digit_app.strokes.pen_digits import load_pen_digits
from tests.browser import ANSWER_TIMEOUT_MS, answer_of, mouse_draw
from tests.handwriting import (counted_draw_page, held_out_numbers, mark_surface, same_surface, selected_text,
                               strokes_on_server, write_on_canvas)
from tests.paths import PEN_SAMPLE
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

NUMBER_CANVAS_SHOWN = """() => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .some((host) => host.shadowRoot && host.shadowRoot.querySelector('canvas.upper-canvas')
                    && host.shadowRoot.querySelector('canvas.upper-canvas').width > 300)"""


@pytest.fixture()
def page(browser, app_url) -> Iterator[Page]:
    with counted_draw_page(browser, app_url) as page:
        yield page


def switch(page: Page, on: bool) -> None:
    """Switch "Whole number"; returns the moment that mode's canvas is there, as a quick hand would start."""
    page.get_by_text("Whole number").click()
    expect(page.get_by_role("heading", name="Write a number" if on else "Draw a digit")).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    if on:
        page.wait_for_function(NUMBER_CANVAS_SHOWN, timeout=ANSWER_TIMEOUT_MS)


def clear(page: Page) -> None:
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)


def write_number(page: Page, written) -> None:
    """Write one number; every stroke must reach the server, on the canvas it was begun on, and select no text."""
    strokes = [stroke for digit in written for stroke in digit]
    mark_surface(page)
    write_on_canvas(page, strokes)
    assert strokes_on_server(page) == len(strokes)
    assert same_surface(page), "the canvas was replaced while the number was written"
    assert selected_text(page).strip() == ""
    expect(answer_of(page)).not_to_have_text("—")


def test_numbers_written_right_after_switching_and_later_lose_no_stroke(page):
    numbers = held_out_numbers(6, seed=1, pen=load_pen_digits(PEN_SAMPLE))
    for written, _ in numbers[:3]:  # the moment the number canvas is there
        switch(page, True)
        write_number(page, written)
        clear(page)
        switch(page, False)
    switch(page, True)
    for written, _ in numbers[3:]:  # and a while later
        page.wait_for_timeout(3000)
        write_number(page, written)
        clear(page)


def test_the_drawing_goes_back_and_forth_with_the_whole_number_switch(page):
    mouse_draw(page, DIGITS[4])
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    for on in (True, False, True, False):
        switch(page, on)
        expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)


def test_undo_takes_back_the_strokes_carried_into_the_number_canvas(page):
    """A two-stroke 4 carried into number mode: Undo is enabled, takes back the bar, then the down stroke,
    then is disabled; a stroke drawn after that is undone by the canvas itself, as ever."""
    mouse_draw(page, DIGITS[4])
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    switch(page, True)
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    undo = page.get_by_role("button", name="Undo", exact=True)
    expect(undo).to_be_enabled(timeout=ANSWER_TIMEOUT_MS)
    undo.click()
    expect(answer_of(page)).not_to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    assert strokes_on_server(page) == 1
    expect(undo).to_be_enabled()
    undo.click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    expect(undo).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)
    mouse_draw(page, DIGITS[7])
    expect(answer_of(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    expect(undo).to_be_enabled()
    undo.click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Redo", exact=True)).to_be_enabled()
