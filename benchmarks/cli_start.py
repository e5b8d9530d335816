"""How long `python -m digit_app` takes to answer before any work: `--help`, a command's `--help`, a usage error.

    python benchmarks/cli_start.py [--runs 10] [--repo DIR]

Each case runs `--runs` times in a fresh process (the interpreter's own start included); the median
and the fastest wall-clock seconds are printed. `--repo` times another checkout's command line (its
`digit_app` first on the path), to set it beside this one's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {"--help": ["--help"], "status --help": ["status", "--help"], "train --help": ["train", "--help"],
         "train --epochs 0 (exit 2)": ["train", "--epochs", "0"]}


def seconds(repo: Path, args: list[str]) -> float:
    """Wall-clock seconds of one `python -m digit_app ARGS` in `repo`."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "digit_app", *args], cwd=repo, capture_output=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(repo)})
    return time.perf_counter() - started


def main() -> None:
    """Print each case's median and fastest seconds."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=10)
    options.add_argument("--repo", type=Path, default=ROOT)
    chosen = options.parse_args()
    print(f"python -m digit_app in {chosen.repo}, {chosen.runs} runs each")
    for name, args in CASES.items():
        times = [seconds(chosen.repo, args) for _ in range(chosen.runs)]
        print(f"  {name:<28} median {statistics.median(times):.2f} s, fastest {min(times):.2f} s")


if __name__ == "__main__":
    main()
