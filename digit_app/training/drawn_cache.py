"""Digits made for training, kept on disk once made: the pen digits drawn on a canvas and read as the app reads a
drawing, and the copies of MNIST digits added to the training images (styled, redrawn, retraced).

Both are the same work in every run with the same data and seed (about 35 s and 10 s of a run on
two cores): they are kept in this machine's cache folder (`$XDG_CACHE_HOME/digit-app`, else
`~/.cache/digit-app`) under a name made from everything the result depends on: the digits
themselves, the shares and the seed, and the source of the code that makes them. A change to any of
these is a new name, so a stale copy is never read. A copy that cannot be read is made again; a
folder that cannot be written only costs the next run the same work. The newest `MAX_KEPT` files
are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from digit_app.store.files import atomic_write
from digit_app.strokes.pen_digits import PenDigits

log = logging.getLogger(__name__)
CACHE_VERSION = b"drawn-1"  # change when what is kept changes shape
MAX_KEPT = 12  # files kept in the cache folder, newest first
# The modules whose code decides the drawn pixels and stroke features: their source is part of the name.
_DRAWING_CODE = ("digit_app.strokes.on_canvas", "digit_app.render", "digit_app.preprocess",
                 "digit_app.strokes.features", "digit_app.sizes")
# ... and of each kind of copies of MNIST digits (`kept_copies`' kind): the module that makes them and what it calls.
_COPYING_CODE = {
    "styled": ("digit_app.training.styles", "digit_app.render", "digit_app.preprocess", "digit_app.sizes"),
    "redrawn": ("digit_app.training.redrawn", "digit_app.preprocess", "digit_app.sizes"),
    "retraced": ("digit_app.training.pen", "digit_app.preprocess", "digit_app.sizes"),
}
DrawnInputs = tuple[np.ndarray, np.ndarray, np.ndarray]


def cache_folder() -> Path:
    """Where digits made for training are kept on this machine."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "digit-app"


def _code_digest(modules: tuple[str, ...]) -> Any:
    """A SHA-256 begun with the source of these modules."""
    import importlib

    digest = hashlib.sha256(CACHE_VERSION)
    for name in modules:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    return digest


def cache_key(digits: PenDigits, seed: int) -> str:
    """A name for these digits drawn with this seed by the code as it is now."""
    digest = _code_digest(_DRAWING_CODE)
    digest.update(f"seed={seed};n={len(digits)}".encode())
    digest.update(np.ascontiguousarray(digits.labels, np.int64).tobytes())
    for strokes in digits.strokes:
        digest.update(len(strokes).to_bytes(4, "little"))
        for stroke in strokes:
            digest.update(np.ascontiguousarray(stroke, np.float32).tobytes())
    return digest.hexdigest()[:24]


def kept_copies(kind: str, images: np.ndarray, labels: np.ndarray, share: float, seed: int,
                make: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """`make()`'s two arrays (copies of `images` of this `kind` and `share`), read from the cache when made before
    from the same images, labels, share and seed by the same code (that kind's), else made and kept."""
    digest = _code_digest(_COPYING_CODE[kind])
    digest.update(f"{kind};share={share!r};seed={seed};shape={images.shape};{images.dtype}".encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels, np.int64).tobytes())
    path = cache_folder() / f"{kind}-{digest.hexdigest()[:24]}.npz"
    kept = _read(path, ("first", "second"))
    if kept is not None:
        return kept[0], kept[1]
    made = make()
    _write(path, {"first": made[0], "second": made[1]})
    return made


def drawn_pen_digits(digits: PenDigits, seed: int,
                     on_progress: Callable[[int, int], None] | None = None) -> DrawnInputs:
    """`strokes.on_canvas.drawn_inputs(digits, seed)`, read from the cache when it was made before, else made and
    kept: (pixels, stroke features, labels)."""
    from digit_app.strokes.on_canvas import drawn_inputs

    path = cache_folder() / f"drawn-{cache_key(digits, seed)}.npz"
    kept = _read(path, ("pixels", "strokes", "labels"))
    if kept is not None:
        if on_progress is not None:
            on_progress(len(digits), len(digits))
        pixels, strokes, labels = kept
        return pixels.astype(np.float32, copy=False), strokes.astype(np.float32, copy=False), labels.astype(np.int64)
    made = drawn_inputs(digits, seed=seed, on_progress=on_progress)
    _write(path, dict(zip(("pixels", "strokes", "labels"), made)))
    return made


def _read(path: Path, keys: tuple[str, ...]) -> tuple[np.ndarray, ...] | None:
    """A kept copy's arrays, or None when there is none or it cannot be read whole."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = tuple(archive[key] for key in keys)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        log.warning("The digits kept in %s could not be read (%s); making them again.", path, error)
        return None
    if len({len(array) for array in arrays}) != 1:
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: among the newest
    return arrays


def _write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Keep a copy, written whole or not at all, and only the newest `MAX_KEPT`; a folder that cannot be written is
    only logged."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as file:
            np.savez(file, **arrays)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
        kept = sorted(path.parent.glob("*.npz"), key=lambda file: file.stat().st_mtime, reverse=True)
        for old in kept[MAX_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("The digits could not be kept in %s (%s); the next run makes them again.", path, error)
