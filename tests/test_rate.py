"""Rate limits on saving corrections, per session and per server process, on an injected clock (no waiting)."""

from __future__ import annotations

from digit_app.access.rate import (
    PROCESS_REFUSED,
    PROCESS_SAVES,
    SESSION_SAVES,
    Rate,
    TokenBucket,
    admit_save,
    process_saves,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_saves_once_every_two_seconds():
    clock = Clock()
    session = TokenBucket(SESSION_SAVES, clock)
    assert session.take() is True
    assert session.take() is False
    clock.now += 1.9
    assert session.take() is False
    clock.now += 0.1
    assert session.take() is True


def test_a_long_pause_gives_no_more_than_the_burst():
    clock = Clock()
    bucket = TokenBucket(Rate(per_second=2.0, burst=2), clock)
    clock.now += 3600
    assert [bucket.take() for _ in range(3)] == [True, True, False]


def test_the_process_limit_holds_whatever_the_number_of_sessions():
    clock = Clock()
    process = TokenBucket(PROCESS_SAVES, clock)
    sessions = [TokenBucket(SESSION_SAVES, clock) for _ in range(10)]
    outcomes = [admit_save(session, process) for session in sessions]
    assert outcomes[:2] == [None, None]  # two a second for the whole server
    assert outcomes[2:] == [PROCESS_REFUSED] * 8
    clock.now += 0.5
    assert admit_save(sessions[2], process) is None  # one more after half a second


def test_a_refused_save_spends_nobody_s_allowance():
    clock = Clock()
    process = TokenBucket(Rate(per_second=1.0, burst=1), clock)
    first, second = TokenBucket(SESSION_SAVES, clock), TokenBucket(SESSION_SAVES, clock)
    assert admit_save(first, process) is None
    assert admit_save(second, process) == PROCESS_REFUSED  # the process is spent: the session keeps its token
    refusal = admit_save(first, process)
    assert refusal is not None and "one correction every 2 seconds" in refusal
    clock.now += 1.0
    assert admit_save(second, process) is None  # its token was kept; the process refilled


def test_one_bucket_per_process():
    assert process_saves() is process_saves()
