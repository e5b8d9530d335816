"""The test suite's own rules: what the helpers shared with benchmarks/ leave alone, and what the tests train on."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.browser import ROOT
from tests.paths import PEN_SAMPLE


def test_importing_the_shared_helpers_sets_none_of_the_apps_settings():
    """benchmarks/ import these modules: a server a benchmark starts must learn from the real pen digits."""
    code = ("import os\n"
            "import tests.browser, tests.canvas_values, tests.pages, tests.paths, tests.protocol, tests.strokes\n"
            "print(sorted(name for name in os.environ if name.startswith('DIGIT_APP_')))\n")
    env = {name: value for name, value in os.environ.items() if not name.startswith("DIGIT_APP_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_training_in_the_tests_learns_from_the_small_pen_sample():
    from digit_app.settings import ENV_PEN_DIGITS
    from digit_app.strokes.pen_digits import load_pen_digits

    assert os.environ[ENV_PEN_DIGITS] == str(PEN_SAMPLE)
    assert len(load_pen_digits()) == 120
