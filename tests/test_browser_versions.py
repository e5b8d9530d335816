"""The Retrain page's table of model versions in Chromium: every id whole, on a desktop and on a phone.

The ids are text in the page's own table (digit_app/ui/versions_html.py), so the test reads what is on
screen: each id cell holds the whole id, nothing of it is clipped (its text is no wider than its cell),
and the cell lies inside the window without scrolling, also 390 px wide.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from digit_app.database import VersionsTable, open_database
from digit_app.store.metadata import TrainingSummary
from digit_app.store.versions import SHIPPED_MODEL
from digit_app.ui.versions_html import VERSION_ID
from tests.browser import ANSWER_TIMEOUT_MS, ROOT

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "build" / "screenshots"
LONG_ID = "v20261201-031445-ab12"  # as registry.new_version_id makes them
DEVICES = {
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True,
                   "is_mobile": True, "color_scheme": "dark"},
}
# Each id cell: its text, whether the text overflows the cell, and whether the cell is inside the window.
ID_CELLS = f"""() => [...document.querySelectorAll('[data-testid="{VERSION_ID}"]')].map((cell) => {{
  const box = cell.getBoundingClientRect();
  return {{text: cell.innerText.trim(), clipped: cell.scrollWidth > cell.clientWidth,
           inside: box.left >= 0 && box.right <= document.documentElement.clientWidth, width: box.width}};
}})"""


@pytest.fixture(scope="module")
def long_ids(models_folder, app_url) -> list[str]:
    """Two versions with ids of today's length, beside the shipped model, in the test server's database."""
    table = VersionsTable(open_database(f"sqlite:///{models_folder / 'app.sqlite'}"))
    ids = [LONG_ID, LONG_ID.replace("ab12", "ab13")]  # alike but for the last character: cut, they read the same
    for version_id in ids:
        table.add(version_id, TrainingSummary(test_accuracy=0.99), {"keras": SHIPPED_MODEL.read_bytes()})
    return ids


@pytest.mark.parametrize("device", DEVICES)
def test_every_version_id_is_shown_whole(browser, app_url, long_ids, device):
    page = browser.new_context(**DEVICES[device]).new_page()
    page.goto(f"{app_url}/retrain")
    cells = page.get_by_test_id(VERSION_ID)
    expect(cells).to_have_count(1 + len(long_ids), timeout=ANSWER_TIMEOUT_MS)  # in whichever order the list is
    cells.first.scroll_into_view_if_needed()
    shown = page.evaluate(ID_CELLS)
    assert sorted(cell["text"] for cell in shown) == sorted(["shipped", *long_ids])
    for cell in shown:
        assert not cell["clipped"] and cell["inside"], cell
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_role("region", name="Model versions").screenshot(path=SCREENSHOTS / f"versions-{device}.png")
    page.context.close()
