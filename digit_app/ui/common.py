"""What the pages share: the model, loaded once per server and kept while its file is unchanged."""

from __future__ import annotations

import streamlit as st

from digit_app.model import SHIPPED_MODEL, Classifier, ModelLoadError, active_model_path, load_classifier


@st.cache_resource(show_spinner="Loading the model…")
def _load(path: str, modified: float) -> tuple[Classifier, str | None]:
    """The classifier at `path`, or the shipped one and the reason when `path` cannot be used."""
    try:
        return load_classifier(path), None
    except ModelLoadError as problem:
        if path == str(SHIPPED_MODEL):
            raise
        return load_classifier(SHIPPED_MODEL), str(problem)


def get_classifier() -> Classifier:
    """The active model; falls back to the shipped one with a warning, stops the page if none loads."""
    path = active_model_path()
    modified = path.stat().st_mtime if path.exists() else 0.0
    try:
        classifier, problem = _load(str(path), modified)
    except ModelLoadError as error:
        st.error(str(error))
        st.stop()
    if problem:
        st.warning(f"{problem} Using the shipped model instead.")
    return classifier
