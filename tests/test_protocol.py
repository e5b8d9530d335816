"""The protocol client against a real server: what Chromium sent, replayed by a few sessions at once."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from tests.browser import serve
from tests.conftest import MNIST_SAMPLE
from tests.protocol import protocol_session, record_drawing
from tests.strokes import DIGITS


@pytest.fixture(scope="module")
def app():
    with serve(Path(tempfile.mkdtemp()), MNIST_SAMPLE, usage_stats=True) as running:
        yield running


def test_three_protocol_sessions_each_get_their_own_answer_to_every_stroke(app):
    """A 4 drawn in Chromium (two strokes), replayed twice by each of three sessions at once."""
    recording = asyncio.run(record_drawing(app.url, DIGITS[4], "4"))
    assert len(recording.strokes) == 2 and recording.expected == "4"
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
