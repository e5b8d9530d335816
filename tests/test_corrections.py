"""The corrections store: add, list, delete, export and import, and two processes writing at once."""

from __future__ import annotations

import io
import multiprocessing
import sqlite3

import numpy as np
import pytest

from digit_app.store.corrections import CorrectionsError, CorrectionStore


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


@pytest.mark.parametrize("round_", range(5))  # each round races on a new file; one round alone misses it half the time
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
