"""Loading MNIST from a local .npz: a good file, and each kind of bad one with its message."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from digit_app.training.data import (
    MAX_DATA_BYTES,
    PREVIEW_MAX,
    DataError,
    ReadLimits,
    load_training_data,
    preview_images,
)
from tests.paths import MNIST_SAMPLE


def write(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.fixture()
def good(mnist_sample):
    return dict(mnist_sample)


def test_good_file_loads_as_uint8(good):
    data = load_training_data(MNIST_SAMPLE)
    assert data.x_train.shape == (300, 28, 28) and data.x_train.dtype == np.uint8
    assert data.y_test.shape == (300,) and data.describe()["train_images"] == 300


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="no data file"):
        load_training_data(tmp_path / "absent.npz")
    with pytest.raises(DataError, match="is a folder"):
        load_training_data(tmp_path)


def test_truncated_file(tmp_path):
    broken = tmp_path / "cut.npz"
    broken.write_bytes(MNIST_SAMPLE.read_bytes()[:5000])
    with pytest.raises(DataError, match="not a readable .npz"):
        load_training_data(broken)


def test_wrong_keys(tmp_path, good):
    good["images"] = good.pop("x_train")
    with pytest.raises(DataError, match="lacks x_train"):
        load_training_data(write(tmp_path / "keys.npz", **good))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x_train": np.zeros((10, 32, 32), np.uint8)}, "expected \\(n, 28, 28\\)"),
        ({"y_train": np.zeros(7, np.uint8)}, "one label per image"),
        ({"y_test": np.full(300, 12)}, "outside the digits"),
        ({"x_test": np.full((300, 28, 28), np.nan)}, "NaN"),
        ({"x_train": np.zeros((0, 28, 28), np.uint8), "y_train": np.zeros(0, np.uint8)}, "empty"),
        ({"x_train": np.full((300, 28, 28), 300.0)}, "0 to 255"),
        ({"x_train": np.full((300, 28, 28), "a")}, "dtype <U1"),
        ({"x_test": np.zeros((300, 28, 28), complex)}, "dtype complex128"),
        ({"y_train": np.full(300, "7")}, "dtype <U1"),
    ],
    ids=["shape", "label-count", "label-range", "nan", "empty", "pixel-range", "text", "complex", "text-labels"],
)
def test_bad_arrays_are_named(tmp_path, good, change, message):
    good.update(change)
    with pytest.raises(DataError, match=message):
        load_training_data(write(tmp_path / "bad.npz", **good))


def test_float_images_in_zero_one_are_accepted(tmp_path, good):
    good["x_train"] = good["x_train"].astype(np.float32) / 255.0
    data = load_training_data(write(tmp_path / "float.npz", **good))
    assert data.x_train.dtype == np.uint8 and data.x_train.max() > 200


@pytest.mark.slow
def test_download_without_network_names_the_offline_options(tmp_path):
    """A real failed download: no cached copy (a fresh HOME) and every request sent to a closed port."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path), "KERAS_HOME": str(tmp_path / ".keras"),
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": ""}
    code = ("from digit_app.training.data import load_training_data\ntry:\n    load_training_data('mnist')\n"
            "except Exception as e:\n    print(type(e).__name__, e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    message = result.stdout.strip().splitlines()[-1]
    assert message.startswith("DataError Could not download MNIST"), result.stdout + result.stderr[-1000:]
    assert "mnist.npz" in message and "local .npz" in message
    assert str(tmp_path) not in message  # a visitor may read it: no folder of the server


def test_corrections_join_the_training_images_repeated():
    data = load_training_data(MNIST_SAMPLE)
    images = np.full((3, 28, 28), 0.5, np.float32)  # model inputs, floats in [0, 1]
    more = data.with_corrections(images, np.array([1, 2, 3]), repeat=4)
    assert len(more.x_train) == len(data.x_train) + 12 and more.x_train.dtype == np.uint8
    assert more.y_train[-12:].tolist() == [1] * 4 + [2] * 4 + [3] * 4
    assert np.all(more.x_train[-1] == 128)
    assert np.array_equal(more.x_test, data.x_test)  # the test set is never touched
    assert more.describe()["corrections"] == 3 and data.describe()["corrections"] == 0
    with pytest.raises(DataError, match="repeated"):
        data.with_corrections(images, np.array([1, 2, 3]), repeat=0)
    with pytest.raises(DataError, match="labels outside"):
        data.with_corrections(images, np.array([1, 2, 12]), repeat=1)


def test_an_npz_whose_header_claims_a_billion_images_is_refused_before_reading(tmp_path):
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**9, 28, 28)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(f"{key}.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\x00" * 100)
    assert path.stat().st_size < 20_000
    with pytest.raises(DataError, match="GB"):
        load_training_data(path)


