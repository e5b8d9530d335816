"""What the Retrain page offers to train on: Keras' MNIST, the data folder's plain .npz files, uploads kept whole."""

from __future__ import annotations

import os
import shutil

import pytest

from digit_app.settings import ENV_DATA_DIR
from digit_app.training.data import KERAS_SOURCE, DataError, load_training_data
from digit_app.training.sources import data_choices, keep_upload
from tests.paths import MNIST_SAMPLE


def test_the_choices_are_keras_and_the_plain_npz_files_of_the_data_folder(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    (folder / "uploads").mkdir(parents=True)
    shutil.copy(MNIST_SAMPLE, folder / "mnist_small.npz")
    shutil.copy(MNIST_SAMPLE, folder / "uploads" / "upload-abc.npz")
    os.mkfifo(folder / "pipe.npz")
    (folder / "notes.txt").write_text("not data")
    monkeypatch.setenv(ENV_DATA_DIR, str(folder))
    choices = data_choices([str(MNIST_SAMPLE)])
    assert list(choices.values()) == [KERAS_SOURCE, str(MNIST_SAMPLE), str(folder / "mnist_small.npz"),
                                      str(folder / "uploads" / "upload-abc.npz")]
    assert all(label.endswith(" MB)") for label in list(choices)[1:])


def test_choices_never_show_a_folder_even_when_names_repeat(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    (folder / "uploads").mkdir(parents=True)
    shutil.copy(MNIST_SAMPLE, folder / "same.npz")
    shutil.copy(MNIST_SAMPLE, folder / "uploads" / "same.npz")
    monkeypatch.setenv(ENV_DATA_DIR, str(folder))
    labels = list(data_choices())
    assert labels[1].startswith("same.npz (0.") and labels[2].startswith("same.npz (2) (0.")
    assert not any(str(tmp_path) in label for label in labels)


def test_an_upload_is_checked_kept_once_by_its_content_and_capped(tmp_path):
    content = MNIST_SAMPLE.read_bytes()
    kept = keep_upload(content, tmp_path)
    assert kept.parent == tmp_path / "uploads" and load_training_data(kept).x_train.shape[1:] == (28, 28)
    assert keep_upload(content, tmp_path) == kept and len(list((tmp_path / "uploads").iterdir())) == 1
    with pytest.raises(DataError, match="The uploaded file is not a readable .npz"):
        keep_upload(b"PK\x03\x04 broken", tmp_path)
    with pytest.raises(DataError, match="an upload is at most 15 MB"):
        keep_upload(bytes(16 * 1024 * 1024), tmp_path)
    assert len(list((tmp_path / "uploads").iterdir())) == 1  # nothing else left behind
