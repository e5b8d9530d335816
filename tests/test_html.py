"""The pages' small HTML parts: how sure the model is, as shown."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("confidence", "shown"), [(0.62, "62%"), (0.999, "99%"), (1.0, "99%"), (0.0, "0%")])
def test_a_confidence_is_shown_rounded_down_and_never_as_certainty(confidence, shown):
    from digit_app.ui.html import percent_sure

    assert percent_sure(confidence) == shown
