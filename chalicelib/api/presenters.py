"""How responses and WebSocket frames look: one place for every shape the API
returns. Domain objects carry their canonical dictionaries (``to_dict``), which
events use too; this module wraps them for lists, replies and errors."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.errors import DomainError
from chalicelib.domain.model import Message, Page


class Shaped(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def item(value: Shaped | dict[str, Any]) -> dict[str, Any]:
    return value if isinstance(value, dict) else value.to_dict()


def page(found: Page[Any]) -> dict[str, Any]:
    """Every list: ``{"items": [...], "next_cursor": <opaque or null>}``."""
    return {"items": [item(i) for i in found.items], "next_cursor": found.next_cursor}


def unpaged(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A list that is small by construction (a company's numbers, a user's devices)."""
    return {"items": items, "next_cursor": None}


def message(value: Message) -> dict[str, Any]:
    return value.to_dict()


def frame(kind: str, request_id: object, **data: Any) -> dict[str, Any]:
    """A WebSocket reply to the device that asked: ``{"type", "data": {request_id, …}}``."""
    return {"type": kind, "data": {"request_id": request_id, **data}}


def error_frame(request_id: object, error: DomainError) -> dict[str, Any]:
    return frame("error", request_id, code=error.code, message=error.message)
