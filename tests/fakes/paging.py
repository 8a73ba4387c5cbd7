"""Cursor paging for the fakes: the same opaque cursors as the real adapters."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.cursors import decode_cursor, encode_cursor


def _paginate(
    keys: list[Any], limit: int, cursor: str | None, scope: str, descending: bool = False
) -> tuple[list[Any], str | None]:
    """Pages over (sort key, item) pairs already sorted in the list's order."""
    start = decode_cursor(cursor, scope, ("k",), {})
    if start is not None:
        after = start["k"]["S"]
        keys = [k for k in keys if (k[0] < after if descending else k[0] > after)]
    page = keys[:limit]
    next_cursor = encode_cursor({"k": page[-1][0]}, scope) if len(keys) > limit else None
    return page, next_cursor
