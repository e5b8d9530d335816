"""The operator gate: who may train, switch or delete models, and export, import or delete corrections.

Drawing, reading photos and saving a correction are for everyone. The actions that change what
everyone gets, or hand out everyone's drawings, are for the operator once a deployment is locked:
by a password (`operator_password` in `.streamlit/secrets.toml`, or `$DIGIT_APP_OPERATOR_PASSWORD`),
or by the e-mail addresses in `operator_emails` when Streamlit's login (`st.login`) is set up.

The gate fails closed. With no secrets file and no environment variable the app is unlocked, as a
local run on one's own machine should be. A secrets file that exists but cannot be read, or whose
operator settings are missing, empty, false, misspelled, of the wrong type or inside a section,
keeps the operator's actions locked for everyone, with a sentence saying why.

Password guesses go through one `GuessThrottle` per server process (`GUESSES`): one guess is
compared per second whatever the number of sessions, and an address that keeps guessing wrong is
locked out for a while. A refused guess is never compared.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import ipaddress
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from digit_app.errors import DigitAppError
from digit_app.settings import ENV_PASSWORD, Settings
from digit_app.settings import current as current_settings

PASSWORD_KEY = "operator_password"
EMAILS_KEY = "operator_emails"
OPERATOR_KEYS = (PASSWORD_KEY, EMAILS_KEY)
MIN_PASSWORD = 8  # characters; a shorter operator password is refused as a setting
NEAR_MISS = 0.8  # difflib's likeness above which a key counts as a misspelt operator setting
SHOWN_KEY_CHARS = 40  # a key from the secrets file is named in a message cut to this length
LOCKED = "the operator's actions stay locked"

GUESS_INTERVAL = 1.0  # seconds between two password guesses compared anywhere in this server process
GUESS_QUEUE = GUESS_INTERVAL  # seconds a guess may wait for its turn before it is refused instead
LOCKOUT_FAILURES = 10  # wrong guesses from one address within FAILURE_WINDOW (any such span) that lock it out
FAILURE_WINDOW = 15 * 60.0  # seconds within which one address's wrong guesses add up
LOCKOUT_SECONDS = 15 * 60.0  # how long a locked-out address waits before its next guess
IPV6_PREFIX = 64  # IPv6 addresses in one /64 network (one household, one machine) count as one
MAX_ADDRESSES = 10_000  # addresses remembered at once; beyond that the oldest are forgotten first

UNREADABLE = f"The secrets file cannot be read as TOML, so {LOCKED} until it is mended."
MISSING = (f"The secrets file sets neither {PASSWORD_KEY} nor {EMAILS_KEY} at its top level, "
           f"so {LOCKED} until it sets one.")


class AccessSettingsError(DigitAppError, ValueError):
    """The gate's settings cannot be used; the message says which and why."""


class UnreadableSecretsError(AccessSettingsError):
    """The secrets file exists but cannot be read or parsed."""


class MissingOperatorSettingError(AccessSettingsError):
    """The secrets file exists but sets no operator password or e-mail addresses."""


class MisplacedSettingError(AccessSettingsError):
    """An operator setting is misspelt or sits inside a TOML section, where it is not read."""


@dataclass(frozen=True)
class SecretsFile:
    """What reading Streamlit's secrets gave: no file, a file that cannot be read (`settings` None), or its settings."""

    exists: bool
    settings: Mapping[str, Any] | None = None

    @classmethod
    def read(cls, settings: Mapping[str, Any]) -> SecretsFile:
        """A secrets file that was read, with its settings."""
        return cls(True, dict(settings))

    @classmethod
    def after_error(cls, paths: Iterable[str]) -> SecretsFile:
        """Reading failed: a broken file if any of the secrets paths exists (even a dangling link), else no file."""
        return cls(any(os.path.lexists(path) for path in paths))


NO_SECRETS_FILE = SecretsFile(False)


@dataclass(frozen=True)
class OperatorGate:
    """What opens the gate: a password, operators' e-mail addresses (with `st.login`), or nothing (unlocked).

    A gate with a `problem` is shut for everyone: nothing opens it, and `problem` says why.
    """

    password: str | None = None
    emails: frozenset[str] = frozenset()
    problem: str | None = None

    @classmethod
    def closed(cls, problem: str) -> OperatorGate:
        """A gate nothing opens, because its settings cannot be used (`problem` says why)."""
        return cls(problem=problem)

    @classmethod
    def from_secrets(cls, secrets: SecretsFile, environment: Settings | None = None) -> OperatorGate:
        """The gate the secrets file and the environment describe; never raises: a problem closes it."""
        try:
            if secrets.exists and secrets.settings is None:
                raise UnreadableSecretsError(UNREADABLE)
            return cls.from_settings(secrets.settings, environment)
        except AccessSettingsError as problem:
            return cls.closed(str(problem))

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None,
                      environment: Settings | None = None) -> OperatorGate:
        """The gate a secrets file's settings (None: there is no file) and the environment describe.

        Raises `AccessSettingsError` (a subclass saying which) if they cannot be used.
        """
        _refuse_misplaced(settings or {})
        password = _password(settings or {}, environment or current_settings())
        emails = _emails(settings or {})
        if settings is not None and password is None and not emails:
            raise MissingOperatorSettingError(MISSING)
        return cls(password, emails)

    @property
    def locked(self) -> bool:
        """True when a password or operators are set, or the settings are broken: the operator's actions need one."""
        return bool(self.problem or self.password or self.emails)

    def opens_for(self, password: str) -> bool:
        """Whether `password` is the operator's, compared in constant time; never for a broken gate."""
        if self.problem or not self.password:
            return False
        given, expected = (hashlib.sha256(text.encode()).digest() for text in (password, self.password))
        return hmac.compare_digest(given, expected)

    def admits(self, email: str | None) -> bool:
        """Whether a logged-in person with this e-mail address is an operator; never for a broken gate."""
        return not self.problem and bool(email) and email.strip().lower() in self.emails


