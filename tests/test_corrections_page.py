"""The Corrections page through AppTest: saved corrections listed, deleted, imported; visitors' suggestions
accepted or rejected by the operator; the database it reads (Streamlit's secrets first, then the setting)."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from streamlit import config

from digit_app.database import CorrectionsTable, Database, open_database
from digit_app.database.schema import ACCEPTED, SUGGESTED
from tests.pages import open_page, unlock

pytestmark = pytest.mark.apptest

CORRECTIONS = "digit_app/ui/corrections.py"


def corrections() -> CorrectionsTable:
    """The corrections of the database the pages use in these tests (the setting: each test's own SQLite file)."""
    return CorrectionsTable(open_database())


def test_an_empty_store_says_how_to_add_corrections():
    at = open_page(CORRECTIONS, timeout=60)
    assert not at.exception
    assert at.metric[0].value == "0"
    assert "No corrections yet" in at.info[0].value


def test_corrections_are_listed_and_one_can_be_deleted():
    store = corrections()
    ids = [store.add(np.full((28, 28), 0.5, np.float32), label, predicted=label + 1) for label in (2, 5, 8)]
    at = open_page(CORRECTIONS, timeout=60)
    assert at.metric[0].value == "3"
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert captions == ["8, read as 9", "5, read as 6", "2, read as 3"]  # newest first
    assert [image.proto.imgs[0].alt for image in at.get("image")][0] == f"Correction {ids[2]}: the digit 8, read as 9"
    deletes = [b.label for b in at.button if b.label.startswith("Delete")]
    assert deletes == [f"Delete #{ids[2]}, the 8", f"Delete #{ids[1]}, the 5", f"Delete #{ids[0]}, the 2"]
    at.button(key=f"delete-{ids[1]}").click().run()
    at.button(key=f"delete-{ids[0]}").click().run()
    assert not at.exception
    assert [c.label for c in store.list()] == [8]
    assert at.metric[0].value == "1" and "Deleted a correction: 2" in at.info[0].value
    next(b for b in at.button if b.label == "Undo").click().run()  # the last delete first ...
    assert not at.exception and [c.label for c in store.list()] == [2, 8]
    assert "Deleted a correction: 5" in at.info[0].value
    next(b for b in at.button if b.label == "Undo").click().run()  # ... then the one before it: not lost
    assert not at.exception
    assert [(c.id, c.label, c.predicted) for c in store.list()] == [(ids[0], 2, 3), (ids[1], 5, 6), (ids[2], 8, 9)]
    assert at.metric[0].value == "3" and not [b for b in at.button if b.label == "Undo"]


def test_an_exported_file_can_be_imported(tmp_path):
    other = Database(f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    for label in range(4):
        CorrectionsTable(other).add(np.eye(28, dtype=np.float32), label)
    exported = CorrectionsTable(other).export_npz()
    other.dispose()
    at = open_page(CORRECTIONS, timeout=60)
    at.file_uploader[0].upload("corrections.npz", exported, "application/octet-stream").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert "Imported 4 corrections" in at.success[0].value
    assert corrections().arrays()[1].tolist() == [0, 1, 2, 3]
    at.file_uploader[0].upload("corrections.npz", b"not an npz", "application/octet-stream").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception and "not a corrections file" in at.error[0].value
    assert corrections().count() == 4


def test_thousands_of_corrections_are_paged():
    database = open_database()
    rows = [{"label": i % 10, "image": bytes([i % 256]) * 784, "created": "2026-11-26", "state": ACCEPTED}
            for i in range(3000)]
    with database.write() as db:
        db.execute(sa.text("INSERT INTO corrections (label, image, created, state) "
                           "VALUES (:label, :image, :created, :state)"), rows)
    at = open_page(CORRECTIONS, timeout=60)
    assert not at.exception
    assert at.metric[0].value == "3000"
    assert len(at.get("image")) == 48
    assert "Corrections 1-48 of 3000, newest first." in [c.value for c in at.caption]
    at.number_input(key="corrections-page").set_value(63).run()  # the last page: rows 2977-3000
    assert not at.exception and len(at.get("image")) == 3000 - 62 * 48


def test_a_locked_deployment_needs_the_operator_password_to_delete_or_export():
    store = corrections()
    store.add(np.full((28, 28), 0.5, np.float32), 3)
    at = open_page(CORRECTIONS, timeout=60, secrets={"operator_password": "correct horse"})
    assert not at.exception

    def deletes():
        return [b for b in at.button if b.label.startswith("Delete #")]

    assert deletes() and all(b.disabled for b in deletes())
    assert not at.get("download_button") and not at.file_uploader
    unlock(at, "wrong guess")
    assert "not the operator password" in at.error[0].value
    assert all(b.disabled for b in deletes())
    unlock(at, "correct horse")
    assert not at.exception
    assert deletes() and not any(b.disabled for b in deletes())
    assert at.get("download_button") and at.file_uploader


def test_the_operator_accepts_and_rejects_visitors_suggestions():
    store = corrections()
    store.add(np.full((28, 28), 0.5, np.float32), 3)
    ids = [store.add(np.full((28, 28), value, np.float32), label, predicted=1, state=SUGGESTED)
           for value, label in ((0.2, 7), (0.4, 2), (0.6, 9), (0.8, 4))]
    at = open_page(CORRECTIONS, timeout=60, secrets={"operator_password": "correct horse"})
    assert not at.exception
    assert [(m.label, m.value) for m in at.metric] == [("Corrections kept", "1"), ("Suggestions waiting", "4")]
    assert [image.proto.imgs[0].caption for image in at.get("image")] == [
        "4, read as 1", "9, read as 1", "2, read as 1", "7, read as 1"]  # the suggestions, newest first
    assert [b.label for b in at.button if b.label.startswith("Reject")] == [f"Reject #{i}" for i in reversed(ids)]
    assert all(b.disabled for b in at.button if b.label.startswith(("Accept", "Reject")))
    unlock(at, "correct horse")
    at.button(key=f"accept-{ids[0]}").click().run()
    assert not at.exception and "Accepted 1 suggestion:" in at.success[0].value
    at.button(key=f"reject-{ids[1]}").click().run()
    assert "Rejected a suggestion: 2" in at.info[0].value
    assert [(c.label, c.state) for c in store.list()] == [(3, ACCEPTED), (7, ACCEPTED), (9, SUGGESTED), (4, SUGGESTED)]
    at.button(key="accept-shown").click().run()
    assert not at.exception and "Accepted 2 suggestions" in at.success[0].value
    assert store.arrays()[1].tolist() == [3, 7, 9, 4] and store.count(SUGGESTED) == 0
    assert at.metric[0].value == "4" and len(at.metric) == 1  # nothing waits: no second metric, no suggestions


def test_a_visitor_s_correction_on_a_locked_app_is_a_suggestion_and_saving_is_rate_limited(monkeypatch):
    from digit_app.access import rate
    from tests.canvas_values import seed
    from tests.strokes import digit_strokes

    monkeypatch.setattr(rate, "SESSION_SAVES", rate.Rate(per_second=1e-6))  # no second save in this test's time
    monkeypatch.setattr(rate, "_process_saves", None)  # a fresh process-wide bucket
    at = open_page(timeout=120, secrets={"operator_password": "correct horse"})
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    at.get("button_group")[0].set_value(1).run()
    next(b for b in at.button if b.label == "Save the correction").click().run()
    assert not at.exception
    assert "as a suggestion: the operator looks at it" in at.success[0].value
    store = corrections()
    assert [(c.label, c.state) for c in store.list()] == [(1, SUGGESTED)] and store.arrays()[1].tolist() == []
    at.get("button_group")[0].set_value(2).run()  # another digit: a new correction, saved too soon
    next(b for b in at.button if b.label == "Save the correction").click().run()
    assert "one correction every" in at.warning[0].value
    assert store.count() == 1


def test_the_page_reads_the_database_streamlit_s_secrets_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'from-secrets.sqlite'}"
    named = Database(url)
    CorrectionsTable(named).add(np.full((28, 28), 0.5, np.float32), 6, predicted=0)
    named.dispose()
    corrections().add(np.full((28, 28), 0.5, np.float32), 2)  # in the setting's database: not the one shown
    at = open_page(CORRECTIONS, timeout=60, secrets={"connections": {"digits": {"url": url}}})
    assert not at.exception
    assert at.metric[0].value == "1"
    assert [image.proto.imgs[0].caption for image in at.get("image")] == ["6, read as 0"]


@pytest.fixture()
def broken_secrets_file(tmp_path):
    """Streamlit pointed at a `secrets.toml` that is not TOML (an unclosed section), for one test."""
    path = tmp_path / ".streamlit" / "secrets.toml"
    path.parent.mkdir()
    path.write_text('[connections.digits\nurl = "postgresql://digit@db/digits"\n', encoding="utf-8")
    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    yield path
    config.set_option("secrets.files", saved)


def test_a_broken_secrets_file_gives_a_clear_message_and_no_other_database(broken_secrets_file):
    corrections().add(np.full((28, 28), 0.5, np.float32), 2)  # the setting's database: never shown instead
    at = open_page(CORRECTIONS, timeout=60)
    assert not at.exception
    assert [e.value for e in at.main.error] == [
        "The secrets file cannot be read, so the shared database is unknown; mend .streamlit/secrets.toml."]
    assert not at.metric and not at.get("image")


def test_a_database_that_goes_away_is_a_sentence_and_nothing_is_lost(monkeypatch):
    from digit_app.database import DatabaseUnavailableError

    kept = corrections().add(np.full((28, 28), 0.5, np.float32), 3)
    at = open_page(CORRECTIONS, timeout=60)

    def unreachable(*_args):
        raise DatabaseUnavailableError("The shared database cannot be reached right now; nothing was saved.")

    with monkeypatch.context() as patch:
        patch.setattr(CorrectionsTable, "delete", unreachable)
        at.button(key=f"delete-{kept}").click().run()
        assert not at.exception
        assert "cannot be reached right now" in at.error[0].value and not at.info  # no "Deleted", no Undo
        patch.setattr(CorrectionsTable, "count", unreachable)
        at.run()
        assert not at.exception and "cannot be reached right now" in at.error[0].value and not at.get("image")
    assert [c.id for c in corrections().list()] == [kept]
