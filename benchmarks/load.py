"""Many people drawing at once: answer times seen in real browser sessions against one server.

    python benchmarks/load.py [--sessions 20] [--data PATH]

Starts the app with `streamlit run` on 127.0.0.1 (models kept in a temporary folder), opens
`--sessions` Chromium contexts, and has them all draw a digit at the same moment. The answer time
is from the mouse leaving the canvas to the Prediction showing the digit, as the person sees it.
The round is run twice: with the server otherwise idle, and while one more session retrains the
model (which must not freeze anyone's drawing). Prints p50/p95/max, how many answers were right,
and the server's CPU seconds over the round.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import RunningApp, Timing, serve, sessions_drawing  # noqa: E402
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402


def measured_round(name: str, app: RunningApp, drawings: list, while_training: bool = False) -> str:
    """One round of sessions drawing at once: answers right, answer times, and the server's share.

    The server's CPU seconds over the round's wall time tell whether the server or the browsers
    (which share this machine's cores) are the bottleneck.
    """
    cpu, started = app.cpu_seconds(), time.monotonic()
    timings: list[Timing] = asyncio.run(sessions_drawing(app.url, drawings, while_training))
    cpu, wall = app.cpu_seconds() - cpu, time.monotonic() - started
    seconds = np.array([t.seconds for t in timings]) * 1000
    right = sum(t.answer == t.expected for t in timings)
    return (f"{name:<16} sessions {len(timings):>3}  right {right:>3}/{len(timings)}  answer time ms: "
            f"p50 {np.percentile(seconds, 50):6.0f}  p95 {np.percentile(seconds, 95):6.0f}  max {seconds.max():6.0f}"
            f"   server CPU {cpu:5.1f} s in {wall:5.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--data", default=str(MNIST_SAMPLE), help="what the background retrain trains on")
    args = parser.parse_args()
    digits = [list(DIGITS)[i % len(DIGITS)] for i in range(args.sessions)]
    drawings = [(DIGITS[d], str(d)) for d in digits]
    with tempfile.TemporaryDirectory() as models, serve(Path(models), Path(args.data)) as app:
        asyncio.run(sessions_drawing(app.url, drawings[:1]))  # warm up: the first answer loads TensorFlow
        print(measured_round("idle", app, drawings))
        print(measured_round("while training", app, drawings, while_training=True))


if __name__ == "__main__":
    main()
