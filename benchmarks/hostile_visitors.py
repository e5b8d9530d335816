"""Hostile visitors, measured at the server: crafted canvas values, and what honest sessions keep.

    python benchmarks/hostile_visitors.py [--sessions 50]

Starts the app with `streamlit run`; Chromium draws a 4 once and the messages it sent are the
template. Then, for each crafted canvas value of `tests/canvas_values.py` (one session of its own
each, closed afterwards), it prints the server's CPU time for the value (an upper bound: it
includes the honest visitor's strokes answered meanwhile), its peak memory growth
(the kernel's high-water mark, reset before each value), the memory still held once that session has
closed, the reply (an answer, a sentence, or the connection closed as too big), and the slowest
answer an honest visitor drawing meanwhile got. Last, `--sessions` honest sessions each draw the 4
and stay connected: the memory they hold together above the idle server, then after they leave.
Whole-number mode reads more per message (every way of grouping the strokes into digits), so its
crafted values are also timed here in this process, through the page's own steps (the canvas value
checked by `CanvasMemory`, then `read_number_strokes` with the page's budget): 8 to 40 strokes of
120 points in tangles, columns, zigzags and dots, each a value no earlier answer saw.
Targets (issue "Open to the world"): <= 0.2 s CPU, <= 50 MB peak, a visitor's answer <= 1 s, 0
error boxes; 50 sessions <= 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from tests.browser import RunningApp, serve  # noqa: E402
from tests.canvas_values import drawing_json, hostile_values  # noqa: E402
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.protocol import (Recording, _until_finished, protocol_session, record_drawing,  # noqa: E402
                            send_canvas_values)
from tests.strokes import DIGITS  # noqa: E402

SETTLE = 1.0  # seconds for the server to let go of a closed session's messages before memory is read
MAX_SESSIONS = 200
CRAFTED_STROKES = 40  # the number canvas' limit of strokes ...
CRAFTED_POINTS = 120  # ... and points per stroke (40 of them fit its 5,000 in all)


def reset_peak(app: RunningApp) -> None:
    """Start the server's memory high-water mark afresh (Linux: clear_refs 5)."""
    Path(f"/proc/{app.pid}/clear_refs").write_text("5")


