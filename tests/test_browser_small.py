"""The small things a new user tripped over, checked in Chromium: deep links, the Corrections page's Undo
and import message, the version table, the Photo page's digits on a phone, the Draw page before drawing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from digit_app.database import CorrectionsTable, open_database
from tests import photo_scenes as scenes
from tests.browser import ANSWER_TIMEOUT_MS, ROOT, answer_of, mouse_draw
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True, "is_mobile": True,
         "color_scheme": "dark"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"}


def corrections(folder: Path) -> CorrectionsTable:
    """The corrections of the test server's database."""
    return CorrectionsTable(open_database(f"sqlite:///{folder / 'app.sqlite'}"))


def a_drawn(label: int) -> np.ndarray:
    """A (28, 28) input with a bar of ink where the label says, so that each one differs."""
    image = np.zeros((28, 28), np.float32)
    image[4:24, 4 + 2 * label : 6 + 2 * label] = 1.0
    return image


def open_page(browser, url: str, device: dict = DESKTOP) -> Page:
    page = browser.new_context(**device).new_page()
    page.goto(url)
    return page


def shoot(page: Page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=full_page)


@pytest.mark.parametrize("path, heading", [("photo", "Read a photo"), ("corrections", "Corrections"),
                                           ("retrain", "Retrain")])
def test_a_deep_link_opens_its_page_and_only_streamlit_s_own_probe_misses(browser, app_url, path, heading):
    """/photo opened directly shows the Photo page. The page looks for the server under the page's path
    first (Streamlit answers /photo/_stcore/health with a 404 on purpose: no route under a page), then at
    the root: that probe is the only request that fails, and the page works."""
    page = browser.new_context(**DESKTOP).new_page()
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    page.goto(f"{app_url}/{path}")
    expect(page.get_by_role("heading", name=re.compile(heading, re.IGNORECASE)).first).to_be_visible(
        timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=ANSWER_TIMEOUT_MS)
    probes = (f"{app_url}/{path}/_stcore/health", f"{app_url}/{path}/_stcore/host-config")
    assert [url for url in failed if not url.startswith(probes)] == []
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.context.close()


def test_before_anything_is_drawn_there_is_no_wrong_row(browser, app_url):
    page = open_page(browser, app_url)
    expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text("Wrong? It is a")).to_have_count(0)
    mouse_draw(page, DIGITS[7])
    expect(answer_of(page)).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text("Wrong? It is a")).to_be_visible()
    page.context.close()


def test_two_deletions_are_put_back_by_two_undos(browser, app_url, models_folder):
    store = corrections(models_folder)
    ids = [store.add(a_drawn(label), label, predicted=(label + 1) % 10) for label in (3, 5, 8)]
    page = open_page(browser, f"{app_url}/corrections")
    grid = page.locator(".st-key-corrections-grid")
    delete = grid.get_by_role("button", name=re.compile(r"^Delete #\d+"))
    expect(delete).to_have_count(len(ids), timeout=ANSWER_TIMEOUT_MS)
    for first, second in ((ids[0], "the 3"), (ids[2], "the 8")):
        grid.get_by_role("button", name=f"Delete #{first}, {second}").click()
        expect(grid.get_by_role("button", name=f"Delete #{first}, {second}")).to_have_count(0,
                                                                                        timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_text("Undo can put back 2 removals", exact=False)).to_be_visible()
    for _ in range(2):
        page.get_by_role("button", name="Undo", exact=True).click()
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    expect(delete).to_have_count(3, timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Undo", exact=True)).to_have_count(0)
    assert sorted(c.id for c in store.list()) == sorted(ids)
    for correction_id in ids:
        store.delete(correction_id)
    page.context.close()


def test_importing_one_correction_says_so_in_the_singular(browser, app_url, models_folder, tmp_path):
    source = CorrectionsTable(open_database(f"sqlite:///{tmp_path / 'other.sqlite'}"))
    source.add(a_drawn(9), 9, predicted=4)
    exported = tmp_path / "corrections.npz"
    exported.write_bytes(source.export_npz())
    page = open_page(browser, f"{app_url}/corrections")
    page.locator("input[type=file]").set_input_files(str(exported))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported 1 correction.", exact=True)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    store = corrections(models_folder)
    for correction in store.list():
        store.delete(correction.id)
    page.context.close()


def test_the_version_table_shows_the_shipped_model_s_epochs_without_none(browser, app_url):
    page = open_page(browser, f"{app_url}/retrain")
    expect(page.get_by_role("region", name="Model versions")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    cells = page.evaluate("""() => [...document.querySelectorAll('.dc-versions th, .dc-versions td')]
                                   .map((cell) => cell.innerText.trim())""")
    assert "shipped" in cells, cells  # the table's own text, as a screen reader reads it
    assert "None" not in cells
    shoot(page, "small-version-table.png")
    page.context.close()


def test_the_photo_page_shows_a_line_s_digits_in_one_row_on_a_phone(browser, app_url, tmp_path):
    photo = tmp_path / "sheet.jpg"
    photo.write_bytes(scenes.jpeg(scenes.close_up([[2, 0, 4, 7, 1]])))
    page = open_page(browser, f"{app_url}/photo", PHONE)
    page.locator("input[type=file]").first.set_input_files(str(photo))
    crops = page.get_by_role("img", name=re.compile(r"digit \d+, read as \d"))
    expect(crops.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert crops.count() >= 4
    tops = {round(crops.nth(i).bounding_box()["y"]) for i in range(crops.count())}
    assert len(tops) == 1, tops
    crops.first.scroll_into_view_if_needed()
    shoot(page, "small-photo-phone.png", full_page=False)
    page.context.close()


# Each part of the Draw page scrolled to the top of the page's own scroll area: where does it land, against the
# header's bottom edge; and the page's last line scrolled to the bottom: is it within the window.
UNDER_THE_HEADER = """() => {
  const header = document.querySelector('[data-testid="stHeader"]').getBoundingClientRect().bottom;
  const parts = {title: document.querySelector('h1'), slider: document.querySelector('[data-testid="stSlider"]'),
    toolbar: document.querySelector('[data-testid="stBidiComponentIsolated"]').closest('.stElementContainer'),
    answer: document.querySelector('.st-key-answer')};
  const hidden = [];
  for (const [name, part] of Object.entries(parts)) {
    part.scrollIntoView({block: "start"});
    const top = part.getBoundingClientRect().top;
    if (top < header - 1) hidden.push([name, top, header]);
  }
  const captions = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')];
  const last = captions[captions.length - 1];
  last.scrollIntoView({block: "end"});
  if (last.getBoundingClientRect().bottom > window.innerHeight + 1) hidden.push(["last line", last.innerText]);
  return hidden;
}"""


def test_at_200_percent_zoom_nothing_scrolls_under_the_header(browser, app_url):
    """At 640x400 (1280x800 at 200%) every part of the Draw page, scrolled as high as it goes, shows below
    Streamlit's header, the canvas' toolbar (at the top of the canvas' element) included."""
    page = open_page(browser, app_url, {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2})
    expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Undo")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    assert page.evaluate(UNDER_THE_HEADER) == []
    page.locator('[data-testid="stBidiComponentIsolated"]').first.evaluate(
        "host => host.closest('.stElementContainer').scrollIntoView({block: 'start'})")
    shoot(page, "small-zoom-200-canvas-at-top.png", full_page=False)
    page.context.close()
