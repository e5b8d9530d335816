"""Several browser sessions drawing at once against one server, idle and while another trains.

The answer times are reported by `benchmarks/load.py` (20 sessions); here each session must get
its own right answer.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.browser import serve, sessions_drawing
from tests.paths import MNIST_SAMPLE, SMALL_PEN_DIGITS
from tests.strokes import DIGITS

pytestmark = pytest.mark.browser

SESSIONS = 6


@pytest.mark.parametrize("while_training", [False, pytest.param(True, marks=pytest.mark.slow)],  # it trains: slow too
                         ids=["idle", "while-training"])
def test_sessions_drawing_at_once_each_read_their_own_digit(tmp_path, while_training):
    digits = [list(DIGITS)[i % len(DIGITS)] for i in range(SESSIONS)]
    with serve(tmp_path, MNIST_SAMPLE, env=SMALL_PEN_DIGITS) as app:
        timings = asyncio.run(sessions_drawing(app.url, [(DIGITS[d], str(d)) for d in digits], while_training))
    assert [t.answer for t in timings] == [str(d) for d in digits]
