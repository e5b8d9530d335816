"""The pages' database URL from Streamlit's secrets (digit_app/ui/shared_database.py): with no secrets file, Streamlit
is not asked again until one appears; a file that appears or changes is read; a broken one is never another database."""

from __future__ import annotations

import time

import pytest
from streamlit import config
from streamlit.runtime.secrets import Secrets

from digit_app.database import DatabaseSettingError
from digit_app.ui import shared_database
from digit_app.ui.shared_database import secrets_url


@pytest.fixture()
def secrets(tmp_path, monkeypatch):
    """Streamlit's secrets looked for at one path of the test's own (no file there yet), counting the questions."""
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    asked: list[int] = []

    class Counting(Secrets):
        def _parse(self):  # where Streamlit looks for the files, or answers with those it read
            asked.append(1)
            return super()._parse()

    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    monkeypatch.setattr(shared_database.st, "secrets", Counting())
    monkeypatch.setattr(shared_database, "_no_file", [])
    yield path, asked
    config.set_option("secrets.files", saved)


def _write(path, url: str) -> None:
    path.write_text(f'[connections.digits]\nurl = "{url}"\n')


def test_with_no_secrets_file_streamlit_is_asked_once_until_a_file_appears(secrets):
    path, asked = secrets
    assert [secrets_url() for _ in range(3)] == [None, None, None]
    assert len(asked) == 1  # not searched again at every question
    _write(path, "sqlite:////tmp/from-secrets.sqlite")
    assert secrets_url() == "sqlite:////tmp/from-secrets.sqlite"  # a secrets file written while the server runs


def test_a_changed_secrets_file_is_read_again(secrets):
    path, _ = secrets
    _write(path, "sqlite:////tmp/first.sqlite")
    assert secrets_url() == "sqlite:////tmp/first.sqlite"
    _write(path, "sqlite:////tmp/second.sqlite")
    deadline = time.monotonic() + 20  # Streamlit's own watcher reloads it (it looks every 0.2 s)
    while secrets_url() != "sqlite:////tmp/second.sqlite" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert secrets_url() == "sqlite:////tmp/second.sqlite"


def test_secrets_given_without_a_file_are_read_though_no_file_was_found_before(secrets, monkeypatch):
    assert secrets_url() is None  # no file: kept for this `st.secrets`
    given = Secrets()
    given._secrets = {"connections": {"digits": {"url": " sqlite:////tmp/given.sqlite "}}}  # as AppTest's at.secrets
    monkeypatch.setattr(shared_database.st, "secrets", given)
    assert secrets_url() == "sqlite:////tmp/given.sqlite"


def test_a_broken_secrets_file_is_said_and_never_another_database(secrets):
    path, _ = secrets
    assert secrets_url() is None
    path.write_text("[connections.digits\nurl = 'x'\n")  # not TOML
    with pytest.raises(DatabaseSettingError, match="cannot be read"):
        secrets_url()
