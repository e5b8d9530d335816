"""Password guesses throttled for a whole server process: one compared a second, lockouts for failing addresses."""

from __future__ import annotations

import threading

import pytest

from digit_app.access.guesses import (GUESSES, LOCKOUT_FAILURES, LOCKOUT_SECONDS, Guess, GuessThrottle,
                                      ThrottleLimits, try_password)
from digit_app.access.operators import OperatorGate

PASSWORD = "correct horse"


class FakeClock:
    """A clock the test moves by hand; its `sleep` moves it too."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class CountingGate:
    """An operator gate that counts the passwords it was asked to compare."""

    def __init__(self):
        self.gate, self.compared = OperatorGate(PASSWORD), []

    def opens_for(self, password: str) -> bool:
        self.compared.append(password)
        return self.gate.opens_for(password)


def test_the_server_process_has_one_throttle_with_the_named_limits():
    assert isinstance(GUESSES, GuessThrottle) and GUESSES.limits == ThrottleLimits()
    assert (GUESSES.limits.interval, LOCKOUT_FAILURES, LOCKOUT_SECONDS) == (1.0, 10, 900.0)


def test_fifty_sessions_get_at_most_one_guess_a_second_from_any_addresses():
    clock = FakeClock()
    throttle = GuessThrottle(clock)
    addresses = [f"203.0.113.{n}" for n in range(25)] + ["198.51.100.7"] * 20 + [None] * 5  # 50 sessions
    compared_at = []
    for _ in range(300):  # 30 s, every session guessing every 0.1 s
        for address in addresses:
            turn = throttle.admit(address)
            if not turn.refused:
                compared_at.append(clock.now + turn.delay)
        clock.now += 0.1
    gaps = [later - earlier for earlier, later in zip(compared_at, compared_at[1:])]
    assert min(gaps) >= 1.0 - 1e-9
    assert 29 <= len(compared_at) <= 31  # the limit, and not much less: guessing is slowed, not stopped


def test_fifty_threads_guessing_at_one_moment_get_two_turns_and_the_rest_are_not_compared():
    clock, gate = FakeClock(), CountingGate()
    throttle, start = GuessThrottle(clock), threading.Barrier(50)
    slept, guesses = [], []

    def session(n: int) -> None:
        start.wait()
        guesses.append(try_password(gate, f"guess {n}", "198.51.100.7" if n % 2 else f"203.0.113.{n}",
                                    throttle, sleep=slept.append))

    threads = [threading.Thread(target=session, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(gate.compared) == 2 and sorted(slept) == [1.0]  # one now, one queued a second later
    refused = [guess for guess in guesses if guess.wait > 0]
    assert len(refused) == 48 and all(guess.message == "Too many tries: wait 1 s." for guess in refused)


def test_an_address_is_locked_out_after_repeated_failures_and_its_guesses_are_not_compared():
    clock, gate = FakeClock(), CountingGate()
    throttle = GuessThrottle(clock)
    for n in range(LOCKOUT_FAILURES):
        assert try_password(gate, f"wrong {n}", "198.51.100.7", throttle, clock.sleep) == Guess(False)
        clock.now += 1.0
    locked_out = try_password(gate, PASSWORD, "198.51.100.7", throttle, clock.sleep)
    assert not locked_out.opened and locked_out.message == "Too many tries: wait 15 min."
    assert PASSWORD not in gate.compared and len(gate.compared) == LOCKOUT_FAILURES
    assert try_password(gate, PASSWORD, "203.0.113.1", throttle, clock.sleep).opened  # others are not locked out
    clock.now += LOCKOUT_SECONDS
    assert try_password(gate, PASSWORD, "198.51.100.7", throttle, clock.sleep).opened  # the wait is over


def test_the_right_password_opens_and_forgets_the_failures_before_it():
    clock, gate = FakeClock(), CountingGate()
    throttle = GuessThrottle(clock)
    for _ in range(LOCKOUT_FAILURES - 1):
        assert try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep) == Guess(False)
    assert try_password(gate, PASSWORD, "198.51.100.7", throttle, clock.sleep).opened
    for _ in range(LOCKOUT_FAILURES - 1):  # the count started again: nine more are not a lockout
        assert try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep) == Guess(False)
    assert len(gate.compared) == 2 * LOCKOUT_FAILURES - 1


def test_a_guess_waits_for_its_turn_rather_than_being_turned_away():
    clock, gate = FakeClock(), CountingGate()
    throttle = GuessThrottle(clock)
    assert try_password(gate, "wrong", None, throttle, clock.sleep) == Guess(False)
    before = clock.now
    assert try_password(gate, PASSWORD, None, throttle, clock.sleep).opened  # the operator, a moment later
    assert clock.now - before == pytest.approx(1.0)


def test_wrong_guesses_far_apart_never_lock_an_address_out():
    clock, gate = FakeClock(), CountingGate()
    throttle = GuessThrottle(clock)
    for _ in range(3 * LOCKOUT_FAILURES):
        assert try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep).wait == 0
        clock.now += 101.0  # any ten of them span more than a quarter of an hour


def test_ten_wrong_guesses_in_any_quarter_of_an_hour_lock_an_address_out():
    clock, gate = FakeClock(), CountingGate()
    throttle = GuessThrottle(clock)
    try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep)
    clock.now += 890.0
    for _ in range(LOCKOUT_FAILURES - 2):  # nine within the first quarter of an hour from the first
        try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep)
    clock.now += 5.0
    assert try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep).wait == 0  # ten over 900+ s
    # the last ten within 12 s: locked out
    assert try_password(gate, "wrong", "198.51.100.7", throttle, clock.sleep).wait == 0
    assert try_password(gate, PASSWORD, "198.51.100.7", throttle, clock.sleep).wait > 0


def test_unknown_addresses_share_only_the_process_limit_and_ipv6_counts_by_network():
    clock = FakeClock()
    throttle = GuessThrottle(clock)
    for _ in range(3 * LOCKOUT_FAILURES):  # localhost, or a proxy on this machine: never locked out
        assert not throttle.admit(None).refused
        clock.now += 1.0
    for n in range(LOCKOUT_FAILURES):  # one /64 network, many addresses: one lockout
        assert not throttle.admit(f"2001:db8:1:2::{n + 1:x}").refused
        clock.now += 1.0
    assert throttle.admit("2001:db8:1:2:ffff::1").refused and not throttle.admit("2001:db8:1:3::1").refused


@pytest.mark.parametrize("address, same_as", [
    ("fe80::1%eth0", "fe80::2"), ("::ffff:192.0.2.1", "192.0.2.1"), ("2001:db8:0:0:1::1", "2001:db8::2"),
])
def test_addresses_are_counted_by_what_one_client_holds(address, same_as):
    clock = FakeClock()
    throttle = GuessThrottle(clock)
    for _ in range(LOCKOUT_FAILURES):
        throttle.admit(address)
        clock.now += 1.0
    assert throttle.admit(same_as).refused


def test_the_addresses_remembered_are_bounded():
    clock = FakeClock()
    throttle = GuessThrottle(clock, ThrottleLimits(max_addresses=3))
    for n in range(20):
        throttle.admit(f"203.0.113.{n}")
        clock.now += 1.0
    assert len(throttle._failures) <= 3


@pytest.mark.parametrize("guess, message", [
    (Guess(True), ""),
    (Guess(False), "That is not the operator password."),
    (Guess(False, 0.2), "Too many tries: wait 1 s."),
    (Guess(False, 61.5), "Too many tries: wait 62 s."),
    (Guess(False, 899.0), "Too many tries: wait 15 min."),
])
def test_every_answer_to_a_guess_is_one_sentence(guess, message):
    assert guess.message == message
