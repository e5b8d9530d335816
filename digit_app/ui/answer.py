"""The Draw page's answer as one piece of HTML: the digit (or number), how sure, the bars and what the model saw.

A stroke's rerun sends this one element instead of a score of metrics, captions and pictures, each
of which the browser would draw on its own. The answer carries a stable hook, `data-testid="answerValue"`,
that the tests and the latency benchmark read it by. Plain functions of readings and arrays, no page.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence

import numpy as np

from digit_app.prediction import NumberReading, Reading
from digit_app.saliency import ANSWER_COLOUR, RUNNER_UP_COLOUR
from digit_app.strokes.canvas import CanvasStroke
from digit_app.ui.html import captioned, image_tag, percent_sure, probability_bars, split_picture

ANSWER_ID = "answerValue"  # the answer's hook: data-testid of the element holding the digit or the number
CONFIDENCE_ID = "answerConfidence"
NOTE_ID = "answerNote"
MODEL_ID = "answerModel"
NO_ANSWER = "—"
INPUT_WIDTH = 84  # px: the 28x28 model input, shown 3x
BARS_HEIGHT = 72  # px
WHY_WIDTH = 120  # px: the person's drawing with its strokes coloured
SPLIT_WIDTH = 360  # px: the picture of how a number was split, at most
_VALUE = re.compile(r'data-testid="(\w+)"[^>]*>([^<]*)<')


def ordinal(index: int) -> str:
    """The place of the digit at `index` in words people read: 1st, 2nd, 3rd, 4th ... 11th, 12th, 21st."""
    place = index + 1
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def hooked(body: str) -> dict[str, str]:
    """The text of every element with a data-testid in `body` (the answer, its confidence, its note), by id."""
    return {name: html.unescape(text).strip() for name, text in _VALUE.findall(body)}


def answer_text(body: str) -> str | None:
    """The answer shown in a panel's HTML ("7", "2047", "—"), or None when `body` is not an answer panel."""
    return hooked(body).get(ANSWER_ID)


def _head(answer: str, confidence: str | None, note: str) -> str:
    """The answer and how sure, side by side, and the note under them (kept, empty, so the height stays)."""
    sure = (f'<div class="dc-answer-item"><p class="dc-answer-label">Confidence</p>'
            f'<p class="dc-answer-sure" data-testid="{CONFIDENCE_ID}">{html.escape(confidence)}</p></div>'
            if confidence is not None else "")
    return (f'<div class="dc-answer-head"><div class="dc-answer-item"><p class="dc-answer-label">Prediction</p>'
            f'<p class="dc-answer-value" data-testid="{ANSWER_ID}">{html.escape(answer)}</p></div>{sure}</div>'
            f'<p class="dc-caption dc-answer-note" data-testid="{NOTE_ID}">{html.escape(note) or "&nbsp;"}</p>')


def digit_panel(reading: Reading | None, problem: str | None, model_line: str, going_on: bool = False) -> str:
    """One digit's answer: the digit, how sure, a note when unsure, the ten bars and the 28x28 input the model saw.

    `going_on`: the drawing may be the beginning of a digit of more strokes (`digit_app.unfinished`), so
    the page's canvas helper keeps it marked as still being written for longer after the pen lifts.
    """
    if reading is None:
        note = problem or "Nothing drawn yet: the answer appears here after each stroke."
        head = _head(NO_ANSWER, None, note)
        bars = probability_bars(np.zeros(10), -1, height=BARS_HEIGHT, caption="Probability of each digit")
        seen = image_tag(np.zeros((28, 28)), "Nothing drawn yet", INPUT_WIDTH)
    else:
        note = "" if reading.is_sure else f"Not sure: it could be {reading.digit} or {reading.runner_up}."
        head = _head(str(reading.digit), percent_sure(reading.confidence), note)
        bars = probability_bars(reading.probabilities, reading.digit, height=BARS_HEIGHT,
                                caption="Probability of each digit")
        seen = image_tag(reading.model_input, f"The drawing as the model saw it, read as {reading.digit}", INPUT_WIDTH)
    pictures = (f'<div class="dc-answer-pictures"><div class="dc-answer-bars">{bars}</div>'
                f'{captioned("What the model saw", seen)}</div>')
    return _panel(head + pictures, model_line, going_on)


def number_panel(number: NumberReading | None, problem: str | None, drawing: np.ndarray | None,
                 model_line: str) -> str:
    """A whole number's answer: the number, how sure of all of it, which digits are unsure, and how it was split."""
    if number is None:
        head = _head(NO_ANSWER, None, problem or "Nothing written yet: write the digits left to right.")
    else:
        unsure = [ordinal(index) for index, reading in enumerate(number.digits) if not reading.is_sure]
        head = _head(number.text, percent_sure(number.confidence),
                     f"Not sure of the {', '.join(unsure)} digit." if unsure else "")
    return _panel(head + captioned("How it was split, and each digit as the model saw it",
                                   _split(number, drawing)), model_line)


