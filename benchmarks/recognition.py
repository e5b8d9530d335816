"""How well the app reads drawn digits: ours (to_mnist, and strokes) beside a plain 28x28 resize, same model.

    python benchmarks/recognition.py [--model PATH] [--limit N]

Prints accuracy on:
- pen digits by the 6 writers held out of training (`digit_app.strokes.pen_digits.HELD_OUT_WRITERS`),
  their full trajectories drawn on a canvas at random size, place and brush, with a pointer's
  uneven points: read from pixels, from strokes, and from both as the Draw page reads them;
- UCI pendigits' 8-point digits drawn as one brush stroke, by the held-out writers (the file
  lists the same digits in the same order as the trajectories) and by all 30: pixels, and both;
- handwriting fonts (pixels: a font has no strokes), the MNIST test set as it is, and MNIST
  digits placed on a canvas at random size and position.
The held-out writers come with the app; the rest needs ../shared/data (see its README) and, for the
fonts, the Debian font packages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drawn_digits  # noqa: E402
from digit_app.calibration import calibration_error, fit_temperature  # noqa: E402
from digit_app.model import Classifier, load_classifier  # noqa: E402
from digit_app.prediction import SURE_MARGIN, SURE_PROBABILITY  # noqa: E402
from digit_app.preprocess import EmptyDrawingError, UnreadableDrawingError, to_mnist  # noqa: E402
from digit_app.strokes.features import stroke_features  # noqa: E402
from digit_app.strokes.on_canvas import draw_like_canvas  # noqa: E402
from digit_app.strokes.pen_digits import HELD_OUT_WRITERS, load_pen_digits  # noqa: E402
from digit_app.training.data import load_training_data  # noqa: E402

HELD_OUT_SEED = 7  # how the held-out writers' digits are drawn (size, place, brush, pointer)


def pixel_inputs(canvases: Iterable[np.ndarray],
                 pipeline: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each canvas through `pipeline`, and which ones it refused (empty or not one digit), which count as wrong."""
    inputs, refused = [], []
    for canvas in canvases:
        try:
            inputs.append(pipeline(canvas))
            refused.append(False)
        except (EmptyDrawingError, UnreadableDrawingError):
            inputs.append(np.zeros((28, 28), np.float32))
            refused.append(True)
    return np.stack(inputs), np.array(refused)


def scores(probabilities: np.ndarray, labels: np.ndarray, refused: np.ndarray) -> tuple[float, str]:
    """Accuracy, and accuracy per digit 0-9 as text."""
    right = (probabilities.argmax(axis=1) == labels) & ~refused
    per_digit = " ".join(f"{d}:{right[labels == d].mean():.2f}" for d in range(10) if (labels == d).any())
    return float(right.mean()), per_digit


def report(name: str, classifier: Classifier, canvases: np.ndarray, labels: np.ndarray) -> None:
    inputs, refused = pixel_inputs(canvases, to_mnist)
    ours, per_digit = scores(classifier.predict_proba(inputs), labels, refused)
    plain_inputs, _ = pixel_inputs(canvases, drawn_digits.plain_resize)
    plain, _ = scores(classifier.predict_proba(plain_inputs), labels, np.zeros(len(labels), bool))
    print(f"{name:<28} n={len(labels):>5}  to_mnist {ours:.4f} (refused {refused.sum()})  plain resize {plain:.4f}"
          f"   per digit {per_digit}")


def report_drawings(name: str, classifier: Classifier, canvases: Sequence[np.ndarray],
                    strokes: Sequence[Sequence[np.ndarray]], labels: np.ndarray) -> None:
    """Drawings with their strokes: pixels alone, strokes alone, and both (what the Draw page reads)."""
    inputs, refused = pixel_inputs(canvases, to_mnist)
    pixels, _ = scores(classifier.predict_proba(inputs), labels, refused)
    line = f"{name:<28} n={len(labels):>5}  pixels {pixels:.4f} (refused {refused.sum()})"
    if classifier.reads_strokes:
        features = np.stack([stroke_features(s) for s in strokes])
        alone, _ = scores(classifier.predict_strokes(features), labels, np.zeros(len(labels), bool))
        both, per_digit = scores(classifier.predict_drawing(inputs, features), labels, refused)
        line += f"  strokes {alone:.4f}  both {both:.4f}   per digit {per_digit}"
    print(line)


