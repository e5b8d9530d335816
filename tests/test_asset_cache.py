"""digit_app/ui/asset_cache.py: the canvas' hashed bundle is marked immutable; nothing else is touched."""

from __future__ import annotations

import asyncio

import pytest

from digit_app.ui.asset_cache import IMMUTABLE, ComponentBundleCache, is_hashed_component_file

CANVAS = "/_stcore/bidi-components/streamlit-drawable-canvas.streamlit_drawable_canvas/"


@pytest.mark.parametrize(("path", "hashed"), [
    (CANVAS + "index-ynYgWHmM.js", True),
    (CANVAS + "index-style.css", False),  # no hash: it may change under the same name
    (CANVAS + "app-frontend.js", False),  # a word, not a hash
    ("/static/js/index-ynYgWHmM.js", False),  # Streamlit's own, which Streamlit marks itself
    (CANVAS + "../index-ynYgWHmM.js", False),
])
def test_only_a_components_hashed_files_count(path, hashed):
    assert is_hashed_component_file(path) is hashed


def answer_headers(path: str, status: int = 200) -> dict[bytes, bytes]:
    sent = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"cache-control", b"public"), (b"content-encoding", b"gzip")]})
        await send({"type": "http.response.body", "body": b"x"})

    async def send(message):
        sent.append(message)

    asyncio.run(ComponentBundleCache(app)({"type": "http", "path": path}, None, send))
    return dict(sent[0]["headers"])


def test_the_middleware_replaces_the_cache_header_of_a_hashed_bundle_only():
    assert answer_headers(CANVAS + "index-ynYgWHmM.js") == {b"cache-control": IMMUTABLE, b"content-encoding": b"gzip"}
    assert answer_headers(CANVAS + "index-style.css")[b"cache-control"] == b"public"
    assert answer_headers(CANVAS + "index-ynYgWHmM.js", status=404)[b"cache-control"] == b"public"
