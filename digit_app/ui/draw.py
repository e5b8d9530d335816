"""Draw page: a canvas, and after every stroke the digit (or the number) the model reads and how sure it is.

The canvas and everything that answers it run as one fragment: a stroke reruns only that part.
The answer is one piece of HTML (ui/answer.py) beside the canvas on a wide screen and under it on a
phone; nothing above the canvas changes while a person draws, so the canvas never moves under the hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digit_app.model import Classifier
from digit_app.prediction import Reading, read_digit, read_number_strokes
from digit_app.preprocess import UnreadableDrawingError
from digit_app.saliency import along, occlusion_maps, overlay, stroke_colours
from digit_app.store.versions import version_id_of
from digit_app.strokes.canvas import CanvasLimits, CanvasStroke
from digit_app.ui.answer import INPUT_WIDTH, digit_panel, number_panel, ordinal, why_picture
from digit_app.ui.canvas_memory import BRUSH, DIGIT_LIMITS, NEW_CANDIDATES, NUMBER_LIMITS, CanvasMemory
from digit_app.ui.html import image_tag
from digit_app.ui.model_cache import get_classifier
from digit_app.ui.text import for_visitors
from digit_app.unfinished import may_go_on

DEFAULT_BRUSH = 18
UNDECODED = "canvas-undecoded"  # the sentence for the next run, after a canvas value that could not be decoded
NOT_A_DRAWING = "The canvas sent something that is not a drawing: it is empty again, draw once more."
UNDECODABLE = (ValueError, TypeError, KeyError, AttributeError, RecursionError)  # a canvas value Streamlit
# or the canvas package could not even decode: only a client of its own sends one
HELPER = (Path(__file__).with_name("canvas_helper.js")).read_text()


def carry_drawing() -> None:
    """The drawing goes with the person to the other canvas when they switch "Whole number"."""
    CanvasMemory(st.session_state).carry_to(NUMBER_LIMITS if st.session_state.get("whole_number") else DIGIT_LIMITS)


def clear_drawing() -> None:
    CanvasMemory(st.session_state).clear()


@st.cache_data(max_entries=64, show_spinner=False)
def explanation(_classifier: Classifier, model_key: str, model_input: bytes,
                digits: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The "why" maps for one drawing and model, computed once: evidence for the answer and for the runner-up."""
    image = np.frombuffer(model_input, np.float32).reshape(28, 28)
    toward, runner_up = occlusion_maps(_classifier, image, list(digits))
    return toward, runner_up


def model_line(classifier: Classifier) -> str:
    """Which model answers, how it did on MNIST and what it reads."""
    accuracy = classifier.metadata.get("test_accuracy")
    return (f"Model: {version_id_of(classifier.path)}"
            + (f" · MNIST {accuracy:.2%}" if isinstance(accuracy, (int, float)) else "")
            + (" · reads pixels and strokes" if classifier.reads_strokes else ""))


def why(reading: Reading | None, strokes: tuple[CanvasStroke, ...], classifier: Classifier) -> None:
    """"Why this answer": on request, the person's own strokes coloured by what made the answer (under the panel)."""
    asked = st.toggle("Why this answer", key="explain", disabled=reading is None,
                      help="Red: the strokes that made the answer. Blue: those that looked like the runner-up.")
    if not asked or reading is None or not strokes:
        return
    model_key = f"{classifier.path}:{classifier.metadata.get('saved_at', '')}"
    image = reading.model_input.astype(np.float32)
    toward, runner_up = explanation(classifier, model_key, image.tobytes(), (reading.digit, reading.runner_up))
    # A point every quarter brush, so a long straight stroke can turn from grey to red along its length.
    strokes = tuple(CanvasStroke(along(stroke.points, stroke.width / 4), stroke.width) for stroke in strokes)
    try:
        colours = stroke_colours([stroke.points for stroke in strokes], image, toward, runner_up)
    except ValueError:  # no ink left in the input to line the strokes up with: the maps over the input instead
        st.html(image_tag(overlay(image, toward, runner_up), "Why: red made the answer", INPUT_WIDTH))
        return
    st.html(why_picture(strokes, colours, reading))


