"""What finding the pages' database URL in Streamlit's secrets costs (`ui/shared_database.secrets_url`), in process.

    python benchmarks/secrets_lookup.py [--calls 20000] [--repo DIR]

Two cases, each in a folder of its own as the current folder (Streamlit's default secrets paths:
`~/.streamlit/secrets.toml` and `./.streamlit/secrets.toml`): no secrets file anywhere, and a
`.streamlit/secrets.toml` naming a database. Prints microseconds per call (the best of five rounds).
`--repo` times another checkout's `secrets_url` (its `digit_app` first on the path), to set it beside
this one's; every round runs in a fresh process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUND = """
import sys, timeit
from digit_app.ui.shared_database import secrets_url
secrets_url()
print(min(timeit.repeat(secrets_url, number={calls}, repeat=5)) / {calls} * 1e6)
"""


def microseconds(repo: Path, folder: Path, calls: int) -> float:
    """One `secrets_url()` in `repo`'s code, run from `folder`, in microseconds (a fresh process, HOME there too)."""
    done = subprocess.run([sys.executable, "-c", ROUND.format(calls=calls)], cwd=folder, capture_output=True,
                          text=True, timeout=600, check=True,
                          env={**os.environ, "PYTHONPATH": str(repo), "HOME": str(folder)})
    return float(done.stdout.split()[-1])


def main() -> None:
    """Print the microseconds of each case."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--calls", type=int, default=20_000)
    options.add_argument("--repo", type=Path, default=ROOT)
    chosen = options.parse_args()
    print(f"secrets_url() in {chosen.repo}, best of 5 rounds of {chosen.calls} calls")
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as with_file:
        secrets = Path(with_file) / ".streamlit" / "secrets.toml"
        secrets.parent.mkdir()
        secrets.write_text('[connections.digits]\nurl = "sqlite:////tmp/benchmark.sqlite"\n')
        for name, folder in (("no secrets file", empty), ("a secrets file", with_file)):
            print(f"  {name:<16} {microseconds(chosen.repo, Path(folder), chosen.calls):8.1f} us per call")


if __name__ == "__main__":
    main()
