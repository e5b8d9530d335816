"""The protocol client against a real server: what Chromium sent, replayed by a few sessions at once,
and crafted canvas values sent in its place by a client of its own."""

from __future__ import annotations

import asyncio
import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from tests.browser import serve
from tests.canvas_values import hostile_values
from tests.paths import MNIST_SAMPLE, SMALL_PEN_DIGITS
from tests.protocol import protocol_session, record_drawing, send_canvas_values
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

TOO_BIG = 1009  # the websocket close code for a message over the server's limit
CPU_BUDGET = 0.4  # server CPU seconds per crafted value, at most, on average (a slow CI machine's margin)
MEMORY_BUDGET_MB = 50  # growth of the server's memory over all the crafted values


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("models"), MNIST_SAMPLE, usage_stats=True, env=SMALL_PEN_DIGITS) as running:
        yield running


@pytest.fixture(scope="module")
def recording(app):
    """A 4 drawn in Chromium (two strokes): the messages its browser sent."""
    return asyncio.run(record_drawing(app.url, DIGITS[4], "4"))


def test_three_protocol_sessions_each_get_their_own_answer_to_every_stroke(app, recording):
    """The recorded 4, replayed twice by each of three sessions at once."""
    assert len(recording.strokes) == 2 and recording.expected == "4"
    assert max(len(frame) for frame in recording.strokes) < 10_000  # strokes only: no image crosses the network
    for frame in recording.strokes:  # a stroke reruns the canvas' fragment, not the whole page
        message = BackMsg()
        message.ParseFromString(frame)
        assert message.rerun_script.fragment_id

    async def crowd():
        return await asyncio.gather(*(protocol_session(app.url, recording, digits=2, pause=0.1) for _ in range(3)))

    sessions = asyncio.run(crowd())
    assert [len(timings) for timings in sessions] == [4, 4, 4]  # every stroke answered, none lost
    for timings in sessions:
        assert [t.answer for t in timings[1::2]] == ["4", "4"]  # each finished 4 read as Chromium read it
        assert all(t.seconds > 0 and t.script_ms is not None and t.script_ms > 0 for t in timings)


def test_no_crafted_canvas_value_gets_an_error_box_or_weighs_on_the_server(app, recording):
    """Every crafted value gets a sentence, an answer or (over the size limit) a closed connection; never
    the generic error box. Meanwhile the server's CPU and memory stay within budget, and afterwards a
    visitor drawing honestly still gets the right answer."""
    values = hostile_values()
    cpu, memory = app.cpu_seconds(), app.rss_mb()
    replies = asyncio.run(send_canvas_values(app.url, recording, list(values.values())))
    used, grown = app.cpu_seconds() - cpu, app.rss_mb() - memory
    assert len(replies) == len(values)
    for name, reply in zip(values, replies):
        assert not reply.errors, f"{name}: {reply.errors}"
        if reply.closed is not None:
            assert reply.closed == TOO_BIG and len(values[name]) > 1_000_000, name
        else:
            assert reply.answer in ("—", "7"), f"{name}: {reply.answer}"  # refused, or the honest 7 beside it
        if reply.answer == "—":  # said why, or shown as the empty canvas it became
            assert any("canvas" in text or text.startswith("Nothing drawn yet") for text in reply.texts), name
    assert used < CPU_BUDGET * len(values), f"{used:.2f} s of server CPU for {len(values)} values"
    assert grown < MEMORY_BUDGET_MB, f"the server grew {grown:.0f} MB"
    (honest,) = asyncio.run(protocol_session(app.url, recording, digits=1, pause=0))[-1:]
    assert honest.answer == "4"
