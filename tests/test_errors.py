"""Every error the app raises on purpose derives from DigitAppError, so the command line catches the app's own."""

from __future__ import annotations

import ast

from digit_app.errors import DigitAppError, SettingsError, first_line
from tests.browser import ROOT

BUILT_IN = {"Exception", "ValueError", "RuntimeError", "OSError", "KeyError", "TypeError"}


def error_classes() -> dict[str, list[str]]:
    """Each exception class defined in digit_app/ (by ast: a class with a base named *Error or Exception), with its
    bases."""
    classes = {}
    for path in (ROOT / "digit_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [base.id if isinstance(base, ast.Name) else ast.unparse(base) for base in node.bases]
                if any(base.split(".")[-1].endswith(("Error", "Exception")) or base in BUILT_IN for base in bases):
                    classes[node.name] = [base.split(".")[-1] for base in bases]
    return classes


def test_every_error_class_of_the_app_derives_from_digit_app_error():
    classes = error_classes()
    assert len(classes) > 15  # the app's own: model, data, store, strokes, access, jobs...

    def derives(name: str) -> bool:
        return name == "DigitAppError" or any(derives(base) for base in classes.get(name, []) if base != name)

    assert [name for name in classes if not derives(name)] == []


def test_an_error_keeps_its_built_in_kind_and_its_first_line():
    error = SettingsError("epochs must be between 1 and 500, got 0\nmore detail")
    assert isinstance(error, DigitAppError) and isinstance(error, ValueError)
    assert first_line(error) == "epochs must be between 1 and 500, got 0"
    assert first_line(DigitAppError()) == "DigitAppError"
