"""Server settings the pages rely on: no Keras reset after every run, no file watching, no forced GC."""

from __future__ import annotations

import keras
from streamlit.runtime.scriptrunner import script_runner

from digit_app.ui.server import STREAMLIT_CLEANUP
from tests.browser import ROOT
from tests.pages import open_page


def test_a_page_run_never_resets_keras(monkeypatch):
    """Streamlit would call keras.backend.clear_session() after every run (a full GC with TensorFlow loaded)."""
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: calls.append(1))
    STREAMLIT_CLEANUP()  # Streamlit's own hook resets Keras: the spy sees it
    assert calls == [1]
    monkeypatch.setattr(script_runner, "_clean_problem_modules", STREAMLIT_CLEANUP)  # as before the app starts
    at = open_page()  # the Draw page, through streamlit_app.py, twice
    at.run()
    assert not at.exception
    assert calls == [1]  # no reset after either run


def settings(path) -> dict[str, str]:
    """A TOML file's plain `key = value` lines as "section.key" -> value text (comments dropped)."""
    found, section = {}, ""
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            found[f"{section}.{key}"] = value
    return found


def test_the_server_config_switches_off_file_watching_and_forced_collection():
    config = settings(ROOT / ".streamlit" / "config.toml")
    assert config["server.fileWatcherType"] == '"none"'
    assert config["runner.postScriptGC"] == "false"
