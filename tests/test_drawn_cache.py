"""The drawn pen digits kept on disk (digit_app/training/drawn_cache.py): read back the same, made again when stale."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.strokes import on_canvas
from digit_app.strokes.pen_digits import PenDigits, load_pen_digits
from digit_app.training import drawn_cache
from digit_app.training.drawn_cache import cache_folder, cache_key, drawn_pen_digits, kept_copies


@pytest.fixture()
def digits(tmp_path, monkeypatch) -> PenDigits:
    """Ten of the small sample's pen digits, and a cache folder of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    pen = load_pen_digits()
    return PenDigits(pen.strokes[:10], pen.labels[:10], pen.writers[:10])


def counting_draws(monkeypatch) -> list[int]:
    """Count the times the digits are really drawn."""
    calls: list[int] = []
    real = on_canvas.drawn_inputs

    def drawn_inputs(digits, seed=0, on_progress=None):
        calls.append(seed)
        return real(digits, seed=seed, on_progress=on_progress)

    monkeypatch.setattr(on_canvas, "drawn_inputs", drawn_inputs)
    return calls


def test_digits_drawn_once_are_read_back_the_same_and_not_drawn_again(digits, monkeypatch):
    calls = counting_draws(monkeypatch)
    first = drawn_pen_digits(digits, seed=3)
    heard = []
    second = drawn_pen_digits(digits, seed=3, on_progress=lambda done, total: heard.append((done, total)))
    assert calls == [3]
    assert heard == [(10, 10)]  # the page still hears that the digits are ready
    for made, read in zip(first, second):
        assert made.dtype == read.dtype and np.array_equal(made, read)


def test_another_seed_other_digits_or_changed_drawing_code_are_drawn_anew(digits, monkeypatch):
    calls = counting_draws(monkeypatch)
    drawn_pen_digits(digits, seed=3)
    drawn_pen_digits(digits, seed=4)
    fewer = PenDigits(digits.strokes[:9], digits.labels[:9], digits.writers[:9])
    drawn_pen_digits(fewer, seed=3)
    assert calls == [3, 4, 3]
    before = cache_key(digits, 3)
    monkeypatch.setattr(drawn_cache, "CACHE_VERSION", b"another")
    assert cache_key(digits, 3) != before


def test_a_damaged_copy_is_drawn_again_and_replaced(digits, monkeypatch):
    drawn_pen_digits(digits, seed=3)
    (kept,) = cache_folder().glob("drawn-*.npz")
    kept.write_bytes(kept.read_bytes()[:100])
    calls = counting_draws(monkeypatch)
    pixels, strokes, labels = drawn_pen_digits(digits, seed=3)
    assert calls == [3] and len(pixels) == len(strokes) == len(labels) > 0
    assert drawn_pen_digits(digits, seed=3)[0].shape == pixels.shape and calls == [3]  # whole again


def test_a_folder_that_cannot_be_written_costs_only_the_drawing(digits, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    calls = counting_draws(monkeypatch)
    pixels, _, labels = drawn_pen_digits(digits, seed=3)
    assert len(pixels) == len(labels) > 0
    drawn_pen_digits(digits, seed=3)
    assert calls == [3, 3]


def test_copies_of_digits_are_made_once_for_the_same_images_share_and_seed(tmp_path, monkeypatch, mnist_sample):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    images, labels = mnist_sample["x_train"][:40], mnist_sample["y_train"][:40]
    made: list[float] = []

    def make(share: float):
        def copies():
            made.append(share)
            return np.arange(3), images[:3].astype(np.float32) * share
        return copies

    first = kept_copies("redrawn", images, labels, 0.5, 0, make(0.5))
    again = kept_copies("redrawn", images, labels, 0.5, 0, make(0.5))
    assert made == [0.5] and all(np.array_equal(a, b) for a, b in zip(first, again))
    kept_copies("redrawn", images, labels, 0.25, 0, make(0.25))  # another share
    kept_copies("redrawn", images[:39], labels[:39], 0.5, 0, make(0.5))  # other images
    kept_copies("retraced", images, labels, 0.5, 0, make(0.5))  # another kind
    assert made == [0.5, 0.25, 0.5, 0.5]


def test_only_the_newest_files_are_kept(tmp_path, monkeypatch, mnist_sample):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(drawn_cache, "MAX_KEPT", 3)
    images, labels = mnist_sample["x_train"][:10], mnist_sample["y_train"][:10]
    for seed in range(5):
        kept_copies("styled", images, labels, 0.5, seed, lambda: (images[:2], labels[:2]))
    assert len(list(cache_folder().glob("*.npz"))) == 3


def test_copies_are_made_again_when_the_code_of_their_own_kind_changes_and_only_then(tmp_path, monkeypatch,
                                                                                       mnist_sample):
    import digit_app.training.augment
    import digit_app.training.redrawn

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    images, labels = mnist_sample["x_train"][:20], mnist_sample["y_train"][:20]
    made: list[str] = []

    def copies(kind: str):
        return kept_copies(kind, images, labels, 0.5, 0,
                           lambda: made.append(kind) or (np.arange(2), images[:2].astype(np.float32)))

    def edited(module) -> None:
        """The module's source as if edited: a comment added."""
        changed = tmp_path / f"{module.__name__}.py"
        changed.write_bytes(open(module.__file__, "rb").read() + b"# edited\n")
        monkeypatch.setattr(module, "__file__", str(changed))

    copies("redrawn")
    edited(digit_app.training.augment)  # the online augmentation: nothing of the redrawn copies
    copies("redrawn")
    assert made == ["redrawn"]
    edited(digit_app.training.redrawn)  # the code that redraws them
    copies("redrawn")
    assert made == ["redrawn", "redrawn"]
