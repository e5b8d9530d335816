"""Browsers keep the components' bundles: Streamlit serves a v2 component's files with "Cache-Control: public" and
no validator, so every new tab downloads the canvas' bundle again; a file whose name carries its content's hash
(index-ynYgWHmM.js) never changes, and is marked so here, as Streamlit marks its own bundles."""

from __future__ import annotations

import re
from typing import Any

COMPONENT_FILES = "/_stcore/bidi-components/"
# A name ending in a bundler's content hash: 8 letters, digits or _ with both cases or a digit (index-ynYgWHmM.js),
# never a word (app-frontend.js).
HASHED = re.compile(r"/[^/]+[-.](?=\w*[A-Z0-9])(?=\w*[a-z])\w{8}\.(?:js|css)$")
IMMUTABLE = b"public, immutable, max-age=31536000"


def is_hashed_component_file(path: str) -> bool:
    """Whether `path` is a v2 component's file whose name carries a content hash."""
    return path.startswith(COMPONENT_FILES) and "/.." not in path and HASHED.search(path) is not None


class ComponentBundleCache:
    """ASGI middleware: the answers for components' hashed files say they may be kept a year without asking."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not is_hashed_component_file(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def send_cached(message: dict) -> None:
            if message.get("type") == "http.response.start" and message.get("status") == 200:
                headers = [(name, value) for name, value in message.get("headers", [])
                           if name.lower() != b"cache-control"]
                message = {**message, "headers": [*headers, (b"cache-control", IMMUTABLE)]}
            await send(message)

        await self.app(scope, receive, send_cached)
