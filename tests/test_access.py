"""The operator gate's settings and checks (the pages' use of it is in the page tests)."""

from __future__ import annotations

import pytest

from digit_app.serving.access import AccessSettingsError, OperatorGate


def test_without_settings_the_app_is_unlocked():
    gate = OperatorGate.from_settings({}, environ={})
    assert not gate.locked and not gate.opens_for("") and not gate.admits("ada@example.org")


def test_a_password_from_the_secrets_or_the_environment_locks_and_opens_only_for_itself():
    for settings, environ in (({"operator_password": "correct horse"}, {}),
                              ({}, {"DIGIT_APP_OPERATOR_PASSWORD": "correct horse"})):
        gate = OperatorGate.from_settings(settings, environ=environ)
        assert gate.locked
        assert gate.opens_for("correct horse")
        assert not gate.opens_for("correct hors") and not gate.opens_for("Correct horse") and not gate.opens_for("")


def test_operators_by_email_are_admitted_whatever_the_case():
    gate = OperatorGate.from_settings({"operator_emails": ["Ada@Example.org"]}, environ={})
    assert gate.locked and gate.admits("ada@example.org ") and not gate.admits("eve@example.org")
    assert not gate.admits(None)


@pytest.mark.parametrize("settings, message", [
    ({"operator_password": "short"}, "at least 8 characters"),
    ({"operator_password": 12345678}, "must be text"),
    ({"operator_emails": "ada@example.org"}, "a list of e-mail addresses"),
    ({"operator_emails": ["not an address"]}, "a list of e-mail addresses"),
])
def test_malformed_settings_are_refused_with_a_sentence(settings, message):
    with pytest.raises(AccessSettingsError, match=message):
        OperatorGate.from_settings(settings, environ={})
