"""What the server needs that `.streamlit/config.toml` cannot say."""

from __future__ import annotations

import logging

from streamlit.runtime.scriptrunner import script_runner

log = logging.getLogger(__name__)
STREAMLIT_CLEANUP = getattr(script_runner, "_clean_problem_modules", None)  # Streamlit's own, kept for the tests


def _nothing_to_clean() -> None:
    """The app builds no Keras model and draws no pyplot figure in a page: nothing to reset."""


def keep_keras_state() -> None:
    """Stop Streamlit resetting Keras after every run of every page, in every session.

    Once Keras is imported in the server (as soon as someone opens Retrain: its preview runs the
    augmentation), Streamlit calls `keras.backend.clear_session()` after each run, which resets
    TensorFlow's graph and collects all garbage: 0.3 to 1.5 s per stroke for everyone drawing
    (`benchmarks/protocol_load.py`). Training runs in its own process, so the server has no
    Keras state to clear. Streamlit's hook is private: if it is gone, this says so and does nothing.
    """
    if not hasattr(script_runner, "_clean_problem_modules"):
        log.warning("Streamlit no longer has _clean_problem_modules: its Keras reset is not switched off.")
        return
    script_runner._clean_problem_modules = _nothing_to_clean
