"""Draw page: a canvas, and after every stroke the digit (or the number) the model reads and how sure it is.

The canvas and everything that answers it run as one fragment: a stroke reruns only that part.
Nothing above the canvas changes while a person draws, and the parts below it keep their size
whether or not there is an answer, so the canvas never moves under the hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digit_app.model import Classifier
from digit_app.prediction import NumberReading, Reading, read_digit, read_number_strokes
from digit_app.preprocess import UnreadableDrawingError
from digit_app.saliency import occlusion_maps, overlay
from digit_app.store.versions import version_id_of
from digit_app.strokes.canvas import CanvasLimits
from digit_app.sizes import NUMBER_CANVAS  # the size the segment judge learned numbers at
from digit_app.ui.canvas_memory import BRUSH, DIGIT_LIMITS, NEW_CANDIDATES, NUMBER_LIMITS, CanvasMemory
from digit_app.ui.model_cache import get_classifier
from digit_app.ui.html import captioned, image_tag, percent_sure, probability_bars, split_picture
from digit_app.ui.text import for_visitors

DEFAULT_BRUSH = 18
UNDECODED = "canvas-undecoded"  # the sentence for the next run, after a canvas value that could not be decoded
NOT_A_DRAWING = "The canvas sent something that is not a drawing: it is empty again, draw once more."
UNDECODABLE = (ValueError, TypeError, KeyError, AttributeError, RecursionError)  # a canvas value Streamlit
# or the canvas package could not even decode: only a client of its own sends one
INPUT_WIDTH = 140  # the 28x28 model input, shown 5x
ANSWER_HEIGHT = 150  # px: the answer keeps this height, with or without an answer, so nothing below it moves
HELPER = (Path(__file__).with_name("canvas_helper.js")).read_text()
SPLIT_WIDTH = 360  # px: the picture of how a number was split, at most


def ordinal(index: int) -> str:
    """The place of the digit at `index` in words people read: 1st, 2nd, 3rd, 4th ... 11th, 12th, 21st."""
    place = index + 1
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def carry_drawing() -> None:
    """The drawing goes with the person to the other canvas when they switch "Whole number"."""
    CanvasMemory(st.session_state).carry_to(NUMBER_LIMITS if st.session_state.get("whole_number") else DIGIT_LIMITS)


def clear_drawing() -> None:
    CanvasMemory(st.session_state).clear()


@st.cache_data(max_entries=64, show_spinner=False)
def explanation(_classifier: Classifier, model_key: str, model_input: bytes, digits: tuple[int, int]) -> np.ndarray:
    """The "why" picture for one drawing and model, computed once: red for the answer, blue for the runner-up."""
    image = np.frombuffer(model_input, np.float32).reshape(28, 28)
    toward, runner_up = occlusion_maps(_classifier, image, list(digits))
    return overlay(image, toward, runner_up)


def show_digit(reading: Reading | None, problem: str | None) -> None:
    """The answer for one digit: the prediction first, then how sure, or why there is none."""
    with st.container(horizontal=True, gap="large"):
        st.metric("Prediction", "—" if reading is None else str(reading.digit), width="content")
        if reading is not None:
            st.metric("Confidence", percent_sure(reading.confidence), width="content")
    if reading is None:
        st.caption(problem or "Nothing drawn yet: the answer appears here after each stroke.")
    elif not reading.is_sure:
        st.caption(f"Not sure: it could be {reading.digit} or {reading.runner_up}.")


def show_number(number: NumberReading | None, problem: str | None = None) -> None:
    """The whole number and how sure the model is of all of it, or why there is none."""
    with st.container(horizontal=True, gap="large"):
        st.metric("Prediction", "—" if number is None else number.text, width="content")
        if number is not None:
            st.metric("Confidence", percent_sure(number.confidence), width="content")
    if number is None:
        st.caption(problem or "Nothing written yet: write the digits left to right.")
        return
    unsure = [ordinal(index) for index, reading in enumerate(number.digits) if not reading.is_sure]
    if unsure:
        st.caption(f"Not sure of the {', '.join(unsure)} digit.")


def show_details(reading: Reading | None, classifier: Classifier) -> None:
    """The ten probabilities and the 28x28 image the model saw (on request, which strokes decided it).

    Drawn at the same size with or without an answer, so the page keeps its height. Each heading is
    part of its picture's HTML: one element fewer each for the browser to draw at every stroke.
    """
    chart_column, input_column = st.columns([3, 2], gap="medium")
    with chart_column:
        probabilities = np.zeros(10) if reading is None else reading.probabilities
        st.html(probability_bars(probabilities, -1 if reading is None else reading.digit,
                                 caption="Probability of each digit"))
    with input_column:
        why = st.toggle("Why this answer", key="explain", disabled=reading is None,
                        help="Red: the strokes that made the answer. Blue: those that looked like the runner-up.")
        if reading is None:
            picture = image_tag(np.zeros((28, 28)), "Nothing drawn yet", INPUT_WIDTH)
        elif why:
            model_key = f"{classifier.path}:{classifier.metadata.get('saved_at', '')}"
            explained = explanation(classifier, model_key, reading.model_input.astype(np.float32).tobytes(),
                                    (reading.digit, reading.runner_up))
            picture = image_tag(explained, f"The drawing as the model saw it: red strokes made it a {reading.digit}, "
                                           f"blue ones looked like a {reading.runner_up}", INPUT_WIDTH)
        else:
            picture = image_tag(reading.model_input, f"The drawing as the model saw it, read as {reading.digit}",
                                INPUT_WIDTH)
        st.html(captioned("What the model saw (28x28)", picture))


def show_digits(number: NumberReading | None, drawing: np.ndarray | None) -> None:
    """How the number was split (boxes over the writing) and each digit as the model saw it."""
    st.caption("How it was split, and each digit as the model saw it")
    if number is None or drawing is None:
        st.html(image_tag(np.zeros((NUMBER_CANVAS[1] // 2, NUMBER_CANVAS[0] // 2)), "Nothing written yet",
                          NUMBER_CANVAS[0] // 2, pixelated=False))
        return
    boxes = [reading.box for reading in number.digits]
    if all(box is not None for box in boxes):
        labels = [f"{ordinal(index)}: {reading.digit}" for index, reading in enumerate(number.digits)]
        picture = split_picture(drawing, boxes, labels, short=[str(reading.digit) for reading in number.digits])
        st.html(image_tag(picture, f"The writing split into {len(boxes)} digits: "
                          + ", ".join(str(reading.digit) for reading in number.digits),
                          min(picture.shape[1], SPLIT_WIDTH), pixelated=False))
    tiles = "".join(
        '<figure style="margin:0">'
        f'{image_tag(reading.model_input, f"{ordinal(i)} digit, read as {reading.digit}", 56)}'
        f'<figcaption style="font-size:0.8rem">{ordinal(i)}: {reading.digit} · '
        f'{percent_sure(reading.confidence)}</figcaption>'
        f'</figure>'
        for i, reading in enumerate(number.digits))
    st.html(f'<div style="display:flex;flex-wrap:wrap;gap:12px">{tiles}</div>')


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


@st.fragment
def drawing_area(whole_number: bool) -> None:
    """The canvas, its controls and the answer: a stroke reruns only this.

    The controls sit above the canvas and the answer right under it on a phone (beside it on a
    wider screen), so a person drawing with a finger sees the answer without scrolling.
    """
    limits = NUMBER_LIMITS if whole_number else DIGIT_LIMITS
    memory = CanvasMemory(st.session_state)
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
        st.slider("Brush width", *BRUSH, DEFAULT_BRUSH, key="brush", width="stretch")
        st.button("Clear", on_click=clear_drawing, key="clear", width=110)
        if memory.carried:  # hidden (ui/page.css): the helper's Undo for strokes carried from the other canvas
            st.button("Undo a carried stroke", on_click=memory.undo_carried, key="undo-carried")
    if whole_number:
        canvas_column = answer_column = st.container()
    else:
        canvas_column, answer_column = st.columns([3, 2], gap="medium")
    with canvas_column:  # the room for the canvas' toolbar, which floats above it, is in ui/page.css
        refused = canvas(memory, limits, "number" if whole_number else "digit")
    with answer_column:
        answer = st.container(height=ANSWER_HEIGHT, border=False, key="answer")
    classifier = get_classifier()
    in_use = version_id_of(classifier.path)
    if st.session_state.get("model-seen", in_use) != in_use:  # switched on the Retrain page, perhaps by someone else
        st.toast(f"The model in use is now {in_use}: answers come from it.", icon=":material/swap_horiz:")
    st.session_state["model-seen"] = in_use
    strokes = memory.strokes
    drawing = memory.drawing(limits.size)

    if whole_number:
        try:
            number = (read_number_strokes(strokes, classifier, limits.size, max_new=NEW_CANDIDATES) if strokes
                      else None)
        except UnreadableDrawingError as error:
            number, refused = None, str(error)
        with answer:
            show_number(number, refused)
        show_digits(number, drawing)
        correction_box(number.digits if number is not None else ())
    else:
        try:
            reading, problem = read_digit(drawing, classifier, strokes), refused
        except UnreadableDrawingError as error:
            reading, problem = None, str(error)
        with answer:
            show_digit(reading, problem)
        with answer_column:
            correction_box((reading,) if reading is not None else ())
        show_details(reading, classifier)
    accuracy = classifier.metadata.get("test_accuracy")
    st.caption(f"Model: {version_id_of(classifier.path)}"
               + (f" · MNIST test accuracy {accuracy:.2%}" if isinstance(accuracy, (int, float)) else "")
               + (" · reads pixels and strokes" if classifier.reads_strokes else ""))


whole_number = st.session_state.get("whole_number", False)
st.title("Write a number" if whole_number else "Draw a digit")
st.toggle("Whole number", key="whole_number", on_change=carry_drawing,
          help="Write several digits side by side, like 2024, and read them all.")
st.caption("Write a number, digit by digit, left to right, with the mouse or a finger." if whole_number else
           "Write one digit, 0 to 9, with the mouse or a finger. The answer follows every stroke.")
drawing_area(whole_number)
label = ("Drawing area for a whole number: write its digits left to right" if whole_number
         else "Drawing area: draw one digit with the mouse or a finger")
carried = "true" if CanvasMemory(st.session_state).carried else "false"
st.html(f"<script>{HELPER.replace('__LABEL__', label).replace('__CARRIED__', carried)}</script>",
        unsafe_allow_javascript=True)
