"""The one image loader (Photo page and `predict`): formats, limits, orientation, every mode the way it looks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digit_app.images import MAX_ASPECT, MIN_SIDE, ImageLoadError, load_image
from digit_app.preprocess import EmptyDrawingError, UnreadableDrawingError, to_mnist
from tests.strokes import draw_digit
from tests.test_photo import as_file, paper_photo

SEVEN = draw_digit(7, 50, 40, 190, brush=20)[..., 0]  # white on black, grey uint8


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "LA", "I;16", "I", "F", "1", "CMYK"])
def test_every_mode_reads_as_it_looks(mode, classifier):
    grey = Image.fromarray(255 - SEVEN)  # dark ink on light paper, as a scan
    if mode == "I;16":
        picture = Image.fromarray((np.asarray(grey).astype(np.uint16) * 257))
    elif mode in ("I", "F"):
        picture = Image.fromarray(np.asarray(grey).astype(np.int32 if mode == "I" else np.float32))
    else:
        picture = grey.convert(mode)
    format = "TIFF" if mode in ("I;16", "I", "F", "CMYK", "LA") else "PNG"
    rgb = load_image(encoded(picture, format))
    assert rgb.shape == (280, 280, 3) and rgb.dtype == np.uint8
    assert classifier.predict_proba(to_mnist(rgb)).argmax() == 7


def test_white_ink_on_a_transparent_ground_stays_visible(classifier):
    alpha = SEVEN
    rgba = np.dstack([np.full_like(alpha, 255)] * 3 + [alpha])  # white strokes, transparent elsewhere
    rgb = load_image(encoded(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert rgb[..., 0].max() == 255 and np.median(rgb) == 0  # white on black, not white on white
    assert classifier.predict_proba(to_mnist(rgb)).argmax() == 7


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_photo_is_turned_upright_as_the_camera_recorded_it(orientation):
    upright = np.zeros((40, 80), np.uint8)
    upright[:, :10] = 255  # a bar on the left
    stored = Image.fromarray(upright).transpose({3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
                                                 8: Image.Transpose.ROTATE_270}[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    rgb = load_image(encoded(stored, "JPEG", exif=exif, quality=95))
    assert rgb.shape[:2] == (40, 80) and rgb[:, :8, 0].mean() > 200 and rgb[:, 20:, 0].mean() < 50


@pytest.mark.parametrize(("data", "message"), [
    # a renamed EPS: never handed to Ghostscript
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not an image"),
    (encoded(Image.new("L", (40000, 1)), "PNG"), "too thin"),
    (encoded(Image.new("L", (3, 3)), "PNG"), "too thin"),
    (encoded(Image.new("1", (20_000, 20_000)), "PNG"), "megapixels"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged|not an image"),
    (b"x" * (16 * 1024 * 1024), "MB"),
])
def test_what_is_not_a_picture_of_digits_is_refused_in_one_sentence(data, message):
    with pytest.raises(ImageLoadError, match=message):
        load_image(data)


def test_predict_json_writes_a_record_for_every_file_and_fails_if_any_did(tmp_path):
    good = tmp_path / "seven.png"
    good.write_bytes(encoded(Image.fromarray(SEVEN), "PNG"))
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    result = subprocess.run([sys.executable, "-m", "digit_app", "predict", "--json", str(good), str(bad),
                             str(tmp_path / "missing.png")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(good), str(bad), str(tmp_path / "missing.png")]
    assert records[0]["digit"] == 7 and "error" not in records[0]
    assert "not an image" in records[1]["error"] and "No such file" in records[2]["error"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_predict_refuses_a_fifo_a_folder_or_a_device_unopened(tmp_path, kind):
    from digit_app.images import read_image_file

    path = Path("/dev/zero") if kind == "device" else tmp_path / "digit.png"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    result = subprocess.run([sys.executable, "-m", "digit_app", "predict", "--json", str(path)],
                            capture_output=True, text=True, timeout=300)  # a FIFO opened (the bug) fails, not hangs
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "not a plain file: it was not opened" in json.loads(result.stdout)["error"]
    with pytest.raises(OSError, match="not a plain file"):
        read_image_file(path)  # the file was refused before it was opened: this returns at once


def test_an_image_file_larger_than_accepted_is_refused_before_it_is_read(tmp_path):
    from digit_app.images import MAX_BYTES, read_image_file

    path = tmp_path / "huge.png"
    with open(path, "wb") as file:
        file.truncate(MAX_BYTES + 1)
    with pytest.raises(ImageLoadError, match="the largest accepted is 15 MB"):
        read_image_file(path)


def as_seen(picture: Image.Image, array: np.ndarray) -> np.ndarray:
    """The 8-bit RGB a viewer shows for `picture` made from `array`: deep greys scaled, the rest as PIL converts it."""
    values = array.astype(np.float64)
    if picture.mode == "I;16":
        grey = np.rint(values / 65535 * 255)
    elif picture.mode == "F":
        grey = np.rint((values - values.min()) / (values.max() - values.min()) * 255)
    else:
        return np.asarray(picture.convert("RGB"))
    return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)


def test_random_images_of_every_mode_and_size_give_an_answer_or_a_documented_error():
    """Property-style: whatever comes in, the loader gives the picture as it looks (8-bit RGB, its own size) or
    refuses it in one sentence of its own error (cut short, too thin to hold a digit); and to_mnist gives an MNIST
    input or refuses in one of its own errors. Each of those outcomes happens."""
    rng = np.random.default_rng(0)
    modes = ["L", "RGB", "RGBA", "P", "1", "I;16", "F"]
    outcomes = Counter()
    for _ in range(60):
        mode = modes[rng.integers(len(modes))]
        width, height = (int(v) for v in rng.integers(1, 400, 2))
        noise = rng.random((height, width))
        array = {"I;16": (noise * 65535).astype(np.uint16), "F": noise.astype(np.float32)}.get(
            mode, (noise * 255).astype(np.uint8))
        picture = Image.fromarray(array) if mode in ("I;16", "F") else Image.fromarray(array).convert(mode)
        data = encoded(picture, "TIFF" if mode in ("I;16", "F") else "PNG")
        cut = rng.random() < 0.2
        if cut:
            data = data[: rng.integers(1, len(data))]  # cut short
        thin = min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height)
        if cut or thin:
            with pytest.raises(ImageLoadError, match="cut short|not an image|too thin" if cut else "too thin") as error:
                load_image(data)
            assert "\n" not in str(error.value) and str(error.value).endswith("."), str(error.value)
            outcomes["refused by the loader"] += 1
            continue
        rgb = load_image(data)
        assert rgb.dtype == np.uint8 and rgb.shape == (height, width, 3), mode
        assert np.array_equal(rgb, as_seen(picture, array)), mode
        try:
            model_input = to_mnist(rgb)
        except (EmptyDrawingError, UnreadableDrawingError) as error:
            assert "\n" not in str(error), str(error)
            outcomes["not one digit"] += 1
            continue
        assert model_input.shape == (28, 28) and model_input.dtype == np.float32, mode
        assert np.isfinite(model_input).all() and 0.0 <= model_input.min() and model_input.max() <= 1.0, mode
        outcomes["read"] += 1
    assert len(outcomes) == 3 and min(outcomes.values()) >= 5, outcomes  # the property was tried every way


@pytest.mark.slow
def test_random_arrays_of_every_dtype_and_shape_give_an_answer_or_a_documented_error():
    from digit_app.preprocess import split_digits

    rng = np.random.default_rng(1)
    dtypes = [np.uint8, np.uint16, np.int32, np.float32, np.float64, bool]
    for _ in range(80):
        height, width = (int(v) for v in rng.integers(1, 500, 2))
        shape = [(height, width), (height, width, 1), (height, width, 3), (height, width, 4),
                 (height,)][rng.integers(5)]
        dtype = dtypes[rng.integers(len(dtypes))]
        sparse = rng.random(shape) < rng.uniform(0, 0.3)
        array = (sparse * (np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1)).astype(dtype)
        for read in (to_mnist, split_digits):
            try:
                result = read(array)
            except (EmptyDrawingError, UnreadableDrawingError):
                continue
            except ValueError as error:  # not an image at all: said in one sentence
                assert "expected" in str(error) and "\n" not in str(error)
                continue
            if read is to_mnist:
                assert result.shape == (28, 28) and np.isfinite(result).all()


def test_files_that_are_not_images_are_refused_with_a_reason():
    with pytest.raises(ImageLoadError, match="not an image"):
        load_image(b"%PDF-1.4 this is a document")
    truncated = as_file(paper_photo([1, 2]), "PNG")[:400]
    with pytest.raises(ImageLoadError, match="damaged"):
        load_image(truncated)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    small = as_file(np.zeros((16, 16), np.uint8), "PNG")
    header = Image.new("1", (12_000, 12_000))  # 144 megapixels that compress to a few kilobytes
    buffer = io.BytesIO()
    header.save(buffer, "PNG")
    with pytest.raises(ImageLoadError, match="megapixels|not an image"):
        load_image(buffer.getvalue())
    assert load_image(small).shape == (16, 16, 3)
