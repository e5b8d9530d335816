"""How often visitors may save a correction: a limit per session and one for the whole server process.

Each limit is a token bucket: it holds up to `burst` tokens, gains `per_second` of them each second,
and a save takes one from the session's bucket and one from the process's, or from neither (a
refused save spends nobody's allowance). The clock is injected, so the limits are tested without
waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

Clock = Callable[[], float]  # seconds, never going backwards (time.monotonic)


@dataclass(frozen=True)
class Rate:
    """At most `burst` at once, then `per_second` a second."""

    per_second: float
    burst: int = 1


SESSION_SAVES = Rate(per_second=0.5)  # one correction every 2 s from one session
PROCESS_SAVES = Rate(per_second=2.0, burst=2)  # two a second from all the sessions of one server process
SESSION_REFUSED = "Saved too fast: one correction every {seconds:.0f} seconds. Wait a moment and save it again."
PROCESS_REFUSED = "Many people are saving corrections right now: wait a moment and save it again."


class TokenBucket:
    """A rate limit: `take` says whether one more action fits, and spends a token if it does."""

    def __init__(self, rate: Rate, clock: Clock = time.monotonic) -> None:
        self.rate, self._clock = rate, clock
        self._tokens, self._last = float(rate.burst), clock()
        self.lock = threading.Lock()

    def take(self) -> bool:
        """Spend one token if there is one; False (nothing spent) if not."""
        return take_together(self)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.rate.burst), self._tokens + (now - self._last) * self.rate.per_second)
        self._last = now

    def _ready(self) -> bool:
        self._refill()
        return self._tokens >= 1.0


def take_together(*buckets: TokenBucket) -> bool:
    """Take one token from every bucket, or from none when any is empty: a refused action spends nothing."""
    with ExitStack() as stack:
        for bucket in buckets:  # always in the order given (session, then process): no two callers deadlock
            stack.enter_context(bucket.lock)
        if not all([bucket._ready() for bucket in buckets]):  # a list: every bucket refills, even after an empty one
            return False
        for bucket in buckets:
            bucket._tokens -= 1.0
        return True


def admit_save(session: TokenBucket, process: TokenBucket) -> str | None:
    """None if one more correction may be saved now (its tokens taken), else the sentence saying why not."""
    if take_together(session, process):
        return None
    with session.lock:
        session_empty = not session._ready()
    if session_empty:
        return SESSION_REFUSED.format(seconds=1 / session.rate.per_second)
    return PROCESS_REFUSED


_process_lock = threading.Lock()
_process_saves: TokenBucket | None = None


def process_saves() -> TokenBucket:
    """The bucket every session of this server process shares for saving corrections."""
    global _process_saves
    with _process_lock:
        if _process_saves is None:
            _process_saves = TokenBucket(PROCESS_SAVES)
        return _process_saves
