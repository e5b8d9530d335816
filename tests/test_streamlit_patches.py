"""Server settings the pages rely on: no Keras reset after every run, no file watching, no forced GC."""

from __future__ import annotations

import keras
import pytest
from streamlit.runtime.scriptrunner import script_runner

from digit_app.ui.streamlit_patches import STREAMLIT_CLEANUP
from tests.browser import ROOT
from tests.pages import open_page


@pytest.mark.apptest
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


def test_a_widget_value_that_is_not_json_arrives_as_no_value(monkeypatch):
    """Streamlit would raise while dispatching callbacks (before the page runs): the generic error box."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime.app_session import AppSession

    from digit_app.ui.streamlit_patches import refuse_undecodable_widget_values

    received = []
    monkeypatch.setattr(AppSession, "handle_backmsg", lambda session, msg: received.append(msg))
    refuse_undecodable_widget_values()
    message = BackMsg()
    from digit_app.ui.streamlit_patches import MAX_JSON_VALUE

    big = "[" + ",".join(["1"] * (MAX_JSON_VALUE // 2)) + "]"
    for widget_id, value in (("deep", "[" * 100_000 + "]" * 100_000), ("cut", '{"drawing": '), ("big", big),
                             ("fine", '{"a": 1}')):
        state = message.rerun_script.widget_states.widgets.add()
        state.id, state.json_value = widget_id, value
    AppSession.handle_backmsg(None, message)
    sent = [state.json_value for state in received[0].rerun_script.widget_states.widgets]
    assert sent == ["null", "null", "null", '{"a": 1}']
    refuse_undecodable_widget_values()  # installed once, however many runs ask
    AppSession.handle_backmsg(None, BackMsg())
    assert len(received) == 2


def test_the_server_takes_small_messages_and_listens_on_this_machine_only():
    config = settings(ROOT / ".streamlit" / "config.toml")
    assert config["server.address"] == '"127.0.0.1"'
    assert int(config["server.maxWidgetStateSize"]) <= 1  # MB: strokes are kilobytes


def test_the_theme_message_is_built_once_the_same_and_again_after_the_config_is_parsed(monkeypatch):
    """Streamlit reads every config option for the theme at the start of each run, a stroke's too."""
    from streamlit import config
    from streamlit.proto.NewSession_pb2 import CustomThemeConfig
    from streamlit.runtime import app_session

    from digit_app.ui.streamlit_patches import keep_theme_messages

    original = getattr(app_session._populate_theme_msg, "original", app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)
    before = config.get_option("theme.primaryColor")
    config.set_option("theme.primaryColor", "#a12b3c")
    try:
        expected = CustomThemeConfig()
        original(expected, "theme")
        keep_theme_messages()
        reads = []
        monkeypatch.setattr(config, "get_options_for_section",
                            lambda section, read=config.get_options_for_section: reads.append(section) or read(section))
        for _ in range(3):
            built = CustomThemeConfig()
            app_session._populate_theme_msg(built, "theme")
            assert built == expected and built.primary_color == "#a12b3c"
        assert reads == ["theme"]
        config.set_option("theme.primaryColor", "#00ff00")
        config._on_config_parsed.send()  # what a new parse of the config files announces
        built = CustomThemeConfig()
        app_session._populate_theme_msg(built, "theme")
        assert built.primary_color == "#00ff00"
    finally:
        config.set_option("theme.primaryColor", before)
        config._on_config_parsed.send()


def test_kept_theme_messages_leave_an_unset_theme_absent(monkeypatch):
    """With no theme option set, the session's message carries no theme, so the browser follows the system's."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime import app_session

    from digit_app.ui.streamlit_patches import keep_theme_messages

    original = getattr(app_session._populate_theme_msg, "original", app_session._populate_theme_msg)
    monkeypatch.setattr(app_session, "_populate_theme_msg", original)
    keep_theme_messages()
    for _ in range(2):  # the first call builds what is kept, the second merges it
        msg = ForwardMsg()
        app_session._populate_theme_msg(msg.new_session.custom_theme, "theme")
        assert not msg.new_session.HasField("custom_theme")
