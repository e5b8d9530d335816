"""`calibrate` (digit_app/cli/measuring.py): the fitted temperature kept beside the model, or nothing written.
`evaluate` is run on a trained version in tests/test_cli_training.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.command_line import run


def enough_digits(folder: Path) -> Path:
    """The MNIST sample with its 300 test digits added to its 300 training digits: enough to fit a temperature on."""
    from tests.paths import MNIST_SAMPLE

    with np.load(MNIST_SAMPLE) as sample:
        data = dict(sample)
    path = folder / "six_hundred.npz"
    np.savez(path, x_train=np.concatenate([data["x_train"], data["x_test"]]),
             y_train=np.concatenate([data["y_train"], data["y_test"]]), x_test=data["x_test"], y_test=data["y_test"])
    return path


def shipped_copy(folder: Path) -> Path:
    """The shipped model's files copied into `folder`; its Keras file there."""
    from digit_app.store.versions import SHIPPED_MODEL

    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, folder / part.name)
    return folder / SHIPPED_MODEL.name


@pytest.mark.slow
def test_calibrate_keeps_the_fitted_temperature_beside_the_model(tmp_path):
    from digit_app.model import load_classifier

    copy = shipped_copy(tmp_path)
    (tmp_path / "digit_cnn.json").write_text('{"test_accuracy": 0.99}')  # no temperature yet
    result = run("calibrate", "--data", str(enough_digits(tmp_path)), "--model", str(copy))
    assert result.returncode == 0, result.stderr
    assert "(was 1.0)" in result.stdout and "fitted on 600 training digits" in result.stdout
    calibrated = load_classifier(copy)
    assert 0.2 < calibrated.temperature < 0.8 and calibrated.summary.test_accuracy == 0.99


@pytest.mark.slow
def test_calibrate_on_too_few_digits_is_refused_and_writes_nothing(tmp_path):
    from tests.paths import MNIST_SAMPLE

    model = shipped_copy(tmp_path)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    result = run("calibrate", "--data", str(MNIST_SAMPLE), "--model", str(model))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("error: Fitting a temperature needs at least 500 training digits, and the data "
                                     "has 300; nothing was changed.")
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
