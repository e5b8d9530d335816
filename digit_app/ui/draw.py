"""Draw page: a canvas, and after every stroke the digit the model reads and how sure it is."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digit_app.model import Classifier
from digit_app.prediction import Reading, read_digit
from digit_app.preprocess import UnreadableDrawingError
from digit_app.ui.common import get_classifier
from digit_app.versions import version_id_of

CANVAS_SIZE = 280
ZOOM = 5  # the 28x28 model input is shown 5x enlarged, pixel for pixel


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


def _clear() -> None:
    st.session_state.canvas_round = st.session_state.get("canvas_round", 0) + 1
    st.session_state.pop("drawing", None)


st.title("Draw a digit")
st.caption("Write one digit, 0 to 9, with the mouse or a finger. The answer follows every stroke.")
model_line = st.empty()  # names the model in use, once it is loaded
st.write("")  # room for the canvas toolbar, which floats above the canvas

canvas_column, answer_column = st.columns([3, 2], gap="medium")
with canvas_column:
    result = st_canvas(
        stroke_width=st.session_state.get("brush", 18),
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=CANVAS_SIZE,
        height=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"canvas-{st.session_state.get('canvas_round', 0)}",
    )

if result.image_data is not None:
    st.session_state.drawing = result.image_data
classifier: Classifier = get_classifier()
accuracy = classifier.metadata.get("test_accuracy")
model_line.caption(f"Model: {version_id_of(classifier.path)}"
                   + (f" · MNIST test accuracy {accuracy:.2%}" if isinstance(accuracy, (int, float)) else ""))
try:
    reading: Reading | None = read_digit(st.session_state.get("drawing"), classifier)
    problem = None
except UnreadableDrawingError as error:
    reading, problem = None, str(error)

with answer_column:
    if reading is None:
        st.metric("Prediction", "—")
        if problem:
            st.warning(problem)
        else:
            st.info("Nothing drawn yet.")
    else:
        st.metric("Prediction", str(reading.digit))
        st.metric("Confidence", f"{reading.confidence:.0%}")
        if not reading.is_sure:
            st.warning(f"Not sure: it could be {reading.digit} or {reading.runner_up}.")

brush_column, clear_column = st.columns([3, 2], gap="medium", vertical_alignment="bottom")
brush_column.slider("Brush width", 5, 40, 18, key="brush")
clear_column.button("Clear", on_click=_clear, width="stretch")

if reading is not None:
    chart_column, input_column = st.columns([3, 2], gap="medium")
    with chart_column:
        st.caption("Probability of each digit")
        st.vega_lite_chart(probability_chart(reading), height=200, width="stretch")
    with input_column:
        st.caption("What the model saw (28x28)")
        enlarged = np.kron(reading.model_input, np.ones((ZOOM, ZOOM), np.float32))
        st.image(enlarged, clamp=True)
