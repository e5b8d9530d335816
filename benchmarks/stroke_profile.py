"""Where the server's time per stroke goes: py-spy samples the app while protocol sessions draw.

    python benchmarks/stroke_profile.py [--sessions 10] [--seconds 30] [--rate 200] [--gil] [--keep FILE]
    python benchmarks/stroke_profile.py --sessions 50 --no-spy   # the server's CPU per stroke and the answer times

Starts the app with `streamlit run` on 127.0.0.1, has Chromium draw a two-stroke 4 once (the messages
it sent are replayed, tests/protocol.py), then `--sessions` protocol sessions draw that 4 again and
again (a stroke every 0.5 s after its answer) while py-spy samples the server's threads on the CPU
for `--seconds` (the sessions open over 10 s first). Prints the strokes answered, their waits (sent
to the run's end) median and p95, the server's CPU seconds per stroke answered (from /proc) and the
load average; and the share of the sampled CPU time under each part of a stroke's rerun (a part's
share includes what it calls; parts nest, so shares do not add up), each also as milliseconds of CPU
per stroke. `--gil` keeps only samples of a thread holding the GIL: the one core all the server's
Python shares, so what limits how many strokes a second one process answers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import serve  # noqa: E402
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.protocol import Recording, protocol_session, record_drawing  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402

PY_SPY = Path(sys.executable).with_name("py-spy")
MAX_SESSIONS = 100
OPENING_S = 10  # the sessions open one after another over this many seconds (as benchmarks/answer_latency.py)
# (label, what a frame's text contains): a sample counts for a part when any frame of its stack matches.
PARTS = (
    ("script thread: the whole rerun (ScriptRunner._run_script)", "_run_script ("),
    ("  the Draw page's fragment (drawing_area)", "drawing_area ("),
    ("    the canvas mounted (st_canvas)", "st_canvas ("),
    ("    its value checked and kept (CanvasMemory.take)", "take (digit_app/ui/canvas_memory"),
    ("    the active model asked for (get_classifier)", "get_classifier ("),
    ("      the database's active version (active_model)", "active_model ("),
    ("    the strokes drawn to pixels (CanvasMemory.drawing)", "drawing (digit_app/ui/canvas_memory"),
    ("    read_digit (to_mnist, both models)", "read_digit ("),
    ("      to_mnist", "to_mnist ("),
    ("      the models (predict_drawing)", "predict_drawing ("),
    ("    the answer's HTML built (digit_panel)", "digit_panel ("),
    ("    widgets: slider, button, toggle, pills (register_widget)", "register_widget ("),
    ("    elements sent (_enqueue / enqueue)", "_enqueue ("),
    ("    Why switch (why)", "why (digit_app/ui/draw"),
    ("    correction box (correction_box)", "correction_box ("),
    ("  session state and widget values at the run's start (on_script_will_rerun)", "on_script_will_rerun ("),
    ("event loop: messages in and out (tornado, protobuf, websocket)", "_run_once ("),
    ("  a message to the browser serialised (serialize_forward_msg)", "serialize_forward_msg ("),
    ("  a browser's message handled (handle_backmsg / on_message)", "on_message ("),
)


# A thread whose top frame is one of these waits (py-spy samples threads in a blocking call as active).
IDLE = ("EpollSelector.select (", "Condition.wait (", "PollingPathWatcher._schedule.<locals>.task (",
        "_worker (concurrent/futures/thread", "Event.wait (", "select (", "sleep (")


async def recorded(url: str, keep: Path) -> Recording:
    """Chromium's messages for a two-stroke 4, recorded once per version of the page's code and kept in `keep`.

    The widgets' ids in them follow the page's code, so a change to digit_app/ui records them again.
    """
    root = Path(__file__).resolve().parents[1]
    code = hashlib.sha256(b"".join(path.read_bytes() for path in sorted((root / "digit_app" / "ui").glob("*.py"))))
    name = keep / f"recording-{code.hexdigest()[:16]}.json"
    if name.is_file():
        saved = json.loads(name.read_text())
        return Recording(base64.b64decode(saved["opening"]), tuple(base64.b64decode(s) for s in saved["strokes"]),
                         saved["expected"])
    recording = await record_drawing(url, DIGITS[4], "4")
    keep.mkdir(parents=True, exist_ok=True)
    name.write_text(json.dumps({"opening": base64.b64encode(recording.opening).decode(), "expected": "4",
                                "strokes": [base64.b64encode(s).decode() for s in recording.strokes]}))
    return recording


@dataclass
class Window:
    """What the server did while it was watched."""

    strokes: int  # strokes answered
    cpu: float  # the server's CPU seconds (user + system)
    wall: float  # seconds
    answers: list[float]  # each stroke's wait, from sending it to the end of its run, in seconds
    load: float  # the machine's load average over the last minute, at the end
    harness: float  # CPU seconds this process (the sessions' client side) used meanwhile


async def load(url: str, sessions: int, seconds: float, pid: int, spy_args: list[str] | None) -> Window:
    """Sessions drawing while the server is watched (and sampled by py-spy, given its arguments)."""
    recording = await recorded(url, Path(__file__).resolve().parents[1] / "build" / "recordings")
    warm = await asyncio.gather(*(protocol_session(url, recording, digits=2) for _ in range(3)))
    assert all(timing.answer for timings in warm for timing in timings[-1:]), "the warm-up got no answer"
    watching, answers = [False], []

    async def person(start_after: float) -> None:
        from websockets.asyncio.client import connect

        from tests.protocol import _until_finished

        await asyncio.sleep(start_after)
        socket_url = url.replace("http://", "ws://") + "/_stcore/stream"
        async with connect(socket_url, subprotocols=["streamlit"], origin=url, max_size=None) as socket:
            await socket.send(recording.opening)
            await _until_finished(socket)
            while True:
                for stroke in recording.strokes:
                    sent = time.monotonic()
                    await socket.send(stroke)
                    await _until_finished(socket)
                    if watching[0]:
                        answers.append(time.monotonic() - sent)
                    await asyncio.sleep(0.5)

    crowd = [asyncio.ensure_future(person(i * OPENING_S / sessions)) for i in range(sessions)]
    await asyncio.sleep(OPENING_S + 3)  # all of them drawing
    spy = None if spy_args is None else subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)), *spy_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watching[0], cpu, started, own = True, cpu_seconds(pid), time.monotonic(), time.process_time()
    await asyncio.sleep(seconds)
    watching[0] = False
    window = Window(len(answers), cpu_seconds(pid) - cpu, time.monotonic() - started, list(answers),
                    os.getloadavg()[0], time.process_time() - own)
    for task in crowd:
        task.cancel()
    await asyncio.gather(*crowd, return_exceptions=True)
    if spy is not None:
        await asyncio.get_running_loop().run_in_executor(None, spy.wait)
    return window


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def breakdown(raw: Path) -> tuple[int, dict[str, int], collections.Counter]:
    """Samples in all, samples under each part, and samples by the function on top (its own time)."""
    total, parts, own = 0, dict.fromkeys((label for label, _ in PARTS), 0), collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples, frames = int(count), stack.split(";")
        if any(frames[-1].startswith(idle) for idle in IDLE):
            continue
        total += samples
        for label, needle in PARTS:
            if any(needle in frame for frame in frames):
                parts[label] += samples
        own[frames[-1]] += samples
    return total, parts, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help=f"protocol sessions drawing (1 to {MAX_SESSIONS})")
    parser.add_argument("--seconds", type=float, default=30, help="how long py-spy samples (5 to 300)")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples a second (10 to 1000)")
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw stacks in this file")
    parser.add_argument("--no-spy", action="store_true", help="no py-spy: only the server's CPU and the answer times")
    parser.add_argument("--gil", action="store_true",
                        help="only samples holding the GIL (the one core Python's threads share)")
    parser.add_argument("--top", type=int, default=15, help="how many functions to list by their own time")
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS or not 5 <= args.seconds <= 300 or not 10 <= args.rate <= 1000:
        parser.error(f"--sessions 1 to {MAX_SESSIONS}, --seconds 5 to 300, --rate 10 to 1000")
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        raw = args.keep or Path(folder) / "stacks.txt"
        spy_args = None if args.no_spy else ["--rate", str(args.rate), "--format", "raw", "--output", str(raw),
                                             "--threads", *(["--gil"] if args.gil else [])]
        with serve(root / "build" / "profile-models", MNIST_SAMPLE) as app:
            window = asyncio.run(load(app.url, args.sessions, args.seconds, app.pid, spy_args))
        total, parts, own = breakdown(raw) if spy_args is not None else (0, {}, collections.Counter())
    per_stroke_ms = 1000 * window.cpu / max(window.strokes, 1)
    answers = np.array(window.answers or [float("nan")]) * 1000
    print(f"{args.sessions} sessions, {window.wall:.0f} s{' under py-spy' if spy_args else ''}, load average "
          f"{window.load:.1f}: {window.strokes} strokes answered ({window.strokes / window.wall:.1f}/s), "
          f"each in {np.median(answers):.0f} ms median, {np.percentile(answers, 95):.0f} ms p95; server CPU "
          f"{window.cpu:.1f} s ({window.cpu / window.wall:.0%} of a core) = {per_stroke_ms:.1f} ms of CPU per stroke; "
          f"the sessions' own side {window.harness / window.wall:.0%} of a core")
    if spy_args is None:
        return
    print(f"py-spy: {total} samples on the CPU at {args.rate}/s{' holding the GIL' if args.gil else ''}")
    for label, samples in parts.items():
        share = samples / max(total, 1)
        print(f"{label:<82} {share:6.1%}  {share * per_stroke_ms:6.1f} ms/stroke")
    print(f"by own time (top {args.top}):")
    for frame, samples in own.most_common(args.top):
        print(f"  {samples / max(total, 1):6.1%}  {frame[:140]}")


if __name__ == "__main__":
    main()
