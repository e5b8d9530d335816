"""A server's start: what the Draw page's first run imports (nothing it does not use), and that what it leaves to
later (SciPy, scikit-image, Alembic) is there when it is needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from digit_app.database import Database
from digit_app.database.engine import MIGRATIONS, head_revision
from tests.browser import ROOT

# The first visitor of a server whose warm-up has not run: the Draw page opened, then a 7 drawn on it; what was
# imported after each run, and what the page showed.
FIRST_VISIT = """
import json, sys
from digit_app.ui import warm_up
warm_up.warm = lambda: None  # nothing warmed: the page imports what it needs itself
from tests.canvas_values import seed
from tests.pages import open_page
from tests.strokes import digit_strokes
from digit_app.ui.answer import answer_text
HEAVY = ("pandas", "pyarrow", "scipy", "skimage", "alembic", "tensorflow")

def answer(at):
    return [answer_text(e.proto.body) for e in at.get("html") if answer_text(e.proto.body) is not None]

at = open_page(run=False)
at.run()
first = {"exception": bool(at.exception), "answer": answer(at), "heavy": [m for m in HEAVY if m in sys.modules]}
seed(at, digit_strokes(7, 50, 40, 190), brush=20)
at.run()
drawn = {"exception": bool(at.exception), "answer": answer(at), "heavy": [m for m in HEAVY if m in sys.modules]}
print(json.dumps({"first": first, "drawn": drawn}))
"""


@pytest.mark.apptest
def test_the_draw_pages_first_run_imports_no_pandas_scipy_or_alembic_and_a_drawing_still_reads(app_database):
    Database(app_database).dispose()  # the database exists at its newest schema: a restart, not a first start
    result = subprocess.run([sys.executable, "-c", FIRST_VISIT], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["first"] == {"exception": False, "answer": ["—"], "heavy": []}
    assert seen["drawn"]["answer"] == ["7"] and not seen["drawn"]["exception"]
    assert {"scipy", "skimage"} <= set(seen["drawn"]["heavy"])  # imported as the drawing was read
    assert not {"pandas", "alembic", "tensorflow"} & set(seen["drawn"]["heavy"])


def test_the_newest_migration_read_from_the_files_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_migration_files_with_two_heads_leave_the_decision_to_alembic(tmp_path):
    for name, revision, down in (("a", "0001", "None"), ("b", "0002", '"0001"'), ("c", "0003", '"0001"')):
        (tmp_path / f"{name}.py").write_text(f'revision = "{revision}"\ndown_revision = {down}\n')
    assert head_revision(tmp_path) is None
    (tmp_path / "c.py").write_text('revision = "0003"\ndown_revision = "0002"\n')
    assert head_revision(tmp_path) == "0003"


def test_a_database_at_the_newest_schema_opens_without_alembic_and_an_older_one_is_migrated(app_database):
    Database(app_database).dispose()  # made, and migrated to the head
    with Database(app_database).engine.begin() as connection:  # back to the first schema's revision
        connection.execute(sa.text("DROP TABLE trainers"))
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    code = ("import sys; from digit_app.database import Database; Database(sys.argv[1]).dispose(); "
            "print('alembic' in sys.modules)")
    opened = [subprocess.run([sys.executable, "-c", code, app_database], cwd=ROOT, capture_output=True, text=True,
                             timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(2)]
    assert [run.stdout.strip() for run in opened] == ["True", "False"], opened[0].stderr[-2000:]
    with Database(app_database).read() as connection:
        assert sa.inspect(connection).has_table("trainers")
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head_revision()


def test_a_components_dataframes_are_still_found_once_pandas_is_loaded():
    import pandas as pd
    from streamlit.components.v2.bidi_component import serialization

    from digit_app.ui.streamlit_patches import plain_component_data_without_pandas

    plain_component_data_without_pandas()
    found = serialization.is_dataframe_like
    assert found.plain_first
    frame = pd.DataFrame({"a": [1, 2]})
    assert found(frame) and found({"a": pd.Series([1, 2])})
    assert not found({"objects": [], "background": "#000"}) and not found([{"type": "path"}])


def test_streamlit_finds_the_same_canvas_component_without_reading_every_package(monkeypatch):
    from streamlit.components.v2 import manifest_scanner

    from digit_app.ui.streamlit_patches import scan_only_the_apps_components

    everything = getattr(manifest_scanner.scan_component_manifests, "__wrapped__",
                         manifest_scanner.scan_component_manifests)
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", everything)
    scan_only_the_apps_components()
    ours = manifest_scanner.scan_component_manifests()
    assert manifest_scanner.scan_component_manifests.apps_only
    assert [(manifest.name, root) for manifest, root in ours] == [
        (manifest.name, root) for manifest, root in everything() if manifest.name == "streamlit-drawable-canvas"]
    assert len(ours) == 1
