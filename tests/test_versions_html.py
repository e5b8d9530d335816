"""The model versions' table as HTML: every id whole and in the page's text, the first column, escaped."""

from __future__ import annotations

from digit_app.ui.versions_html import VERSION_ID, versions_html


def test_each_version_id_is_whole_text_in_its_row_s_first_cell_never_wrapped():
    rows = [{"version": "shipped", "in use": False, "epochs": "—"},
            {"version": "v20261201-031445-ab12", "in use": True, "epochs": "2"}]
    body = versions_html(rows)
    assert body.count(f'data-testid="{VERSION_ID}">') == 2
    assert f'data-testid="{VERSION_ID}">v20261201-031445-ab12</th><td>yes</td><td>2</td>' in body
    assert '<th scope="col">version</th><th scope="col">in use</th>' in body
    assert "white-space: nowrap" in body and "overflow-x: auto" in body  # never cut: the table scrolls instead


def test_a_cell_is_text_never_markup_and_no_versions_says_so():
    body = versions_html([{"version": "v1-<b>", "saved": "<script>x</script>"}])
    assert "<script>x" not in body and "&lt;script&gt;x&lt;/script&gt;" in body and "v1-&lt;b&gt;" in body
    assert versions_html([]) == "<p>No model versions are kept.</p>"
