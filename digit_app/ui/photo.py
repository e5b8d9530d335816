"""Photo page: a photo or scan of digits written on paper, read as a number."""

from __future__ import annotations

import streamlit as st

from digit_app.images import ImageLoadError, load_image
from digit_app.photo import photo_ink
from digit_app.prediction import NumberReading, read_number
from digit_app.ui.common import ZOOM, get_classifier
from digit_app.ui.html import image_tag, percent_sure

DIGIT_WIDTH = ZOOM * 28  # px: each digit's 28x28 model input, enlarged pixel for pixel


def show_reading(number: NumberReading | None) -> None:
    """The whole number, then each digit as the model saw it, with its confidence."""
    if number is None:
        st.metric("Prediction", "—")
        st.info("Nothing written yet.")
        return
    st.metric("Prediction", number.text)
    st.metric("Confidence", percent_sure(number.confidence))
    unsure = [str(index + 1) for index, reading in enumerate(number.digits) if not reading.is_sure]
    if unsure:
        st.warning(f"Not sure of digit {', '.join(unsure)} (counting from the left).")
    for index, (column, reading) in enumerate(zip(st.columns(max(len(number.digits), 6)), number.digits)):
        # inline, so the image can never be asked for after a newer run has dropped it
        picture = image_tag(reading.model_input, f"digit {index + 1}, read as {reading.digit}", DIGIT_WIDTH)
        caption = f"{reading.digit} · {percent_sure(reading.confidence)}"
        column.html(f'<figure style="margin:0">{picture}'
                    f'<figcaption style="font-size:0.8rem">{caption}</figcaption></figure>')


st.title("Read a photo")
st.caption("A photo or scan of digits written on paper (dark ink on light paper, or chalk on a board), "
           "left to right on one line.")
upload = st.file_uploader("Photo or scan", type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"])
if upload is None:
    show_reading(None)
    st.stop()
try:
    image = load_image(upload.getvalue())
except ImageLoadError as problem:
    st.metric("Prediction", "—")
    st.error(str(problem))
    st.stop()

ink = photo_ink(image)
show_reading(read_number(ink, get_classifier()))
photo_column, ink_column = st.columns(2)
photo_column.image(image, caption="Your photo", width="stretch")
ink_column.image(ink, caption="The ink it found, light evened out and specks removed", clamp=True, width="stretch")
