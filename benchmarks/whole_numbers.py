"""Whole numbers: sequences of digits written side by side, read by the app as the Draw page reads them.

    python benchmarks/whole_numbers.py [--model PATH] [--count N] [--no-segments]

Prints the share of whole numbers read exactly right (and of single digits within them) for:
- numbers of 2-5 digits by one of the 6 held-out writers, their real trajectories written left to
  right in their own relative sizes, spaced and close (touching or overlapping a little), read
  from their strokes by `read_number_strokes` (the Draw page's Whole number mode), with the
  shipped segment judge (or, with --no-segments, the digit reader alone judging the grouping);
- UCI pendigits' 8-point digits of the same held-out writers drawn as brush strokes side by side,
  spaced and nearly touching,
  and numbers typed in each handwriting font, read from pixels by `read_number` (photos, uploads).
The held-out writers come with the app; the rest needs ../shared/data and, for the fonts, the
Debian font packages (see benchmarks/recognition.py).
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
from digit_app.prediction import read_number, read_number_strokes  # noqa: E402
from digit_app.render import draw_strokes  # noqa: E402
from digit_app.strokes.canvas import CanvasStroke  # noqa: E402
from digit_app.sizes import NUMBER_CANVAS  # noqa: E402
from digit_app.strokes.pen_digits import HELD_OUT_WRITERS, load_pen_digits  # noqa: E402
from digit_app.strokes.pen_numbers import write_number  # noqa: E402

LENGTHS = (2, 6)  # digits in a number
HEIGHT = 200  # canvas height; a whole-number canvas on the Draw page is 560x200
DIGIT_HEIGHT = (90, 150)
ASPECT = 0.75  # pen digits are stored stretched to a square; written in a row they are narrower
GAPS = {"spaced": (0.15, 0.5), "close": (-0.05, 0.1)}  # space between digits, share of the digit height


def pen_numbers(count: int, gaps: tuple[float, float], seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """Numbers made of pen digits' strokes, each digit a little different in size, one brush for all."""
    rng = np.random.default_rng(seed)
    points, labels = drawn_digits.pendigit_points()
    # pendigits.tra lists the trajectories' digits in the same order: keep the held-out writers' only
    held_out = np.flatnonzero(np.isin(load_pen_digits().writers[:len(labels)], list(HELD_OUT_WRITERS)))
    canvases, texts = [], []
    for _ in range(count):
        chosen = rng.choice(held_out, size=rng.integers(LENGTHS[0], LENGTHS[1] + 1))
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


def writer_numbers(count: int, close: bool, seed: int = 0) -> tuple[list[list[CanvasStroke]], list[str]]:
    """Numbers of 2-5 digits, each by one held-out writer, as strokes on the Draw page's number canvas."""
    pen = load_pen_digits().held_out()
    rng = np.random.default_rng(seed)
    numbers, texts = [], []
    for _ in range(count):
        writer = rng.choice(np.unique(pen.writers))
        chosen = rng.choice(np.flatnonzero(pen.writers == writer), rng.integers(2, 6), replace=False)
        written = write_number([pen.strokes[i] for i in chosen], rng, close=close)
        brush = rng.uniform(6, 20)
        numbers.append([CanvasStroke(stroke, brush) for digit in written for stroke in digit])
        texts.append("".join(str(pen.labels[i]) for i in chosen))
    return numbers, texts


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


def report(name: str, classifier: Classifier, canvases: list[np.ndarray], texts: list[str],
           strokes: bool = False, segments: bool = True) -> None:
    reader = (lambda drawn: read_number_strokes(drawn, classifier, NUMBER_CANVAS, segments)) if strokes else (
        lambda canvas: read_number(canvas, classifier))
    numbers = [reader(drawing) for drawing in canvases]
    read = [number.text if number else "" for number in numbers]
    whole = np.mean([r == t for r, t in zip(read, texts)])
    digits = np.mean([a == b for r, t in zip(read, texts) if len(r) == len(t) for a, b in zip(r, t)])
    counted = np.mean([len(r) == len(t) for r, t in zip(read, texts)])
    sure = np.mean([number.confidence if number else 0.0 for number in numbers])
    print(f"{name:<30} n={len(texts):>4}  whole numbers right {whole:.3f}   digit count right {counted:.3f}   "
          f"digits right where counted right {digits:.3f}   mean confidence shown {sure:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file (default: the active model)")
    parser.add_argument("--count", type=int, default=500, help="pen numbers per spacing")
    parser.add_argument("--no-segments", action="store_true", help="group strokes without the segment judge")
    args = parser.parse_args()
    classifier = load_classifier(args.model)
    print(f"model: {classifier.path} ({'pixels and strokes' if classifier.reads_strokes else 'pixels only'})")
    for close in (False, True):
        report(f"held-out writers, {'close' if close else 'spaced'}", classifier,
               *writer_numbers(args.count, close), strokes=True, segments=not args.no_segments)
    if not drawn_digits.SHARED_DATA.is_dir():
        print(f"{drawn_digits.SHARED_DATA} is missing: the 8-point pen digits and the fonts are skipped")
        return
    for name, gaps in GAPS.items():
        report(f"pen digits, {name}", classifier, *pen_numbers(args.count, gaps))
    if drawn_digits.font_files():
        report(f"fonts ({len(drawn_digits.font_files())} files)", classifier, *font_numbers(per_font=20))
    else:
        print("handwriting fonts: not installed (apt-get install fonts-bwht fonts-dkg-handwriting ...)")


if __name__ == "__main__":
    main()
