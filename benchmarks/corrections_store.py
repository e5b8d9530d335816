"""Corrections in the database at scale: importing the most one file may hold, a file over that, the page with 20,000.

    python benchmarks/corrections_store.py [--rows N]

Prints the seconds to check and import MAX_IMPORT_ROWS corrections (every label, pixel and shape
checked, merged by content), to refuse a file of 20,000 (from its header, before reading it), to
import the same file again (nothing added), and for the Corrections page (AppTest, the app's own
script) to load with N corrections kept (default 20,000), median of 5 loads after a first one.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digit_app.database import CorrectionsTable, Database  # noqa: E402
from digit_app.settings import ENV_CORRECTIONS, ENV_DATABASE_URL  # noqa: E402
from digit_app.store.corrections import MAX_IMPORT_ROWS, CorrectionsError  # noqa: E402

PAGE = "digit_app/ui/corrections.py"


def corrections_file(rows: int, seed: int) -> bytes:
    """An export-like .npz of `rows` distinct random corrections."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=rng.integers(0, 256, (rows, 28, 28), np.uint8),
                        labels=rng.integers(0, 10, rows).astype(np.uint8),
                        predicted=rng.integers(-1, 10, rows).astype(np.int8))
    return buffer.getvalue()


def seconds(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="corrections kept when the page loads")
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'app.sqlite'}"
        store = CorrectionsTable(Database(url))
        at_cap = corrections_file(MAX_IMPORT_ROWS, seed=0)
        took, added = seconds(lambda: store.import_npz(at_cap))
        print(f"import of {MAX_IMPORT_ROWS:,} corrections ({len(at_cap) / 1e6:.1f} MB), checked and merged: "
              f"{took:.2f} s, {added:,} added")
        took, added = seconds(lambda: store.import_npz(at_cap))
        print(f"the same file again: {took:.2f} s, {added:,} added")
        over = corrections_file(20_000, seed=1)
        start = time.perf_counter()
        try:
            store.import_npz(over)
            outcome = "imported (no cap?)"
        except CorrectionsError as refusal:
            outcome = f"refused: {refusal}"
        print(f"a file of 20,000: {time.perf_counter() - start:.3f} s, {outcome}")
        while store.count() < args.rows:
            store.import_npz(corrections_file(min(MAX_IMPORT_ROWS, args.rows - store.count()), seed=store.count()))
        os.environ[ENV_DATABASE_URL] = url
        os.environ[ENV_CORRECTIONS] = str(Path(folder) / "no-old-file.sqlite")  # none to take in
        at = AppTest.from_file(str(ROOT / PAGE), default_timeout=120)
        at.run()  # first load: imports and caches
        loads = []
        for _ in range(5):
            took, _ = seconds(at.run)
            loads.append(took)
        assert not at.exception, at.exception
        print(f"Corrections page with {store.count():,} kept: loaded in {statistics.median(loads):.2f} s "
              f"(median of 5; first page of {len(at.get('image'))} shown)")


if __name__ == "__main__":
    main()
