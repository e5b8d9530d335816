"""Files written whole or not at all, and files read by their headers (digit_app.store.files)."""

from __future__ import annotations

import io
import os
import stat
import zipfile

import numpy as np
import pytest

from digit_app.store.files import atomic_write, is_regular_file, npz_headers, staged


def test_an_atomic_write_replaces_the_whole_file_readable_by_all(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old")
    atomic_write(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [path.name for path in tmp_path.iterdir()] == ["model.json"]


def test_a_write_that_fails_halfway_leaves_the_old_file_and_no_leftover(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old")

    def fails_halfway(tmp):
        tmp.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, fails_halfway)
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["model.json"]


def test_a_staged_file_not_committed_changes_nothing(tmp_path):
    target = tmp_path / "upload.npz"
    with staged(target, lambda tmp: tmp.write_bytes(b"checked, then refused")) as upload:
        assert upload.tmp.read_bytes() == b"checked, then refused" and upload.tmp.parent == tmp_path
    assert list(tmp_path.iterdir()) == []


def test_npz_headers_give_each_arrays_shape_and_type_without_loading(tmp_path):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.zeros((3, 28, 28), np.uint8), labels=np.arange(3))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("notes.txt", "not an array")  # members that are not arrays are left out
    headers = npz_headers(io.BytesIO(buffer.getvalue()))
    assert headers == {"images": ((3, 28, 28), np.dtype(np.uint8)), "labels": ((3,), np.dtype(np.int64))}
    with pytest.raises(zipfile.BadZipFile):
        npz_headers(io.BytesIO(b"not an npz"))


def test_only_a_plain_file_is_regular(tmp_path):
    plain = tmp_path / "data.npz"
    plain.write_bytes(b"x")
    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    assert is_regular_file(plain)
    assert not is_regular_file(pipe)  # reading it would wait forever for a writer
    assert not is_regular_file(tmp_path)
    assert not is_regular_file(tmp_path / "missing.npz")
