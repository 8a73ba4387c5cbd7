"""Opaque list cursors, shared by the DynamoDB adapters and their fakes."""

from __future__ import annotations

import base64
import binascii
import json

from chalicelib.domain.errors import ValidationError


def encode_cursor(key: dict[str, str], tag: str) -> str:
    raw = json.dumps({**key, "_list": tag}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, tag: str, keys: tuple[str, ...], expect: dict[str, str]
) -> dict[str, dict[str, str]] | None:
    """Turn an opaque cursor back into an ExclusiveStartKey.

    A cursor only works for the list that produced it: its tag (which list, which
    order) must match, it must carry exactly that list's key attributes, and its
    partition must be the caller's.
    """
    if not cursor:
        return None
    if len(cursor) > 4096:
        raise ValidationError("cursor is not valid", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, RecursionError):
        raise ValidationError("cursor is not valid", code="invalid_cursor") from None
    if (
        not isinstance(key, dict)
        or not all(isinstance(k, str) and _key_value(v) for k, v in key.items())
        or key.pop("_list", None) != tag
        or set(key) != set(keys)
        or any(key.get(name) != value for name, value in expect.items())
    ):
        raise ValidationError("cursor is not valid", code="invalid_cursor")
    return {name: {"S": value} for name, value in key.items()}


def _key_value(value: object) -> bool:
    """A key attribute DynamoDB accepts: a string of at most 1,024 characters that is
    valid Unicode (a cursor is client input: anything else is refused, never sent)."""
    if not isinstance(value, str) or not 0 < len(value) <= 1024:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
