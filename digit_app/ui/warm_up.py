"""The server warms up before its first visitor: the Draw page's imports, the database and the active model, then
what the first drawing read adds, in one background thread started as the server starts, so the first visitor does
not wait for them."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

# What the Draw page's first run imports (the canvas; the page's modules; SQLAlchemy for the database that names the
# model in use), in that order; the model is loaded after them.
FIRST_RUN = ("streamlit_drawable_canvas", "digit_app.ui.model_cache", "digit_app.prediction", "digit_app.ui.answer",
             "digit_app.saliency", "digit_app.unfinished")
# What the first drawing read adds (digit_app/preprocess.py imports them as it first reads): SciPy, scikit-image.
FIRST_DRAWING = ("scipy.ndimage", "skimage.morphology")
MODULES = FIRST_RUN + FIRST_DRAWING

THREAD = "digit-app-warm-up"
# Streamlit warns "missing ScriptRunContext" when a cached function runs outside a page; here that is the point.
CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _import(modules: Iterable[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # a warm-up never stops the server: the page imports it again and says why
            log.warning("Warm-up could not import %s: %s", name, error)


def warm(first: tuple[str, ...] = FIRST_RUN, then: tuple[str, ...] = FIRST_DRAWING) -> None:
    """Import `first` (one that fails is logged and skipped), load the active model into the pages' cache, then import
    `then`."""
    _import(first)
    try:
        from digit_app.ui.model_cache import warm_classifier

        warm_classifier()
    except Exception as error:
        log.warning("Warm-up could not load the active model: %s", error)
    _import(then)


class _NotFromWarmUp(logging.Filter):
    """Drops the records logged by the warm-up thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD


def start_warm_up() -> threading.Thread:
    """Start `warm` in a daemon thread, once per process; the thread (already started before, or now)."""
    global _thread
    with _lock:
        if _thread is None:
            logging.getLogger(CONTEXT_LOGGER).addFilter(_NotFromWarmUp())
            _thread = threading.Thread(target=warm, name=THREAD, daemon=True)
            _thread.start()
        return _thread