def test_a_pipe_is_refused_without_opening_it(tmp_path):
    """Opening a FIFO would wait for a writer forever: it is refused from its kind alone."""
    fifo = tmp_path / "data.npz"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a plain file"):
        load_training_data(fifo)


# Bounded reading: the size from the headers before anything is read, the values a block at a time.

BIG = 12_000  # images: about 4 blocks of float32 (8 MiB each), so a problem in the last one is deep in the file


def big_file(tmp_path, good, **change):
    """A data file whose x_train holds BIG float32 images in [0, 1] (37 MB unpacked), with `change` applied."""
    images = np.zeros((BIG, 28, 28), np.float32)
    images[:, 10:18, 12:16] = 1.0
    arrays = {**good, "x_train": images, "y_train": np.arange(BIG) % 10, **change}
    return write(tmp_path / "big.npz", **arrays)


def test_a_nan_deep_in_a_large_array_is_found_and_named(tmp_path, good):
    images = np.zeros((BIG, 28, 28), np.float32)
    images[BIG - 2, 27, 27] = np.nan
    with pytest.raises(DataError, match=f"NaN or infinite values \\(image {BIG - 2}\\)"):
        load_training_data(big_file(tmp_path, good, x_train=images))


def test_a_value_out_of_range_deep_in_a_large_integer_array_is_found(tmp_path, good):
    images = np.zeros((BIG, 28, 28), np.int16)
    images[BIG - 1, 3, 3] = 256
    with pytest.raises(DataError, match=f"around image {BIG - 1}; expected 0 to 255"):
        load_training_data(big_file(tmp_path, good, x_train=images))


def test_a_bad_label_deep_in_a_large_array_is_found(tmp_path, good):
    labels = (np.arange(BIG) % 10).astype(np.float64)
    labels[BIG - 3] = 3.5
    with pytest.raises(DataError, match=f"label {BIG - 3} is 3.5"):
        load_training_data(big_file(tmp_path, good, y_train=labels))


def test_a_large_array_of_the_wrong_dtype_is_refused_from_its_header(tmp_path, good, monkeypatch):
    path = big_file(tmp_path, good, x_train=np.zeros((BIG, 28, 28), np.complex64))
    monkeypatch.setattr("digit_app.training.data.iter_rows", _never_read)
    with pytest.raises(DataError, match="dtype complex64"):
        load_training_data(path)


