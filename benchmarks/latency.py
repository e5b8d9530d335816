"""Latency of one drawing to probabilities, in process, beside `model.predict` on the same model.

    python benchmarks/latency.py [--model PATH] [--repeats N]

Prints the median and 95th percentile of: to_mnist alone, the pixel CNN alone, the stroke model
alone (with its features), the whole path the Draw page takes per stroke (canvas and strokes ->
to_mnist and stroke_features -> both models, `read_digit`), Keras' model.predict on the same
inputs, then how many times faster our path is; "Why this answer" (169 covered copies, warm); and
a whole number of 4 digits by a held-out writer read from its strokes (grouping, the segment
judge, each digit read), as the Draw page reads one per stroke in Whole number mode.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digit_app.model import load_classifier  # noqa: E402
from digit_app.prediction import digit_features, read_digit, read_number_strokes  # noqa: E402
from digit_app.preprocess import to_mnist  # noqa: E402
from digit_app.render import draw_strokes  # noqa: E402
from digit_app.saliency import occlusion_maps  # noqa: E402
from digit_app.strokes.canvas import CanvasStroke  # noqa: E402
from digit_app.sizes import NUMBER_CANVAS  # noqa: E402
from digit_app.strokes.pen_digits import load_pen_digits  # noqa: E402
from digit_app.strokes.pen_numbers import write_number  # noqa: E402

# A 4 in two strokes with an 18 px brush on the 280x280 canvas, as the Draw page sends it.
STROKES = [[(160, 40), (60, 190), (230, 190)], [(170, 110), (170, 260)]]


def timings_ms(action: Callable[[], object], repeats: int) -> np.ndarray:
    for _ in range(5):  # warm up caches and traced functions
        action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file (default: the active model)")
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()

    classifier = load_classifier(args.model)  # as the Draw page loads it: LiteRT alone, when the file has its copies
    keras_models = load_classifier(args.model, keras=True)
    canvas = draw_strokes(STROKES, brush=18)
    strokes = [CanvasStroke(np.array(stroke, np.float32), 18.0) for stroke in STROKES]
    model_input = to_mnist(canvas)
    batch = model_input.reshape(1, 28, 28, 1)
    rows = {
        "to_mnist (preprocessing)": timings_ms(lambda: to_mnist(canvas), args.repeats),
        "pixel CNN": timings_ms(lambda: classifier.predict_proba(model_input), args.repeats),
    }
    slow = max(20, args.repeats // 5)
    if classifier.reads_strokes:
        features = digit_features(strokes)
        rows["stroke_features"] = timings_ms(lambda: digit_features(strokes), args.repeats)
        rows["stroke model"] = timings_ms(lambda: classifier.predict_strokes(features), args.repeats)
        rows["canvas -> probabilities"] = timings_ms(lambda: read_digit(canvas, classifier, strokes), args.repeats)
        keras_inputs = [batch, features[None]]
        pixels, strokes = keras_models.pixel_model, keras_models.stroke_model  # as Keras users would call them
        rows["model.predict (Keras)"] = timings_ms(
            lambda: (pixels.predict(keras_inputs[0], verbose=0), strokes.predict(keras_inputs[1], verbose=0)), slow)
    else:
        rows["canvas -> probabilities"] = timings_ms(lambda: read_digit(canvas, classifier), args.repeats)
        rows["model.predict (Keras)"] = timings_ms(lambda: keras_models.pixel_model.predict(batch, verbose=0), slow)
    rows["why this answer (occlusion)"] = timings_ms(lambda: occlusion_maps(classifier, model_input, [4, 9]),
                                                     max(20, args.repeats // 10))
    pen = load_pen_digits().held_out()
    written = write_number(pen.strokes[:4], np.random.default_rng(0), close=True)
    number = [CanvasStroke(stroke, 12.0) for digit in written for stroke in digit]
    rows["whole number of 4 digits"] = timings_ms(lambda: read_number_strokes(number, classifier, NUMBER_CANVAS),
                                                  max(20, args.repeats // 10))
    print(f"model: {classifier.path}   cores: {os.cpu_count()}")
    for name, times in rows.items():
        print(f"{name:<26} median {np.median(times):7.2f} ms   p95 {np.percentile(times, 95):7.2f} ms")
    ours = np.median(rows["canvas -> probabilities"])
    keras_predict = np.median(rows["model.predict (Keras)"])
    print(f"whole path vs model.predict alone: {keras_predict / ours:.1f}x faster")


if __name__ == "__main__":
    main()
