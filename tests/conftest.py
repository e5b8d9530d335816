"""Shared test fixtures: the small MNIST sample shipped with the tests, the shipped model, and the folders and
settings every test gets (the fixture files' paths are in tests/paths.py, which benchmarks/ import too)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from tests.paths import MNIST_SAMPLE, SMALL_PEN_DIGITS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session", autouse=True)
def small_pen_digits():
    """Training in the tests (and in the training processes they start) learns from the small pen sample, for the
    whole run; the variable is set here, not when this file is imported, so nothing that imports the tests' helpers
    inherits it. The app servers the tests start get it from `serve(..., env=SMALL_PEN_DIGITS)`."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SMALL_PEN_DIGITS.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session", autouse=True)
def cache_folder(tmp_path_factory):
    """Pen digits drawn for training are kept in a folder of the test run (`training.drawn_cache`), never the
    home's ~/.cache; the training processes and servers the tests start inherit it."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("cache")
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def no_worker_ahead(monkeypatch):
    """Pages run in the test's own process (AppTest) start no training worker ahead of a Start (`Trainer.warm`): each
    would load TensorFlow for minutes of waiting. Servers the tests start keep the app's behaviour."""
    monkeypatch.setattr("digit_app.jobs.trainer.LINGER", 0.0)


@pytest.fixture(scope="session")
def mnist_sample() -> dict[str, np.ndarray]:
    """300 MNIST training and 300 MNIST test digits with labels (the keys of Keras' mnist.npz)."""
    with np.load(MNIST_SAMPLE) as archive:
        return {key: archive[key] for key in archive.files}


@pytest.fixture(scope="session")
def classifier():
    """The shipped model, loaded once for the whole run."""
    from digit_app.model import load_classifier
    from digit_app.store.versions import SHIPPED_MODEL

    return load_classifier(SHIPPED_MODEL)


def _only_in_browser_tests(request) -> None:
    """The shared server and browser fixtures start processes: `-m "not browser"` must never reach them."""
    if not request.node.get_closest_marker("browser"):
        raise pytest.UsageError(f"{request.node.name} uses a server or a browser: mark its tests `browser`")


@pytest.fixture(scope="module")
def browser(request):
    """One headless Chromium for a browser test module (tests/browser.py launches it)."""
    from tests.browser import chromium

    _only_in_browser_tests(request)

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def models_folder(tmp_path_factory) -> Path:
    """Where a browser test module's server keeps new models and its database, `app.sqlite`."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def app_url(request, models_folder):
    """A real `streamlit run` of the app on 127.0.0.1 for a browser test module, its new models in
    `models_folder`."""
    from tests.browser import serve

    _only_in_browser_tests(request)
    with serve(models_folder, MNIST_SAMPLE, env=SMALL_PEN_DIGITS) as app:
        yield app.url


@pytest.fixture()
def models(tmp_path, monkeypatch):
    """An empty models folder for the test (its tmp_path): versions and the active pointer go there. The one way a
    test (or a fixture) gets its own models folder."""
    from digit_app.settings import ENV_MODELS_DIR

    monkeypatch.setenv(ENV_MODELS_DIR, str(tmp_path))
    return tmp_path


@pytest.fixture(autouse=True)
def corrections_file(tmp_path, monkeypatch):
    """Every test's corrections file of before the database is its own (absent unless the test makes one), never
    the repository's data/corrections.sqlite."""
    from digit_app.settings import ENV_CORRECTIONS

    path = tmp_path / "corrections.sqlite"
    monkeypatch.setenv(ENV_CORRECTIONS, str(path))
    return path


@pytest.fixture(autouse=True)
def app_database(tmp_path, monkeypatch):
    """Every test's app (pages, commands, training) keeps its shared state in its own SQLite file, never in the
    repository's data/ folder; the URL is returned, and the process's `Database` on it closed afterwards."""
    from digit_app.settings import ENV_DATABASE_URL

    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv(ENV_DATABASE_URL, url)
    yield url
    import sys

    engine = sys.modules.get("digit_app.database.engine")
    opened = engine._opened.pop(url, None) if engine is not None else None
    if opened is not None:
        opened.dispose()


# A test file that starts a Streamlit server or Chromium (through tests/browser.py, tests/protocol.py or
# Playwright itself) must mark every test in it `browser`, so that `-m "not browser"` never starts one.
STARTS_A_SERVER_OR_BROWSER = re.compile(r"\b(serve|sessions_drawing|record_drawing|sync_playwright|async_playwright)\("
                                        r"|[\"']streamlit[\"'],\s*[\"']run[\"']")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything: the quick run checks every file too
def pytest_collection_modifyitems(config, items):
    starts: dict[Path, bool] = {}
    unmarked = []
    for item in items:
        path = Path(item.path)
        if path not in starts:
            starts[path] = bool(STARTS_A_SERVER_OR_BROWSER.search(path.read_text(encoding="utf-8")))
        if starts[path] and item.get_closest_marker("browser") is None:
            unmarked.append(item.nodeid)
    if unmarked:
        raise pytest.UsageError("These tests are in a file that starts a Streamlit server or a browser, but are not "
                                "marked `browser` (pytestmark = pytest.mark.browser):\n  " + "\n  ".join(unmarked))
