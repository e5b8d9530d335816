"""The operator gate: who may train, switch or delete models, and export, import or delete corrections.

Drawing, reading photos and saving a correction are for everyone. The actions that change what
everyone gets, or hand out everyone's drawings, are for the operator once a deployment is locked:
by a password (`operator_password` in `.streamlit/secrets.toml`, or `$DIGIT_APP_OPERATOR_PASSWORD`),
or by the e-mail addresses in `operator_emails` when Streamlit's login (`st.login`) is set up. With
neither, the app is unlocked, as a local run on one's own machine should be.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PASSWORD_KEY = "operator_password"
EMAILS_KEY = "operator_emails"
ENV_PASSWORD = "DIGIT_APP_OPERATOR_PASSWORD"
MIN_PASSWORD = 8  # characters; a shorter operator password is refused as a setting


class AccessSettingsError(ValueError):
    """The gate's settings cannot be used; the message says which and why."""


@dataclass(frozen=True)
class OperatorGate:
    """What opens the gate: a password, operators' e-mail addresses (with `st.login`), or nothing (unlocked)."""

    password: str | None = None
    emails: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], environ: Mapping[str, str] = os.environ) -> OperatorGate:
        """The gate the secrets (`settings`) and the environment describe; `AccessSettingsError` if malformed."""
        password = settings.get(PASSWORD_KEY) or environ.get(ENV_PASSWORD) or None
        if password is not None and (not isinstance(password, str) or len(password) < MIN_PASSWORD):
            raise AccessSettingsError(f"{PASSWORD_KEY} must be text of at least {MIN_PASSWORD} characters; "
                                      "the operator's actions stay locked until it is.")
        emails = settings.get(EMAILS_KEY) or []
        if isinstance(emails, str) or not all(isinstance(email, str) and "@" in email for email in emails):
            raise AccessSettingsError(f'{EMAILS_KEY} must be a list of e-mail addresses, such as ["ada@example.org"].')
        return cls(password, frozenset(email.strip().lower() for email in emails))

    @property
    def locked(self) -> bool:
        """True when a password or operators are set: the operator's actions need one of them."""
        return bool(self.password or self.emails)

    def opens_for(self, password: str) -> bool:
        """Whether `password` is the operator's, compared in constant time."""
        if not self.password:
            return False
        given, expected = (hashlib.sha256(text.encode()).digest() for text in (password, self.password))
        return hmac.compare_digest(given, expected)

    def admits(self, email: str | None) -> bool:
        """Whether a logged-in person with this e-mail address is an operator."""
        return bool(email) and email.strip().lower() in self.emails
