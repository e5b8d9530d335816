"""The corrections store: add, list, accept, delete, export and import, suggestions and their migration, and two
processes writing at once."""

from __future__ import annotations

import io
import multiprocessing
import sqlite3
from contextlib import closing

import numpy as np
import pytest

from digit_app.store.corrections import ACCEPTED, MAX_IMPORT_BYTES, SUGGESTED, CorrectionsError, CorrectionStore


@pytest.fixture()
def store(tmp_path) -> CorrectionStore:
    return CorrectionStore(tmp_path / "sub" / "corrections.sqlite")


def digit(value: float = 0.5) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[5:23, 12:16] = value
    return image


def test_added_corrections_are_listed_with_their_labels_and_images(store):
    first = store.add(digit(1.0), 7, predicted=1)
    second = store.add(digit(0.5), 4)
    listed = store.list()
    assert [c.id for c in listed] == [first, second]
    assert [(c.label, c.predicted) for c in listed] == [(7, 1), (4, None)]
    assert listed[0].image.dtype == np.uint8 and listed[0].image.max() == 255 and listed[1].image.max() == 128
    images, labels = store.arrays()
    assert images.shape == (2, 28, 28) and labels.tolist() == [7, 4]


def test_deleting_removes_exactly_one(store):
    ids = [store.add(digit(), d) for d in (1, 2, 3)]
    assert store.delete(ids[1]) is True
    assert store.delete(ids[1]) is False
    assert [c.label for c in store.list()] == [1, 3]


def test_export_then_import_round_trips(store, tmp_path):
    for d in range(10):
        store.add(digit(d / 10), d)
    other = CorrectionStore(tmp_path / "other.sqlite")
    assert other.import_npz(store.export_npz()) == 10
    assert np.array_equal(other.arrays()[0], store.arrays()[0])
    assert np.array_equal(other.arrays()[1], store.arrays()[1])


@pytest.mark.parametrize(("image", "label", "message"), [
    (np.zeros((28, 27)), 3, "shape"), (digit(), 10, "0 to 9"), (digit() * 5, 3, "floats from 0 to 1"),
    (np.full((28, 28), np.nan), 3, "floats"),
])
def test_bad_corrections_are_refused(store, image, label, message):
    with pytest.raises(CorrectionsError, match=message):
        store.add(image, label)
    assert store.count() == 0


def test_bad_files_are_refused_with_a_reason(store, tmp_path):
    with pytest.raises(CorrectionsError, match="not a corrections file"):
        store.import_npz(b"not an npz")
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorrectionsError, match="cannot be used"):
        CorrectionStore(broken).count()


def _add_many(path: str, label: int, count: int, start) -> None:
    store = CorrectionStore(path)
    start.wait()
    for _ in range(count):
        store.add(digit(), label)


def _import_twice(path: str, data: bytes, start) -> None:
    store = CorrectionStore(path)
    start.wait()
    for _ in range(2):
        store.import_npz(data)  # reads what is kept, then writes: another writer may commit in between


# Each round races on a new file; one round alone misses it half the time: the quick run (-m "not slow") races once.
@pytest.mark.parametrize("round_", [0, *(pytest.param(r, marks=pytest.mark.slow) for r in range(1, 5))])
def test_processes_adding_and_importing_at_once_lose_nothing(store, tmp_path, round_):
    source = CorrectionStore(tmp_path / "source.sqlite")
    for value in np.linspace(0.1, 0.9, 20):
        source.add(digit(value), 5)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)  # the file does not exist yet: all four set it up at the same moment
    workers = [context.Process(target=_add_many, args=(str(store.path), label, 30, start)) for label in (3, 7, 8)]
    workers.append(context.Process(target=_import_twice, args=(str(store.path), source.export_npz(), start)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    labels = store.arrays()[1]
    assert len(labels) == 110 and all((labels == label).sum() == 30 for label in (3, 7, 8))


def test_importing_the_same_file_twice_adds_nothing_and_keeps_read_as(store, tmp_path):
    store.add(digit(0.5), 3, predicted=8)
    store.add(digit(0.9), 7)
    exported = store.export_npz()
    other = CorrectionStore(tmp_path / "other.sqlite")
    assert other.import_npz(exported) == 2
    assert other.import_npz(exported) == 0  # merged by content
    assert store.import_npz(exported) == 0
    assert [(c.label, c.predicted) for c in other.list()] == [(3, 8), (7, None)]


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(("labels", "message"), [
    (np.array([1, 2, np.nan, 4], np.float32), "whole number from 0 to 9"),
    (np.array([1, 2, 11, 4]), "whole number from 0 to 9"),
    (np.array([1, 2, 3.7, 4]), "whole number from 0 to 9"),
    (np.array([1, -1, 3, 4]), "whole number from 0 to 9"),
    (np.array(["1", "2", "3", "4"]), "whole number from 0 to 9"),
])
def test_an_import_with_one_bad_label_keeps_nothing(store, labels, message):
    images = np.stack([digit(0.1 * (i + 1)) for i in range(4)])
    with pytest.raises(CorrectionsError, match=message):
        store.import_npz(_npz(images=images, labels=labels))
    assert store.count() == 0


def test_an_import_is_bounded_before_it_is_read(store):
    with pytest.raises(CorrectionsError, match="at most 10000"):
        store.import_npz(_npz(images=np.zeros((10_001, 28, 28), np.uint8), labels=np.zeros(10_001, np.uint8)))
    with pytest.raises(CorrectionsError, match="not a corrections file"):
        store.import_npz(_npz_bytes_of_npy())
    assert store.count() == 0


def _npz_bytes_of_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))  # a .npy renamed .npz
    return buffer.getvalue()


