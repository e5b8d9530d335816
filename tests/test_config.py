"""The training settings and requests that travel (TrainConfig, TrainRequest): checked as they are made, whole
through JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digit_app.errors import SettingsError
from digit_app.training import TrainConfig, Variations
from digit_app.training.config import CorrectionsToAdd, TrainRequest


@pytest.mark.parametrize("bad", [{"epochs": 0}, {"batch_size": 0}, {"learning_rate": 0.0}, {"validation_split": 0.7},
                                 {"stroke_epochs": 0}, {"width": 9}])
def test_absurd_settings_are_refused(bad):
    with pytest.raises(SettingsError):
        TrainConfig(**bad)


@pytest.mark.parametrize("request_", [
    TrainRequest("mnist"),
    TrainRequest("/data/a.npz", TrainConfig(epochs=3, augment=Variations(rotation=5.0, pen=0.0), drawn=False),
                 CorrectionsToAdd(Path("/data/corrections.sqlite"), 20), models_dir=Path("/srv/models"),
                 save_as=Path("/tmp/m.keras"), activate=True),
])
def test_a_request_reaches_the_worker_as_it_was_made(request_):
    """The worker process gets the request as one line of JSON; it must read back the same run and destination."""
    assert TrainRequest.from_json(json.loads(json.dumps(request_.to_json()))) == request_

