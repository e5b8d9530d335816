"""Shared test fixtures: the small MNIST sample shipped with the tests and the shipped model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FIXTURES = Path(__file__).parent / "fixtures"
MNIST_SAMPLE = FIXTURES / "mnist_sample.npz"
PEN_SAMPLE = FIXTURES / "pen_digits_small.npz"  # 4 of each digit by writers 1 and 2, and by held-out writer 25
UNIPEN_SAMPLE = FIXTURES / "pendigits_small.tra"  # six digits of pendigits-orig.tra, two of them in two strokes
# Training in the tests (and in the app servers they start) learns from the small pen sample: seconds, not minutes.
os.environ["DIGIT_APP_PEN_DIGITS"] = str(PEN_SAMPLE)


@pytest.fixture(scope="session")
def mnist_sample() -> dict[str, np.ndarray]:
    """300 MNIST training and 300 MNIST test digits with labels (the keys of Keras' mnist.npz)."""
    with np.load(MNIST_SAMPLE) as archive:
        return {key: archive[key] for key in archive.files}


@pytest.fixture(scope="session")
def classifier():
    """The shipped model, loaded once for the whole run."""
    from digit_app.model import load_classifier
    from digit_app.store.versions import SHIPPED_MODEL

    return load_classifier(SHIPPED_MODEL)


@pytest.fixture()
def models(tmp_path, monkeypatch):
    """An empty models folder for the test: versions and the active pointer go there."""
    from digit_app.store import versions

    monkeypatch.setenv(versions.ENV_MODELS_DIR, str(tmp_path))
    return tmp_path


@pytest.fixture(autouse=True)
def corrections_file(tmp_path, monkeypatch):
    """Every test keeps corrections in its own file, never in the repository's data/ folder."""
    from digit_app.store.corrections import ENV_CORRECTIONS

    path = tmp_path / "corrections.sqlite"
    monkeypatch.setenv(ENV_CORRECTIONS, str(path))
    return path