def test_a_deleted_correction_is_restored_with_its_id_date_and_read_as(store):
    for d in (1, 2, 3):
        store.add(digit(), d, predicted=(d + 1) % 10)
    before = [(c.id, c.label, c.predicted, c.created, c.image.tobytes()) for c in store.list()]
    taken = store.list()[1]
    assert store.delete(taken.id) and store.count() == 2
    assert store.restore(taken) is True
    assert [(c.id, c.label, c.predicted, c.created, c.image.tobytes()) for c in store.list()] == before
    assert store.restore(taken) is False  # already back: nothing doubled
    assert store.count() == 3


def test_damaged_rows_are_named_and_skipped_everywhere(store):
    good = store.add(digit(), 5, predicted=3)
    with sqlite3.connect(store.path) as db:
        db.execute("INSERT INTO corrections (label, image, created) VALUES (2, ?, 'x')", (b"\x00" * 100,))
        db.execute("INSERT INTO corrections (label, predicted, image, created) VALUES (6, 'nine', ?, 'x')",
                   (bytes(784),))
        db.execute("PRAGMA ignore_check_constraints = ON")
        db.execute("INSERT INTO corrections (label, image, created) VALUES ('seven', ?, 'x')", (bytes(784),))
    damaged = store.damaged()
    assert [(d.id, d.problem) for d in damaged] == [
        (good + 1, "its image is 100 bytes, not a 28x28 drawing (784 bytes)"),
        (good + 3, "its label 'seven' is not a digit 0 to 9")]
    assert [(c.id, c.label, c.predicted) for c in store.list()] == [(good, 5, 3), (good + 2, 6, None)]
    assert store.arrays()[1].tolist() == [5, 6]
    with np.load(io.BytesIO(store.export_npz())) as exported:
        assert exported["labels"].tolist() == [5, 6]
    page = store.page(0, 3)  # newest first
    assert [row.id for row in page] == [good + 3, good + 2, good + 1]
    with pytest.raises(CorrectionsError, match="A page starts at 0"):
        store.page(-1, 3)


# Suggestions: a visitor's correction on a locked deployment waits for the operator.

def test_a_suggestion_waits_and_training_reads_accepted_corrections_only(store, tmp_path):
    accepted = store.add(digit(0.9), 4, predicted=9)
    suggested = [store.add(digit(0.1 * d), d, state=SUGGESTED) for d in (1, 2, 3)]
    assert store.count() == 4 and store.count(ACCEPTED) == 1 and store.count(SUGGESTED) == 3
    assert [c.state for c in store.list()] == [ACCEPTED, SUGGESTED, SUGGESTED, SUGGESTED]
    assert store.arrays()[1].tolist() == [4]  # what training learns from
    with np.load(io.BytesIO(store.export_npz())) as exported:
        assert exported["labels"].tolist() == [4]  # nothing handed on before it is accepted
    assert [row.id for row in store.page(0, 10, SUGGESTED)] == suggested[::-1]
    assert store.accept([suggested[0], accepted, 9999]) == 1  # only what was waiting
    assert store.reject(suggested[1]) is True
    assert store.reject(accepted) is False  # reject never removes an accepted correction
    assert store.arrays()[1].tolist() == [4, 1]
    assert [(c.label, c.state) for c in store.list()] == [(4, ACCEPTED), (1, ACCEPTED), (3, SUGGESTED)]
    with pytest.raises(CorrectionsError, match="accepted or suggested"):
        store.add(digit(), 5, state="approved")


def test_suggestions_are_capped_with_a_sentence(store, monkeypatch):
    monkeypatch.setattr("digit_app.store.corrections.MAX_SUGGESTIONS", 2)
    for d in (1, 2):
        store.add(digit(), d, state=SUGGESTED)
    with pytest.raises(CorrectionsError, match="2 suggestions already wait for the operator"):
        store.add(digit(), 3, state=SUGGESTED)
    store.add(digit(), 3)  # the operator's own is never capped
    store.accept([c.id for c in store.list(SUGGESTED)][:1])
    store.add(digit(), 4, state=SUGGESTED)
    assert store.count(SUGGESTED) == 2 and store.count(ACCEPTED) == 2


