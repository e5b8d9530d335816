"""Averaging models into one reader and keeping it (digit_app/training/ensemble.py), in process; the command line's
`combine` prints what it returns (test_cli_training.py)."""

from __future__ import annotations

import pytest

from digit_app.errors import SettingsError
from digit_app.store.metadata import TrainingSummary
from tests.paths import MNIST_SAMPLE


def _members(folder, count: int = 2) -> list:
    from digit_app.networks import build_model
    from digit_app.store.model_files import save_model

    return [save_model(build_model(), folder / f"member{i}.keras",
                       TrainingSummary(test_accuracy=0.1 * i, temperature=4.9, history=[{"epoch": 1}]))
            for i in range(1, count + 1)]


@pytest.mark.slow
def test_an_average_is_kept_as_a_new_version_with_each_member_measured_on_the_same_digits(tmp_path):
    from digit_app.database import registry
    from digit_app.model import load_classifier
    from digit_app.training.data import load_training_data
    from digit_app.training.ensemble import combine_and_keep
    from digit_app.training.fit import evaluate

    members = _members(tmp_path)
    combined = combine_and_keep(members, str(MNIST_SAMPLE), models_dir=tmp_path / "models", activate=True)
    assert combined.version_id is not None and registry.active_version_id() == combined.version_id
    assert combined.path.is_relative_to(tmp_path / "models")
    data = load_training_data(str(MNIST_SAMPLE))
    assert combined.test_images == len(data.x_test)
    alone = tuple(evaluate(load_classifier(path), data.x_test, data.y_test).accuracy for path in members)
    assert combined.members_accuracy == pytest.approx(alone)
    kept = load_classifier(combined.path)
    assert kept.summary.test_accuracy == round(combined.test_accuracy, 4)
    assert [m["file"] for m in kept.summary.training["average_of"]] == ["member1.keras", "member2.keras"]
    assert all("history" not in m for m in kept.summary.training["average_of"])  # each member's metadata, brief
    assert kept.summary.temperature != 4.9 and not kept.reads_strokes


@pytest.mark.slow
def test_save_as_writes_exactly_that_file_and_no_version(tmp_path):
    from digit_app.database import registry
    from digit_app.training.ensemble import combine_and_keep

    before = [version.id for version in registry.list_versions()]
    combined = combine_and_keep(_members(tmp_path), str(MNIST_SAMPLE), save_as=tmp_path / "both.keras")
    assert combined.path == tmp_path / "both.keras" and combined.path.is_file() and combined.version_id is None
    assert [version.id for version in registry.list_versions()] == before


@pytest.mark.slow
def test_one_model_is_no_average(tmp_path):
    from digit_app.training.ensemble import combine_and_keep

    with pytest.raises(SettingsError, match="at least two models, got 1"):
        combine_and_keep(_members(tmp_path, 1), str(MNIST_SAMPLE), save_as=tmp_path / "one.keras")
    assert not (tmp_path / "one.keras").exists()


@pytest.mark.slow
def test_a_models_folder_that_cannot_be_made_is_refused_before_any_model_is_read(tmp_path):
    from digit_app.store.model_files import ModelStoreError
    from digit_app.training.ensemble import combine_and_keep

    folder = tmp_path / "a-file"
    folder.write_text("not a folder")
    with pytest.raises(ModelStoreError, match="Could not write in the models folder"):  # not ModelLoadError
        combine_and_keep([tmp_path / "missing1.keras", tmp_path / "missing2.keras"], models_dir=folder)
