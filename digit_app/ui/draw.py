"""Draw page: a canvas, and after every stroke the digit the model reads and how sure it is."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digit_app.corrections import CorrectionsError, CorrectionStore
from digit_app.model import Classifier
from digit_app.prediction import Reading, read_digit, read_number, read_number_strokes
from digit_app.preprocess import UnreadableDrawingError
from digit_app.saliency import occlusion_maps, overlay
from digit_app.strokes.canvas import canvas_strokes
from digit_app.ui.common import enlarge, get_classifier, show_number
from digit_app.versions import version_id_of

CANVAS_SIZE = 280
NUMBER_CANVAS = (560, 200)  # width, height of the canvas for a whole number


def probability_chart(reading: Reading) -> dict:
    """A Vega-Lite bar chart of the ten probabilities, the answer's bar highlighted.

    A plain spec rather than `st.bar_chart`: that builds and validates an Altair chart on every
    stroke, half of the page's time.
    """
    values = [{"digit": str(d), "probability": float(p), "answer": d == reading.digit}
              for d, p in enumerate(reading.probabilities)]
    return {
        "data": {"values": values},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "digit", "type": "ordinal", "axis": {"labelAngle": 0, "title": None}},
            "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]},
                  "axis": {"format": "%", "title": None}},
            "color": {"field": "answer", "type": "nominal", "legend": None,
                      "scale": {"domain": [False, True], "range": ["#9aa0a6", "#ff4b4b"]}},
        },
    }


def show_digit(reading: Reading | None, problem: str | None) -> None:
    """The answer for one digit: the prediction first, then how sure, or why there is none."""
    if reading is None:
        st.metric("Prediction", "—")
        if problem:
            st.warning(problem)
        else:
            st.info("Nothing drawn yet.")
        return
    st.metric("Prediction", str(reading.digit))
    st.metric("Confidence", f"{reading.confidence:.0%}")
    if not reading.is_sure:
        st.warning(f"Not sure: it could be {reading.digit} or {reading.runner_up}.")


def show_details(reading: Reading, classifier: Classifier) -> None:
    """The ten probabilities and the 28x28 image the model saw; on request, which strokes decided it."""
    chart_column, input_column = st.columns([3, 2], gap="medium")
    with chart_column:
        st.caption("Probability of each digit")
        st.vega_lite_chart(probability_chart(reading), height=200, width="stretch")
    with input_column:
        st.caption("What the model saw (28x28)")
        if st.toggle("Why this answer", key="explain"):
            toward, runner_up = occlusion_maps(classifier, reading.model_input, [reading.digit, reading.runner_up])
            st.image(enlarge(overlay(reading.model_input, toward, runner_up)), clamp=True,
                     caption=f"Red: what made it a {reading.digit}. Blue: what looked like a {reading.runner_up}.")
        else:
            st.image(enlarge(reading.model_input), clamp=True)


def correction_box(reading: Reading) -> None:
    """"Wrong? It is a ...": keep the drawing with the right digit, to retrain on later."""
    right = st.pills("Wrong? It is a", [d for d in range(10) if d != reading.digit],
                     key=f"right-digit-{st.session_state.get('canvas_round', 0)}")
    if st.button("Save the correction", disabled=right is None):
        try:
            store = CorrectionStore()
            store.add(reading.model_input, int(right), predicted=reading.digit)
            count = store.count()
            st.success(f"Saved as a {right}: {count} correction{'' if count == 1 else 's'} kept for the Retrain page.")
        except CorrectionsError as problem:
            st.error(str(problem))


def _clear() -> None:
    st.session_state.canvas_round = st.session_state.get("canvas_round", 0) + 1
    st.session_state.pop("drawing", None)
    st.session_state.pop("strokes", None)


st.title("Draw a digit")
whole_number = st.toggle("Whole number", key="whole_number", on_change=_clear,
                         help="Write several digits side by side, like 2024, and read them all.")
st.caption("Write a number, digit by digit, left to right." if whole_number else
           "Write one digit, 0 to 9, with the mouse or a finger. The answer follows every stroke.")
model_line = st.empty()  # names the model in use, once it is loaded
st.write("")  # room for the canvas toolbar, which floats above the canvas

if whole_number:  # the wide canvas takes the whole width; the answer goes under it
    canvas_column = answer_column = st.container()
else:
    canvas_column, answer_column = st.columns([3, 2], gap="medium")
with canvas_column:
    width, height = NUMBER_CANVAS if whole_number else (CANVAS_SIZE, CANVAS_SIZE)
    result = st_canvas(
        stroke_width=st.session_state.get("brush", 18),
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=width,
        height=height,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"canvas-{'number' if whole_number else 'digit'}-{st.session_state.get('canvas_round', 0)}",
    )

if result.image_data is not None:
    st.session_state.drawing = result.image_data
    st.session_state.strokes = canvas_strokes(result.json_data)  # the same drawing, stroke by stroke
classifier: Classifier = get_classifier()
accuracy = classifier.metadata.get("test_accuracy")
model_line.caption(f"Model: {version_id_of(classifier.path)}"
                   + (f" · MNIST test accuracy {accuracy:.2%}" if isinstance(accuracy, (int, float)) else ""))

reading: Reading | None = None
if whole_number:
    strokes = st.session_state.get("strokes")
    with answer_column:
        show_number(read_number_strokes(strokes, classifier, (width, height)) if strokes
                    else read_number(st.session_state.get("drawing"), classifier))
else:
    try:
        reading, problem = read_digit(st.session_state.get("drawing"), classifier, st.session_state.get("strokes")), None
    except UnreadableDrawingError as error:
        problem = str(error)
    with answer_column:
        show_digit(reading, problem)

brush_column, clear_column = st.columns([3, 2], gap="medium", vertical_alignment="bottom")
brush_column.slider("Brush width", 5, 40, 18, key="brush")
clear_column.button("Clear", on_click=_clear, width="stretch")

if reading is not None:
    show_details(reading, classifier)
    correction_box(reading)