def test_a_rejected_suggestion_is_restored_as_a_suggestion(store):
    store.add(digit(), 6, state=SUGGESTED)
    taken = store.list()[0]
    assert store.reject(taken.id) and store.count() == 0
    assert store.restore(taken) is True
    assert [(c.id, c.state) for c in store.list()] == [(taken.id, SUGGESTED)]


OLD_SCHEMA = """
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted INTEGER,
    image BLOB NOT NULL,
    created TEXT NOT NULL
)
"""


def test_a_file_from_before_suggestions_is_migrated_its_rows_accepted(tmp_path):
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(OLD_SCHEMA)
        db.executemany("INSERT INTO corrections (label, predicted, image, created) VALUES (?, ?, ?, '2026-11-01')",
                       [(label, 8, bytes([label * 20]) * 784) for label in (2, 5)])
    store = CorrectionStore(path)
    assert store.count(ACCEPTED) == 2 and store.count(SUGGESTED) == 0
    assert store.arrays()[1].tolist() == [2, 5]
    store.add(digit(), 7, state=SUGGESTED)
    assert store.arrays()[1].tolist() == [2, 5] and store.count(SUGGESTED) == 1
    with closing(sqlite3.connect(path)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(corrections)")]
    assert columns == ["id", "label", "predicted", "image", "created", "state"]
    assert CorrectionStore(path).count() == 3  # opened again: migrated once, nothing changed


def _open_old_file(path: str, start) -> None:
    start.wait()
    CorrectionStore(path).count()


def test_processes_opening_an_old_file_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(OLD_SCHEMA)
        db.execute("INSERT INTO corrections (label, image, created) VALUES (3, ?, 'x')", (bytes(784),))
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    workers = [context.Process(target=_open_old_file, args=(str(path), start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert CorrectionStore(path).count(ACCEPTED) == 1


# Imports are bounded member by member before anything is unpacked.

def _peak_while(action) -> tuple[int, BaseException | None]:
    """Peak memory Python and numpy allocated while `action` ran, and what it raised."""
    import tracemalloc

    tracemalloc.start()
    try:
        action()
        raised = None
    except BaseException as error:  # noqa: BLE001 - handed back to the test
        raised = error
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, raised


def test_a_zip_bomb_in_predicted_is_refused_from_its_header(store, monkeypatch):
    """`predicted` of 25 million zeros: 200 MB unpacked, 0.2 MB in the file; refused before it is unpacked."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.stack([digit() for _ in range(3)]), labels=np.array([1, 2, 3]),
                        predicted=np.zeros(25 * 10**6, np.int64))
    bomb = buffer.getvalue()
    assert len(bomb) < MAX_IMPORT_BYTES
    monkeypatch.setattr("digit_app.store.corrections.read_array", _never_read)
    peak, raised = _peak_while(lambda: store.import_npz(bomb))
    assert isinstance(raised, CorrectionsError) and "unpacks to 200 MB" in str(raised)
    assert peak < 2 * len(bomb) + 10 * 10**6, f"peak {peak / 1e6:.0f} MB"
    assert store.count() == 0


def test_a_predicted_member_larger_than_the_images_is_refused_from_its_header(store, monkeypatch):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.stack([digit() for _ in range(3)]), labels=np.array([1, 2, 3]),
                        predicted=np.zeros(5 * 10**6, np.int8))  # under the size cap, but not one per image
    monkeypatch.setattr("digit_app.store.corrections.read_array", _never_read)
    with pytest.raises(CorrectionsError, match="one per image"):
        store.import_npz(buffer.getvalue())


def test_an_import_of_the_wrong_kinds_is_refused_from_its_headers(store, monkeypatch):
    monkeypatch.setattr("digit_app.store.corrections.read_array", _never_read)
    images = np.stack([digit() for _ in range(2)])
    with pytest.raises(CorrectionsError, match="pixels must be uint8, or floats"):
        store.import_npz(_npz(images=images.astype(np.int32), labels=np.array([1, 2])))
    with pytest.raises(CorrectionsError, match="whole number from 0 to 9"):
        store.import_npz(_npz(images=images, labels=np.array([1 + 1j, 2])))
    with pytest.raises(CorrectionsError, match="images \\(n, 28, 28\\) and labels"):
        store.import_npz(_npz(labels=np.array([1, 2])))


def _never_read(*_args, **_kwargs):
    raise AssertionError("an array was read")


def test_messages_name_the_file_never_its_folder(tmp_path, caplog):
    broken = tmp_path / "secret-server-folder" / "corrections.sqlite"
    broken.parent.mkdir()
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorrectionsError, match="corrections.sqlite cannot be used") as refused:
        CorrectionStore(broken).count()
    assert "secret-server-folder" not in str(refused.value)
    assert str(broken) in caplog.text
