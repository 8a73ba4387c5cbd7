"""Typed commands: what a request asks for, once the edge has parsed it.

REST routes and WebSocket actions parse their JSON into these (``api.requests``),
so the services see types, never raw JSON; a value that is the wrong type, too
long, or not valid Unicode never gets past the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SendMessage:
    conversation_id: str
    client_id: str
    text: str | None
    media: tuple[str, ...] = ()
    note: bool = False  # a private note to the people on the line, never sent


@dataclass(frozen=True)
class MarkRead:
    conversation_id: str
    seq: int


@dataclass(frozen=True)
class SyncRequest:
    positions: dict[str, int]
    limit: int


@dataclass(frozen=True)
class Typing:
    conversation_id: str


@dataclass(frozen=True)
class WatchPresence:
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class SetConnectionState:
    state: str


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class CreateIm:
    members: tuple[str, ...]
    name: str | None = None
    group: bool | None = None


@dataclass(frozen=True)
class CreateSms:
    to: str
    from_: str | None = None
    consent: str | None = None  # how the customer opted in, when a person starts it


@dataclass(frozen=True)
class UpdateConversation:
    name: str | None = None
    muted: bool | None = None
    hidden: bool | None = None
    assignee: str | None = None  # null unassigns
    labels: tuple[str, ...] | None = None
    fields: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SetPresence:
    status: str
    message: str = ""
    expires_at: str | None = None
    expires_in: int | None = None


@dataclass(frozen=True)
class UploadRequest:
    content_type: str
    size: int
    filename: str | None = None


@dataclass(frozen=True)
class PhoneInput:
    number: str
    label: str | None = None


@dataclass(frozen=True)
class ContactInput:
    """A new contact or a change: None is "not given"; ``email``/``company`` are ""
    when a change clears them."""

    name: str | None
    phone: str | None
    phones: tuple[PhoneInput, ...] | None = None
    email: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class DeviceInput:
    device_id: str
    platform: str
    token: str


@dataclass(frozen=True)
class PreviewText:
    text: str
    to: str | None = None


@dataclass(frozen=True)
class DayRange:
    first: str
    last: str


@dataclass(frozen=True)
class Changes:
    """An admin's partial update: only the fields given, each already of its type."""

    values: dict[str, str | bool | list[str] | None]


@dataclass(frozen=True)
class InviteUser:
    username: str
    email: str
    name: str
    role: str = "user"


@dataclass(frozen=True)
class SignOut:
    refresh_token: str | None
    device_id: str | None
