"""One loader for every image that comes in (uploads on the Photo page, files given to `predict`).

It decodes only the formats a person sends as a picture of digits (PNG, JPEG, WebP, BMP, GIF's
first frame, TIFF), refuses what is too big before decoding it (a "decompression bomb" is a few
kilobytes that decode to gigabytes) or too thin to hold a digit, turns the picture upright as the
camera recorded it (EXIF orientation), and gives back 8-bit RGB the way the picture looks, whatever
its mode or bit depth (palettes, 16-bit grey, floats, transparency).
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digit_app.errors import DigitAppError, first_line
from digit_app.sizes import ZOOM
from digit_app.store.files import open_plain

FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
MAX_PIXELS = 40_000_000  # larger images are refused before they are decoded
MAX_BYTES = 15 * 1024 * 1024  # the same cap as the upload limit in .streamlit/config.toml
MIN_SIDE = 8  # px: a picture narrower than this cannot hold a digit
MAX_ASPECT = 40  # a picture 40 times wider than tall (or the other way) is not a picture of digits
WORK_SIDE = 1280  # JPEGs are decoded straight at about this size when they are larger


class ImageLoadError(DigitAppError, ValueError):
    """A file is not an image this app can read; the message says why, in one sentence."""


def read_image_file(path: str | os.PathLike[str]) -> bytes:
    """An image file's bytes for `load_image`; a FIFO or a device (reading would block or never end) is
    refused before it is opened (OSError), and a file over MAX_BYTES before it is read."""
    with open_plain(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > MAX_BYTES:
            raise ImageLoadError(_too_large(size))
        return file.read(MAX_BYTES + 1)  # the loader refuses more, should it have grown meanwhile


def _too_large(size: int) -> str:
    return f"The file is {size / 1e6:.0f} MB; the largest accepted is {MAX_BYTES // (1024 * 1024)} MB."


def load_image(data: bytes) -> np.ndarray:
    """Decode an image file's bytes into an RGB uint8 array, upright, the way it looks."""
    if len(data) > MAX_BYTES:
        raise ImageLoadError(_too_large(len(data)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageLoadError(f"The image is {width}x{height} pixels; the largest accepted is "
                                         f"{MAX_PIXELS // 1_000_000} megapixels.")
                if min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
                    raise ImageLoadError(f"The image is {width}x{height} pixels: too thin to hold a digit.")
                image.draft("RGB", (WORK_SIDE, WORK_SIDE))  # a large JPEG decodes straight at a smaller size
                return _as_seen(ImageOps.exif_transpose(image))
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError("That file is not an image this app reads (PNG, JPEG, WebP, BMP, GIF or TIFF).") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(f"The image is larger than {MAX_PIXELS // 1_000_000} megapixels.") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ImageLoadError(f"The image is damaged or cut short ({first_line(error)}).") from None


def _as_seen(image: Image.Image) -> np.ndarray:
    """8-bit RGB as a viewer shows the picture: deep greys scaled down, palettes looked up, transparency filled."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = (0.0, 65535.0) if image.mode.startswith("I;16") else (float(values.min()), float(values.max()))
        if image.mode == "I" and values.max() <= 65535 and values.min() >= 0:
            low, high = 0.0, 65535.0 if values.max() > 255 else 255.0
        scaled = (values - low) / max(high - low, 1e-9) * 255.0
        grey = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode in ("P", "PA", "LA", "RGBA", "La") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:] / 255.0
        if alpha.min() < 1.0:
            # Fill the transparent part with whatever contrasts with the ink: white ink goes on black.
            ink = rgba[..., :3][alpha[..., 0] > 0.5]
            ground = 0.0 if ink.size and ink.mean() > 127.5 else 255.0
            rgb = rgba[..., :3] * alpha + ground * (1.0 - alpha)
            return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        return rgba[..., :3].astype(np.uint8)
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def enlarge(model_input: np.ndarray, zoom: int = ZOOM) -> np.ndarray:
    """A 28x28 model input enlarged pixel for pixel, so a person sees exactly what the model saw."""
    block = np.ones((zoom, zoom) + (1,) * (model_input.ndim - 2), np.float32)  # grey (28, 28) or colour (28, 28, 3)
    return np.kron(model_input, block)
