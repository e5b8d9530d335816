"""Streamlit's own protocol without a browser: many people drawing on one server, each stroke timed.

A browser and the server talk over one websocket (`/_stcore/stream`) in protobuf messages: the
browser sends a `BackMsg` asking for a rerun with its widgets' values (the canvas' value among
them, as the canvas component sends it), and the server answers with `ForwardMsg`s (the page's
elements, then "script finished"). `record_drawing` has a real Chromium draw a digit and keeps the
messages it sent; `protocol_session` replays them over a websocket of its own, so one process can
be a hundred people drawing, and times each stroke from sending to the answer arriving.

Shared by `tests/test_protocol.py` (a few sessions) and `benchmarks/protocol_load.py` (rounds of
10 to 100). Loopback only.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from digit_app.ui.answer import MODEL_ID, NOTE_ID, answer_text, hooked
from tests.browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, Strokes, answer_of, mouse_draw_async

STROKE_TIMEOUT = 60.0  # seconds a stroke may wait for its answer before the session gives up
LOCAL_ONLY = re.compile(r"^(?!https?://127\.0\.0\.1[:/])")  # every request that would leave this machine


@dataclass(frozen=True)
class Recording:
    """What a browser sent to draw one digit: opening the page, then one rerun per stroke."""

    opening: bytes
    strokes: tuple[bytes, ...]
    expected: str  # the answer the browser read off the page after the last stroke


@dataclass(frozen=True)
class StrokeTiming:
    """One stroke sent by a protocol session, and what came back."""

    seconds: float  # from sending the stroke to the answer's element arriving (or the run finishing)
    script_ms: float | None  # the server's own time running the page for it (its page profile)
    answer: str | None  # the answer in the reply, if it sent one


def _reruns(frames: Sequence[bytes]) -> list[BackMsg]:
    messages = []
    for frame in frames:
        message = BackMsg()
        try:
            message.ParseFromString(frame)
        except Exception:  # noqa: BLE001 - a frame that is not a BackMsg is not ours to replay
            continue
        if message.WhichOneof("type") == "rerun_script":
            message.rerun_script.ClearField("cached_message_hashes")  # we keep no cache: send everything
            messages.append(message)
    return messages


def _is_stroke(message: BackMsg) -> bool:
    return any('"drawing"' in state.json_value for state in message.rerun_script.widget_states.widgets)


async def record_drawing(url: str, strokes: Strokes, expected: str) -> Recording:
    """Draw `strokes` with the mouse in Chromium on the Draw page and keep the rerun messages it sent."""
    from playwright.async_api import async_playwright, expect

    frames: list[bytes] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 900})
            await page.route(LOCAL_ONLY, lambda route: route.abort())
            page.on("websocket", lambda socket: socket.on(
                "framesent", lambda payload: frames.append(payload) if isinstance(payload, bytes) else None))
            await page.goto(url)
            answer = answer_of(page)
            await expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
            await mouse_draw_async(page, strokes, pause_ms=1000)  # each stroke answered before the next
            await expect(answer).to_have_text(expected, timeout=ANSWER_TIMEOUT_MS)
        finally:
            await browser.close()
    reruns = _reruns(frames)
    drawn = [message.SerializeToString() for message in reruns if _is_stroke(message)]
    if not reruns or len(drawn) != len(strokes):
        raise RuntimeError(f"expected the page's opening and {len(strokes)} strokes, recorded {len(reruns)} reruns "
                           f"of which {len(drawn)} strokes")
    return Recording(reruns[0].SerializeToString(), tuple(drawn), expected)


async def _until_finished(socket) -> tuple[float | None, float | None, str | None]:
    """Read the server's messages for one run: (when the answer arrived, script ms, the answer)."""
    answered = script_ms = answer = None
    while True:
        message = ForwardMsg()
        message.ParseFromString(await asyncio.wait_for(socket.recv(), STROKE_TIMEOUT))
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.new_element.WhichOneof("type") == "html" and answer is None:
            answer = answer_text(message.delta.new_element.html.body)  # the answer panel's, by its hook
            answered = time.monotonic() if answer is not None else None
        elif kind == "page_profile":
            script_ms = message.page_profile.exec_time / 1000
        elif kind == "script_finished":
            return answered or time.monotonic(), script_ms, answer