def correction_box(readings: tuple[Reading, ...]) -> None:
    """"Wrong?": keep a drawing (or one digit of a number) with the digit meant, to retrain on later.

    Shown only once there is an answer: before anything is drawn a greyed row of digits is clutter.
    """
    if not readings:
        return
    chosen = readings[0] if len(readings) == 1 else None
    if len(readings) > 1:
        options = list(range(len(readings)))
        index = st.selectbox("Wrong digit?", options, index=None, placeholder="Which digit is wrong?",
                             format_func=lambda i: f"the {ordinal(i)} (read as {readings[i].digit})",
                             key=f"wrong-digit-{CanvasMemory(st.session_state).clears}")
        chosen = readings[index] if index is not None else None
    right = st.pills("Wrong? It is a", [d for d in range(10) if chosen is None or d != chosen.digit],
                     key=f"right-digit-{CanvasMemory(st.session_state).clears}", disabled=chosen is None, wrap=True)
    if not st.button("Save the correction", disabled=chosen is None or right is None):
        return
    # One drawing, one correction: a second click (or a double click) does not save it again.
    fingerprint = (chosen.model_input.tobytes(), int(right))
    saved = st.session_state.setdefault("saved-corrections", set())
    if fingerprint in saved:
        st.info(f"Already saved as a {right}.")
        return
    from digit_app.access.rate import SESSION_SAVES, TokenBucket, admit_save, process_saves
    from digit_app.database import DatabaseError, corrections_table
    from digit_app.database.schema import ACCEPTED, SUGGESTED
    from digit_app.ui.gate import is_operator
    from digit_app.ui.shared_database import shared_database

    refused = admit_save(st.session_state.setdefault("correction-saves", TokenBucket(SESSION_SAVES)), process_saves())
    if refused:
        st.warning(refused)
        return
    # On a locked deployment a visitor's correction waits for the operator: training learns only accepted ones.
    state = ACCEPTED if is_operator() else SUGGESTED
    try:
        store = corrections_table(shared_database())
        store.add(chosen.model_input, int(right), predicted=chosen.digit, state=state)
        saved.add(fingerprint)
        if state == SUGGESTED:
            st.success(f"Saved as a {right}, as a suggestion: the operator looks at it before a model learns from it.")
            return
        count = store.count(ACCEPTED)
        st.success(f"Saved as a {right}: {count} correction{'' if count == 1 else 's'} kept for the Retrain page.")
    except DatabaseError as problem:
        st.error(for_visitors(str(problem)))


def brush_width() -> int:
    """The brush the slider holds, within its range whatever a client sent for it."""
    value = st.session_state.get("brush", DEFAULT_BRUSH)
    return int(min(max(value, BRUSH[0]), BRUSH[1])) if isinstance(value, (int, float)) else DEFAULT_BRUSH


def canvas(memory: CanvasMemory, limits: CanvasLimits, mode: str) -> str | None:
    """The canvas, its value checked and kept in `memory`; a sentence when the value is refused.

    Only strokes cross the network (no image data): the pixels are drawn from them on the server.
    A value that cannot even be decoded gives a new, empty canvas (a new key) at the next run,
    and the sentence there. The canvas is never wrapped in a placeholder: a placeholder's own
    element, sent before the canvas at each run, could unmount it and lose a stroke under way.
    """
    refused = st.session_state.pop(UNDECODED, None)
    try:
        result = _canvas(memory, limits, mode)
    except UNDECODABLE:
        memory.remount()
        st.session_state[UNDECODED] = NOT_A_DRAWING
        st.rerun()  # the whole page: only a client of its own sends such a value
    return memory.take(result.json_data, limits) or refused


def _canvas(memory: CanvasMemory, limits: CanvasLimits, mode: str):
    return st_canvas(stroke_width=brush_width(), stroke_color="#FFFFFF", background_color="#000000",
                     width=limits.size[0], height=limits.size[1], drawing_mode="freedraw", return_image_data=False,
                     initial_drawing=memory.initial_drawing(), key=f"canvas-{mode}-{memory.remounts}")