def peak_mb(app: RunningApp) -> float:
    for line in Path(f"/proc/{app.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def honest_visitor(app: RunningApp, recording: Recording, stop: asyncio.Event) -> float:
    """Draw the 4 again and again until `stop`; the slowest answer, in seconds."""
    slowest = 0.0
    while not stop.is_set():
        timings = await protocol_session(app.url, recording, digits=1, pause=0.05)
        slowest = max([slowest] + [t.seconds for t in timings])
    return slowest


async def one_value(app: RunningApp, recording: Recording, value: str) -> tuple:
    stop = asyncio.Event()
    visitor = asyncio.create_task(honest_visitor(app, recording, stop))
    await asyncio.sleep(0.3)
    before, cpu = app.rss_mb(), app.cpu_seconds()
    reset_peak(app)
    (reply,) = await send_canvas_values(app.url, recording, [value])
    cpu_used = app.cpu_seconds() - cpu
    peak = peak_mb(app) - before
    await asyncio.sleep(SETTLE)
    kept = app.rss_mb() - before
    stop.set()
    slowest = await visitor
    return reply, cpu_used, peak, kept, slowest


async def crowd(app: RunningApp, recording: Recording, sessions: int) -> tuple[float, float, float]:
    """`sessions` sessions each draw the 4 and stay; memory above idle while they stay, and after they leave."""
    from websockets.asyncio.client import connect

    idle = app.rss_mb()
    socket_url = app.url.replace("http://", "ws://") + "/_stcore/stream"
    sockets = []
    for _ in range(sessions):
        socket = await connect(socket_url, subprotocols=["streamlit"], origin=app.url, max_size=None)
        await socket.send(recording.opening)
        await _until_finished(socket)
        for stroke in recording.strokes:
            await socket.send(stroke)
            await _until_finished(socket)
        sockets.append(socket)
    await asyncio.sleep(SETTLE)
    staying = app.rss_mb() - idle
    for socket in sockets:
        await socket.close()
    await asyncio.sleep(SETTLE)
    return idle, staying, app.rss_mb() - idle


def crafted_numbers(count: int, seed: int = 0) -> dict[str, list[list[float]]]:
    """`count` strokes of CRAFTED_POINTS points on the number canvas, arranged to make the grouping work hardest."""
    rng = np.random.default_rng(seed)
    n = CRAFTED_POINTS
    along, steps = np.linspace(20, 180, n), np.arange(n)
    shapes = {
        "tangle": lambda i: np.stack([rng.uniform(100, 300, n), rng.uniform(20, 180, n)], 1),
        "columns 13 px apart": lambda i: np.stack([10 + i * 13.5 + rng.uniform(0, 10, n), along], 1),
        "zigzags across": lambda i: np.stack([np.linspace(0, 560, n), 20 + 160 * (steps % 2)], 1),
        "short verticals": lambda i: np.stack([10 + (i * 37) % 540 + rng.uniform(0, 3, n),
                                               np.linspace(40 + i % 3 * 20, 160, n)], 1),
        "dots": lambda i: np.stack([10 + i * 13.5 + rng.uniform(0, 3, n), 100 + rng.uniform(0, 3, n)], 1),
    }
    return {name: [make(i).tolist() for i in range(count)] for name, make in shapes.items()}


def number_mode_cpu() -> None:
    """The page's own reading of crafted numbers, in this process: CPU seconds and what the page says."""
    from digit_app.model import load_classifier
    from digit_app.prediction import read_number_strokes
    from digit_app.preprocess import UnreadableDrawingError
    from digit_app.ui.canvas_memory import NEW_CANDIDATES, NUMBER_LIMITS, CanvasMemory

    classifier = load_classifier()
    print(f"{'whole-number mode, crafted (in process)':<46}{'CPU s':>7}  reply")
    for count, seed in ((8, 0), (12, 1), (20, 2), (CRAFTED_STROKES, 3)):
        for name, strokes in crafted_numbers(count, seed).items():
            memory = CanvasMemory({})
            started = time.process_time()
            problem = memory.take(drawing_json(strokes, 40), NUMBER_LIMITS)
            try:
                number = read_number_strokes(memory.strokes, classifier, NUMBER_LIMITS.size, max_new=NEW_CANDIDATES)
                said = number.text if number else "nothing read"
            except UnreadableDrawingError as error:
                said = str(error)
            spent = time.process_time() - started
            print(f"{f'{count} strokes, {name}':<46}{spent:7.3f}  {problem or said}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50, help=f"honest sessions at the end (at most {MAX_SESSIONS})")
    parser.add_argument("--numbers-only", action="store_true", help="only the whole-number values, in this process")
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS}")
    if args.numbers_only:
        number_mode_cpu()
        return
    with serve(Path(__file__).resolve().parents[1] / "build" / "hostile-models", MNIST_SAMPLE) as app:
        recording = asyncio.run(record_drawing(app.url, DIGITS[4], "4"))
        asyncio.run(protocol_session(app.url, recording, digits=2, pause=0))  # warm: the model is loaded
        print(f"a stroke of the 4: {max(len(s) for s in recording.strokes)} bytes; server {app.rss_mb():.0f} MB idle")
        print(f"{'crafted canvas value':<46}{'CPU s':>7}{'peak MB':>9}{'kept MB':>9}{'visitor s':>11}  reply")
        errors = 0
        for name, value in hostile_values().items():
            reply, cpu, peak, kept, slowest = asyncio.run(one_value(app, recording, value))
            errors += len(reply.errors)
            said = (f"closed ({reply.closed}: too big)" if reply.closed is not None
                    else f"{reply.answer} " + next((t for t in reply.texts if "canvas" in t), ""))
            print(f"{name:<46}{cpu:7.2f}{peak:9.1f}{kept:9.1f}{slowest:11.2f}  {said}"
                  + (f"  ERROR BOX: {reply.errors}" if reply.errors else ""), flush=True)
        print(f"generic error boxes: {errors}")
        idle, staying, left = asyncio.run(crowd(app, recording, args.sessions))
        print(f"{args.sessions} sessions that each drew a 4: {staying:.0f} MB above the idle server "
              f"({idle:.0f} MB) while they stay, {left:.0f} MB after they left")
    number_mode_cpu()


if __name__ == "__main__":
    main()