def how_sure(name: str, probabilities: np.ndarray, labels: np.ndarray, network: np.ndarray | None = None) -> None:
    """Is the confidence shown honest? Mean confidence beside accuracy, calibration error, and the answers
    the page calls "not sure" (judged on the `network`'s own probabilities when given, as `Reading.is_sure` does)."""
    confidence = probabilities.max(axis=1)
    ranked = np.sort(probabilities if network is None else network, axis=1)
    top, margin = ranked[:, -1], ranked[:, -1] - ranked[:, -2]
    right = probabilities.argmax(axis=1) == labels
    error = calibration_error(probabilities, labels)
    unsure = (top < SURE_PROBABILITY) | (margin < SURE_MARGIN)
    print(f"{name:<28} n={len(labels):>5}  mean confidence {confidence.mean():.3f} for accuracy {right.mean():.3f}"
          f" (calibration error {error:.3f}); 'not sure' {unsure.sum()}, right in {right[unsure].mean():.0%} of them")


def held_out_writers(
    seed: int = HELD_OUT_SEED
) -> tuple[list[np.ndarray], list[list[np.ndarray]], np.ndarray, np.ndarray]:
    """The held-out writers' digits drawn like a person on the canvas: canvases, strokes, labels, writers."""
    pen = load_pen_digits().held_out()
    rng = np.random.default_rng(seed)
    canvases, strokes = [], []
    for digit in pen.strokes:
        canvas, placed, _ = draw_like_canvas(digit, rng)
        canvases.append(canvas)
        strokes.append(placed)
    return canvases, strokes, pen.labels, pen.writers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file (default: the active model)")
    parser.add_argument("--limit", type=int, help="use only the first N pen digits / MNIST canvases")
    args = parser.parse_args()

    classifier = load_classifier(args.model)
    print(f"model: {classifier.path} ({'pixels and strokes' if classifier.reads_strokes else 'pixels only'})")

    canvases, strokes, labels, writers = held_out_writers()
    report_drawings("held-out writers, drawn", classifier, canvases, strokes, labels)
    if classifier.reads_strokes:
        inputs, _ = pixel_inputs(canvases, to_mnist)
        features = np.stack([stroke_features(s) for s in strokes])
        how_sure("  how sure, network alone", classifier.predict_drawing(inputs, features, calibrated=False), labels)
        own = classifier.predict_drawing(inputs, features, calibrated=False)
        how_sure(f"  how sure, T={classifier.temperature:g}", classifier.predict_drawing(inputs, features), labels,
                 network=own)
        print(f"{'':<36}(the T that would fit these drawings best, for comparison only: "
              f"{fit_temperature(own, labels):.3f})")
    for writer in np.unique(writers):
        mine = np.flatnonzero(writers == writer)
        report_drawings(f"  writer {writer}", classifier, [canvases[i] for i in mine], [strokes[i] for i in mine],
                        labels[mine])

    if not drawn_digits.SHARED_DATA.is_dir():
        print(f"{drawn_digits.SHARED_DATA} is missing: MNIST, the 8-point pen digits and the fonts are skipped")
        return
    canvases, strokes, labels = drawn_digits.pendigit_drawings(limit=args.limit)
    # pendigits.tra lists the same digits in the same order as the shipped trajectories: the same writers
    writers = load_pen_digits().writers[:len(labels)]
    held_out = np.flatnonzero(np.isin(writers, list(HELD_OUT_WRITERS)))
    report_drawings("8-point, held-out writers", classifier, canvases[held_out], [strokes[i] for i in held_out],
                    labels[held_out])
    report_drawings("8-point, all 30 writers", classifier, canvases, strokes, labels)
    report("8-point, pixels, all 30", classifier, canvases, labels)

    data = load_training_data(drawn_digits.MNIST_SUBSET)
    probabilities = classifier.predict_proba(data.x_test / 255.0)
    raw = probabilities.argmax(axis=1)
    print(f"{'MNIST test, as is':<28} n={len(raw):>5}  accuracy {np.mean(raw == data.y_test):.4f}")
    own = classifier.predict_proba(data.x_test / 255.0, calibrated=False)
    how_sure("  how sure, network alone", own, data.y_test)
    how_sure(f"  how sure, T={classifier.temperature:g}", probabilities, data.y_test, network=own)
    count = args.limit or 2000
    canvases = np.stack(list(drawn_digits.mnist_on_canvas(data.x_test[:count])))
    report("MNIST test on canvas", classifier, canvases, data.y_test[:count])

    if drawn_digits.font_files():
        canvases, labels = drawn_digits.font_digits()
        report(f"fonts ({len(drawn_digits.font_files())} files)", classifier, canvases, labels)
    else:
        print("handwriting fonts: not installed (apt-get install fonts-bwht fonts-dkg-handwriting ...)")


if __name__ == "__main__":
    main()
