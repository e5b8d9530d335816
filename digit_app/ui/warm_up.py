"""The server warms up before its first visitor: the pages' heavy imports, the database and the active model,
in one background thread started as the server starts, so the first visitor does not wait for them."""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger(__name__)

# What the Draw page's first run would otherwise import itself: pandas (Streamlit imports it to show the canvas, a
# component), the canvas, the draw path (SciPy, scikit-image), the database (SQLAlchemy; Alembic as it is opened).
MODULES = ("pandas", "streamlit_drawable_canvas", "digit_app.prediction", "digit_app.saliency", "digit_app.ui.answer",
           "digit_app.ui.model_cache", "alembic")

THREAD = "digit-app-warm-up"
# Streamlit warns "missing ScriptRunContext" when a cached function runs outside a page; here that is the point.
CONTEXT_LOGGER = "streamlit.runtime.scriptrunner_utils.script_run_context"

_lock = threading.Lock()
_thread: threading.Thread | None = None


def warm(modules: tuple[str, ...] = MODULES) -> None:
    """Import `modules` (one that fails is logged and skipped), then load the active model into the pages' cache."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # a warm-up never stops the server: the page imports it again and says why
            log.warning("Warm-up could not import %s: %s", name, error)
    try:
        from digit_app.ui.model_cache import warm_classifier

        warm_classifier()
    except Exception as error:
        log.warning("Warm-up could not load the active model: %s", error)


class _NotFromWarmUp(logging.Filter):
    """Drops the records logged by the warm-up thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD


def start_warm_up(modules: tuple[str, ...] = MODULES) -> threading.Thread:
    """Start `warm` in a daemon thread, once per process; the thread (already started before, or now)."""
    global _thread
    with _lock:
        if _thread is None:
            logging.getLogger(CONTEXT_LOGGER).addFilter(_NotFromWarmUp())
            _thread = threading.Thread(target=warm, args=(modules,), name=THREAD, daemon=True)
            _thread.start()
        return _thread
