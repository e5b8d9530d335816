"""The Draw page's canvas helper (digit_app/ui/canvas_helper.js) in Chromium: the answer while a digit is written."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import ANSWER_TIMEOUT_MS, answer_of, chromium, largest, mouse_draw, serve, stroke_path
from tests.paths import MNIST_SAMPLE, SMALL_PEN_DIGITS
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

# Notes, at every change of the answer area, what a person would see there: is it marked as being
# written, what the Prediction reads, and whether the confidence shows.
WATCH = """
() => {
  window.__seen = [];
  const note = () => {
    const answer = document.querySelector(".st-key-answer");
    if (!answer) return;
    const value = answer.querySelector('[data-testid="answerValue"]');
    const sure = answer.querySelector('[data-testid="answerConfidence"]');
    window.__seen.push({
      busy: answer.getAttribute("aria-busy"),
      value: value ? value.innerText.trim() : null,
      confidence: sure !== null && getComputedStyle(sure).visibility === "visible",
    });
  };
  new MutationObserver(note).observe(document.body, { childList: true, subtree: true, attributes: true,
                                                       characterData: true });
}
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("models"), MNIST_SAMPLE, env=SMALL_PEN_DIGITS) as app, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(app.url)
        expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
        yield page


def test_between_the_strokes_of_a_digit_the_answer_is_shown_as_still_being_written(page):
    """A 4's first stroke is answered while the pen is down again for the second: that answer shows
    greyed, with no confidence; once the 4 is finished and the pen has rested, it says how sure."""
    page.evaluate(WATCH)
    answer = page.locator(".st-key-answer")
    mouse_draw(page, DIGITS[4][:1])
    box = largest([c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()])
    second = stroke_path(box, DIGITS[4][1])
    page.mouse.move(*second[0])
    page.mouse.down()  # writing on: whenever the first stroke's answer comes, it comes while the pen is down
    expect(answer_of(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_have_attribute("aria-busy", "true")
    for point in second[1:]:
        page.mouse.move(*point)
    page.mouse.up()
    expect(answer_of(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_have_attribute("aria-busy", "false", timeout=ANSWER_TIMEOUT_MS)  # the pause is over
    expect(page.get_by_test_id("answerConfidence")).to_be_visible()
    seen = page.evaluate("window.__seen")
    written = [s for s in seen if s["busy"] == "true" and s["value"] not in (None, "—")]
    assert written, "no answer was ever shown as being written"
    assert not any(s["confidence"] for s in written)  # never how sure, while the digit may go on
    assert seen[-1]["busy"] == "false" and seen[-1]["confidence"]  # and then it says how sure


def test_the_drawing_survives_the_whole_number_switch_and_clear_still_empties_the_canvas(page):
    """A 7 drawn, then "Whole number" on: the 7 is on the number canvas and read; Clear empties it
    (the canvas' own reset would bring the carried 7 back for good), and nothing comes back."""
    answer = answer_of(page)
    page.get_by_role("button", name="Clear").click()
    expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    mouse_draw(page, DIGITS[7])
    expect(answer).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_text("Whole number").click()
    expect(page.get_by_role("heading", name="Write a number")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)  # carried over, and read
    page.get_by_role("button", name="Clear").click()
    expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(1000)  # the canvas has had time to bring anything back
    expect(answer).to_have_text("—")
    page.get_by_text("Whole number").click()
    expect(page.get_by_role("heading", name="Draw a digit")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)  # nothing to carry back


# Notes, for the first message the page sends after each pen-up on the canvas, whether a frame was drawn since.
SEND_WATCH = """
() => {
  const watch = window.__sendWatch = { frameSince: null, before: [] };
  window.addEventListener("pointerup", (event) => {
    if (!event.composedPath().some((node) => node.classList && node.classList.contains("upper-canvas"))) return;
    watch.frameSince = false;
    requestAnimationFrame(() => { if (watch.frameSince === false) watch.frameSince = true; });
  }, true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (watch.frameSince !== null) watch.before.push(!watch.frameSince);
    watch.frameSince = null;
    return send.call(this, data);
  };
}
"""


def test_a_stroke_is_sent_in_its_pen_up_before_the_next_frame(page):
    """The stroke leaves the page in the pen-up's own event, not from a timer that waits behind the frame that
    draws the finished stroke (~10 ms): each stroke's message is sent before any frame after its pen-up."""
    page.get_by_role("button", name="Clear").click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    page.evaluate(SEND_WATCH)
    for digit in (7, 1):
        mouse_draw(page, DIGITS[digit])
        expect(answer_of(page)).to_have_text(str(digit), timeout=ANSWER_TIMEOUT_MS)
        page.get_by_role("button", name="Clear").click()
        expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    assert page.evaluate("window.__sendWatch.before") == [True, True]
