"""The Corrections page through AppTest: saved corrections listed, deleted, imported."""

from __future__ import annotations

import numpy as np

from digit_app.corrections import CorrectionStore
from tests.pages import open_page

CORRECTIONS = "digit_app/ui/corrections.py"


def test_an_empty_store_says_how_to_add_corrections():
    at = open_page(CORRECTIONS, timeout=60)
    assert not at.exception
    assert at.metric[0].value == "0"
    assert "No corrections yet" in at.info[0].value


def test_corrections_are_listed_and_one_can_be_deleted(corrections_file):
    store = CorrectionStore(corrections_file)
    ids = [store.add(np.full((28, 28), 0.5, np.float32), label, predicted=label + 1) for label in (2, 5, 8)]
    at = open_page(CORRECTIONS, timeout=60)
    assert at.metric[0].value == "3"
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert captions == ["2, read as 3", "5, read as 6", "8, read as 9"]
    at.button(key=f"delete-{ids[1]}").click().run()
    assert not at.exception
    assert [c.label for c in store.list()] == [2, 8]
    assert at.metric[0].value == "2"


def test_an_exported_file_can_be_imported(corrections_file, tmp_path):
    other = CorrectionStore(tmp_path / "elsewhere.sqlite")
    for label in range(4):
        other.add(np.eye(28, dtype=np.float32), label)
    at = open_page(CORRECTIONS, timeout=60)
    at.file_uploader[0].upload("corrections.npz", other.export_npz(), "application/octet-stream").run()
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert "Imported 4 corrections" in at.success[0].value
    assert CorrectionStore(corrections_file).arrays()[1].tolist() == [0, 1, 2, 3]
