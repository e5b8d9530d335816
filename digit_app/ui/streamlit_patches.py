"""What the server needs that `.streamlit/config.toml` cannot say."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import logging
import sys
from collections.abc import Callable

from streamlit import config
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime import app_session
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import script_runner

log = logging.getLogger(__name__)
# Characters of one JSON widget value, at most: the canvas' strokes at the Draw page's limits
# (5,000 points) are about 230,000; a larger value is dropped unread, before Streamlit parses it.
MAX_JSON_VALUE = 256_000
# The component packages the pages use: the only ones Streamlit needs to find as it starts.
APP_COMPONENTS = ("streamlit-drawable-canvas",)
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


def _replace_once(owner: object, name: str, marker: str, make: Callable[[Callable], Callable], missing: str) -> bool:
    """Replace Streamlit's private `owner.name` with `make(original)`, marked `marker` so it is done once; when
    Streamlit no longer has it, log `missing` and leave things be. Whether it was replaced now."""
    original = getattr(owner, name, None)
    if original is None:
        log.warning(missing)
        return False
    if getattr(original, marker, False):
        return False
    replacement = functools.wraps(original)(make(original))
    setattr(replacement, marker, True)
    replacement.original = original  # type: ignore[attr-defined]
    setattr(owner, name, replacement)
    return True


def keep_theme_messages() -> None:
    """Build the theme part of the message that starts every run once per section, not at every stroke.

    Streamlit starts each run, a fragment's too, with a message holding the page's theme, read anew
    from every config option each time: about 1.8 ms of the server's one Python core per stroke
    (`benchmarks/stroke_profile.py`). The theme cannot change while the server runs but through a new
    parse of the config files, which empties what was kept. Streamlit's function is private: if it
    is gone, this says so and does nothing.
    """
    made: dict[str, bytes] = {}

    def kept(original):
        def populate(msg, section: str = "theme") -> None:
            if section not in made:
                fresh = type(msg)()
                original(fresh, section)
                made[section] = fresh.SerializeToString()
            if made[section]:  # no option set: the field stays absent, so the browser follows the system's theme
                msg.MergeFromString(made[section])
        return populate

    if _replace_once(app_session, "_populate_theme_msg", "kept", kept,
                     "Streamlit no longer has _populate_theme_msg: the theme is built at every run."):
        config.on_config_parsed(made.clear, force_connect=True)


def plain_component_data_without_pandas() -> None:
    """Pass a component's plain dicts and lists without importing pandas to ask whether they are dataframes.

    Streamlit checks each value of a v2 component's data for a dataframe, and that check imports pandas
    and pyarrow, even for the canvas' drawing (a dict): about 0.8 s of the server's one core on the
    Draw page's first run after a start, pandas' only use there. A plain dict or list is a dataframe to
    Streamlit only when it holds pandas Series, which cannot exist while pandas is not imported: the
    answer is the same. Streamlit's module is private: if the check is gone, this says so and does nothing.
    """
    from streamlit.components.v2.bidi_component import serialization

    def plain_first(original):
        def is_dataframe_like(value: object) -> bool:
            if type(value) in (dict, list) and "pandas" not in sys.modules:
                return False
            return original(value)
        return is_dataframe_like

    _replace_once(serialization, "is_dataframe_like", "plain_first", plain_first,
                  "Streamlit no longer has serialization.is_dataframe_like: the canvas imports pandas.")


def scan_only_the_apps_components(packages: tuple[str, ...] = APP_COMPONENTS) -> None:
    """Have Streamlit look for its v2 components in `packages` only, not in every installed package.

    As it starts, before it answers, Streamlit reads the metadata of every installed distribution (hundreds, with
    TensorFlow's) to find those declaring components: about 0.3 s of the server's core. The pages use one
    component, the canvas. Applied when `streamlit run` imports streamlit_app.py, before Streamlit's runtime is
    made. Streamlit's scanner is private: if it is gone, this says so and does nothing.
    """
    from streamlit.components.v2 import manifest_scanner

    changed = "Streamlit's component scanner has changed: every installed package is scanned at start."
    process = getattr(manifest_scanner, "_process_single_package", None)
    if process is None:
        log.warning(changed)
        return

    def apps_only(original):
        def scan(max_workers: int | None = None) -> list:
            found = []
            for name in packages:
                try:
                    manifest = process(importlib.metadata.distribution(name))
                except importlib.metadata.PackageNotFoundError:
                    continue
                if manifest:
                    found.append(manifest)
            return found
        return scan

    _replace_once(manifest_scanner, "scan_component_manifests", "apps_only", apps_only, changed)


def refuse_undecodable_widget_values() -> None:
    """Have every widget value a browser sends as JSON decode and be of a size the pages read, or be no value.

    Streamlit decodes a component's JSON value (the canvas') while it dispatches callbacks, before
    the page runs, and only catches some failures: text nested 100,000 deep (RecursionError) or not
    JSON at all stopped the run with the generic error box; and it parses the value up to three
    times. Checked here as each message arrives, such a value, or one over `MAX_JSON_VALUE`, becomes
    "no value" (the canvas then shows as empty), and the server log says so.
    """
    if getattr(AppSession.handle_backmsg, "checks_widget_values", False):
        return
    original = AppSession.handle_backmsg

    @functools.wraps(original)
    def handle_backmsg(session: AppSession, msg: BackMsg) -> None:
        if msg.WhichOneof("type") == "rerun_script":
            _drop_undecodable(msg)
        original(session, msg)

    handle_backmsg.checks_widget_values = True  # type: ignore[attr-defined]
    AppSession.handle_backmsg = handle_backmsg


def _drop_undecodable(msg: BackMsg) -> None:
    for state in msg.rerun_script.widget_states.widgets:
        if state.WhichOneof("value") != "json_value":
            continue
        if len(state.json_value) > MAX_JSON_VALUE:
            log.warning("A widget value of %d characters was dropped unread.", len(state.json_value))
            state.json_value = "null"
            continue
        try:
            json.loads(state.json_value)
        except (ValueError, RecursionError):
            log.warning("A widget value that is not JSON was dropped (%d characters).", len(state.json_value))
            state.json_value = "null"
