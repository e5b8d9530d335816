"""The training settings that travel (TrainConfig): checked as they are made."""

from __future__ import annotations

import pytest

from digit_app.training import TrainConfig


@pytest.mark.parametrize("bad", [{"epochs": 0}, {"batch_size": 0}, {"learning_rate": 0.0}, {"validation_split": 0.7},
                                 {"stroke_epochs": 0}, {"width": 9}])
def test_absurd_settings_are_refused(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)
