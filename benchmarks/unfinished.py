"""Wrong answers that would look sure between the strokes of a digit, and one-stroke digits made to wait, offline.

    python benchmarks/unfinished.py [--write] [--thresholds 0.3,0.2,0.4]

Draws every pen digit like a canvas (the Draw page's default brush) and reads it after each stroke as
the page does. Fits `digit_app.unfinished` on the training writers' digits (with --write, saves it
beside the module, what the page uses) and measures it on the 6 held-out writers': of the beginnings
of their digits of several strokes read surely as another digit, how many the page keeps marked as
still being written (HOLD_MS after the pen lifts), and of their whole digits read surely and right,
how many wait so, one-stroke digits apart. Prints the figures, and the misses by (digit meant, read),
at each threshold (the first is the one saved).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digit_app.model import load_classifier  # noqa: E402
from digit_app.strokes.pen_digits import load_pen_digits  # noqa: E402
from digit_app.unfinished import THRESHOLD, UNFINISHED_FILE, Unfinished, examples, fit_unfinished  # noqa: E402


def report(name: str, model: Unfinished, found) -> None:
    waits = [model.chance(example.features, example.digit) > model.threshold for example in found]
    beginnings = [w for w, e in zip(waits, found) if e.beginning]
    whole = [w for w, e in zip(waits, found) if not e.beginning]
    singles = [w for w, e in zip(waits, found) if not e.beginning and e.strokes == 1]
    missed = collections.Counter((e.label, e.digit) for w, e in zip(waits, found) if e.beginning and not w)
    print(f"{name}: wrong beginnings kept waiting {sum(beginnings)} of {len(beginnings)}; whole digits read right "
          f"made to wait {sum(whole)} of {len(whole)} (one-stroke: {sum(singles)} of {len(singles)}); "
          f"missed (meant, read): {dict(missed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"save the fitted model as {UNFINISHED_FILE.name}")
    parser.add_argument("--thresholds", default=str(THRESHOLD), help="chances to wait above, comma separated")
    args = parser.parse_args()
    classifier, pen = load_classifier(), load_pen_digits()
    training = list(examples(pen.for_training(), classifier, seed=0))
    held_out = list(examples(pen.held_out(), classifier, seed=1))
    for threshold in reversed([float(t) for t in args.thresholds.split(",")]):
        model = fit_unfinished(training, threshold)
        print(f"threshold {threshold}")
        report("  training writers", model, training)
        report("  held-out writers", model, held_out)
    if args.write:
        UNFINISHED_FILE.write_text(model.to_json() + "\n")
        print(f"written {UNFINISHED_FILE}")


if __name__ == "__main__":
    main()
