"""The active model for the pages: asked of the database when it may have changed (`database.active_cache`), loaded
once per server and digest, with the shipped one to fall back on."""

from __future__ import annotations

import logging
import os
import threading
import time

import streamlit as st

from digit_app.database import Database, DatabaseError
from digit_app.database.active_cache import KEEP_SECONDS, cached_active_model
from digit_app.database.registry import SHIPPED, ActiveModel
from digit_app.model import Classifier, ModelLoadError, load_classifier
from digit_app.settings import ENV_DATA_DIR, ENV_DATABASE_URL
from digit_app.store.versions import shipped_model_path
from digit_app.ui.shared_database import shared_database
from digit_app.ui.text import for_visitors

log = logging.getLogger(__name__)
_recent: dict[tuple[str | None, ...], tuple[float, Database]] = {}  # the settings it follows -> (when asked, it)
_loaded: list[tuple[str, str, tuple[Classifier, str | None]]] = []  # the last model answered with: (path, key, _load's)
_lock = threading.Lock()


def recent_database() -> Database:
    """`shared_database()`, asked again once a second: finding its URL reads Streamlit's secrets, which, with no
    secrets file, looks for the files and fails anew each time (about 1.4 ms of the server's one core per stroke)."""
    setting, now = (os.environ.get(ENV_DATABASE_URL), os.environ.get(ENV_DATA_DIR)), time.monotonic()
    with _lock:
        kept = _recent.get(setting)
    if kept is not None and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    database = shared_database()
    with _lock:
        _recent[setting] = (now, database)
    return database


def _loaded_model(path: str, key: str) -> tuple[Classifier, str | None]:
    """`_load(path, key)`, the last one answered with kept at hand: Streamlit's cache hashes its arguments each time."""
    with _lock:
        last = _loaded[-1] if _loaded else None
    if last is not None and last[:2] == (path, key):
        return last[2]
    found = _load(path, key)
    with _lock:
        _loaded[:] = [(path, key, found)]
    return found


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load(path: str, key: str) -> tuple[Classifier, str | None]:
    """The classifier at `path` (`key`: its version, file digest and metadata), or the shipped one and the reason
    when `path` cannot be used."""
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
    try:
        active = cached_active_model(recent_database())
    except DatabaseError as error:  # the database could not even be opened (a wrong URL, PostgreSQL down at start)
        active = ActiveModel(SHIPPED, shipped_model_path(), SHIPPED, f"{error} The shipped model is in use.")
    try:
        classifier, problem = _loaded_model(str(active.path), active.key)
    except ModelLoadError as error:
        st.error(for_visitors(str(error)))
        st.stop()
    if problem:
        st.warning(for_visitors(f"{problem} Using the shipped model instead."))
    elif active.problem is not None:
        st.warning(for_visitors(active.problem))
    if classifier.notice:  # a damaged LiteRT copy: the Keras model answers
        st.warning(for_visitors(classifier.notice))
    return classifier


def warm_classifier() -> None:
    """Load the active model into the cache before any visitor asks for it (ui/warm_up.py, as the server starts)."""
    try:
        active = cached_active_model(recent_database())
    except DatabaseError:
        return  # the first page says what is wrong with the database
    _loaded_model(str(active.path), active.key)
