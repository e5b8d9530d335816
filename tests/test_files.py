"""Files written whole or not at all, and files read by their headers (digit_app.store.files)."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import zipfile
from collections.abc import Iterator

import numpy as np
import pytest

from digit_app.store.files import atomic_write, file_digest, is_regular_file, npz_headers, read_plain, staged

GUARD_SECONDS = 60  # not a timing: a read that blocks (the bug) fails the test instead of hanging the run


@contextlib.contextmanager
def never_hangs() -> Iterator[None]:
    """Fail, rather than wait forever, when the code inside blocks on a FIFO."""
    def give_up(*_: object) -> None:
        raise TimeoutError("blocked: a FIFO was opened and waited on")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def make_not_plain(tmp_path, kind: str):
    """A FIFO, a folder, or a link to a FIFO: a write must never replace it, a read must never open it."""
    path = tmp_path / kind
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    return path


NOT_PLAIN = {"fifo": "FIFO", "folder": "a folder", "link to a fifo": "FIFO"}


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


@pytest.mark.parametrize("kind", NOT_PLAIN)
def test_an_atomic_write_never_replaces_a_fifo_or_a_folder(tmp_path, kind):
    target = make_not_plain(tmp_path, kind)
    before = sorted(path.name for path in tmp_path.iterdir())
    with pytest.raises(OSError, match=f"{NOT_PLAIN[kind]}.*not a plain file: it was not replaced"):
        atomic_write(target, lambda tmp: tmp.write_text("new"))
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # no leftover either
    assert not stat.S_ISREG(target.stat().st_mode)


def test_a_target_that_turns_into_a_fifo_while_written_is_not_replaced(tmp_path):
    target = tmp_path / "segments.tflite"

    def becomes_a_fifo(tmp):
        tmp.write_bytes(b"new")
        os.mkfifo(target)

    with pytest.raises(OSError, match="FIFO"):
        atomic_write(target, becomes_a_fifo)
    assert stat.S_ISFIFO(target.stat().st_mode) and [p.name for p in tmp_path.iterdir()] == ["segments.tflite"]


@pytest.mark.parametrize("kind", NOT_PLAIN)
def test_a_fifo_or_a_folder_is_never_read(tmp_path, kind):
    path = make_not_plain(tmp_path, kind)
    with never_hangs():
        with pytest.raises(OSError, match=f"{NOT_PLAIN[kind]}.*not a plain file: it was not opened"):
            read_plain(path, 4096)
        with pytest.raises(OSError, match="not a plain file"):
            file_digest(path)


def test_a_device_is_never_read():
    with never_hangs(), pytest.raises(OSError, match="character device, not a plain file"):
        read_plain("/dev/zero", 4096)  # would read zeros until memory ran out


def test_a_file_larger_than_its_limit_is_not_read(tmp_path):
    path = tmp_path / "active.json"
    path.write_bytes(b" " * 5000)
    with pytest.raises(OSError, match="5,000 bytes, more than the 4,096 it may be"):
        read_plain(path, 4096)
    assert read_plain(path, 5000) == b" " * 5000
