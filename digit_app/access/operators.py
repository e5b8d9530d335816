"""The operator gate: who may train, switch or delete models, and export, import or delete corrections.

Drawing, reading photos and saving a correction are for everyone. The actions that change what
everyone gets, or hand out everyone's drawings, are for the operator once a deployment is locked:
by a password (`operator_password` in `.streamlit/secrets.toml`, or `$DIGIT_APP_OPERATOR_PASSWORD`),
or by the e-mail addresses in `operator_emails` when Streamlit's login (`st.login`) is set up.

The gate fails closed. With no secrets file and no environment variable the app is unlocked, as a
local run on one's own machine should be. A secrets file that exists but cannot be read, or whose
operator settings are missing, empty, false, misspelled, of the wrong type or inside a section,
keeps the operator's actions locked for everyone, with a sentence saying why.

Password guesses are throttled by `digit_app.access.guesses`.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
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
