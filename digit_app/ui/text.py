"""Text from outside (a file's name, a message quoting one) shown on a page exactly as it is, never as Markdown.

Streamlit renders messages as Markdown: a data file named `**x**[y](http:evil).npz` would show as
bold text and a link, and backslash escapes do not stop GitHub's bare links (`www.evil.org`). Inside
a code span nothing is Markdown, so `literal` wraps the text in one.
"""

from __future__ import annotations

import re


def literal(text: str) -> str:
    """Markdown that shows `text` as it is: a code span fenced by more backticks than any run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    flat = " ".join(text.split())  # a code span is one line; a newline would end the message's paragraph
    return f"{fence} {flat} {fence}"
