"""Password guesses, throttled: one compared per second in a server process, and an address that keeps guessing
wrong locked out for a while.

Every session's guesses go through the process' one `GuessThrottle` (`GUESSES`), whatever the
number of sessions; a refused guess is never compared.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from digit_app.access.operators import OperatorGate

GUESS_INTERVAL = 1.0  # seconds between two password guesses compared anywhere in this server process
GUESS_QUEUE = GUESS_INTERVAL  # seconds a guess may wait for its turn before it is refused instead
LOCKOUT_FAILURES = 10  # wrong guesses from one address within FAILURE_WINDOW (any such span) that lock it out
FAILURE_WINDOW = 15 * 60.0  # seconds within which one address's wrong guesses add up
LOCKOUT_SECONDS = 15 * 60.0  # how long a locked-out address waits before its next guess
IPV6_PREFIX = 64  # IPv6 addresses in one /64 network (one household, one machine) count as one
MAX_ADDRESSES = 10_000  # addresses remembered at once; beyond that the oldest are forgotten first


@dataclass(frozen=True)
class ThrottleLimits:
    """How fast passwords may be guessed: per process, and per address before a lockout."""

    interval: float = GUESS_INTERVAL
    queue: float = GUESS_QUEUE
    max_failures: int = LOCKOUT_FAILURES
    failure_window: float = FAILURE_WINDOW
    lockout: float = LOCKOUT_SECONDS
    max_addresses: int = MAX_ADDRESSES


@dataclass(frozen=True)
class Turn:
    """A guess's turn: compare it after `delay` seconds, or, if `wait` > 0, not at all (come back in `wait` s)."""

    delay: float = 0.0
    wait: float = 0.0

    @property
    def refused(self) -> bool:
        """True when the guess must not be compared at all."""
        return self.wait > 0


@dataclass
class _Failures:
    """One address's wrong guesses: the times of its last few, and until when it is locked out."""

    times: deque[float]  # made with maxlen `max_failures`: only the last few matter
    locked_until: float = -math.inf

    def stale(self, now: float, window: float) -> bool:
        """Whether this record no longer matters: no lockout running, no wrong guess within `window`."""
        return self.locked_until <= now and not (self.times and now - self.times[-1] <= window)


class GuessThrottle:
    """Password guesses for a whole server process: one turn per `interval`, and a lockout for failing addresses.

    Thread-safe (every session's script thread asks the one throttle); `clock` is injectable for the tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, limits: ThrottleLimits = ThrottleLimits()):
        self._clock = clock
        self.limits = limits
        self._lock = threading.Lock()
        self._next_turn = -math.inf
        self._failures: dict[str, _Failures] = {}

    def admit(self, address: str | None) -> Turn:
        """A turn for a guess from `address` (None: unknown, only the process-wide limit applies).

        The turn is counted as a wrong guess until `succeeded` says otherwise, so a flood of sessions
        from one address cannot slip past its lockout while their guesses are being compared.
        """
        with self._lock:
            now = self._clock()
            failures = self._failures_of(_address_key(address), now)
            if failures is not None and failures.locked_until > now:
                return Turn(wait=failures.locked_until - now)
            turn = max(now, self._next_turn)
            if turn - now > self.limits.queue:
                return Turn(wait=turn - now - self.limits.queue)
            self._next_turn = turn + self.limits.interval
            if failures is not None:
                self._count_failure(failures, now)
            return Turn(delay=turn - now)

    def succeeded(self, address: str | None) -> None:
        """The guess from `address` was right: forget its wrong ones (and any lockout they earned)."""
        key = _address_key(address)
        with self._lock:
            self._failures.pop(key, None)

    def _failures_of(self, key: str | None, now: float) -> _Failures | None:
        """The record of `key`'s wrong guesses, made if new (forgetting old records if too many); None for no key."""
        if key is None:
            return None
        if key not in self._failures and len(self._failures) >= self.limits.max_addresses:
            self._forget(now)
        return self._failures.setdefault(key, _Failures(deque(maxlen=self.limits.max_failures)))

    def _count_failure(self, failures: _Failures, now: float) -> None:
        """One more wrong guess: a lockout if the last `max_failures` of them fit in `failure_window`."""
        failures.times.append(now)
        if len(failures.times) == failures.times.maxlen and now - failures.times[0] <= self.limits.failure_window:
            failures.times.clear()
            failures.locked_until = now + self.limits.lockout

    def _forget(self, now: float) -> None:
        """Drop the records that no longer matter, and if still full the oldest, to keep memory bounded."""
        for key, failures in list(self._failures.items()):
            if failures.stale(now, self.limits.failure_window):
                del self._failures[key]
        while len(self._failures) >= self.limits.max_addresses:
            del self._failures[next(iter(self._failures))]


@dataclass(frozen=True)
class Guess:
    """What a password guess came to: the gate opened, or not; `wait` > 0 if it was refused unread."""

    opened: bool
    wait: float = 0.0

    @property
    def message(self) -> str:
        """The sentence for the person who guessed (empty when the gate opened)."""
        if self.opened:
            return ""
        if self.wait > 0:
            return f"Too many tries: wait {_duration(self.wait)}."
        return "That is not the operator password."


def try_password(gate: OperatorGate, password: str, address: str | None,
                 throttle: GuessThrottle, sleep: Callable[[float], None] = time.sleep) -> Guess:
    """Compare `password` when `throttle` gives it a turn; a refused guess is never compared.

    The caller's thread sleeps until its turn, at most `throttle.limits.queue` (1 s), so an
    operator typing the password is not turned away because someone else guessed a moment before.
    """
    turn = throttle.admit(address)
    if turn.refused:
        return Guess(False, turn.wait)
    if turn.delay > 0:
        sleep(turn.delay)
    if not gate.opens_for(password):
        return Guess(False)
    throttle.succeeded(address)
    return Guess(True)


def _address_key(address: str | None) -> str | None:
    """The key an address's guesses are counted under: the address, its IPv4 if mapped, its /64 for IPv6."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        host_bits = 128 - IPV6_PREFIX  # the network from the address's number: a %zone in it is left out
        return str(ipaddress.IPv6Network((int(ip) >> host_bits << host_bits, IPV6_PREFIX)))
    return str(ip)


def _duration(seconds: float) -> str:
    """A wait for a person: whole seconds rounded up, or whole minutes (rounded up) from two minutes on."""
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    return f"{math.ceil(seconds / 60)} min"


GUESSES = GuessThrottle()  # the one throttle of this server process: every session's guesses go through it
