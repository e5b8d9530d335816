"""Photo page: a photo or scan of digits written on paper, read as a number."""

from __future__ import annotations

import streamlit as st

from digit_app.images import ImageLoadError, load_image
from digit_app.photo import photo_ink
from digit_app.prediction import read_number
from digit_app.ui.common import get_classifier, show_number

st.title("Read a photo")
st.caption("A photo or scan of digits written on paper (dark ink on light paper, or chalk on a board), "
           "left to right on one line.")
upload = st.file_uploader("Photo or scan", type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"])
if upload is None:
    show_number(None)
    st.stop()
try:
    image = load_image(upload.getvalue())
except ImageLoadError as problem:
    st.metric("Prediction", "—")
    st.error(str(problem))
    st.stop()

ink = photo_ink(image)
show_number(read_number(ink, get_classifier()))
photo_column, ink_column = st.columns(2)
photo_column.image(image, caption="Your photo", width="stretch")
ink_column.image(ink, caption="The ink it found, light evened out and specks removed", clamp=True, width="stretch")
