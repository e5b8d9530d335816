"""Training throughput with and without augmentation, and (with --full) the default run's curve.

    python benchmarks/training.py [--data PATH] [--epochs N] [--full] [--epoch-profile]

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


def epoch_profile(data) -> None:
    """Seconds and CPU seconds of one default epoch: the input pipeline, the model on ready batches, both."""
    import keras
    import tensorflow as tf

    from digit_app.networks import build_model
    from digit_app.sizes import LABEL_SMOOTHING
    from digit_app.strokes.network import train_stroke_model
    from digit_app.strokes.pen_digits import load_pen_digits
    from digit_app.training.augment import build_augmenter
    from digit_app.training.drawn_cache import drawn_pen_digits
    from digit_app.training.fit import _training_arrays

    config = TrainConfig()
    images, labels = _training_arrays(data, config)
    pixels, strokes, pen_labels = drawn_pen_digits(load_pen_digits().for_training(), config.seed)
    images, labels = np.concatenate([images, pixels[..., None]]), np.concatenate([labels, pen_labels])
    one_hot = np.eye(10, dtype=np.float32)[labels]
    steps = int(np.ceil(len(images) * (1 - config.validation_split) / config.batch_size))
    print(f"one epoch: {steps} steps of {config.batch_size} ({len(images)} images, 5% of them held for validation)")
    augment = build_augmenter(config.augment, config.seed)
    stream = tf.data.Dataset.from_tensor_slices((images, one_hot)).shuffle(len(images), seed=0).repeat()
    stream = stream.batch(config.batch_size).map(lambda x, y: (augment(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    stream = stream.prefetch(tf.data.AUTOTUNE)
    ready = tf.data.Dataset.from_tensor_slices((images[: config.batch_size * 20], one_hot[: config.batch_size * 20]))
    ready = ready.batch(config.batch_size).cache().repeat()
    model = build_model(config.width)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING), metrics=["accuracy"])
    model.fit(ready, steps_per_epoch=5, epochs=1, verbose=0)  # traced before timing
    batches = iter(stream)
    next(batches)

    def pipeline() -> None:
        for _ in range(steps):
            next(batches)

    for name, run in (("input pipeline alone (augmented batches)", pipeline),
                      ("model alone, batches ready", lambda: model.fit(ready, steps_per_epoch=steps, verbose=0)),
                      ("both, as fit runs them", lambda: model.fit(stream, steps_per_epoch=steps, verbose=0))):
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"  {name:<42} {wall:6.1f} s, {cpu:6.1f} CPU s, {steps * config.batch_size / wall:6.0f} images/s")
    cpu, wall = time.process_time(), time.perf_counter()
    train_stroke_model(strokes, pen_labels, 1, seed=config.seed)
    print(f"  {'stroke model, one epoch (with its tracing)':<42} {time.perf_counter() - wall:6.1f} s, "
          f"{time.process_time() - cpu:6.1f} CPU s, {len(strokes)} pen digits")
    print(f"  load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST_SUBSET))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also run the default training and print its curve")
    parser.add_argument("--only-full", action="store_true", help="skip the throughput runs")
    parser.add_argument("--epoch-profile", action="store_true", help="only say where one default epoch's time goes")
    args = parser.parse_args()
    data = load_training_data(args.data)
    print(f"data: {data.source}, {len(data.x_train)} training images, cores: {os.cpu_count()}")
    if args.epoch_profile:
        epoch_profile(data)
        return

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
