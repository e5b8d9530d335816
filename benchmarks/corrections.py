"""What 50 corrections teach: one writer's digits read before and after retraining with them.

    python benchmarks/corrections.py [--epochs N] [--repeat K]

A model is trained on MNIST alone with the Retrain page's settings. The "writer" is the
handwriting font that model reads worst, written with one steady slant (a personal style). 50 of
their digits (5 of each) become corrections, as "Wrong? It is a ..." would save them; 300 others
by the same writer are held back. A second model is trained with the same settings and seed on
MNIST plus the corrections repeated K times; both (and the shipped model) are scored on the
held-back digits, the two trained ones on the MNIST test set too. Needs ../shared/data and the
Debian handwriting fonts.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import drawn_digits  # noqa: E402
from digit_app.model import Classifier, load_classifier  # noqa: E402
from digit_app.preprocess import to_mnist  # noqa: E402
from digit_app.store.versions import SHIPPED_MODEL  # noqa: E402
from digit_app.training import TrainConfig  # noqa: E402
from digit_app.training.data import load_training_data  # noqa: E402
from digit_app.training.fit import evaluate, train  # noqa: E402

CORRECTIONS_PER_DIGIT = 5
HELD_BACK_PER_DIGIT = 30
WRITER_SLANT = 0.3  # the writer's own slant (a shear), the same in every digit


def writer_digits(font_path: str, per_digit: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs of `per_digit` of each digit in one font, at random size and place, one slant."""
    rng = np.random.default_rng(seed)
    canvases, labels = [], []
    for digit in range(10):
        for _ in range(per_digit):
            canvases.append(drawn_digits.font_canvas(font_path, str(digit), rng, slant=WRITER_SLANT))
            labels.append(digit)
    return np.stack([to_mnist(c) for c in canvases]), np.array(labels)


def accuracy(classifier: Classifier | object, images: np.ndarray, labels: np.ndarray) -> float:
    return evaluate(classifier, images, labels).accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=TrainConfig().epochs)
    parser.add_argument("--repeat", type=int, default=20, help="times each correction is repeated")
    args = parser.parse_args()
    fonts = drawn_digits.font_files()
    if not fonts:
        sys.exit("handwriting fonts: not installed (apt-get install fonts-bwht fonts-dkg-handwriting ...)")
    data = load_training_data(drawn_digits.MNIST_SUBSET)
    config = dataclasses.replace(TrainConfig(), epochs=args.epochs)
    baseline, baseline_report = train(data, config)
    scores = {font: accuracy(baseline, *writer_digits(font, 10, seed=1)) for font in fonts}
    writer = min(scores, key=scores.get)
    corrections = writer_digits(writer, CORRECTIONS_PER_DIGIT, seed=2)
    held_back = writer_digits(writer, HELD_BACK_PER_DIGIT, seed=3)
    corrected, corrected_report = train(data.with_corrections(*corrections, repeat=args.repeat), config)

    print(f"writer: {Path(writer).name} slanted {WRITER_SLANT}, {len(held_back[1])} held-back digits")
    print(f"{'the shipped model':<32} writer's held-back digits "
          f"{accuracy(load_classifier(SHIPPED_MODEL), *held_back):.3f}")
    for name, model, report in (("MNIST only", baseline, baseline_report),
                                (f"MNIST + {len(corrections[1])} corrections x{args.repeat}",
                                 corrected, corrected_report)):
        print(f"{name:<32} writer's held-back digits {accuracy(model, *held_back):.3f}   "
              f"MNIST test {report.test_accuracy:.4f}")


if __name__ == "__main__":
    main()
