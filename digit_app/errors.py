"""The one base of every error the app raises on purpose, so a caller (the command line) catches the app's own."""


class DigitAppError(Exception):
    """A problem a person can act on (a missing file, bad data or settings); its message says what to do."""


class SettingsError(DigitAppError, ValueError):
    """A setting outside its range (training, augmentation, a command's option); the message gives the range."""


def first_line(error: BaseException) -> str:
    """An error's message cut to its first line (or its kind when it has none): what a person is shown."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
