"""Corrections in the database (digit_app/database/corrections.py) on SQLite and on a real PostgreSQL: add, list,
page, accept, reject, delete, restore, export and import through the store's bounded .npz format
(digit_app/store/corrections.py), processes writing at once, and two replicas sharing one PostgreSQL."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from digit_app.database import CorrectionsTable, Database, DatabaseError, NewCorrection
from digit_app.database import corrections as corrections_module
from digit_app.database.schema import ACCEPTED, SUGGESTED
from digit_app.store.corrections import MAX_IMPORT_BYTES, CorrectionsError, read_npz, write_npz
from tests.browser import ROOT
from tests.services import database, database_url, postgres_server  # noqa: F401 - fixtures


@pytest.fixture()
def table(database) -> CorrectionsTable:  # noqa: F811 - the fixture imported above
    return CorrectionsTable(database)


def digit(value: float = 0.5) -> np.ndarray:
    """A drawn-looking (28, 28) model input, floats in [0, 1]."""
    image = np.zeros((28, 28), np.float32)
    image[5:23, 12:16] = value
    return image


def pixels(value: int) -> np.ndarray:
    """A (28, 28) uint8 image that differs for every `value`."""
    image = np.zeros((28, 28), np.uint8)
    image.flat[value % 784] = 255
    image[0, 0] = value % 256
    return image


def test_corrections_are_kept_listed_paged_and_counted_by_state(table):
    first = table.add(digit(1.0), 7, predicted=1)
    second = table.add(pixels(2), 2, state=SUGGESTED)
    third = table.add(digit(0.5), 4)
    assert [c.id for c in table.list()] == [first, second, third]
    assert [(c.label, c.predicted) for c in table.list(ACCEPTED)] == [(7, 1), (4, None)]
    assert table.count() == 3 and table.count(SUGGESTED) == 1 and table.count(ACCEPTED) == 2
    assert [c.id for c in table.page(0, 2)] == [third, second]  # newest first
    assert [c.id for c in table.page(2, 2)] == [first]
    assert [c.id for c in table.page(0, 5, SUGGESTED)] == [second]
    kept = table.list()
    assert kept[0].state == ACCEPTED and kept[0].created.endswith("+00:00")
    assert kept[0].image.dtype == np.uint8 and kept[0].image.max() == 255 and kept[2].image.max() == 128
    np.testing.assert_array_equal(kept[1].image, pixels(2))
    with pytest.raises(CorrectionsError, match="A page starts at 0"):
        table.page(-1, 3)


def test_deleting_removes_exactly_one(table):
    ids = [table.add(digit(), d) for d in (1, 2, 3)]
    assert table.delete(ids[1]) is True
    assert table.delete(ids[1]) is False
    assert [c.label for c in table.list()] == [1, 3]


def test_a_deleted_correction_is_restored_with_its_id_date_state_and_read_as_once(table):
    table.add(digit(), 1)
    second = table.add(digit(0.3), 2, predicted=5, state=SUGGESTED)
    table.add(digit(0.7), 3)
    before = [(c.id, c.label, c.predicted, c.created, c.state, c.image.tobytes()) for c in table.list()]
    gone = table.list()[1]
    assert table.delete(second) and not table.delete(second)
    assert table.restore(gone) is True
    assert [(c.id, c.label, c.predicted, c.created, c.state, c.image.tobytes()) for c in table.list()] == before
    assert table.restore(gone) is False  # already back: nothing doubled
    assert table.count() == 3
    assert table.add(digit(), 4) > max(row[0] for row in before)  # a deleted id is never handed out again


@pytest.mark.parametrize(("image", "label", "message"), [
    (np.zeros((28, 27)), 3, "shape"), (np.zeros((27, 28), np.uint8), 3, "shape"), (digit(), 10, "0 to 9"),
    (digit(), True, "0 to 9"), (digit() * 5, 3, "floats from 0 to 1"), (np.full((28, 28), np.nan), 3, "floats"),
    (np.zeros((28, 28), np.int32), 3, "uint8, or floats"),
])
def test_bad_corrections_are_refused(table, image, label, message):
    with pytest.raises(CorrectionsError, match=message) as refused:
        table.add(image, label)
    assert isinstance(refused.value, DatabaseError)  # the pages say either kind the same way
    assert table.count() == 0


def test_the_database_itself_refuses_a_broken_correction(database):  # noqa: F811 - the fixture
    for label, size in ((12, 784), (1, 100)):
        with pytest.raises(DatabaseError, match="refused"):
            with database.write() as connection:
                connection.execute(sa.text("INSERT INTO corrections (label, image, created, state) "
                                           "VALUES (:label, :image, 'now', 'accepted')"),
                                   {"label": label, "image": bytes(size)})
    assert CorrectionsTable(database).count() == 0


# Suggestions: a visitor's correction on a locked deployment waits for the operator.

def test_a_suggestion_waits_and_training_reads_accepted_corrections_only(table):
    accepted = table.add(digit(0.9), 4, predicted=9)
    suggested = [table.add(digit(0.1 * d), d, state=SUGGESTED) for d in (1, 2, 3)]
    assert table.count() == 4 and table.count(ACCEPTED) == 1 and table.count(SUGGESTED) == 3
    assert table.arrays()[1].tolist() == [4]  # what training learns from
    with np.load(io.BytesIO(table.export_npz())) as exported:
        assert exported["labels"].tolist() == [4]  # nothing handed on before it is accepted
    assert [c.id for c in table.page(0, 10, SUGGESTED)] == suggested[::-1]
    assert table.accept([suggested[0], accepted, 9999]) == 1  # only what was waiting
    assert table.reject(suggested[1]) is True
    assert table.reject(accepted) is False  # reject never removes an accepted correction
    images, labels = table.arrays()
    assert images.shape == (2, 28, 28) and images.dtype == np.uint8 and labels.tolist() == [4, 1]
    assert [(c.label, c.state) for c in table.list()] == [(4, ACCEPTED), (1, ACCEPTED), (3, SUGGESTED)]
    with pytest.raises(CorrectionsError, match="accepted or suggested"):
        table.add(digit(), 5, state="approved")


def test_suggestions_are_capped_with_a_sentence(table, monkeypatch):
    monkeypatch.setattr(corrections_module, "MAX_SUGGESTIONS", 2)
    for d in (1, 2):
        table.add(digit(), d, state=SUGGESTED)
    with pytest.raises(CorrectionsError, match="2 suggestions already wait for the operator"):
        table.add(digit(), 3, state=SUGGESTED)
    table.add(digit(), 3)  # the operator's own is never capped
    table.accept([c.id for c in table.list(SUGGESTED)][:1])
    table.add(digit(), 4, state=SUGGESTED)
    assert table.count(SUGGESTED) == 2 and table.count(ACCEPTED) == 2


def test_a_rejected_suggestion_is_restored_as_a_suggestion(table):
    table.add(digit(), 6, state=SUGGESTED)
    taken = table.list()[0]
    assert table.reject(taken.id) and table.count() == 0
    assert table.restore(taken) is True
    assert [(c.id, c.state) for c in table.list()] == [(taken.id, SUGGESTED)]


# Export and import: the store's .npz format, every file bounded and checked whole before anything is added.

def test_export_then_import_round_trips_and_a_second_import_adds_nothing(table):
    for d in range(10):
        table.add(digit(d / 10), d, predicted=(d + 3) % 10 if d % 2 else None)
    exported = table.export_npz()
    before = [(c.label, c.predicted, c.image.tobytes()) for c in table.list()]
    for correction in table.list():
        table.delete(correction.id)
    assert table.import_npz(exported) == 10
    assert [(c.label, c.predicted, c.image.tobytes()) for c in table.list()] == before  # read-as kept
    assert table.import_npz(exported) == 0  # merged by content
    assert table.count() == 10


def test_an_import_adds_only_corrections_not_kept_and_checks_all_first(table):
    table.add(pixels(1), 1)
    items = [NewCorrection(pixels(1), 1), NewCorrection(pixels(2), 2, 4), NewCorrection(pixels(2), 2)]
    assert table.add_new(items) == 1
    assert table.add_new(items) == 0
    with pytest.raises(CorrectionsError, match="label"):
        table.add_new([NewCorrection(pixels(5), 5), NewCorrection(pixels(6), 12)])
    assert table.count() == 2


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
def test_an_import_with_one_bad_label_keeps_nothing(table, labels, message):
    images = np.stack([digit(0.1 * (i + 1)) for i in range(4)])
    with pytest.raises(CorrectionsError, match=message):
        table.import_npz(_npz(images=images, labels=labels))
    assert table.count() == 0


def test_bad_files_are_refused_with_a_reason(table):
    with pytest.raises(CorrectionsError, match="not a corrections file"):
        table.import_npz(b"not an npz")
    with pytest.raises(CorrectionsError, match="at most 10000"):
        table.import_npz(_npz(images=np.zeros((10_001, 28, 28), np.uint8), labels=np.zeros(10_001, np.uint8)))
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))  # a .npy renamed .npz
    with pytest.raises(CorrectionsError, match="not a corrections file"):
        table.import_npz(buffer.getvalue())
    assert table.count() == 0


def test_the_npz_format_reads_back_what_it_wrote():
    images = np.stack([pixels(n) for n in range(3)])
    rows = read_npz(write_npz(images, np.array([4, 5, 6]), [None, 2, 9]))
    assert [(label, predicted) for _, label, predicted in rows] == [(4, None), (5, 2), (6, 9)]
    assert all(np.array_equal(image, images[n]) and image.dtype == np.uint8 for n, (image, _, _) in enumerate(rows))
    floats = _npz(images=images / 255.0, labels=np.array([1.0, 2.0, 3.0]))  # floats in [0, 1], no read-as
    assert [(np.array_equal(image, images[n]), label, guess) for n, (image, label, guess) in
            enumerate(read_npz(floats))] == [(True, 1, None), (True, 2, None), (True, 3, None)]


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


def _never_read(*_args, **_kwargs):
    raise AssertionError("an array was read")


def test_a_zip_bomb_in_predicted_is_refused_from_its_header(monkeypatch):
    """`predicted` of 25 million zeros: 200 MB unpacked, 0.2 MB in the file; refused before it is unpacked."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.stack([digit() for _ in range(3)]), labels=np.array([1, 2, 3]),
                        predicted=np.zeros(25 * 10**6, np.int64))
    bomb = buffer.getvalue()
    assert len(bomb) < MAX_IMPORT_BYTES
    monkeypatch.setattr("digit_app.store.corrections.read_array", _never_read)
    peak, raised = _peak_while(lambda: read_npz(bomb))
    assert isinstance(raised, CorrectionsError) and "unpacks to 200 MB" in str(raised)
    assert peak < 2 * len(bomb) + 10 * 10**6, f"peak {peak / 1e6:.0f} MB"


