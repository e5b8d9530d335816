"""The settings read from the environment in one place."""

from __future__ import annotations

from pathlib import Path

from digit_app import settings
from digit_app.settings import Settings


def test_the_environment_gives_every_setting_and_an_empty_variable_counts_as_unset():
    given = Settings.from_environment({"DIGIT_APP_MODELS": "/srv/models", "DIGIT_APP_CORRECTIONS": "",
                                       "DIGIT_APP_DATA": "/srv/mnist.npz", "DIGIT_APP_PEN_DIGITS": "pen.npz",
                                       "KERAS_HOME": "/srv/keras", "OTHER": "x"})
    assert given == Settings(models_dir=Path("/srv/models"), local_data="/srv/mnist.npz",
                             pen_digits=Path("pen.npz"), keras_home=Path("/srv/keras"))
    assert Settings.from_environment({}) == Settings()


def test_an_empty_operator_password_is_still_set():
    """Set, even to nothing, the password variable means someone meant to lock the app (the gate then says so)."""
    assert Settings.from_environment({"DIGIT_APP_OPERATOR_PASSWORD": ""}).operator_password == ""
    assert Settings.from_environment({}).operator_password is None


def test_the_settings_in_force_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(settings.ENV_MODELS_DIR, str(tmp_path))
    assert settings.current().models_dir == tmp_path
    monkeypatch.delenv(settings.ENV_MODELS_DIR)
    assert settings.current().models_dir is None
