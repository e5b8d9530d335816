"""Text from outside shown on a page as it is (never as Markdown), and messages with no server folder in them.

Streamlit renders messages as Markdown: a data file named `**x**[y](http:evil).npz` would show as
bold text and a link, and backslash escapes do not stop GitHub's bare links (`www.evil.org`). Inside
a code span nothing is Markdown, so `literal` wraps the text in one. `for_visitors` keeps a file's
name and drops its folder: where the server keeps its files is for the operator and the log.
"""

from __future__ import annotations

import re


def literal(text: str) -> str:
    """Markdown that shows `text` as it is: a code span fenced by more backticks than any run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    flat = " ".join(text.split())  # a code span is one line; a newline would end the message's paragraph
    return f"{fence} {flat} {fence}"


ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:])/(?:[^\s/:;,()'\"]+/)+([^\s/:;,()'\"]+)")


def for_visitors(message: str) -> str:
    """`message` with every absolute path shortened to its file's name: "/srv/models/v1.keras" -> "v1.keras"."""
    return ABSOLUTE_PATH.sub(r"\1", message)
