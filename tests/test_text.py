"""Messages for visitors: outside text shown as it is, server folders left out."""

from __future__ import annotations

import pytest

from digit_app.ui.text import for_visitors, literal


@pytest.mark.parametrize(("message", "shown"), [
    ("No model file at /srv/app/model/versions/v1.keras. Train one.", "No model file at v1.keras. Train one."),
    ("The active model pointer /tmp/x/active.json names no valid version.",
     "The active model pointer active.json names no valid version."),
    ("Could not read (/data/uploads/mnist.npz): cut short", "Could not read (mnist.npz): cut short"),
    ("See https://docs.streamlit.io/develop/api and 3/4 of them",
     "See https://docs.streamlit.io/develop/api and 3/4 of them"),
    ("A relative models/v1.keras stays", "A relative models/v1.keras stays"),
])
def test_a_visitor_sees_file_names_and_never_the_servers_folders(message, shown):
    assert for_visitors(message) == shown


def test_outside_text_is_never_markdown():
    assert literal("**x**[y](http://evil) `z`") == "`` **x**[y](http://evil) `z` ``"


def test_literal_text_survives_any_backticks():
    from digit_app.ui.text import literal

    assert literal("a `b` c") == "`` a `b` c ``"
    assert literal("``x```") == "```` ``x``` ````"
    assert literal("two\nlines") == "` two lines `"
