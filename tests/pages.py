"""Opening the app's pages in Streamlit's AppTest, as the page tests do."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def open_page(page: str | None = None, timeout: float = 120) -> AppTest:
    """The app run once, then switched to `page` (a path like "digit_app/ui/photo.py") if one is given."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    return at.switch_page(page).run() if page else at
