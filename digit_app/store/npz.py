"""Arrays in an .npz read with every member bounded before it is read: a small file makes no large allocation.

An .npz is a zip of .npy members. The zip directory says how many bytes each member unpacks to, and
`zipfile` never hands out more than that, so summing the directory bounds the whole file before a
byte is unpacked (a member of zeros compresses a thousandfold). Each .npy header is read with its
length checked first: numpy reads a header of whatever length it declares, up to 4 GB, before
checking it. The arrays are then read in blocks of rows, so a check or a conversion never needs a
second copy of a whole array.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TypeVar

import numpy as np

from digit_app.errors import DigitAppError

MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 10_000  # an .npy header's length, at most (numpy's own limit, here checked before reading it)
BLOCK_BYTES = 4 * 2**20  # bytes read at a time into a whole array
T = TypeVar("T")


class NpzError(DigitAppError, ValueError):
    """An .npz (or one of its members) cannot be read within its bounds; the message says why, in plain words."""


class NpzTooLargeError(NpzError):
    """The members would unpack to more bytes than allowed; `size` is how many they claim."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"its arrays would take {size:,} bytes, more than the {limit:,} allowed")
        self.size, self.limit = size, limit


@dataclass(frozen=True)
class Member:
    """One .npy member of an .npz: its zip entry and the array its header declares."""

    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        """The array's size in bytes, as declared (Python integers: a huge shape cannot overflow)."""
        return math.prod(self.shape) * self.dtype.itemsize

    @property
    def rows(self) -> int:
        return self.shape[0] if self.shape else 1


def members(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, Member]:
    """Each .npy member's declared array, by name without ".npy", from the zip directory and the headers alone.

    Raises `NpzTooLargeError` when the members unpack to more than `max_bytes` (by the zip
    directory, before anything is unpacked) or declare arrays larger than that (by their headers).
    """
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > max_bytes:
        raise NpzTooLargeError(unpacked, max_bytes)
    found = {}
    for info in archive.infolist():
        if info.filename.endswith(".npy"):
            with _open(archive, info) as stream:
                found[info.filename.removesuffix(".npy")] = Member(info, *read_header(stream))
    declared = sum(member.nbytes for member in found.values())
    if declared > max_bytes:
        raise NpzTooLargeError(declared, max_bytes)
    return found


def read_header(stream: IO[bytes]) -> tuple[tuple[int, ...], np.dtype, bool]:
    """An .npy header's (shape, dtype, fortran_order), its length checked before it is read."""
    prefix = _read_exactly(stream, len(MAGIC) + 2)
    if prefix[: len(MAGIC)] != MAGIC:
        raise NpzError("a member is not an .npy array")
    major = prefix[len(MAGIC)]
    if major not in (1, 2, 3):
        raise NpzError(f"a member has .npy format version {major}, which is not known")
    length_bytes = _read_exactly(stream, 2 if major == 1 else 4)
    length = int.from_bytes(length_bytes, "little")
    if length > MAX_HEADER_BYTES:
        raise NpzError(f"a member's header is {length:,} bytes long; an .npy header is at most {MAX_HEADER_BYTES:,}")
    header = io.BytesIO(length_bytes + _read_exactly(stream, length))
    reader = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    try:
        shape, fortran_order, dtype = reader(header)
    except (ValueError, TypeError, SyntaxError):
        raise NpzError("a member's .npy header cannot be read") from None  # numpy's message quotes the header
    if any(size < 0 for size in shape):
        raise NpzError(f"a member declares the shape {shape}")
    return tuple(shape), dtype, fortran_order


def iter_rows(archive: zipfile.ZipFile, member: Member, rows_per_block: int) -> Iterator[np.ndarray]:
    """The member's array, `rows_per_block` rows (along its first axis) at a time, read-only."""
    if member.fortran_order and len(member.shape) > 1:
        raise NpzError("an array is stored in Fortran order, so its rows cannot be read one block at a time")
    row_shape = member.shape[1:]
    row_bytes = math.prod(row_shape) * member.dtype.itemsize
    if row_bytes == 0 or not member.shape:
        yield read_array(archive, member)
        return
    with _open(archive, member.info) as stream:
        read_header(stream)
        for start in range(0, member.rows, max(1, rows_per_block)):
            count = min(rows_per_block, member.rows - start)
            block = _read_exactly(stream, count * row_bytes)
            yield np.frombuffer(block, member.dtype).reshape((count, *row_shape))


def read_array(archive: zipfile.ZipFile, member: Member) -> np.ndarray:
    """The member's whole array, read into one allocation of its declared size (bound it with `members` first)."""
    count = math.prod(member.shape)
    flat = np.empty(count, member.dtype)
    target = memoryview(flat.view(np.uint8)) if count else memoryview(b"")
    with _open(archive, member.info) as stream:
        read_header(stream)
        for start in range(0, len(target), BLOCK_BYTES):
            part = target[start : start + BLOCK_BYTES]
            if _unpacked(lambda: stream.readinto(part)) != len(part):
                raise NpzError("a member ends before its array does")
    return flat.reshape(member.shape, order="F" if member.fortran_order else "C")


def _open(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A member opened for reading; an encrypted one or an unknown compression is an `NpzError`."""
    try:
        return archive.open(info)
    except (RuntimeError, NotImplementedError) as error:
        raise NpzError(f"a member cannot be unpacked ({error})") from None


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = _unpacked(lambda: stream.read(size))
    if len(data) != size:
        raise NpzError("a member ends before its array does")
    return data


def _unpacked(read: Callable[[], T]) -> T:
    """`read()` from a member; a damaged compressed stream (zlib's own error) is an `NpzError`."""
    try:
        return read()
    except zlib.error as error:
        raise NpzError(f"a member is damaged ({error})") from None
