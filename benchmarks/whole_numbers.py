"""Whole numbers: sequences of 2-6 digits written side by side, read by the app's split and model.

    python benchmarks/whole_numbers.py [--model PATH] [--count N]

Prints the share of whole numbers read exactly right (and of single digits within them) for:
pen digits from UCI pendigits drawn as brush strokes side by side, once spaced apart and once
nearly touching, and numbers typed in each handwriting font. Needs ../shared/data and, for the
fonts, the Debian font packages (see benchmarks/recognition.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drawn_digits  # noqa: E402
from digit_app.model import Classifier, load_classifier  # noqa: E402
from digit_app.prediction import read_number  # noqa: E402
from digit_app.render import draw_strokes  # noqa: E402

LENGTHS = (2, 6)  # digits in a number
HEIGHT = 200  # canvas height; a whole-number canvas on the Draw page is 560x200
DIGIT_HEIGHT = (90, 150)
ASPECT = 0.75  # pen digits are stored stretched to a square; written in a row they are narrower
GAPS = {"spaced": (0.15, 0.5), "close": (-0.05, 0.1)}  # space between digits, share of the digit height


def pen_numbers(count: int, gaps: tuple[float, float], seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """Numbers made of pen digits' strokes, each digit a little different in size, one brush for all."""
    rng = np.random.default_rng(seed)
    points, labels = drawn_digits.pendigit_points()
    canvases, texts = [], []
    for _ in range(count):
        chosen = rng.integers(0, len(labels), size=rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        height = rng.uniform(*DIGIT_HEIGHT)
        brush = rng.uniform(6, 20)
        strokes, left = [], 20.0
        for index in chosen:
            size = height * rng.uniform(0.9, 1.1)
            top = (HEIGHT - size) / 2 + rng.uniform(-10, 10)
            strokes.append([(left + x * size * ASPECT, top + y * size) for x, y in points[index]])
            left += size * ASPECT + rng.uniform(*gaps) * height
        canvases.append(draw_strokes(strokes, brush=brush, size=(int(left) + 20, HEIGHT)))
        texts.append("".join(str(labels[i]) for i in chosen))
    return canvases, texts


def font_numbers(per_font: int, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """Random numbers typed in each handwriting font, at a random size."""
    rng = np.random.default_rng(seed)
    canvases, texts = [], []
    for font_path in drawn_digits.font_files():
        for _ in range(per_font):
            text = "".join(str(d) for d in rng.integers(0, 10, size=rng.integers(LENGTHS[0], LENGTHS[1] + 1)))
            font = ImageFont.truetype(font_path, int(rng.uniform(*DIGIT_HEIGHT)))
            left, top, right, bottom = font.getbbox(text)
            canvas = Image.new("L", (right - left + 40, max(HEIGHT, bottom - top + 40)), 0)
            ImageDraw.Draw(canvas).text((20 - left, 20 - top), text, fill=255, font=font)
            canvases.append(np.asarray(canvas))
            texts.append(text)
    return canvases, texts


def report(name: str, classifier: Classifier, canvases: list[np.ndarray], texts: list[str]) -> None:
    read = [(number.text if (number := read_number(canvas, classifier)) else "") for canvas in canvases]
    whole = np.mean([r == t for r, t in zip(read, texts)])
    digits = np.mean([a == b for r, t in zip(read, texts) if len(r) == len(t) for a, b in zip(r, t)])
    counted = np.mean([len(r) == len(t) for r, t in zip(read, texts)])
    print(f"{name:<24} n={len(texts):>4}  whole numbers right {whole:.3f}   digit count right {counted:.3f}   "
          f"digits right where counted right {digits:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file (default: the active model)")
    parser.add_argument("--count", type=int, default=500, help="pen numbers per spacing")
    args = parser.parse_args()
    classifier = load_classifier(args.model)
    print(f"model: {classifier.path}")
    for name, gaps in GAPS.items():
        report(f"pen digits, {name}", classifier, *pen_numbers(args.count, gaps))
    if drawn_digits.font_files():
        report(f"fonts ({len(drawn_digits.font_files())} files)", classifier, *font_numbers(per_font=20))
    else:
        print("handwriting fonts: not installed (apt-get install fonts-bwht fonts-dkg-handwriting ...)")


if __name__ == "__main__":
    main()
