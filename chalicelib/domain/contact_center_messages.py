"""The routing queue's messages: routing work and timers, one frozen dataclass per
kind, decoded once from the queue's JSON body (``decode``) and dispatched by their
type through a table (``chalicelib.services.contact_center.ContactCenter``).

The JSON shape (``{"kind": ..., fields}``) is the wire format messages already in
flight use: a kind keeps its name and its fields' names. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar


class BadRoutingMessage(ValueError):
    """A body that is not a routing message this code knows (see ``decode``)."""


class UnknownRoutingMessage(BadRoutingMessage):
    """A well-formed body of a kind this code does not know (a newer or retired kind)."""


@dataclass(frozen=True)
class Admit:
    """A new interaction: admit it to its queue (or turn it away), then route. The
    company and the queue it was opened in let its reads go in one request; None in
    messages queued before they were carried."""

    KIND: ClassVar[str] = "admit"
    interaction_id: str
    company_id: str | None = None
    queue_id: str | None = None


@dataclass(frozen=True)
class Route:
    """Offer the waiting interactions of these queues to whoever can take them."""

    KIND: ClassVar[str] = "route"
    company_id: str
    queue_ids: tuple[str, ...]


@dataclass(frozen=True)
class WaitingCheck:
    """Timer: a wait is watched (abandon, overflow, route again). ``offer_no`` ties
    the check to one wait; None in checks armed before it was carried."""

    KIND: ClassVar[str] = "waiting_check"
    interaction_id: str
    offer_no: int | None = None


@dataclass(frozen=True)
class OfferTimeout:
    """Timer: offer number ``offer_no`` was not answered in time."""

    KIND: ClassVar[str] = "offer_timeout"
    interaction_id: str
    offer_no: int


@dataclass(frozen=True)
class IdleCheck:
    """Timer: has the customer of an active interaction gone quiet?"""

    KIND: ClassVar[str] = "idle_check"
    interaction_id: str


@dataclass(frozen=True)
class WrapUpEnd:
    """Timer: the agent's wrap-up time is over: close the interaction."""

    KIND: ClassVar[str] = "wrap_up_end"
    interaction_id: str


@dataclass(frozen=True)
class QueueFlush:
    """Timer: publish the queue's figures held back by the ``queue.updated`` throttle
    (publication ``seq`` armed it)."""

    KIND: ClassVar[str] = "queue_flush"
    company_id: str
    queue_id: str
    seq: int


RoutingMessage = Admit | Route | WaitingCheck | OfferTimeout | IdleCheck | WrapUpEnd | QueueFlush

KINDS: dict[str, type[RoutingMessage]] = {
    cls.KIND: cls
    for cls in (Admit, Route, WaitingCheck, OfferTimeout, IdleCheck, WrapUpEnd, QueueFlush)
}


def encode(message: RoutingMessage) -> dict[str, Any]:
    """The message's JSON body (``decode`` gives it back)."""
    body = asdict(message)
    if isinstance(message, Route):
        body["queue_ids"] = list(message.queue_ids)
    return {"kind": message.KIND, **body}


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise BadRoutingMessage("expected a non-empty string")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRoutingMessage("expected a whole number")
    return value


def _whole_or_none(value: Any) -> int | None:
    return None if value is None else _whole(value)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else _text(value)


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BadRoutingMessage("expected a list of strings")
    return tuple(_text(v) for v in value)


# how each field's JSON value becomes its typed value (by field name: one meaning each)
_FIELDS: dict[str, Callable[[Any], Any]] = {
    "interaction_id": _text,
    "company_id": _text,
    "queue_id": _text,
    "queue_ids": _texts,
    "offer_no": _whole,
    "seq": _whole,
}


# optional fields (absent or null in a body) by their type
_OPTIONAL: dict[str, Callable[[Any], Any]] = {
    "int | None": _whole_or_none,
    "str | None": _text_or_none,
}


def decode(body: Any) -> RoutingMessage:
    """The typed message of a JSON body. ``UnknownRoutingMessage`` for a kind this
    code does not know, ``BadRoutingMessage`` for anything else that is wrong (not an
    object, a field missing or of the wrong type)."""
    if not isinstance(body, dict):
        raise BadRoutingMessage("a routing message is a JSON object")
    kind = body.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise UnknownRoutingMessage(f"unknown routing message kind {kind!r}")
    values: dict[str, Any] = {}
    for spec in fields(cls):
        parse = _OPTIONAL.get(str(spec.type), _FIELDS[spec.name])
        if spec.name not in body:
            if spec.default is None:  # an optional field (WaitingCheck.offer_no)
                continue
            raise BadRoutingMessage(f"{kind} needs {spec.name}")
        try:
            values[spec.name] = parse(body[spec.name])
        except BadRoutingMessage as error:
            raise BadRoutingMessage(f"{kind}.{spec.name}: {error}") from None
    return cls(**values)
