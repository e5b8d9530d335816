"""The README's Layout rules, checked on the imports of digit_app/ as written (read with ast, nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.browser import ROOT

PACKAGE = ROOT / "digit_app"
# Each room of the package and its floor: a module imports only rooms on lower floors (and its own room).
FLOORS = {
    "sizes": 0, "errors": 0, "settings": 0,  # the ground: plain sizes, the one error base, the environment
    "store": 1, "calibration": 1, "lite": 1, "render": 1, "preprocess": 1,
    "images": 2, "strokes": 2, "database": 2,
    "networks": 3, "model": 4,
    "prediction": 5, "saliency": 5, "photos": 5, "photo": 6, "unfinished": 6,
    "training": 7,
    "access": 8, "jobs": 8,
    "ui": 9, "cli": 9, "__main__": 10,
}
GROUND = {"sizes", "errors", "settings"}
STREAMLIT = ("streamlit", "streamlit_drawable_canvas")


def room_of(path: Path) -> str:
    """A module's room: its subpackage (`store`, `ui`...), or its own name for a module of the package's top."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module a file imports, anywhere in it (inside functions and TYPE_CHECKING too), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "digit_app" else []
            found += [(name, node.lineno) for name in names or [node.module]]
    return found


def app_imports() -> list[tuple[str, str, int, str]]:
    """(room, imported room, line, file) for each import of one of the package's rooms by a file of the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, line in imports(path):
            parts = name.split(".")
            if parts[0] == "digit_app" and len(parts) > 1:
                found.append((room_of(path), parts[1], line, str(path.relative_to(ROOT))))
    return found


def test_every_room_is_on_a_floor():
    rooms = {room_of(path) for path in PACKAGE.rglob("*.py")} - {"__init__"}
    assert rooms - FLOORS.keys() == set(), "a new room: give it a floor in FLOORS and a line in the README's Layout"


def test_imports_only_point_down():
    upward = [f"{file}:{line}: {room} (floor {FLOORS[room]}) imports {target} (floor {FLOORS[target]})"
              for room, target, line, file in app_imports()
              if room in FLOORS and target in FLOORS and target != room and FLOORS[target] >= FLOORS[room]]
    assert upward == []


def test_the_ground_and_the_store_import_nothing_above_them():
    """sizes, errors and settings import nothing of the app; store only the ground (models are saved, not built)."""
    wrong = [f"{file}:{line}: {room} imports {target}" for room, target, line, file in app_imports()
             if (room in GROUND and target != room) or (room == "store" and target not in GROUND | {"store"})]
    assert wrong == []


def test_only_the_pages_import_streamlit():
    outside = [f"{path.relative_to(ROOT)}:{line}: {name}" for path in PACKAGE.rglob("*.py")
               if room_of(path) != "ui" for name, line in imports(path) if name.split(".")[0] in STREAMLIT]
    assert outside == []


def test_the_rule_finds_an_upward_import(tmp_path):
    """The check reads imports wherever they are: one inside a function is found like one at the top."""
    module = tmp_path / "example.py"
    module.write_text("import os\n\ndef late():\n    from digit_app.ui import draw\n    import streamlit as st\n")
    assert imports(module) == [("os", 1), ("digit_app.ui", 4), ("streamlit", 5)]
