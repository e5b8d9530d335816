"""Files written and read safely: whole or not at all, and never a pipe or a device.

Every file the app writes (models, metadata, LiteRT copies, uploads, the pen digits, the segment
judge) goes to a temporary name in its own folder, is synced and renamed into place, so a crash
leaves the old file or the new one, never half of either; the corrections are SQLite's to keep
whole. Files that come in are checked by their headers before anything is loaded.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

FILE_MODE = 0o644  # kept files are readable by every user, like the shipped model

Writer = Callable[[Path], object]  # writes a file's whole content to the path it is given


class Staged:
    """A file written completely under a temporary name in its target's folder, put in place by `commit`."""

    def __init__(self, target: Path, tmp: Path) -> None:
        self.target, self.tmp = target, tmp

    def commit(self) -> None:
        check_target(self.target)  # again: something may have taken the name while the file was written
        os.replace(self.tmp, self.target)


@contextmanager
def staged(target: Path, write: Writer) -> Iterator[Staged]:
    """Write `target`'s new content to a hidden temporary file beside it (synced); yield it to commit.

    Whatever happens before `commit`, the temporary file is removed and the target is untouched.
    A target that is a folder, a FIFO or a device is refused (OSError) before anything is written.
    """
    check_target(target)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix)
    os.close(handle)
    tmp = Path(name)
    try:
        tmp.chmod(FILE_MODE)  # mkstemp makes files only their owner can read
        write(tmp)
        with open(tmp, "rb") as done:
            os.fsync(done.fileno())
        yield Staged(target, tmp)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(target: Path, write: Writer) -> None:
    """Write through a temporary file in the same folder, then rename it over the target."""
    with staged(target, write) as new:
        new.commit()


def file_digest(path: Path) -> str:
    """The first 12 hex digits of a file's SHA-256: which model file a LiteRT copy was made from."""
    digest = hashlib.sha256()
    with open_plain(path) as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def npz_headers(source: str | os.PathLike[str] | IO[bytes]) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each array's (shape, dtype) in an .npz, by name (without ".npy"), from its header alone: nothing is loaded.

    Raises zipfile.BadZipFile, OSError, ValueError or EOFError for a file that is not a readable .npz.
    """
    headers = {}
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with archive.open(info) as member:
                major, _ = np.lib.format.read_magic(member)
                read_header = (np.lib.format.read_array_header_1_0 if major == 1
                               else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read_header(member)
            headers[info.filename.removesuffix(".npy")] = (shape, dtype)
    return headers


def is_regular_file(path: Path) -> bool:
    """A plain file: not a folder, FIFO, socket or device, whose reading could hang or never end."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _kind(mode: int) -> str:
    """What a file that is not a plain file is, for a message."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def _refuse_unless_plain(path: str | os.PathLike[str], mode: int, what: str) -> None:
    """Raise OSError (one sentence) unless `mode` is a plain file's: a pipe or a device could block or never end."""
    if not stat.S_ISREG(mode):
        raise OSError(f"{os.fspath(path)} is {_kind(mode)}, not a plain file: it was not {what}.")


def check_target(path: str | os.PathLike[str]) -> None:
    """Refuse (OSError) to write over anything but a plain file or nothing: renaming over /dev/full would replace it."""
    try:
        mode = os.stat(path).st_mode  # follows a link: a link to a device is refused too
    except FileNotFoundError:
        return
    _refuse_unless_plain(path, mode, "replaced")


def open_plain(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a plain file for reading; refuse (OSError) a folder, FIFO, socket or device, whose reading could hang.

    The kind is checked before opening (opening a device can have effects of its own) and again on
    the open file, so a file swapped for a FIFO in between is refused too; the open never waits.
    """
    _refuse_unless_plain(path, os.stat(path).st_mode, "opened")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        _refuse_unless_plain(path, os.fstat(fd).st_mode, "read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_plain(path: str | os.PathLike[str], limit: int) -> bytes:
    """A plain file's whole content, refused (OSError) when it is larger than `limit` bytes: nothing larger is read."""
    with open_plain(path) as file:
        size = os.fstat(file.fileno()).st_size
        content = file.read(limit + 1) if size <= limit else b""
    if size > limit or len(content) > limit:  # the second: it grew while it was read
        raise OSError(f"{os.fspath(path)} is {max(size, len(content)):,} bytes, more than the {limit:,} it may be: "
                      "it was not read.")
    return content