def test_a_predicted_member_larger_than_the_images_is_refused_from_its_header(monkeypatch):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.stack([digit() for _ in range(3)]), labels=np.array([1, 2, 3]),
                        predicted=np.zeros(5 * 10**6, np.int8))  # under the size cap, but not one per image
    monkeypatch.setattr("digit_app.store.corrections.read_array", _never_read)
    with pytest.raises(CorrectionsError, match="one per image"):
        read_npz(buffer.getvalue())


def test_an_import_of_the_wrong_kinds_is_refused_from_its_headers(monkeypatch):
    monkeypatch.setattr("digit_app.store.corrections.read_array", _never_read)
    images = np.stack([digit() for _ in range(2)])
    with pytest.raises(CorrectionsError, match="pixels must be uint8, or floats"):
        read_npz(_npz(images=images.astype(np.int32), labels=np.array([1, 2])))
    with pytest.raises(CorrectionsError, match="whole number from 0 to 9"):
        read_npz(_npz(images=images, labels=np.array([1 + 1j, 2])))
    with pytest.raises(CorrectionsError, match="images \\(n, 28, 28\\) and labels"):
        read_npz(_npz(labels=np.array([1, 2])))


# Many writers at once: threads of one server, and processes (replicas) sharing the database.

def test_corrections_saved_from_many_threads_at_once_are_all_kept(table):
    ids: list[int] = []

    def save(start: int) -> None:
        ids.extend(table.add(pixels(n), n % 10) for n in range(start, start + 20))

    threads = [threading.Thread(target=save, args=(k * 20,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == [c.id for c in table.list()] and len(set(ids)) == 120


def _add_many(url: str, label: int, count: int, start) -> None:
    table = CorrectionsTable(Database(url))
    start.wait()
    for _ in range(count):
        table.add(digit(), label)


def _import_twice(url: str, data: bytes, start) -> None:
    table = CorrectionsTable(Database(url))
    start.wait()
    for _ in range(2):
        table.import_npz(data)  # reads what is kept, then writes: another writer may commit in between


def test_processes_adding_and_importing_at_once_lose_nothing(table, database_url):  # noqa: F811 - the fixture
    source = write_npz(np.stack([pixels(n) for n in range(20)]), np.full(20, 5), [None] * 20)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    workers = [context.Process(target=_add_many, args=(database_url, label, 30, start)) for label in (3, 7, 8)]
    workers.append(context.Process(target=_import_twice, args=(database_url, source, start)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    labels = table.arrays()[1]
    assert len(labels) == 110 and all((labels == label).sum() == 30 for label in (3, 7, 8))


REPLICA = """
import json, sys
import numpy as np
from digit_app.database import corrections_table, open_database
table = corrections_table(open_database())
if sys.argv[1] == "save":
    table.add(np.full((28, 28), 0.5, np.float32), int(sys.argv[2]), predicted=1)
print(json.dumps([[c.label, c.predicted] for c in table.list()]))
"""


def test_a_correction_saved_by_one_replica_is_listed_by_the_other(postgres_server, tmp_path):  # noqa: F811
    """Two processes, each with its own data, models folder and corrections file, one PostgreSQL between them."""
    url = postgres_server.create_database("replicas")

    def replica(name: str, *args: str) -> list[list[int]]:
        folder = tmp_path / name
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DIGIT_APP_DATABASE_URL": url,
               "DIGIT_APP_DATA_DIR": str(folder / "data"), "DIGIT_APP_MODELS": str(folder / "models"),
               "DIGIT_APP_CORRECTIONS": str(folder / "corrections.sqlite")}
        done = subprocess.run([sys.executable, "-c", REPLICA, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert replica("a", "save", "7") == [[7, 1]]
    assert replica("b", "list") == [[7, 1]]
    assert replica("b", "save", "3") == [[7, 1], [3, 1]]
    assert replica("a", "list") == [[7, 1], [3, 1]]
    assert not (tmp_path / "a" / "data").exists() and not (tmp_path / "b" / "data").exists()  # nothing kept locally
