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
from typing import IO

import numpy as np

FILE_MODE = 0o644  # kept files are readable by every user, like the shipped model

Writer = Callable[[Path], object]  # writes a file's whole content to the path it is given


class Staged:
    """A file written completely under a temporary name in its target's folder, put in place by `commit`."""

    def __init__(self, target: Path, tmp: Path) -> None:
        self.target, self.tmp = target, tmp

    def commit(self) -> None:
        os.replace(self.tmp, self.target)


@contextmanager
def staged(target: Path, write: Writer) -> Iterator[Staged]:
    """Write `target`'s new content to a hidden temporary file beside it (synced); yield it to commit.

    Whatever happens before `commit`, the temporary file is removed and the target is untouched.
    """
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
    with open(path, "rb") as file:
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
