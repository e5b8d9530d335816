"""The pen digits drawn on a canvas and read as the app reads a drawing, kept on disk once made.

Drawing ~6,000 pen digits and reading each through `to_mnist` is the same work in every run with
the same seed: it is kept in this machine's cache folder (`$XDG_CACHE_HOME/digit-app`, else
`~/.cache/digit-app`) under a name made from everything the result depends on: the digits
themselves, the seed, and the source of the code that draws and reads them. A change to any of
these is a new name, so a stale copy is never read. A copy that cannot be read is made again; a
folder that cannot be written only costs the next run the same work.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from digit_app.store.files import atomic_write
from digit_app.strokes.pen_digits import PenDigits

log = logging.getLogger(__name__)
CACHE_VERSION = b"drawn-1"  # bump when what is kept changes shape
# The modules whose code decides the drawn pixels and stroke features: their source is part of the name.
_DRAWING_CODE = ("digit_app.strokes.on_canvas", "digit_app.render", "digit_app.preprocess",
                 "digit_app.strokes.features", "digit_app.sizes")
DrawnInputs = tuple[np.ndarray, np.ndarray, np.ndarray]


def cache_folder() -> Path:
    """Where drawn digits are kept on this machine."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "digit-app"


def cache_key(digits: PenDigits, seed: int) -> str:
    """A name for these digits drawn with this seed by the code as it is now."""
    import importlib

    digest = hashlib.sha256(CACHE_VERSION)
    for name in _DRAWING_CODE:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    digest.update(f"seed={seed};n={len(digits)}".encode())
    digest.update(np.ascontiguousarray(digits.labels, np.int64).tobytes())
    for strokes in digits.strokes:
        digest.update(len(strokes).to_bytes(4, "little"))
        for stroke in strokes:
            digest.update(np.ascontiguousarray(stroke, np.float32).tobytes())
    return digest.hexdigest()[:24]


def drawn_pen_digits(digits: PenDigits, seed: int,
                     on_progress: Callable[[int, int], None] | None = None) -> DrawnInputs:
    """`strokes.on_canvas.drawn_inputs(digits, seed)`, read from the cache when it was made before, else made and
    kept: (pixels, stroke features, labels)."""
    from digit_app.strokes.on_canvas import drawn_inputs

    path = cache_folder() / f"drawn-{cache_key(digits, seed)}.npz"
    kept = _read(path)
    if kept is not None:
        if on_progress is not None:
            on_progress(len(digits), len(digits))
        return kept
    made = drawn_inputs(digits, seed=seed, on_progress=on_progress)
    _write(path, made)
    return made


def _read(path: Path) -> DrawnInputs | None:
    """A kept copy, or None when there is none or it cannot be read whole."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            pixels, strokes, labels = archive["pixels"], archive["strokes"], archive["labels"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        log.warning("The drawn pen digits kept in %s could not be read (%s); drawing them again.", path, error)
        return None
    if not len(pixels) == len(strokes) == len(labels):
        return None
    return pixels.astype(np.float32, copy=False), strokes.astype(np.float32, copy=False), labels.astype(np.int64)


def _write(path: Path, drawn: DrawnInputs) -> None:
    """Keep a copy, written whole or not at all; a folder that cannot be written is only logged."""
    pixels, strokes, labels = drawn

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as file:
            np.savez(file, pixels=pixels, strokes=strokes, labels=labels)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
    except OSError as error:
        log.warning("The drawn pen digits could not be kept in %s (%s); the next run draws them again.", path, error)
