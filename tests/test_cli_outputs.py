"""Output files named on the command line (digit_app/cli/outputs.py), refused before any work when they cannot be
written whole."""

from __future__ import annotations

import os

import pytest

from digit_app.cli.outputs import check_save_as, check_writable_file
from digit_app.errors import SettingsError
from tests.test_versions import read_only


def test_a_new_or_plain_file_in_a_writable_folder_is_taken(tmp_path):
    check_writable_file(tmp_path / "new.npz")
    (tmp_path / "old.npz").write_bytes(b"old")
    check_writable_file(tmp_path / "old.npz")
    check_save_as(str(tmp_path / "model.keras"))


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(SettingsError, match=f"There is no folder {tmp_path / 'nowhere'} to write judge.tflite in"):
        check_writable_file(tmp_path / "nowhere" / "judge.tflite")


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_fifo_or_a_folder_is_never_taken_for_a_file(tmp_path, kind):
    target = tmp_path / "out.npz"
    os.mkfifo(target) if kind == "fifo" else target.mkdir()
    with pytest.raises(OSError, match="not a plain file: it was not replaced"):
        check_writable_file(target)


def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    with read_only(folder), pytest.raises(SettingsError, match="the folder is read-only"):
        check_writable_file(folder / "pen.npz")


def test_save_as_names_a_keras_file():
    with pytest.raises(SettingsError, match=r"--save-as model.h5: a model file's name ends in .keras"):
        check_save_as("model.h5")
