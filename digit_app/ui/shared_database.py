"""The pages' one database: the URL under `[connections.digits]` in `.streamlit/secrets.toml` (Streamlit's place
for an `sql` connection's URL), else `$DIGIT_APP_DATABASE_URL`, else the SQLite file of one machine."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from digit_app.database import Database, DatabaseSettingError, open_database

CONNECTION = "digits"  # the section [connections.digits] in secrets.toml

log = logging.getLogger(__name__)


def shared_database() -> Database:
    """The process's database, opened and migrated once; every page and session shares it."""
    return open_database(secrets_url())


def secrets_url() -> str | None:
    """`url` of `[connections.digits]` in Streamlit's secrets, or None (no secrets file, no such section)."""
    try:
        section = st.secrets.to_dict().get("connections", {}).get(CONNECTION, {})
    except Exception as error:  # StreamlitSecretNotFoundError (a FileNotFoundError) for no file and a broken one
        if not any(Path(name).is_file() for name in st.get_option("secrets.files")):
            return None
        log.warning("Cannot read Streamlit's secrets for the database URL: %s", error)
        # never fall back to another database: replicas would silently keep their data apart
        raise DatabaseSettingError("The secrets file cannot be read, so the shared database is unknown; "
                                   "mend .streamlit/secrets.toml.") from None
    url = section.get("url") if isinstance(section, dict) else None
    return url.strip() if isinstance(url, str) and url.strip() else None
