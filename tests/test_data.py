"""Loading MNIST from a local .npz: a good file, and each kind of bad one with its message."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from digit_app.training.data import ENV_DATA_DIR, KERAS_SOURCE, DataError, data_choices, keep_upload, load_mnist
from tests.conftest import MNIST_SAMPLE


def write(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.fixture()
def good(mnist_sample):
    return dict(mnist_sample)


def test_good_file_loads_as_uint8(good):
    data = load_mnist(MNIST_SAMPLE)
    assert data.x_train.shape == (300, 28, 28) and data.x_train.dtype == np.uint8
    assert data.y_test.shape == (300,) and data.describe()["train_images"] == 300


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="no data file"):
        load_mnist(tmp_path / "absent.npz")
    with pytest.raises(DataError, match="is a folder"):
        load_mnist(tmp_path)


def test_truncated_file(tmp_path):
    broken = tmp_path / "cut.npz"
    broken.write_bytes(MNIST_SAMPLE.read_bytes()[:5000])
    with pytest.raises(DataError, match="not a readable .npz"):
        load_mnist(broken)


def test_wrong_keys(tmp_path, good):
    good["images"] = good.pop("x_train")
    with pytest.raises(DataError, match="lacks x_train"):
        load_mnist(write(tmp_path / "keys.npz", **good))


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
        load_mnist(write(tmp_path / "bad.npz", **good))


def test_float_images_in_zero_one_are_accepted(tmp_path, good):
    good["x_train"] = good["x_train"].astype(np.float32) / 255.0
    data = load_mnist(write(tmp_path / "float.npz", **good))
    assert data.x_train.dtype == np.uint8 and data.x_train.max() > 200


def test_download_without_network_names_the_offline_options(tmp_path):
    """A real failed download: no cached copy (a fresh HOME) and every request sent to a closed port."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path), "KERAS_HOME": str(tmp_path / ".keras"),
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": ""}
    code = ("from digit_app.training.data import load_mnist\ntry:\n    load_mnist('mnist')\n"
            "except Exception as e:\n    print(type(e).__name__, e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    message = result.stdout.strip().splitlines()[-1]
    assert message.startswith("DataError Could not download MNIST"), result.stdout + result.stderr[-1000:]
    assert str(tmp_path / ".keras" / "datasets" / "mnist.npz") in message and "local .npz" in message


def test_corrections_join_the_training_images_repeated():
    data = load_mnist(MNIST_SAMPLE)
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
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**9, 28, 28)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(f"{key}.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\x00" * 100)
    assert path.stat().st_size < 20_000
    with pytest.raises(DataError, match="GB"):
        load_mnist(path)


def test_a_pipe_is_refused_without_opening_it(tmp_path):
    """Opening a FIFO would wait for a writer forever: it is refused from its kind alone."""
    fifo = tmp_path / "data.npz"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a plain file"):
        load_mnist(fifo)


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


def test_an_upload_is_checked_kept_once_by_its_content_and_capped(tmp_path):
    content = MNIST_SAMPLE.read_bytes()
    kept = keep_upload(content, tmp_path)
    assert kept.parent == tmp_path / "uploads" and load_mnist(kept).x_train.shape[1:] == (28, 28)
    assert keep_upload(content, tmp_path) == kept and len(list((tmp_path / "uploads").iterdir())) == 1
    with pytest.raises(DataError, match="The uploaded file is not a readable .npz"):
        keep_upload(b"PK\x03\x04 broken", tmp_path)
    with pytest.raises(DataError, match="an upload is at most 15 MB"):
        keep_upload(bytes(16 * 1024 * 1024), tmp_path)
    assert len(list((tmp_path / "uploads").iterdir())) == 1  # nothing else left behind
