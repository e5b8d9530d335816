"""The pages' one database: the URL under `[connections.digits]` in `.streamlit/secrets.toml` (Streamlit's place
for an `sql` connection's URL), else `$DIGIT_APP_DATABASE_URL`, else the SQLite file of one machine.

With no secrets file, Streamlit looks for one at every question, working out the paths and trying
each; so once it has found none, that answer is kept while no file is at any of those paths (one
`stat` each) and the same `st.secrets` is asked. A secrets file that appears, or a changed one (its
own watcher reloads it), is read at the next question.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config
from streamlit.config_option import ConfigOption

from digit_app.database import Database, DatabaseSettingError, open_database

CONNECTION = "digits"  # the section [connections.digits] in secrets.toml

log = logging.getLogger(__name__)
_lock = threading.Lock()
_no_file: list[tuple[Any, tuple[str, ...]]] = []  # (the `st.secrets` that found no file, the paths it looked at)
_default_paths: dict[tuple[str, str | None], tuple[str, ...]] = {}  # (current folder, $HOME) -> Streamlit's paths


def shared_database() -> Database:
    """The process's database, opened and migrated once; every page and session shares it."""
    return open_database(secrets_url())


def secrets_url() -> str | None:
    """`url` of `[connections.digits]` in Streamlit's secrets, or None (no secrets file, no such section)."""
    secrets = st.secrets
    with _lock:
        found_none = _no_file[0] if _no_file and _no_file[0][0] is secrets else None
    if found_none is not None and found_none[1] == secrets_paths() and not any(map(os.path.lexists, found_none[1])):
        return None  # still no file (nor folder, nor link) where Streamlit looks
    try:
        section = secrets.to_dict().get("connections", {}).get(CONNECTION, {})
    except Exception as error:  # StreamlitSecretNotFoundError (a FileNotFoundError) for no file and a broken one
        paths = secrets_paths()
        if not any(Path(name).is_file() for name in paths):
            with _lock:
                _no_file[:] = [(secrets, paths)]
            return None
        log.warning("Cannot read Streamlit's secrets for the database URL: %s", error)
        # never fall back to another database: replicas would silently keep their data apart
        raise DatabaseSettingError("The secrets file cannot be read, so the shared database is unknown; "
                                   "mend .streamlit/secrets.toml.") from None
    if found_none is not None:  # a file came: Streamlit keeps what it read, and its watcher follows the file
        with _lock:
            _no_file.clear()
    url = section.get("url") if isinstance(section, dict) else None
    return url.strip() if isinstance(url, str) and url.strip() else None


def secrets_paths() -> tuple[str, ...]:
    """Where Streamlit looks for secrets (`secrets.files`): its default, made anew from the home and current folders
    at each question, is kept for both folders."""
    if config.get_where_defined("secrets.files") != ConfigOption.DEFAULT_DEFINITION:
        return tuple(config.get_option("secrets.files"))
    folders = (os.getcwd(), os.environ.get("HOME"))
    with _lock:
        paths = _default_paths.get(folders)
    if paths is None:
        paths = tuple(config.get_option("secrets.files"))
        with _lock:
            _default_paths[folders] = paths
    return paths

