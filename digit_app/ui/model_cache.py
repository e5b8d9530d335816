"""The active model for the pages: loaded once per server and version, with the shipped one to fall back on."""

from __future__ import annotations

import logging

import streamlit as st

from digit_app.model import Classifier, ModelLoadError, load_classifier
from digit_app.store.metadata import metadata_path
from digit_app.store.versions import active_model, shipped_model_path
from digit_app.ui.text import for_visitors

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load(path: str, modified: tuple[float, float]) -> tuple[Classifier, str | None]:
    """The classifier at `path`, or the shipped one and the reason when `path` cannot be used."""
    try:
        return load_classifier(path), None
    except ModelLoadError as problem:
        log.warning("%s Using the shipped model instead.", problem)  # the log keeps the paths the page leaves out
        if path == str(shipped_model_path()):
            raise
        return load_classifier(shipped_model_path()), str(problem)


def get_classifier() -> Classifier:
    """The active model; falls back to the shipped one with a warning, stops the page if none loads.

    What went wrong names the file, never its folder (`for_visitors`): the server log has the whole path.
    """
    path, pointer = active_model()
    # A model's answers change with its file or its metadata (a new temperature from `calibrate`).
    modified = tuple(file.stat().st_mtime if file.exists() else 0.0 for file in (path, metadata_path(path)))
    try:
        classifier, problem = _load(str(path), modified)
    except ModelLoadError as error:
        st.error(for_visitors(str(error)))
        st.stop()
    if problem:
        st.warning(for_visitors(f"{problem} Using the shipped model instead."))
    elif pointer is not None:
        st.warning(for_visitors(pointer))
    if classifier.notice:  # a damaged LiteRT copy: the Keras model answers
        st.warning(for_visitors(classifier.notice))
    return classifier
