"""Reading .npz members within bounds: the zip directory and the .npy headers are checked before any array."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from digit_app.store.npz import (
    MAX_HEADER_BYTES,
    NpzError,
    NpzTooLargeError,
    iter_rows,
    members,
    read_array,
    read_header,
)


def archive_of(**arrays: np.ndarray) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def test_members_give_shapes_and_arrays_read_whole_or_by_rows():
    images = np.arange(5 * 28 * 28, dtype=np.float32).reshape(5, 28, 28)
    archive = archive_of(images=images, labels=np.arange(5), transposed=np.asfortranarray(images[0]))
    found = members(archive, 10**6)
    assert found["images"].shape == (5, 28, 28) and found["images"].dtype == np.float32
    assert np.array_equal(read_array(archive, found["images"]), images)
    assert np.array_equal(read_array(archive, found["transposed"]), images[0])  # Fortran order, read whole
    assert [len(block) for block in iter_rows(archive, found["images"], 2)] == [2, 2, 1]
    assert np.array_equal(np.concatenate(list(iter_rows(archive, found["images"], 2))), images)
    with pytest.raises(NpzError, match="Fortran order"):
        next(iter_rows(archive, found["transposed"], 1))


def test_a_compressed_bomb_is_refused_from_the_zip_directory_before_it_is_unpacked():
    archive = archive_of(zeros=np.zeros(10**7))  # 80 MB of zeros in about 80 kB
    with pytest.raises(NpzTooLargeError) as refused:
        members(archive, 10**6)
    assert refused.value.size > 80 * 10**6


def test_a_header_claiming_more_than_it_holds_is_refused_from_the_header():
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("huge.npy", header.getvalue())
    with pytest.raises(NpzTooLargeError) as refused:
        members(zipfile.ZipFile(buffer), 10**6)
    assert refused.value.size == 8 * 10**9


def test_a_header_length_of_gigabytes_is_refused_before_the_header_is_read():
    class Endless(io.RawIOBase):
        """A stream whose reads past the prefix would never end: reading the header would run out of memory."""

        def __init__(self) -> None:
            self.prefix = io.BytesIO(b"\x93NUMPY\x02\x00" + struct.pack("<I", 4_000_000_000))

        def read(self, size: int = -1) -> bytes:
            data = self.prefix.read(size)
            if len(data) < size:
                raise AssertionError("read past the header's length")
            return data

    with pytest.raises(NpzError, match=f"at most {MAX_HEADER_BYTES:,}"):
        read_header(Endless())


@pytest.mark.parametrize(("data", "message"), [
    (b"not numpy at all", "not an .npy array"),
    (b"\x93NUMPY\x09\x00\x10\x00", "version 9"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': <bad}\n", "cannot be read"),
    (b"\x93NUMPY\x01", "ends before"),
])
def test_broken_headers_are_named_without_quoting_them(data, message):
    with pytest.raises(NpzError, match=message) as refused:
        read_header(io.BytesIO(data))
    assert "<bad" not in str(refused.value)


def test_a_member_shorter_than_its_header_says_is_refused():
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10, 28, 28)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("short.npy", header.getvalue() + bytes(100))
    archive = zipfile.ZipFile(buffer)
    member = members(archive, 10**6)["short"]
    with pytest.raises(NpzError, match="ends before"):
        read_array(archive, member)
    with pytest.raises(NpzError, match="ends before"):
        list(iter_rows(archive, member, 4))


def test_a_damaged_compressed_member_is_an_npz_error():
    buffer = io.BytesIO()
    np.savez_compressed(buffer, noise=np.random.default_rng(0).integers(0, 255, 50_000, np.uint8))
    damaged = bytearray(buffer.getvalue())
    for index in range(200, len(damaged) - 200, 97):  # the compressed stream, not the zip's own headers
        damaged[index] ^= 0xFF
    archive = zipfile.ZipFile(io.BytesIO(bytes(damaged)))
    with pytest.raises(NpzError, match="damaged"):  # zlib's own error would escape every caller's handling
        read_array(archive, members(archive, 10**6)["noise"])
