"""The kept model versions as an HTML table: every id whole, in text the page carries (not drawn on a canvas).

`st.dataframe` draws its cells on a canvas and cut long ids ("v2026113…"), so two versions read
alike and nothing in the page could say so. Here each id is text in the page's own table, never
wrapped or cut; on a narrow screen the table scrolls sideways with the ids in its first column. Plain
functions of rows, so they are tested without a page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

VERSION_ID = "versionId"  # data-testid of each row's version id, read by the tests
TABLE_STYLE = """<style>
.dc-versions-scroll { overflow-x: auto; max-width: 100%; }
.dc-versions { border-collapse: collapse; font-size: 0.875rem; }
.dc-versions th, .dc-versions td { padding: 0.3rem 0.6rem; text-align: left; white-space: nowrap;
  border-bottom: 1px solid rgba(128, 128, 128, 0.35); }
.dc-versions thead th { font-weight: 600; }
.dc-versions .dc-version-id { font-family: "Source Code Pro", monospace; font-weight: 400; }
</style>"""


def cell(value: object) -> str:
    """A cell's text: yes or nothing for a flag, the text of anything else, escaped."""
    if isinstance(value, bool):
        return "yes" if value else ""
    return html.escape(str(value))


def versions_html(rows: Sequence[Mapping[str, object]], id_column: str = "version") -> str:
    """`rows` (one mapping per version, the same keys in each) as a table whose first column is the version id."""
    if not rows:
        return "<p>No model versions are kept.</p>"
    names = [id_column, *(name for name in rows[0] if name != id_column)]
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in names)
    body = "".join(
        f'<tr><th scope="row" class="dc-version-id" data-testid="{VERSION_ID}">{cell(row[id_column])}</th>'
        + "".join(f"<td>{cell(row[name])}</td>" for name in names[1:]) + "</tr>"
        for row in rows)
    return (f'{TABLE_STYLE}<div class="dc-versions-scroll" tabindex="0" role="region" aria-label="Model versions">'
            f'<table class="dc-versions"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')

