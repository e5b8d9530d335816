"""The pages' small HTML parts: how sure the model is, as shown."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("confidence", "shown"), [(0.62, "62%"), (0.999, "99%"), (1.0, "99%"), (0.0, "0%")])
def test_a_confidence_is_shown_rounded_down_and_never_as_certainty(confidence, shown):
    from digit_app.ui.html import percent_sure

    assert percent_sure(confidence) == shown


def test_split_labels_are_shortened_only_when_they_would_overlap():
    from PIL import ImageFont

    from digit_app.ui.html import fitting_labels

    font = ImageFont.load_default(size=16)
    labels = [f"{i + 1}th: {i % 10}" for i in range(11)]
    short = [str(i % 10) for i in range(11)]
    narrow = [(i * 50.0, 20.0, i * 50.0 + 40, 180.0) for i in range(11)]  # eleven digits on the 560 px canvas
    wide = [(i * 180.0, 20.0, i * 180.0 + 150, 180.0) for i in range(3)]
    assert fitting_labels(narrow, labels, short, font) == short
    assert fitting_labels(wide, labels[:3], short[:3], font) == labels[:3]
