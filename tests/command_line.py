"""The command line (`python -m digit_app`) run in a process of its own, as a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The command line in a process of its own, with a timeout: one that blocks (a bug) fails instead of hanging."""
    return subprocess.run([sys.executable, "-m", "digit_app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})