def _password(settings: Mapping[str, Any], environment: Settings) -> str | None:
    """The operator password from the secrets file, else the environment; None if neither sets one."""
    if PASSWORD_KEY in settings:
        return _checked_password(settings[PASSWORD_KEY], PASSWORD_KEY)
    if environment.operator_password is not None:  # set, even to nothing: someone meant to lock the app
        return _checked_password(environment.operator_password, f"${ENV_PASSWORD}")
    return None


def _checked_password(value: Any, name: str) -> str:
    """`value` if it is a usable password; else `AccessSettingsError` naming `name`, never the value."""
    if value is False or (isinstance(value, str) and not value.strip()):
        raise AccessSettingsError(f"{name} is empty or false, so {LOCKED} "
                                  f"until it is a passphrase of at least {MIN_PASSWORD} characters.")
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise AccessSettingsError(f"{name} must be text of at least {MIN_PASSWORD} characters, in quotes, "
                                  f"so {LOCKED} until it is.")
    return value


def _emails(settings: Mapping[str, Any]) -> frozenset[str]:
    """The operators' e-mail addresses (lower case), or none if unset; `AccessSettingsError` if malformed."""
    if EMAILS_KEY not in settings:
        return frozenset()
    emails = settings[EMAILS_KEY]
    if (isinstance(emails, (str, Mapping)) or not isinstance(emails, Iterable) or not emails
            or not all(isinstance(email, str) and "@" in email for email in emails)):
        raise AccessSettingsError(f'{EMAILS_KEY} must be a list of e-mail addresses, such as ["ada@example.org"], '
                                  f"so {LOCKED} until it is.")
    return frozenset(email.strip().lower() for email in emails)


def _refuse_misplaced(settings: Mapping[str, Any]) -> None:
    """`MisplacedSettingError` for a misspelt operator setting at the top, or any operator setting in a section."""
    for key, value in settings.items():
        if key in OPERATOR_KEYS:
            continue
        if _looks_like_operator_setting(key):
            raise MisplacedSettingError(_misspelt(key))
        if isinstance(value, Mapping):
            _refuse_nested(value, (key,))


def _refuse_nested(section: Mapping[str, Any], path: tuple[str, ...]) -> None:
    """`MisplacedSettingError` for an operator setting (spelt right or not) anywhere inside `section`."""
    for key, value in section.items():
        if _looks_like_operator_setting(key):
            where = _cut(".".join(map(str, path)))
            raise MisplacedSettingError(f"{_shown(key)} sits inside the [{where}] section of the secrets file, "
                                        f"where it is not read, so {LOCKED} until it moves above the first section.")
        if isinstance(value, Mapping):
            _refuse_nested(value, (*path, key))


def _looks_like_operator_setting(key: Any) -> bool:
    """Whether a key is, or was probably meant as, an operator setting (any case, `-` for `_`, a typo)."""
    name = _normalised(key)
    return "operator" in name or bool(difflib.get_close_matches(name, OPERATOR_KEYS, cutoff=NEAR_MISS))


def _misspelt(key: Any) -> str:
    """The sentence for a top-level key that looks like an operator setting but is not one."""
    meant = difflib.get_close_matches(_normalised(key), OPERATOR_KEYS, n=1, cutoff=0) or [PASSWORD_KEY]
    return (f"The secrets file sets {_shown(key)}, which this app does not read (did you mean {meant[0]}?), "
            f"so {LOCKED} until it is spelt right.")


def _normalised(key: Any) -> str:
    """A key in lower case with every run of other characters than letters and digits made one `_`."""
    return re.sub(r"[^a-z0-9]+", "_", str(key).lower()).strip("_")


def _shown(key: Any) -> str:
    """A key from the secrets file, quoted and cut short, fit to name in a message."""
    return repr(_cut(str(key)))


def _cut(text: str) -> str:
    """`text` cut to SHOWN_KEY_CHARS characters, marked with … if it was longer."""
    return text if len(text) <= SHOWN_KEY_CHARS else text[:SHOWN_KEY_CHARS] + "…"


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