def controls() -> None:
    """The brush and Clear, above the canvas but outside its fragment: a stroke's rerun does not send them again.

    Each of them changes the drawing only through a callback or the next stroke, so a change reruns the page.
    """
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
        st.slider("Brush width", *BRUSH, DEFAULT_BRUSH, key="brush", width="stretch")
        st.button("Clear", on_click=clear_drawing, key="clear", width=110)


def carried_stroke_buttons(memory: CanvasMemory) -> None:
    """Hidden (ui/page.css): the helper's Undo and Redo for strokes carried from the other canvas.

    Drawn in the fragment after the canvas has taken its value, so a stroke's rerun says at once whether
    they are still offered (a new stroke ends Redo).
    """
    if memory.carried:
        st.button("Undo a carried stroke", on_click=memory.undo_carried, key="undo-carried")
    if memory.redoable:
        st.button("Redo a carried stroke", on_click=memory.redo_carried, key="redo-carried")


@st.fragment
def drawing_area(whole_number: bool) -> None:
    """The canvas and the answer: a stroke reruns only this.

    The controls sit above the canvas (`controls`) and the answer right under it on a phone (beside it
    on a wider screen), so a person drawing with a finger sees the answer without scrolling.
    """
    limits = NUMBER_LIMITS if whole_number else DIGIT_LIMITS
    memory = CanvasMemory(st.session_state)
    if whole_number:
        canvas_column = answer_column = st.container()
    else:
        canvas_column, answer_column = st.columns([1, 1], gap="medium")
    with canvas_column:  # the room for the canvas' toolbar, which floats above it, is in ui/page.css
        refused = canvas(memory, limits, "number" if whole_number else "digit")
        carried_stroke_buttons(memory)
    classifier = get_classifier()
    in_use = version_id_of(classifier.path)
    if st.session_state.get("model-seen", in_use) != in_use:  # switched on the Retrain page, perhaps by someone else
        st.toast(f"The model in use is now {in_use}: answers come from it.", icon=":material/swap_horiz:")
    st.session_state["model-seen"] = in_use
    strokes = memory.strokes
    drawing = memory.drawing(limits.size)

    # One piece of HTML for the whole answer, so the browser draws one element for it at each stroke, in the
    # container the canvas helper marks as a live region and greys while the digit is still being written.
    with answer_column:
        if whole_number:
            try:
                number = (read_number_strokes(strokes, classifier, limits.size, max_new=NEW_CANDIDATES) if strokes
                          else None)
            except UnreadableDrawingError as error:
                number, refused = None, str(error)
            st.container(key="answer").html(number_panel(number, refused, drawing, model_line(classifier)))
            correction_box(number.digits if number is not None else ())
            return
        try:
            reading, problem = read_digit(drawing, classifier, strokes), refused
        except UnreadableDrawingError as error:
            reading, problem = None, str(error)
        st.container(key="answer").html(digit_panel(reading, problem, model_line(classifier),
                                                    going_on=may_go_on(strokes, reading)))
        why(reading, strokes, classifier)
        correction_box((reading,) if reading is not None else ())


whole_number = st.session_state.get("whole_number", False)
st.title("Write a number" if whole_number else "Draw a digit")
st.toggle("Whole number", key="whole_number", on_change=carry_drawing,
          help="Write several digits side by side, like 2024, and read them all.")
st.caption("Write a number, digit by digit, left to right, with the mouse or a finger." if whole_number else
           "Write one digit, 0 to 9, with the mouse or a finger. The answer follows every stroke.")
controls()
drawing_area(whole_number)
label = ("Drawing area for a whole number: write its digits left to right" if whole_number
         else "Drawing area: draw one digit with the mouse or a finger")
carried = "true" if CanvasMemory(st.session_state).carried else "false"
st.html(f"<script>{HELPER.replace('__LABEL__', label).replace('__CARRIED__', carried)}</script>",
        unsafe_allow_javascript=True)
