"""Small pieces of HTML the pages show: images inline (with alt text), the probability bars, a number's split.

Inline images (`data:` URLs) never expire: Streamlit's media files for `st.image` are dropped when
a newer run replaces them, and a page that reruns quickly could ask for one already gone (a broken
image). Plain functions of arrays and strings, so they are tested without a page.
"""

from __future__ import annotations

import base64
import functools
import html
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BOX_COLOURS = ("#ff4b4b", "#1c83e1", "#21c354", "#ffa421", "#803df5", "#00c0f2")
PAGE_CSS = Path(__file__).with_name("page.css")


@functools.cache
def page_style() -> str:
    """The pages' own stylesheet (contrast, focus, target sizes, the canvas' edge) as a <style> block."""
    return f"<style>{PAGE_CSS.read_text()}</style>"


def png_data_url(picture: np.ndarray) -> str:
    """A grey (H, W) or RGB (H, W, 3) image, floats in [0, 1] or uint8, as a PNG `data:` URL."""
    array = np.asarray(picture)
    if array.dtype != np.uint8:
        array = np.rint(np.clip(array, 0.0, 1.0) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def percent_sure(confidence: float) -> str:
    """A confidence as a whole percent, rounded down and never 100%: a calibrated 99.7% is not certainty."""
    return f"{min(int(float(confidence) * 100), 99)}%"


def image_tag(picture: np.ndarray, alt: str, width: int, pixelated: bool = True) -> str:
    """An <img> of `picture` at `width` CSS pixels, with alt text; pixelated shows a 28x28 input pixel for pixel."""
    style = f"width:{width}px;max-width:100%;height:auto;display:block;"
    style += "image-rendering:pixelated;" if pixelated else ""
    return f'<img class="dc-picture" src="{png_data_url(picture)}" alt="{html.escape(alt)}" style="{style}">'


def captioned(caption: str, body: str) -> str:
    """`body` under a caption, in one element: a rerun sends one piece of HTML instead of two elements."""
    return f'<div><p class="dc-caption">{html.escape(caption)}</p>{body}</div>'


def probability_bars(probabilities: Sequence[float], answer: int, height: int = 150, caption: str = "") -> str:
    """Ten bars, one per digit, the answer's in red, under `caption`: a figure a screen reader reads as one sentence."""
    spoken = ", ".join(f"{digit}: {percent_sure(p)}" for digit, p in enumerate(probabilities))
    bars = "".join(
        f'<div style="flex:1;display:flex;flex-direction:column;justify-content:flex-end;align-items:center;'
        f'height:100%">'
        f'<div style="width:70%;height:{max(float(p), 0.0) * 100:.1f}%;min-height:1px;border-radius:2px 2px 0 0;'
        f'background:{"#ff4b4b" if digit == answer else "#9aa0a6"}"></div>'
        f'<div style="font-size:0.8rem;line-height:1.4rem">{digit}</div></div>'
        for digit, p in enumerate(probabilities))
    heading = f'<figcaption class="dc-caption">{html.escape(caption)}</figcaption>' if caption else ""
    return (f'<figure role="img" aria-label="{html.escape("Probability of each digit: " + spoken)}" style="margin:0">'
            f'{heading}<div style="height:{height}px;display:flex;gap:2px;align-items:stretch">{bars}</div></figure>')


def fitting_labels(boxes: Sequence[tuple[float, float, float, float]], labels: Sequence[str],
                   short: Sequence[str], font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> list[str]:
    """`labels`, or `short` ones where a label would run into the next (eleven narrow digits: "10t" under "11th")."""
    def overlap(texts: Sequence[str]) -> bool:
        spans = sorted((box[0] + 4, box[0] + 4 + font.getlength(text) + 8) for box, text in zip(boxes, texts))
        return any(end > start for (_, end), (start, _) in zip(spans, spans[1:]))

    return list(short) if overlap(labels) else list(labels)


def split_picture(drawing: np.ndarray, boxes: Sequence[tuple[float, float, float, float]],
                  labels: Sequence[str], margin: int = 24, short: Sequence[str] | None = None) -> np.ndarray:
    """The writing (RGBA or RGB, white on black) with a coloured, labelled box around each digit; RGB uint8.

    Cropped to the boxes and a margin, so the writing fills the picture. Where the labels would
    overlap, the `short` ones are written instead.
    """
    picture = Image.fromarray(np.ascontiguousarray(np.asarray(drawing)[..., :3])).convert("RGB")
    dimmed = Image.blend(picture, Image.new("RGB", picture.size, (0, 0, 0)), 0.35)
    pen = ImageDraw.Draw(dimmed)
    font = ImageFont.load_default(size=16)
    labels = fitting_labels(boxes, labels, short, font) if short is not None else labels
    for index, ((left, top, right, bottom), label) in enumerate(zip(boxes, labels)):
        colour = BOX_COLOURS[index % len(BOX_COLOURS)]
        pen.rectangle((left, top, right, bottom), outline=colour, width=3)
        tag = pen.textbbox((left + 4, top - 20), label, font=font)
        pen.rectangle((tag[0] - 4, tag[1] - 2, tag[2] + 4, tag[3] + 2), fill=colour)
        pen.text((left + 4, top - 20), label, fill="white", font=font)
    if boxes:
        lefts, tops, rights, bottoms = zip(*boxes)
        crop = (max(0, int(min(lefts)) - margin), max(0, int(min(tops)) - margin - 20),
                min(dimmed.width, int(max(rights)) + margin), min(dimmed.height, int(max(bottoms)) + margin))
        dimmed = dimmed.crop(crop)
    return np.asarray(dimmed)
