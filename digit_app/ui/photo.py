"""Photo page: a photo or scan of digits written on paper (uploaded or taken with the camera), read line by line.

The page is one call, `read_photo`; above the fold it shows the number(s) and the sheet as it
was read (straightened, the writing level) with each line and digit boxed.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from digit_app.images import ImageLoadError, load_image
from digit_app.photo import FoundLine, PhotoReading, read_photo
from digit_app.ui.model_cache import get_classifier
from digit_app.ui.html import BOX_COLOURS, image_tag, percent_sure

DIGIT_SIDE = 56  # px: each digit as the reader saw it (a 390 px phone holds six in a row)
SHOWN_WIDTH = 780  # px: the marked sheet is drawn this wide (a 390 px phone screen at twice its density)
AROUND = 0.6  # the sheet is shown cut to its writing and this many line heights around it
LINE_COLOUR = "#9aa0a6"
NOTHING = "No digits found in this photo."
TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


def marked_sheet(reading: PhotoReading) -> np.ndarray:
    """The page read, cut to its writing (with some paper around), each line boxed in grey and each digit in colour."""
    page = Image.fromarray(reading.page).convert("RGB")
    area = _writing_area(reading, page.size)
    picture = page.crop(area)
    scale = min(1.0, SHOWN_WIDTH / picture.width)
    picture = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))))
    pen, font = ImageDraw.Draw(picture), ImageFont.load_default(size=22)
    for line in reading.lines:
        pen.rectangle(_moved(line.box, area, scale), outline=LINE_COLOUR, width=2)
        for index, (box, digit) in enumerate(zip(line.digit_boxes, line.number.digits if line.number else ())):
            colour = BOX_COLOURS[index % len(BOX_COLOURS)]
            left, top, right, bottom = _moved(box, area, scale)
            pen.rectangle((left, top, right, bottom), outline=colour, width=3)
            pen.text((left + 2, max(0, top - 24)), str(digit.digit), fill=colour, font=font)
    return np.asarray(picture)


def _moved(box: tuple[float, ...], area: tuple[int, int, int, int], scale: float) -> list[float]:
    """A box on the page, on the picture cut to `area` and scaled by `scale`."""
    return [(box[0] - area[0]) * scale, (box[1] - area[1]) * scale, (box[2] - area[0]) * scale,
            (box[3] - area[1]) * scale]


def _writing_area(reading: PhotoReading, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The part of the page to show: around the lines found, or all of it when none were."""
    width, height = size
    if not reading.lines:
        return 0, 0, width, height
    left, top, right, bottom = (f(line.box[i] for line in reading.lines) for i, f in enumerate((min, min, max, max)))
    margin = AROUND * max(line.box[3] - line.box[1] for line in reading.lines)
    return (max(0, int(left - margin)), max(0, int(top - margin)),
            min(width, int(right + margin)), min(height, int(bottom + margin)))


def show_answer(reading: PhotoReading) -> None:
    """The number on each line and the chance they are all right, "not sure" when it is low, or that there is none."""
    numbers = [line.number for line in reading.lines if line.number is not None]
    if not numbers:
        st.metric("Prediction", "—")
        st.info(NOTHING)
        return
    sure = percent_sure(reading.confidence)
    label = f"{sure} sure" if reading.sure else f"not sure ({sure})"
    # the confidence beside the number, not under it: on a phone the marked sheet stays above the fold
    st.metric("Prediction", ", ".join(number.text for number in numbers), delta=label, delta_color="off",
              delta_arrow="off")


def show_digits(lines: list[FoundLine]) -> None:
    """Each line's digits as the reader saw them, side by side in one row (on a phone too), with their confidence."""
    for row, line in enumerate(lines, start=1):
        number = line.number
        place = f"line {row}, " if len(lines) > 1 else ""
        if not line.sure:
            st.warning(f"Not sure of {place.rstrip(', ') or 'this number'}: check it against the photo.")
        pictures = line.digit_pictures or tuple(reading.model_input for reading in number.digits)
        figures = []
        for index, (reading, picture) in enumerate(zip(number.digits, pictures)):
            # inline, so the image can never be asked for after a newer run has dropped it
            tag = image_tag(_framed(picture), f"{place}digit {index + 1}, read as {reading.digit}", DIGIT_SIDE)
            figures.append(f'<figure style="margin:0;flex:0 0 auto">{tag}<figcaption style="font-size:0.8rem">'
                           f'{reading.digit} · {percent_sure(reading.confidence)}</figcaption></figure>')
        st.html(f'<div style="display:flex;flex-wrap:wrap;gap:6px">{"".join(figures)}</div>')


def _framed(picture: np.ndarray) -> np.ndarray:
    """A digit's picture in a square with a little black around it, so every digit shows at one size."""
    side = max(picture.shape) + 4
    square = np.zeros((side, side), np.float32)
    top, left = (side - picture.shape[0]) // 2, (side - picture.shape[1]) // 2
    square[top : top + picture.shape[0], left : left + picture.shape[1]] = picture
    return square


st.title("Read a photo")
st.caption("Digits written on paper (or chalk on a board), on one line or several, read top to bottom.")
upload_column, camera_column = st.columns(2)
upload = upload_column.file_uploader("Photo or scan", type=TYPES)
camera = camera_column.camera_input("Or take one") if camera_column.toggle("Use the camera") else None
chosen = camera or upload
if chosen is None:
    st.metric("Prediction", "—")
    st.info("Nothing written yet.")
    st.stop()
try:
    image = load_image(chosen.getvalue())
except ImageLoadError as problem:
    st.metric("Prediction", "—")
    st.error(str(problem))
    st.stop()

reading = read_photo(image, get_classifier())
show_answer(reading)
st.image(marked_sheet(reading), width="stretch",
         caption="The sheet as it was read: straightened, the writing level, each line and digit boxed")
show_digits([line for line in reading.lines if line.number is not None])
with st.expander("The photo and the ink found in it"):
    photo_column, ink_column = st.columns(2)
    photo_column.image(image, caption="Your photo", width="stretch")
    ink_column.image(reading.ink.astype(np.float32), clamp=True,
                     caption="The ink it found, light evened out, printed lines and specks removed",
                     width="stretch")
