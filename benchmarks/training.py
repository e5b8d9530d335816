"""Training throughput with and without augmentation, and (with --full) the default run's curve.

    python benchmarks/training.py [--data PATH] [--epochs N] [--full]

Throughput is images per second over the epochs after the first (the first pays for tracing),
for the default CNN on this machine's CPU, with the default augmentation and with none.
--full trains with the Retrain page's defaults (MNIST, the pen digits and a stroke model) and prints
the validation accuracy and elapsed time after each epoch, then the final test accuracy, the
accuracy on the held-out writers' drawings and the total time.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.drawn_digits import MNIST_SUBSET  # noqa: E402
from digit_app.training import TrainConfig, Variations  # noqa: E402
from digit_app.training.data import load_training_data  # noqa: E402
from digit_app.training.fit import train  # noqa: E402


def throughput(data, augment: Variations, epochs: int) -> float:
    """Images per second after the first epoch."""
    epoch_ends: list[float] = []
    config = TrainConfig(epochs=epochs, augment=augment, validation_split=0.0, drawn=False)

    def on_epoch(event: dict) -> None:
        if event["phase"] == "epoch":
            epoch_ends.append(time.perf_counter())

    _, report = train(data, config, progress=on_epoch)
    return report.train_images / np.diff(epoch_ends).mean()  # every training image once an epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST_SUBSET))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also run the default training and print its curve")
    parser.add_argument("--only-full", action="store_true", help="skip the throughput runs")
    args = parser.parse_args()
    data = load_training_data(args.data)
    print(f"data: {data.source}, {len(data.x_train)} training images, cores: {os.cpu_count()}")

    if not args.only_full:
        plain = dataclasses.replace(Variations.none())
        online_only = dataclasses.replace(Variations(), redraw=0.0, styles=0.0, pen=0.0)
        without = throughput(data, plain, args.epochs)
        with_augment = throughput(data, online_only, args.epochs)
        print(f"no augmentation        {without:7.0f} images/s")
        print(f"default augmentation   {with_augment:7.0f} images/s   (costs {1 - with_augment / without:.0%})")

    if args.full or args.only_full:
        config = TrainConfig()
        started = time.perf_counter()
        curve = []

        def on_epoch(event: dict) -> None:
            if event["phase"] == "epoch":
                curve.append((time.perf_counter() - started, event["epoch"], event.get("val_accuracy", float("nan"))))

        _, report = train(data, config, progress=on_epoch)
        for seconds, epoch, val in curve:
            print(f"epoch {epoch:>3}  {seconds:6.0f} s  validation accuracy {val:.4f}")
        held_out = ", ".join(f"{name} {value:.4f}" for name, value in report.held_out.items())
        print(f"default run: test accuracy {report.test_accuracy:.4f}, held-out writers' drawings {held_out}, "
              f"after {time.perf_counter() - started:.0f} s "
              f"({config.epochs} epochs, stroke model {config.stroke_epochs})")


if __name__ == "__main__":
    main()
