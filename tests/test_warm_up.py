"""digit_app/ui/warm_up.py: what the server loads before its first visitor, and that the pages then find it loaded."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

from digit_app.ui import model_cache, warm_up

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_warmed_exists():
    """A module renamed or moved would only be logged at each start, and the first visitor would wait for it again."""
    assert all(importlib.util.find_spec(name) is not None for name in warm_up.MODULES)


def test_the_warm_up_loads_the_active_model_into_the_cache_the_pages_read(monkeypatch):
    loads = []
    real = model_cache.load_classifier

    def counted(path):
        loads.append(path)
        return real(path)

    model_cache._load.clear()
    model_cache._loaded.clear()
    monkeypatch.setattr(model_cache, "load_classifier", counted)
    warm_up.warm((), ())
    assert len(loads) == 1
    model_cache.get_classifier()  # what the Draw page asks for at its first run
    assert len(loads) == 1
    model_cache._load.clear()
    model_cache._loaded.clear()


def test_a_module_that_fails_is_logged_and_the_rest_still_warmed(monkeypatch, caplog):
    warmed = []
    monkeypatch.setattr(model_cache, "warm_classifier", lambda: warmed.append("model"))
    with caplog.at_level(logging.WARNING, logger=warm_up.__name__):
        warm_up.warm(("digit_app.no_such_module", "json"), ())
    assert "digit_app.no_such_module" in caplog.text and warmed == ["model"]


def test_the_warm_up_starts_once_per_process_and_does_not_block():
    code = """
import sys, threading, time
from digit_app.ui import warm_up
gate = threading.Event()
warm_up.warm = lambda: gate.wait(30)  # a warm-up that takes long
started = time.monotonic()
first, second = warm_up.start_warm_up(), warm_up.start_warm_up()
assert time.monotonic() - started < 1 and first is second and first.is_alive() and first.daemon
gate.set(); first.join(5)
assert "digit_app.prediction" not in sys.modules  # nothing heavy imported on the caller's thread
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.stdout.strip() == "ok", result.stderr
