"""The app's settings from the environment: every DIGIT_APP_* variable (and KERAS_HOME) is read here, nowhere else.

`current()` reads them on each call (a few dictionary look-ups), so a server, a worker process and a
test that sets a variable all see the value in force; the modules take what they need from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENV_MODELS_DIR = "DIGIT_APP_MODELS"  # models folder: versions and the active pointer (default: the repository's model/)
ENV_CORRECTIONS = "DIGIT_APP_CORRECTIONS"  # the corrections file (default: the repository's data/corrections.sqlite)
ENV_DATA_DIR = "DIGIT_APP_DATA_DIR"  # the folder whose .npz files the Retrain page offers (default: data/)
ENV_LOCAL_DATA = "DIGIT_APP_DATA"  # one local .npz the Retrain page offers first (default: none)
ENV_PEN_DIGITS = "DIGIT_APP_PEN_DIGITS"  # another file of pen digits to learn from (the tests use a small one)
ENV_PASSWORD = "DIGIT_APP_OPERATOR_PASSWORD"  # the operator password when the secrets file sets none
ENV_KERAS_HOME = "KERAS_HOME"  # where Keras keeps its downloads (default: ~/.keras)
# the shared database, an SQLAlchemy URL (default: SQLite in the data folder)
ENV_DATABASE_URL = "DIGIT_APP_DATABASE_URL"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"  # the repository's data/ folder


@dataclass(frozen=True)
class Settings:
    """What the environment says; None (or "") where a variable is unset and the module's default applies."""

    models_dir: Path | None = None
    corrections_path: Path | None = None
    data_dir: Path | None = None
    local_data: str = ""
    pen_digits: Path | None = None
    operator_password: str | None = None  # set, even to "": someone meant to lock the app
    keras_home: Path | None = None
    database_url: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        """The settings `environ` holds; an empty variable counts as unset, except the password."""
        def path(name: str) -> Path | None:
            return Path(environ[name]) if environ.get(name) else None

        return cls(models_dir=path(ENV_MODELS_DIR), corrections_path=path(ENV_CORRECTIONS),
                   data_dir=path(ENV_DATA_DIR), local_data=environ.get(ENV_LOCAL_DATA) or "",
                   pen_digits=path(ENV_PEN_DIGITS), operator_password=environ.get(ENV_PASSWORD),
                   keras_home=path(ENV_KERAS_HOME), database_url=(environ.get(ENV_DATABASE_URL) or "").strip())


def current() -> Settings:
    """The settings in force now, read from this process' environment."""
    return Settings.from_environment(os.environ)
