"""Opening the app's pages in Streamlit's AppTest, as the page tests do."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def open_page(page: str | None = None, timeout: float = 120, secrets: dict | None = None,
              run: bool = True) -> AppTest:
    """The app run once, then switched to `page` (a path like "digit_app/ui/photo.py") if one is given.

    `secrets` are what `.streamlit/secrets.toml` would hold (an operator password, say). With `run=False`
    the app (the Draw page) is not run yet: set its session state first (a canvas' drawing), then `.run()` it.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if not run:
        if page:
            raise ValueError("a page is switched to only after the app's first run")
        return at
    at.run()
    return at.switch_page(page).run() if page else at


def unlock(at: AppTest, password: str) -> None:
    """Type a password into the sidebar's operator panel and press Unlock."""
    next(field for field in at.text_input if field.label == "Operator password").input(password)
    at.button(key="FormSubmitter:operator-form-Unlock").click().run()


def versions_shown(at: AppTest):
    """The Retrain page's table of model versions as a DataFrame of its cells' text (None when it is not shown)."""
    import html
    import re

    import pandas as pd

    from digit_app.ui.versions_html import VERSION_ID

    bodies = [element.proto.body for element in at.get("html") if VERSION_ID in element.proto.body]
    if not bodies:
        return None
    cells = re.compile(r"<t[hd](?:\s[^>]*)?>(.*?)</t[hd]>")
    head, _, rest = bodies[0].partition("</thead>")
    names = [html.unescape(name) for name in cells.findall(head)]
    return pd.DataFrame([[html.unescape(text) for text in cells.findall(row)] for row in rest.split("</tr>")
                         if "<t" in row], columns=names)