def _split(number: NumberReading | None, drawing: np.ndarray | None) -> str:
    """The writing with a box round each digit, and each digit as the model saw it with its confidence."""
    from digit_app.sizes import NUMBER_CANVAS

    if number is None or drawing is None:
        return image_tag(np.zeros((NUMBER_CANVAS[1] // 2, NUMBER_CANVAS[0] // 2)), "Nothing written yet",
                         NUMBER_CANVAS[0] // 2, pixelated=False)
    boxes = [reading.box for reading in number.digits]
    picture = ""
    if all(box is not None for box in boxes):
        labels = [f"{ordinal(index)}: {reading.digit}" for index, reading in enumerate(number.digits)]
        split = split_picture(drawing, boxes, labels, short=[str(reading.digit) for reading in number.digits])
        picture = image_tag(split, f"The writing split into {len(boxes)} digits: "
                            + ", ".join(str(reading.digit) for reading in number.digits),
                            min(split.shape[1], SPLIT_WIDTH), pixelated=False)
    tiles = "".join(
        '<figure style="margin:0">'
        f'{image_tag(reading.model_input, f"{ordinal(i)} digit, read as {reading.digit}", 56)}'
        f'<figcaption style="font-size:0.8rem">{ordinal(i)}: {reading.digit} · '
        f'{percent_sure(reading.confidence)}</figcaption>'
        f'</figure>'
        for i, reading in enumerate(number.digits))
    return f'{picture}<div style="display:flex;flex-wrap:wrap;gap:12px;margin-top:8px">{tiles}</div>'


def _panel(body: str, model_line: str, going_on: bool = False) -> str:
    mark = ' data-going-on="true"' if going_on else ""
    return (f'<section class="dc-answer" aria-label="The answer"{mark}>{body}'
            f'<p class="dc-caption dc-answer-model" data-testid="{MODEL_ID}">{html.escape(model_line)}</p></section>')


def _hex(rgb: np.ndarray) -> str:
    red, green, blue = (int(round(float(c) * 255)) for c in np.clip(rgb, 0.0, 1.0))
    return f"#{red:02x}{green:02x}{blue:02x}"


def why_picture(strokes: Sequence[CanvasStroke], colours: Sequence[np.ndarray], reading: Reading) -> str:
    """The person's own strokes as an SVG picture, each stretch coloured as `colours` says (one RGB row per point).

    Neighbouring segments of one colour (in 16 steps a channel) are one polyline, so a drawing is a few dozen elements.
    Cropped to the drawing with its brush, square, so the digit fills the picture.
    """
    points = np.concatenate([stroke.points for stroke in strokes])
    brush = max(stroke.width for stroke in strokes)
    low, high = points.min(axis=0) - brush, points.max(axis=0) + brush
    side = float(max(high - low))
    corner = (low + high) / 2 - side / 2
    lines = []
    for stroke, colour in zip(strokes, colours):
        steps = np.round(np.clip(colour, 0, 1) * 15) / 15
        if len(stroke.points) == 1:  # a dot: a segment of no length, drawn as the pen's round end
            lines.append((stroke.points[[0, 0]], steps[0], stroke.width))
            continue
        mids = (steps[:-1] + steps[1:]) / 2  # each segment: the mean of its two ends
        start = 0
        for index in range(1, len(mids) + 1):
            if index == len(mids) or not np.allclose(mids[index], mids[start]):
                lines.append((stroke.points[start : index + 1], mids[start], stroke.width))
                start = index
    polylines = "".join(
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" stroke="{_hex(rgb)}" '
        f'stroke-width="{width:.1f}"/>'
        for run, rgb, width in lines)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WHY_WIDTH}" height="{WHY_WIDTH}" '
           f'viewBox="{corner[0]:.1f} {corner[1]:.1f} {side:.1f} {side:.1f}">'
           f'<rect x="{corner[0]:.1f}" y="{corner[1]:.1f}" width="{side:.1f}" height="{side:.1f}" fill="#000"/>'
           f'<g fill="none" stroke-linecap="round" stroke-linejoin="round">{polylines}</g></svg>')
    # An <img> of the SVG: st.html lets no <svg> element through, but an image's data URL is drawn as it is.
    source = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    alt = (f"Your strokes coloured: red where they made it a {reading.digit}, "
           f"blue where they looked like a {reading.runner_up}")
    return (f'<figure class="dc-why"><img class="dc-picture" src="{source}" alt="{html.escape(alt)}" '
            f'data-testid="answerWhy" style="width:{WHY_WIDTH}px;height:auto;display:block">'
            f'<figcaption class="dc-caption">{_swatch(ANSWER_COLOUR)}red made it a {reading.digit};<br>'
            f'{_swatch(RUNNER_UP_COLOUR)}blue looked like a {reading.runner_up};<br>grey did neither.'
            f'</figcaption></figure>')


def _swatch(rgb: np.ndarray) -> str:
    """A small square of a colour before the words that name it (the words carry the meaning)."""
    return (f'<span aria-hidden="true" style="display:inline-block;width:0.75em;height:0.75em;margin-right:0.35em;'
            f'border-radius:2px;background:{_hex(rgb)}"></span>')


def why_svg(body: str) -> str:
    """The SVG inside a "Why" picture's HTML (what the browser draws), to look into."""
    found = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', body)
    return base64.b64decode(found.group(1)).decode() if found else ""
