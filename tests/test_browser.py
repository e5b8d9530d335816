"""The app in a real headless Chromium: draw with the mouse (and a finger), read the answer off the page.

Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it). Screenshots go to
build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from digit_app.database import CorrectionsTable, VersionsTable, open_database
from digit_app.database import registry as versions
from digit_app.store.metadata import TrainingSummary
from digit_app.store.versions import SHIPPED_MODEL
from tests.browser import ANSWER_TIMEOUT_MS, ROOT, Strokes, answer_of, finger_draw, largest, mouse_draw
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
SEVEN, FOUR = DIGITS[7], DIGITS[4]
ONE_SEVEN = [[(0.05, 0.1), (0.2, 0.0), (0.2, 1.0)], [(0.55, 0.05), (1.0, 0.05), (0.7, 1.0)]]  # two digits


def server_database(models_folder: Path):
    """The database the test server keeps its versions in (tests/browser.py `serve` puts it in its models folder)."""
    return open_database(f"sqlite:///{models_folder / 'app.sqlite'}")


def corrections_in(folder: Path) -> CorrectionsTable:
    """The corrections of the database a server `serve` started keeps in `folder`."""
    return CorrectionsTable(open_database(f"sqlite:///{folder / 'app.sqlite'}"))


def number_strokes(digits: list[int]) -> Strokes:
    """A whole number in a unit box: each digit in its own slot, as narrow as handwriting."""
    slot = 1 / len(digits)
    return [[((index + 0.15 + 0.7 * x) * slot, y) for x, y in stroke]
            for index, digit in enumerate(digits) for stroke in DIGITS[digit]]


def canvas_box(page: Page) -> dict:
    page.locator("canvas").first.wait_for(state="visible", timeout=60_000)
    return largest([c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()])


def wait_until_drawn(page: Page) -> None:
    """Wait until the model is loaded and the page drawn: a line names the model in use."""
    expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer_of(page)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def draw_with_mouse(page: Page, strokes: Strokes) -> None:
    wait_until_drawn(page)
    canvas_box(page)  # waits for the canvas to be shown
    mouse_draw(page, strokes)


def clear(page: Page) -> None:
    """Press Clear: the same canvas empties itself, and the answer goes."""
    page.get_by_role("button", name="Clear").click()
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)


def draw_with_finger(page: Page, strokes: Strokes) -> None:
    """Draw with a finger once the page is ready."""
    wait_until_drawn(page)
    canvas_box(page)  # waits for the canvas to be shown
    finger_draw(page, strokes)


def prediction(page: Page):
    """The answer on the Draw page (tests/browser.py's answer_of: its hook)."""
    return answer_of(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a select box; the list is opened again if a rerun of the page closed it."""
    box = page.get_by_role("combobox", name=label)
    for _ in range(5):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def save_answered_page(page: Page, name: str) -> None:
    """Save the whole page once the probabilities and the model's-eye image have rendered."""
    expect(page.locator("img[alt^='The drawing as the model saw it']")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("figure[aria-label^='Probability of each digit']")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    save_page(page, name)


def save_page(page: Page, name: str, full_page: bool = True) -> None:
    """A screenshot to look at, in the screenshots folder (made if missing)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=full_page)


def test_draw_with_the_mouse_and_read_the_answer(browser, app_url):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(app_url)
    expect(page.locator(".dc-answer-label").first).to_contain_text("Prediction", timeout=ANSWER_TIMEOUT_MS)
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    save_answered_page(page, "draw-seven-desktop.png")

    clear(page)
    draw_with_mouse(page, FOUR)
    expect(prediction(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)

    clear(page)
    draw_with_mouse(page, ONE_SEVEN)
    expect(page.get_by_text("2 digits side by side", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(prediction(page)).to_have_text("—")
    save_page(page, "draw-two-digits.png")
    page.close()


def test_draw_with_a_finger_on_a_phone_in_dark_mode(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  has_touch=True, is_mobile=True, color_scheme="dark")
    page = context.new_page()
    page.goto(app_url)
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    draw_with_finger(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    save_answered_page(page, "draw-seven-phone-dark.png")
    context.close()


@pytest.mark.slow
def test_retrain_from_the_page_then_draw_with_the_new_model(browser, app_url, models_folder, monkeypatch):
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.goto(f"{app_url}/retrain")
    expect(page.get_by_role("heading", name="Retrain")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("1")
    epochs.press("Enter")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_test_id("stProgress").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # live progress
    done = page.get_by_text("MNIST test accuracy", exact=False).first
    expect(done).to_be_visible(timeout=300_000)
    message = page.get_by_test_id("stAlertContentSuccess").first.inner_text()
    new_version = message.rsplit("saved as ", 1)[1].rstrip(". \n")
    page.get_by_role("button", name="Use this model").click()
    page.get_by_role("button", name="Use it anyway").click()  # one epoch reads worse: the page asks first
    expect(page.get_by_text("This model is in use on the Draw page.")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("combobox", name="Version")).to_have_value(new_version, timeout=ANSWER_TIMEOUT_MS)
    save_page(page, "retrain-done.png")

    page.goto(app_url)
    expect(page.get_by_text(f"Model: {new_version}")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    assert prediction(page).inner_text().strip() in "0123456789"

    # Switch back to the shipped model from the version table (the one-epoch model reads badly).
    try:
        page.goto(f"{app_url}/retrain")
        choose(page, "Version", "shipped")
        page.get_by_role("button", name="Activate").click()
        expect(page.get_by_role("button", name="Activate")).to_be_disabled(timeout=ANSWER_TIMEOUT_MS)
        page.goto(app_url)
        expect(page.get_by_text("Model: shipped")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    finally:  # whatever happened above, the tests after this one draw with the shipped model
        versions.activate(versions.SHIPPED, server_database(models_folder))
        page.close()


@pytest.mark.slow
def test_training_outlives_its_tab_and_another_session_can_cancel_it(browser, app_url):
    """Start a run and close the tab: another session sees the run going on, cannot start a
    second one, and cancels it; nothing is kept and the server is free to train again."""
    starter = browser.new_context(viewport={"width": 1100, "height": 1000})
    page = starter.new_page()
    page.goto(f"{app_url}/retrain")
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("200")
    epochs.press("Enter")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("button", name="Cancel training")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    starter.close()

    other = browser.new_page(viewport={"width": 1100, "height": 1000})
    other.goto(f"{app_url}/retrain")
    expect(other.get_by_text(re.compile(r"Epoch \d+ of 200"))).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(other.get_by_role("button", name="Start training")).to_be_disabled()
    other.get_by_role("button", name="Cancel training").click()
    expect(other.get_by_text("no model was kept", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(other.get_by_role("button", name="Start training")).to_be_enabled()
    save_page(other, "retrain-cancelled-from-another-session.png", full_page=False)
    other.close()


def test_write_a_whole_number_with_the_mouse(browser, app_url):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    open_number_page(page, app_url)
    expect(page.get_by_text("Write a number, digit by digit")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    draw_with_mouse(page, number_strokes([7, 4, 0]))
    expect(prediction(page)).to_have_text("740", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("img[alt$='digit, read as 7'], img[alt$='digit, read as 4'], img[alt$='digit, read as 0']")
           ).to_have_count(3, timeout=ANSWER_TIMEOUT_MS)
    save_page(page, "draw-whole-number.png")
    page.close()


def test_a_number_whose_digits_touch_is_read_by_its_strokes(browser, app_url):
    """A 2 whose base runs under the 3 that touches it, then a 7: as ink they are one blob, as strokes three digits."""
    from tests.strokes import digit_strokes

    page = browser.new_page(viewport={"width": 1100, "height": 900})
    open_number_page(page, app_url)
    write_in_canvas_pixels(page, [s for digit, left in ((2, 120), (3, 195), (7, 280))
                                  for s in digit_strokes(digit, left, 50, 100)])
    expect(prediction(page)).to_have_text("237", timeout=ANSWER_TIMEOUT_MS)
    save_page(page, "draw-touching-number.png")
    page.close()


def test_a_correction_made_on_the_page_is_kept(browser, app_url, models_folder):
    """Whatever model is active (another test may have put a one-epoch model to work), the answer
    shown and the digit picked are what the database keeps."""

    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.goto(app_url)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).not_to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    shown = int(prediction(page).inner_text().strip())
    right = 7 if shown != 7 else 1
    page.get_by_test_id("stButtonGroup").get_by_text(str(right), exact=True).click()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text(f"Saved as a {right}", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    save_page(page, "draw-correction-saved.png")
    saved = corrections_in(models_folder).list()
    assert [(c.label, c.predicted) for c in saved] == [(right, shown)]

    page.goto(f"{app_url}/corrections")
    expect(page.get_by_text(f"{right}, read as {shown}")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    page.close()


# The Draw page in the hand: nothing lost after Clear, nothing moves, a number fits a phone.

def phone(browser, dark: bool = False):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  has_touch=True, is_mobile=True, color_scheme="dark" if dark else "light")
    return context, context.new_page()


def open_number_page(page: Page, app_url: str) -> None:
    """The Draw page, switched to whole numbers, with its wide canvas in place."""
    page.goto(app_url)
    wait_until_drawn(page)
    page.get_by_text("Whole number").click()
    expect(page.get_by_role("heading", name="Write a number")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text("Nothing written yet", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    for _ in range(120):  # the wide canvas replaces the square one
        if canvas_box(page)["width"] > 300:
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(500)


def write_in_canvas_pixels(page: Page, strokes, canvas_width: float = 560) -> None:
    """Draw strokes given in the canvas' own pixels, whatever size the canvas is shown at."""
    box = canvas_box(page)
    scale = box["width"] / canvas_width
    for stroke in strokes:
        points = [(box["x"] + float(x) * scale, box["y"] + float(y) * scale) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            for step in range(1, 9):
                page.mouse.move(x0 + (x1 - x0) * step / 8, y0 + (y1 - y0) * step / 8)
        page.mouse.up()


@pytest.mark.parametrize("delay_ms", [0, 100, 400, 1500])
def test_a_digit_drawn_right_after_clear_is_kept_and_answered(browser, app_url, delay_ms):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_timeout(delay_ms)
    draw_with_mouse(page, FOUR)  # both strokes of the 4 must be kept
    expect(prediction(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    page.close()


def test_a_finger_drawing_right_after_clear_is_kept_and_answered(browser, app_url):
    context, page = phone(browser)
    page.goto(app_url)
    draw_with_finger(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_role("button", name="Clear").tap()
    page.wait_for_timeout(100)
    draw_with_finger(page, FOUR)
    expect(prediction(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone, scrolled"])
def test_the_canvas_does_not_move_when_an_answer_comes_or_goes(browser, app_url, device):
    if device == "desktop":
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
    else:
        context, page = phone(browser, dark=True)
    page.goto(app_url)
    wait_until_drawn(page)
    if device != "desktop":  # the canvas at the top of the screen, as a person drawing on a phone has it
        top = canvas_box(page)["y"]
        page.evaluate(f"window.scrollBy(0, {top - 20})")
        page.wait_for_timeout(300)
    before = canvas_box(page)
    draw = draw_with_mouse if device == "desktop" else draw_with_finger
    draw(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(1000)  # everything below the answer has rendered
    answered = canvas_box(page)
    page.get_by_role("button", name="Clear").click()
    expect(prediction(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(1000)
    cleared = canvas_box(page)
    save_page(page, f"canvas-still-{device.split(',')[0]}.png", full_page=False)
    assert answered == before and cleared == before, (before, answered, cleared)
    context.close()


def test_the_number_canvas_fits_a_phone_and_every_digit_image_loads(browser, app_url):
    from tests.strokes import digit_strokes

    context, page = phone(browser)
    failures = []
    page.on("response", lambda response: failures.append(response.url) if response.status >= 400 else None)
    page.on("console", lambda message: failures.append(message.text) if message.type == "error" else None)
    open_number_page(page, app_url)
    box = canvas_box(page)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # every part of it can be reached
    strokes = [s for digit, left in ((2, 60), (0, 190), (4, 320)) for s in digit_strokes(digit, left, 40, 110)]
    write_in_canvas_pixels(page, strokes)
    expect(prediction(page)).to_have_text("204", timeout=ANSWER_TIMEOUT_MS)
    images = page.locator("img[alt*='digit']")
    expect(images).to_have_count(4, timeout=ANSWER_TIMEOUT_MS)  # how it was split, and each of the 3 digits
    for image in images.all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), image.get_attribute("alt")
    assert not [f for f in failures if "/media/" in f or "404" in f], failures
    save_page(page, "number-on-a-phone.png")
    context.close()


def test_one_digit_of_a_number_is_corrected_on_the_page(browser, app_url, models_folder):
    from tests.strokes import digit_strokes

    store = corrections_in(models_folder)
    before = len(store.list())
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    open_number_page(page, app_url)
    write_in_canvas_pixels(page, [s for digit, left in ((7, 120), (1, 260))
                                  for s in digit_strokes(digit, left, 40, 110)])
    expect(prediction(page)).to_have_text("71", timeout=ANSWER_TIMEOUT_MS)
    choose(page, "Wrong digit?", "the 2nd (read as 1)")
    page.get_by_test_id("stButtonGroup").get_by_text("7", exact=True).click()
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Saved as a 7", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    saved = store.list()
    assert len(saved) == before + 1 and (saved[-1].label, saved[-1].predicted) == (7, 1)  # oldest first
    page.close()


def test_the_canvas_is_labelled_and_the_answer_is_announced(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    wait_until_drawn(page)
    answer = page.locator(".st-key-answer")
    expect(answer).to_have_attribute("aria-live", "polite", timeout=ANSWER_TIMEOUT_MS)
    label = page.wait_for_function("""() => {
        const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
        const surface = host && host.shadowRoot && host.shadowRoot.querySelector('canvas.upper-canvas');
        return surface && surface.getAttribute('aria-label');
    }""", timeout=ANSWER_TIMEOUT_MS).json_value()
    assert "draw one digit" in label
    edit_shown = page.evaluate("""() => {
        const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
        const edit = host.shadowRoot.querySelector('button[aria-label="Edit"]');
        return !!edit && getComputedStyle(edit).display !== 'none';
    }""")
    assert not edit_shown  # the toggle that silently stops drawing is not offered
    draw_with_mouse(page, SEVEN)
    expect(answer).to_contain_text("7", timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)  # no developer menu for visitors
    page.close()


def delete_for_good(page: Page, version: str) -> None:
    """Delete the chosen version on the Retrain page: Delete, then the confirmation that names it."""
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("button", name=f"Delete {version}").click()
    expect(page.get_by_text(f"Deleted {version}.")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def test_two_tabs_deleting_and_using_one_version_never_touch_another(browser, app_url, models_folder, monkeypatch):
    """Tabs A and B show version aaaa; B deletes it; A's Delete and later A's Activate of a version B
    deleted must say it is gone, and leave every other version, and the model in use, as they were."""
    shared = server_database(models_folder)
    for name in ("v1-aaaa", "v2-bbbb", "v3-cccc"):
        VersionsTable(shared).add(name, TrainingSummary(test_accuracy=0.99), {"keras": SHIPPED_MODEL.read_bytes()})
    versions.activate("v2-bbbb", shared)
    others = {v.id for v in versions.list_versions(shared)} - {"v1-aaaa", "v2-bbbb", "v3-cccc"}  # earlier tests'
    tabs = [browser.new_context(viewport={"width": 1100, "height": 1000}) for _ in range(2)]
    try:
        a, b = (tab.new_page() for tab in tabs)
        for page in (a, b):
            page.goto(f"{app_url}/retrain")
            choose(page, "Version", "v1-aaaa")
        a.get_by_role("button", name="Delete", exact=True).click()  # A asks first ...
        expect(a.get_by_text("Delete version v1-aaaa?")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        delete_for_good(b, "v1-aaaa")  # ... B deletes it meanwhile
        a.get_by_role("button", name="Delete v1-aaaa").click()  # A still shows v1-aaaa, and confirms
        expect(a.get_by_text("Version v1-aaaa is gone", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        assert {v.id for v in versions.list_versions(shared)} == others | {"v2-bbbb", "v3-cccc"}

        for page in (a, b):
            choose(page, "Version", "v3-cccc")
        delete_for_good(b, "v3-cccc")
        a.get_by_role("button", name="Activate").click()
        expect(a.get_by_text("Version v3-cccc is gone", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        assert not a.get_by_test_id("stException").count()
        assert versions.active_version_id(shared) == "v2-bbbb"
        assert {v.id for v in versions.list_versions(shared)} == others | {"v2-bbbb"}
    finally:
        for tab in tabs:
            tab.close()
        versions.activate(versions.SHIPPED, shared)
        for name in ("v1-aaaa", "v2-bbbb", "v3-cccc"):
            VersionsTable(shared).delete(name)


def test_every_request_stays_on_this_machine_and_the_tab_icon_is_the_app_s_own(browser, app_url):
    """Opening the app and drawing asks nothing of the internet: the page icon is a file the app serves."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(app_url)
    draw_with_mouse(page, SEVEN)
    expect(prediction(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    icon = page.locator("link[rel~='icon']").first.get_attribute("href")
    assert icon and not re.match(r"^(https?:)?//", icon.replace(app_url, "")), icon
    assert requested and [url for url in requested if not url.startswith((app_url, "data:", "blob:"))] == []
    context.close()


# In the page: every message the page sends to the server, and the pen lifting, in order.
SENT = """
() => {
  window.__order = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { window.__order.push("send"); return send.call(this, data); };
  window.addEventListener("mouseup", () => window.__order.push("pen-up"), true);
}
"""


def test_each_stroke_goes_to_the_server_once_when_the_pen_lifts(browser, app_url):
    """The page's helper presses the canvas' own "send now" in the pen-up event itself, after the canvas
    has added the stroke: one message a stroke, the canvas' own send 200 ms later cancelled."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(app_url)
    wait_until_drawn(page)
    page.evaluate(SENT)
    draw_with_mouse(page, FOUR)
    expect(prediction(page)).to_have_text("4", timeout=ANSWER_TIMEOUT_MS)  # both strokes were in the message
    page.wait_for_timeout(400)  # past the canvas' own 200 ms wait, had it not been cancelled
    assert page.evaluate("window.__order") == ["pen-up", "send", "pen-up", "send"]
    page.close()