def test_a_large_float_file_is_converted_without_a_whole_float_copy(tmp_path, good):
    """Checking and converting 38 MB of float32 holds the uint8 result (9 MB) and a block or two, never the whole."""
    import tracemalloc

    path = big_file(tmp_path, good)
    tracemalloc.start()
    try:
        data = load_training_data(path, ReadLimits(block_bytes=2**20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data.x_train.dtype == np.uint8 and data.x_train.max() == 255 and data.y_train[-1] == (BIG - 1) % 10
    whole = BIG * 28 * 28 * 4
    assert peak < whole / 2, f"peak {peak / 1e6:.0f} MB for {whole / 1e6:.0f} MB of floats"


def _never_read(*_args, **_kwargs):
    raise AssertionError("an array was read")


def header_only_file(path, shapes: dict[str, tuple[int, ...]], dtype: str = "|u1"):
    """An .npz of headers alone: it claims arrays of `shapes` and holds none of their bytes."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for key, shape in shapes.items():
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
            archive.writestr(f"{key}.npy", header.getvalue())
    return path


def test_a_header_declaring_more_than_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    """701 MB declared (under the old 2 GB cap) in a file of a few hundred bytes: refused by its headers alone."""
    path = header_only_file(tmp_path / "claims.npz", {"x_train": (892_858, 28, 28), "y_train": (892_858,),
                                                      "x_test": (10, 28, 28), "y_test": (10,)})
    assert MAX_DATA_BYTES < 701 * 10**6 and path.stat().st_size < 2_000
    monkeypatch.setattr("digit_app.training.data.iter_rows", _never_read)
    with pytest.raises(DataError, match=f"holds arrays of 701 MB.*at most {MAX_DATA_BYTES // 10**6} MB"):
        load_training_data(path)
    with pytest.raises(DataError, match="holds arrays of 701 MB"):
        preview_images(path)


def test_a_zip_bomb_is_refused_from_the_zip_directory(tmp_path, good):
    """A member that unpacks to more than the cap (zeros compress a thousandfold) is refused before unpacking."""
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, **good, padding=np.zeros(5 * 10**6))  # 40 MB of zeros in 40 kB
    with pytest.raises(DataError, match="holds arrays of 40 MB"):
        load_training_data(path, ReadLimits(max_bytes=30 * 10**6))


def test_fortran_ordered_images_are_refused_with_the_fix(tmp_path, good):
    good["x_train"] = np.asfortranarray(good["x_train"])
    with pytest.raises(DataError, match="Fortran order.*ascontiguousarray"):
        load_training_data(write(tmp_path / "fortran.npz", **good))


def test_the_preview_reads_only_the_first_images(tmp_path, good, monkeypatch):
    images = np.zeros((BIG, 28, 28), np.float32)
    images[:16] = 0.5
    images[BIG - 1, 0, 0] = np.nan  # a full read would refuse the file
    path = big_file(tmp_path, good, x_train=images)
    first = preview_images(path, 16)
    assert first.shape == (16, 28, 28) and first.dtype == np.uint8 and (first == 128).all()
    assert len(preview_images(path, 10_000)) == PREVIEW_MAX
    with pytest.raises(DataError, match="NaN"):
        load_training_data(path)


def test_messages_name_the_file_never_its_folder_and_the_log_keeps_the_path(tmp_path, good, caplog):
    folder = tmp_path / "secret-server-folder"
    folder.mkdir()
    good["y_test"] = np.full(300, 12)
    path = write(folder / "bad labels.npz", **good)
    with pytest.raises(DataError) as refused:
        load_training_data(path)
    assert "bad labels.npz" in str(refused.value) and "secret-server-folder" not in str(refused.value)
    assert str(path) in caplog.text
    (folder / "inner.npz").mkdir()
    for broken, message in ((folder / "absent.npz", "no data file at absent.npz"),
                            (folder / "inner.npz", "inner.npz is a folder")):
        with pytest.raises(DataError, match=message) as refused:
            load_training_data(broken)
        assert "secret-server-folder" not in str(refused.value)


def test_a_damaged_compressed_file_is_named_not_raised_as_zlib_s_error(tmp_path, good):
    path = tmp_path / "damaged.npz"
    np.savez_compressed(path, **good)
    damaged = bytearray(path.read_bytes())
    for index in range(2_000, len(damaged) - 3_000, 997):
        damaged[index] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(DataError, match="damaged.npz is not a readable .npz file"):
        load_training_data(path)
