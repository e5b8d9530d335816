"""How well the app reads drawn digits: ours (to_mnist) beside a plain 28x28 resize, same model.

    python benchmarks/recognition.py [--model PATH] [--limit N]

Prints accuracy on pen strokes (UCI pendigits, drawn as brush strokes), handwriting fonts, the
MNIST test set as it is, and MNIST digits placed on a canvas at random size and position.
Needs ../shared/data (see its README) and, for the fonts, the Debian font packages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drawn_digits  # noqa: E402
from digit_app.data import load_mnist  # noqa: E402
from digit_app.model import Classifier, load_classifier  # noqa: E402
from digit_app.preprocess import EmptyDrawingError, UnreadableDrawingError, to_mnist  # noqa: E402


def accuracy(classifier: Classifier, canvases: Iterable[np.ndarray], labels: np.ndarray,
             pipeline: Callable[[np.ndarray], np.ndarray]) -> tuple[float, np.ndarray, int]:
    """Share read right through `pipeline`, accuracy for each digit 0-9, and how many drawings it refused
    (empty or not one digit), which count as wrong."""
    inputs, refused = [], []
    for canvas in canvases:
        try:
            inputs.append(pipeline(canvas))
            refused.append(False)
        except (EmptyDrawingError, UnreadableDrawingError):
            inputs.append(np.zeros((28, 28), np.float32))
            refused.append(True)
    predicted = classifier.predict_proba(np.stack(inputs)).argmax(axis=1)
    right = (predicted == labels) & ~np.array(refused)
    per_digit = np.array([right[labels == d].mean() if (labels == d).any() else np.nan for d in range(10)])
    return float(right.mean()), per_digit, int(np.sum(refused))


def report(name: str, classifier: Classifier, canvases: np.ndarray, labels: np.ndarray) -> None:
    ours, per_digit, refused = accuracy(classifier, canvases, labels, to_mnist)
    plain, _, _ = accuracy(classifier, canvases, labels, drawn_digits.plain_resize)
    digits = " ".join(f"{d}:{a:.2f}" for d, a in enumerate(per_digit))
    print(f"{name:<22} n={len(labels):>5}  to_mnist {ours:.4f} (refused {refused})  plain resize {plain:.4f}"
          f"   per digit {digits}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a .keras file (default: the active model)")
    parser.add_argument("--limit", type=int, help="use only the first N pen digits / MNIST canvases")
    args = parser.parse_args()

    classifier = load_classifier(args.model)
    print(f"model: {classifier.path}")

    data = load_mnist(drawn_digits.MNIST_SUBSET)
    raw = classifier.predict_proba(data.x_test / 255.0).argmax(axis=1)
    print(f"{'MNIST test, as is':<22} n={len(raw):>5}  accuracy {np.mean(raw == data.y_test):.4f}")

    count = args.limit or 2000
    canvases = np.stack(list(drawn_digits.mnist_on_canvas(data.x_test[:count])))
    report("MNIST test on canvas", classifier, canvases, data.y_test[:count])

    canvases, labels = drawn_digits.pendigits(limit=args.limit)
    report("pendigits strokes", classifier, canvases, labels)

    if drawn_digits.font_files():
        canvases, labels = drawn_digits.font_digits()
        report(f"fonts ({len(drawn_digits.font_files())} files)", classifier, canvases, labels)
    else:
        print("handwriting fonts: not installed (apt-get install fonts-bwht fonts-dkg-handwriting ...)")


if __name__ == "__main__":
    main()