@dataclass(frozen=True)
class Reply:
    """What the server sent back for one crafted message."""

    answer: str | None  # the answer panel's answer, if the run sent one
    texts: tuple[str, ...]  # every caption, markdown and alert body of the run
    errors: tuple[str, ...]  # exception boxes (Streamlit's generic error box among them)
    closed: int | None  # the close code when the server closed the connection instead of answering
    seconds: float  # from sending to the run finishing (or the connection closing)


def with_canvas_value(stroke: bytes, value: str) -> bytes:
    """A recorded stroke message with the canvas' value replaced by `value` (any JSON text, or none at all)."""
    message = BackMsg()
    message.ParseFromString(stroke)
    for state in message.rerun_script.widget_states.widgets:
        if "-canvas-" in state.id:
            state.json_value = value
    return message.SerializeToString()


async def _reply(socket, sent: float) -> Reply:
    """Read the server's messages for one run, keeping the answer, the texts and any error box."""
    from websockets.exceptions import ConnectionClosed

    answer, texts, errors = None, [], []
    try:
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(socket.recv(), STROKE_TIMEOUT))
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                shown = element.WhichOneof("type")
                if shown == "html" and answer is None and answer_text(element.html.body) is not None:
                    answer = answer_text(element.html.body)  # the answer panel's, by its hook
                    shown_texts = hooked(element.html.body)  # its note (why there is no answer) and its model line
                    texts += [shown_texts[name] for name in (NOTE_ID, MODEL_ID) if name in shown_texts]
                elif shown == "markdown":
                    texts.append(element.markdown.body)
                elif shown == "alert":
                    texts.append(element.alert.body)
                elif shown == "exception":
                    errors.append(f"{element.exception.type}: {element.exception.message}")
            elif kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return Reply(answer, tuple(texts), tuple(errors), None, time.monotonic() - sent)
            elif kind == "script_finished":  # the page asked for a run of its own (a new canvas): read that one
                answer, texts = None, []
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else -1
        return Reply(answer, tuple(texts), tuple(errors), code, time.monotonic() - sent)


async def send_canvas_values(url: str, recording: Recording, values: Sequence[str]) -> list[Reply]:
    """One session: open the Draw page, then send each canvas value in turn (a new session after a closed one)."""
    from websockets.asyncio.client import connect

    socket_url = url.replace("http://", "ws://") + "/_stcore/stream"
    replies: list[Reply] = []
    remaining = list(values)
    while remaining:
        async with connect(socket_url, subprotocols=["streamlit"], origin=url, max_size=None) as socket:
            await socket.send(recording.opening)
            await _until_finished(socket)
            while remaining:
                sent = time.monotonic()
                await socket.send(with_canvas_value(recording.strokes[-1], remaining.pop(0)))
                replies.append(await _reply(socket, sent))
                if replies[-1].closed is not None:
                    break
    return replies


async def protocol_session(url: str, recording: Recording, digits: int = 1, pause: float = 0.5,
                           start_after: float = 0.0, headers: dict[str, str] | None = None) -> list[StrokeTiming]:
    """One person at the protocol level: open the Draw page, then draw the recorded digit `digits` times.

    Each stroke waits for its answer, then `pause` seconds, as a person's next stroke would. `headers` go with
    the websocket's opening request (a proxy's cookie, say).
    """
    from websockets.asyncio.client import connect

    await asyncio.sleep(start_after)
    socket_url = url.replace("http://", "ws://") + "/_stcore/stream"
    timings = []
    async with connect(socket_url, subprotocols=["streamlit"], origin=url, max_size=None,
                       additional_headers=headers) as socket:
        await socket.send(recording.opening)
        await _until_finished(socket)
        for _ in range(digits):
            for stroke in recording.strokes:
                sent = time.monotonic()
                await socket.send(stroke)
                answered, script_ms, answer = await _until_finished(socket)
                timings.append(StrokeTiming(answered - sent, script_ms, answer))
                await asyncio.sleep(pause)
    return timings


async def drawing_reply(url: str, recording: Recording, headers: dict[str, str] | None = None) -> Reply:
    """One session opens the Draw page and draws the recorded digit: what the server sent after the last stroke
    (its answer, texts and error boxes). `headers` go with the websocket's opening request."""
    from websockets.asyncio.client import connect

    socket_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with connect(socket_url, subprotocols=["streamlit"], origin=url, max_size=None,
                       additional_headers=headers) as socket:
        await socket.send(recording.opening)
        await _until_finished(socket)
        replies = []
        for stroke in recording.strokes:
            sent = time.monotonic()
            await socket.send(stroke)
            replies.append(await _reply(socket, sent))
    return replies[-1]
