"""The operator gate's settings and checks (the pages' use of it is in the page tests)."""

from __future__ import annotations

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
    tomllib = pytest.importorskip("tomli")

from digit_app.access.operators import (NO_SECRETS_FILE, AccessSettingsError, MisplacedSettingError,
                                      MissingOperatorSettingError, OperatorGate, SecretsFile)
from digit_app.settings import Settings

PASSWORD = "correct horse"


def gate_from_toml(text: str, environ: dict[str, str] | None = None) -> OperatorGate:
    """The gate a `.streamlit/secrets.toml` with this text gives, read the way Streamlit reads it."""
    try:
        secrets = SecretsFile.read(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        secrets = SecretsFile(exists=True)  # what ui/gate.py makes of Streamlit's parse error
    return OperatorGate.from_secrets(secrets, Settings.from_environment(environ or {}))


def assert_shut(gate: OperatorGate, *words: str) -> None:
    """The gate is shut for everyone, and its sentence says why (with `words`) without the password."""
    assert gate.locked and gate.problem
    assert not gate.opens_for(PASSWORD) and not gate.opens_for("") and not gate.admits("ada@example.org")
    assert PASSWORD not in gate.problem and "/" not in gate.problem  # no password, no server path
    assert "operator's actions stay locked" in gate.problem and gate.problem.count(". ") == 0
    for word in words:
        assert word in gate.problem


def test_without_a_secrets_file_or_the_variable_the_app_is_unlocked():
    for gate in (OperatorGate.from_secrets(NO_SECRETS_FILE, Settings()), OperatorGate.from_settings(None, Settings())):
        assert not gate.locked and not gate.problem
        assert not gate.opens_for("") and not gate.admits("ada@example.org")


def test_a_password_from_the_secrets_or_the_environment_locks_and_opens_only_for_itself():
    for secrets, environ in ((SecretsFile.read({"operator_password": PASSWORD}), {}),
                             (NO_SECRETS_FILE, {"DIGIT_APP_OPERATOR_PASSWORD": PASSWORD}),
                             (SecretsFile.read({"other_key": "x"}), {"DIGIT_APP_OPERATOR_PASSWORD": PASSWORD})):
        gate = OperatorGate.from_secrets(secrets, Settings.from_environment(environ))
        assert gate.locked and not gate.problem
        assert gate.opens_for(PASSWORD)
        assert not gate.opens_for("correct hors") and not gate.opens_for("Correct horse") and not gate.opens_for("")


def test_operators_by_email_are_admitted_whatever_the_case():
    gate = OperatorGate.from_settings({"operator_emails": ["Ada@Example.org"]}, environment=Settings())
    assert gate.locked and gate.admits("ada@example.org ") and not gate.admits("eve@example.org")
    assert not gate.admits(None)


def test_a_secrets_file_that_is_not_toml_shuts_the_gate():
    assert_shut(gate_from_toml('operator_password = "correct horse\n'), "cannot be read")
    assert_shut(OperatorGate.from_secrets(SecretsFile(exists=True), environment=Settings(operator_password=PASSWORD)),
                "cannot be read")  # the environment does not open what a broken file shut


def test_a_secrets_file_that_exists_unread_is_told_from_no_file(tmp_path):
    there, absent = tmp_path / "secrets.toml", tmp_path / "nothing.toml"
    there.write_text("operator_password = [", encoding="utf-8")
    assert SecretsFile.after_error([str(absent), str(there)]) == SecretsFile(exists=True)
    assert SecretsFile.after_error([str(absent)]) == NO_SECRETS_FILE
    (tmp_path / "dangling.toml").symlink_to(tmp_path / "gone.toml")  # a mounted secret that went missing
    assert SecretsFile.after_error([str(tmp_path / "dangling.toml")]).exists


@pytest.mark.parametrize("toml, words", [
    ("", ["neither operator_password nor operator_emails"]),
    ('title = "digits"', ["neither operator_password nor operator_emails"]),
    ('operator_password = ""', ["operator_password is empty or false"]),
    ('operator_password = "         "', ["operator_password is empty or false"]),
    ("operator_password = false", ["operator_password is empty or false"]),
    ("operator_password = 12345678", ["must be text"]),
    ("operator_password = true", ["must be text"]),
    ('operator_password = ["correct horse"]', ["must be text"]),
    ('[operator_password]\nvalue = "correct horse"', ["must be text"]),
    ('operator_password = "short"', ["at least 8 characters"]),
    ('operator-password = "correct horse"', ["'operator-password'", "did you mean operator_password?"]),
    ('Operator_Password = "correct horse"', ["'Operator_Password'", "did you mean operator_password?"]),
    ('opertor_password = "correct horse"', ["'opertor_password'"]),
    ('operator_email = ["ada@example.org"]', ["did you mean operator_emails?"]),
    ('[operator]\npassword = "correct horse"', ["'operator'"]),
    ('[auth]\nredirect_uri = "x"\noperator_password = "correct horse"', ["inside the [auth] section"]),
    ('[a.b]\noperator-emails = ["ada@example.org"]', ["inside the [a.b] section"]),
    ("operator_emails = []", ["a list of e-mail addresses"]),
    ("operator_emails = false", ["a list of e-mail addresses"]),
    ('operator_emails = "ada@example.org"', ["a list of e-mail addresses"]),
    ('operator_emails = ["not an address"]', ["a list of e-mail addresses"]),
])
def test_a_secrets_file_with_unusable_operator_settings_shuts_the_gate(toml, words):
    assert_shut(gate_from_toml(toml), *words)


def test_a_misplaced_setting_shuts_the_gate_even_beside_a_good_one():
    assert_shut(gate_from_toml('operator_password = "correct horse"\noperator-emails = ["ada@example.org"]'),
                "'operator-emails'")
    assert_shut(gate_from_toml('operator-password = "correct horse"', {"DIGIT_APP_OPERATOR_PASSWORD": PASSWORD}))


def test_an_empty_or_short_environment_variable_shuts_the_gate():
    for value, words in (("", "is empty or false"), ("short", "at least 8 characters")):
        assert_shut(OperatorGate.from_secrets(NO_SECRETS_FILE, environment=Settings(operator_password=value)),
                    "$DIGIT_APP_OPERATOR_PASSWORD", words)


def test_unrelated_sections_and_their_passwords_are_left_alone():
    gate = gate_from_toml('operator_password = "correct horse"\n[database]\npassword = "x"\nuser = "operator"')
    assert gate.locked and not gate.problem and gate.opens_for(PASSWORD)


@pytest.mark.parametrize("settings, error", [
    ({}, MissingOperatorSettingError),
    ({"operator-password": PASSWORD}, MisplacedSettingError),
    ({"auth": {"operator_password": PASSWORD}}, MisplacedSettingError),
    ({"operator_password": "short"}, AccessSettingsError),
])
def test_settings_errors_say_which_kind(settings, error):
    with pytest.raises(error):
        OperatorGate.from_settings(settings, environment=Settings())
