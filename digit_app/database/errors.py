"""What goes wrong with the shared database, as one family of errors whose messages a visitor may read."""

from __future__ import annotations

from digit_app.errors import DigitAppError


class DatabaseError(DigitAppError, RuntimeError):
    """The database refused or could not do what was asked; the message says why (no password, no server folder)."""


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be reached now (restarting, down, the network); the app reconnects once it is back."""


class DatabaseSettingError(DatabaseError):
    """`DIGIT_APP_DATABASE_URL` is not a URL this app can use."""
