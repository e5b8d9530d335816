"""JSON kept in text columns: bounded and plain when written, and when read back an object or nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def dump(value: Mapping[str, Any], limit: int, what: str, error: type[Exception]) -> str:
    """`value` as JSON text; `error` names `what` when it is not plain JSON or longer than `limit` characters."""
    try:
        text = json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError) as problem:
        raise error(f"{what} must be plain JSON: {problem}.") from None
    if len(text) > limit:
        raise error(f"{what} is at most {limit:,} bytes as JSON, not {len(text):,}.")
    return text


def load(text: str | None, limit: int) -> dict[str, Any] | None:
    """Stored JSON as a dict; None when absent, longer than `limit`, or not an object (it is never trusted further)."""
    if text is None or len(text) > limit:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
