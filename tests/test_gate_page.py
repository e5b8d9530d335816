"""The operator gate on the pages in AppTest: a broken or misplaced setting keeps the actions locked and says why,
and password guesses go through the server's one throttle."""

from __future__ import annotations

import pytest
from streamlit import config

from digit_app.access import guesses as access
from tests.pages import open_page, unlock
from tests.paths import MNIST_SAMPLE
from tests.test_guesses import FakeClock

pytestmark = pytest.mark.apptest

RETRAIN = "digit_app/ui/retrain.py"
PASSWORD = "correct horse"


@pytest.fixture()
def retrain_env(models, monkeypatch):
    """An empty models folder and the small MNIST sample, as the Retrain page tests use."""
    monkeypatch.setenv("DIGIT_APP_DATA", str(MNIST_SAMPLE))
    monkeypatch.delenv("DIGIT_APP_OPERATOR_PASSWORD", raising=False)


@pytest.fixture()
def broken_secrets_file(tmp_path):
    """Streamlit pointed at a `secrets.toml` with a TOML syntax error (an unclosed string), for one test."""
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    path.write_text(f'operator_password = "{PASSWORD}\n', encoding="utf-8")
    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    yield path
    config.set_option("secrets.files", saved)


@pytest.fixture()
def no_secrets_file(tmp_path):
    """Streamlit pointed at secrets paths where no file is, for one test."""
    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(tmp_path / "none" / "secrets.toml")])
    yield
    config.set_option("secrets.files", saved)


def assert_training_locked_saying(page, *words: str) -> None:
    """Start, Activate and Delete are disabled, and the sidebar's one error says why (never the password or a path)."""
    assert not page.exception
    assert next(b for b in page.button if b.label == "Start training").disabled
    assert all(b.disabled for b in page.button if b.label in ("Activate", "Delete"))
    assert "Upload an .npz…" not in page.selectbox(key="data-source").options
    assert any("Training needs the operator: the sidebar says why" in c.value for c in page.caption)
    assert not page.sidebar.text_input  # no password field: nothing typed there could open it
    [error] = page.sidebar.error
    assert "operator's actions stay locked" in error.value and PASSWORD not in error.value and "/" not in error.value
    for word in words:
        assert word in error.value
    assert "Unlocked" not in " ".join(c.value for c in page.sidebar.caption)


@pytest.mark.parametrize("secrets, words", [
    ({"operator-password": PASSWORD}, ["'operator-password'", "did you mean operator_password?"]),
    ({"database": {"operator_password": PASSWORD}}, ["inside the [database] section"]),
    ({"operator_password": False}, ["operator_password is empty or false"]),
])
def test_a_misconfigured_gate_keeps_training_locked_and_says_why(retrain_env, secrets, words):
    assert_training_locked_saying(open_page(RETRAIN, secrets=secrets), *words)


def test_a_secrets_file_that_is_not_toml_keeps_training_locked(retrain_env, broken_secrets_file):
    assert_training_locked_saying(open_page(RETRAIN), "cannot be read as TOML")


def test_without_a_secrets_file_the_app_is_unlocked(retrain_env, no_secrets_file):
    page = open_page(RETRAIN)
    assert not page.exception and not page.sidebar.error
    assert not next(b for b in page.button if b.label == "Start training").disabled
    assert any(c.value.startswith("Unlocked") for c in page.sidebar.caption)


def start_disabled(page) -> bool:
    return next(b for b in page.button if b.label == "Start training").disabled


def test_a_guess_refused_by_the_throttle_says_how_long_to_wait_and_the_password_works_after(retrain_env, monkeypatch):
    clock = FakeClock()
    throttle = access.GuessThrottle(clock)
    monkeypatch.setattr(access, "GUESSES", throttle)
    page = open_page(RETRAIN, secrets={"operator_password": PASSWORD})
    throttle.admit(None), throttle.admit(None)  # two guesses elsewhere on the server, this second
    unlock(page, PASSWORD)
    assert not page.exception and start_disabled(page)
    assert [e.value for e in page.sidebar.error] == ["Too many tries: wait 1 s."]
    clock.now += 2.0
    unlock(page, "wrong guess")
    assert [e.value for e in page.sidebar.error] == ["That is not the operator password."] and start_disabled(page)
    clock.now += 1.0
    unlock(page, PASSWORD)
    assert not page.exception and not page.sidebar.error and not start_disabled(page)
