"""Entities of the messaging domain. Pure Python: no AWS, no Chalice."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from chalicelib.domain.contacts import Contact as Contact  # re-exported: its old home
from chalicelib.domain.media import media_view

T = TypeVar("T")

IM = "im"
SMS = "sms"
ROLES = ("user", "admin")


def utcnow_iso(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass
class Company:
    company_id: str
    name: str
    default_region: str = "US"
    sms_enabled: bool = True
    im_enabled: bool = True
    help_text: str = ""  # the reply to HELP/INFO texts

    def to_dict(self) -> dict[str, Any]:
        return {
            "company_id": self.company_id,
            "name": self.name,
            "default_region": self.default_region,
            "sms_enabled": self.sms_enabled,
            "im_enabled": self.im_enabled,
            "help_text": self.help_text,
        }


@dataclass
class Policy:
    """A profile policy: a named group of users with shared switches."""

    policy_id: str
    company_id: str
    name: str
    sms_enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.policy_id, "name": self.name, "sms_enabled": self.sms_enabled}


NOT_SMS_CAPABLE_TYPES = ("virtual", "temporary_port_in")


@dataclass
class BusinessNumber:
    """A number the company owns; its users (one, or several for a shared line) text from it."""

    e164: str
    company_id: str
    type: str = "local"  # local, mobile, toll_free, virtual, temporary_port_in
    country: str = "US"
    capabilities: list[str] = field(default_factory=lambda: ["sms", "mms"])
    provider: str = "twilio"
    state: str = "active"
    users: list[str] = field(default_factory=list)
    # What carriers need before they deliver its texts (chalicelib.domain.compliance):
    # kind 10dlc / toll_free / short_code / none ("" before anyone said), and the status
    # of the registration that covers it, copied here so a send reads one item.
    registration: str = ""
    registration_status: str = ""
    registration_id: str = ""
    registration_reason: str = ""

    @property
    def sms_capable(self) -> bool:
        return (
            "sms" in self.capabilities
            and self.type not in NOT_SMS_CAPABLE_TYPES
            and self.state == "active"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "e164": self.e164,
            "company_id": self.company_id,
            "type": self.type,
            "country": self.country,
            "capabilities": list(self.capabilities),
            "provider": self.provider,
            "state": self.state,
            "users": list(self.users),
            "sms_capable": self.sms_capable,
            "registration": {
                "kind": self.registration or "none",
                "status": self.registration_status or "draft",
                "id": self.registration_id,
                "reason": self.registration_reason,
            },
        }


STATUSES = ("available", "busy", "dnd", "away")
OFFLINE = "offline"


@dataclass
class Presence:
    """What a user chose (status, message) and whether any device is live.

    ``offline`` is never chosen: it is derived when no connection is live,
    so closing one device leaves the user online while another is connected.
    """

    status: str = "available"
    message: str = ""
    message_expires_at: str | None = None  # ISO time; the message is hidden after it
    online: bool = False
    online_until: int = 0  # epoch seconds: the latest expiry of a live connection
    updated_at: str = ""

    def view(self, now_epoch: float, now_iso: str) -> dict[str, Any]:
        live = self.online and self.online_until > now_epoch
        message = self.message
        if self.message_expires_at and self.message_expires_at <= now_iso:
            message = ""
        return {
            "status": self.status if live else OFFLINE,
            "chosen_status": self.status,
            "message": message,
            "message_expires_at": self.message_expires_at if message else None,
            "online": live,
            "updated_at": self.updated_at,
        }


@dataclass
class User:
    user_id: str
    company_id: str
    name: str
    email: str = ""
    extension: str = ""
    role: str = "user"
    license_type: str = "unlimited"
    numbers: list[str] = field(default_factory=list)
    presence: Presence = field(default_factory=lambda: Presence())
    photo_key: str = ""
    sms_enabled: bool = True
    policy_id: str = ""
    # Cognito's username ("" for profiles made before it was kept: Cognito then takes the sub)
    username: str = ""
    # False once an admin offboards them: every request and connect is refused
    enabled: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "company_id": self.company_id,
            "name": self.name,
            "email": self.email,
            "extension": self.extension,
            "role": self.role,
            "license_type": self.license_type,
            "numbers": list(self.numbers),
            "sms_enabled": self.sms_enabled,
            "policy_id": self.policy_id or None,
            "username": self.username or None,
            "enabled": self.enabled,
        }


@dataclass
class Message:
    conversation_id: str
    company_id: str
    seq: int
    client_id: str
    sender: str
    text: str
    created_at: str
    status: str = "sent"
    deleted: bool = False
    deleted_at: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    channel: str = IM  # im or sms
    direction: str = ""  # sms: outbound (business → phone) or inbound
    segments: int = 0
    encoding: str = ""
    provider_message_id: str = ""
    error_code: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)  # {key, content_type, size, filename}

    @property
    def message_id(self) -> str:
        return message_id(self.conversation_id, self.seq)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "client_id": self.client_id,
            "sender": self.sender,
            "text": "" if self.deleted else self.text,
            "status": self.status,
            "created_at": self.created_at,
            "deleted": self.deleted,
            "deleted_at": self.deleted_at,
            "entities": [] if self.deleted else [dict(e) for e in self.entities],
            "media": [] if self.deleted else media_view(self.media),
            "channel": self.channel,
            **(
                {
                    "direction": self.direction,
                    "segments": self.segments,
                    "encoding": self.encoding,
                    "error_code": self.error_code or None,
                }
                if self.channel == SMS
                else {}
            ),
        }

    def preview(self, limit: int = 140) -> dict[str, Any]:
        """What a conversation list shows of its last message."""
        text = "" if self.deleted else self.text
        return {
            "id": self.message_id,
            "seq": self.seq,
            "sender": self.sender,
            "text": text[:limit],
            "created_at": self.created_at,
            "deleted": self.deleted,
            "channel": self.channel,  # a private note shows as one in the list too
        }


def message_id(conversation_id: str, seq: int) -> str:
    """A message's id: unique, and enough to find the message with one GetItem."""
    return f"{conversation_id}.{seq}"


def parse_message_id(conversation_id: str, value: str) -> int | None:
    """The seq of a message id, or None: ASCII digits only ("²".isdigit() is true, and
    int() refuses it), and no more of them than a seq has (int() refuses thousands)."""
    prefix, _, seq = value.rpartition(".")
    if prefix != conversation_id or not (seq.isascii() and seq.isdigit()) or len(seq) > 12:
        return None
    return int(seq)


@dataclass
class Conversation:
    conversation_id: str
    company_id: str
    type: str
    members: list[str]
    created_by: str
    created_at: str
    name: str = ""
    last_seq: int = 0
    last_message: dict[str, Any] | None = None
    updated_at: str = ""
    version: int = 0
    business_number: str = ""  # sms: the company's number
    external_number: str = ""  # sms: the customer's or contact's number
    assignee: str | None = None  # sms on a shared line: the one person who answers it
    labels: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.type == IM and self.conversation_id.startswith("g")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.conversation_id,
            "type": self.type,
            "group": self.is_group,
            "name": self.name,
            "members": list(self.members),
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "last_seq": self.last_seq,
            "last_message": self.last_message,
            "assignee": self.assignee,
            "labels": list(self.labels),
            **(
                {"business_number": self.business_number, "external_number": self.external_number}
                if self.type == SMS
                else {}
            ),
        }


@dataclass
class Membership:
    """One user's own view of a conversation: read horizon, mute, hidden, cleared."""

    user_id: str
    conversation_id: str
    company_id: str
    read_seq: int = 0
    muted: bool = False
    hidden: bool = False
    activity_at: str = ""
    cleared_seq: int = 0  # messages up to this seq are deleted for this member ("delete for me")
    assignee: str | None = None  # the conversation's, copied here: pushes go to them first
    # while the last message is one the member hid: {"through_seq", "seq"}, which message
    # their list shows instead (domain/membership.py); never a copy of its text
    preview: dict[str, Any] | None = None
    hides: int = 0  # counts the member's hides here: each one writes if it is still the count


@dataclass
class Connection:
    connection_id: str
    user_id: str
    company_id: str
    connected_at: str
    device_id: str = ""
    background: bool = False
    # epoch seconds: the earlier of 10 idle minutes after the last frame and two hours
    # after connecting (API Gateway's limits); past it the connection is gone
    deadline: int = 0


@dataclass
class Device:
    """A device registered for push (apns, fcm or webpush)."""

    user_id: str
    device_id: str
    platform: str
    token: str
    registered_at: str
    endpoint: str = ""  # the provider's handle (an SNS platform endpoint ARN on AWS)


@dataclass
class Missed:
    """Messages that arrived in one conversation while the user had no live device."""

    conversation_id: str
    count: int
    last_seq: int
    updated_at: str = ""


@dataclass
class Event:
    """A domain event on its way to connected devices.

    ``event_id`` is deterministic (derived from the change it describes) so a
    redelivered or re-published event is recognised as the same event.
    """

    event_id: str
    type: str
    company_id: str
    recipients: list[str]
    data: dict[str, Any]
    conversation_id: str | None = None
    # Who hears it: "members" (every device of every recipient), "watchers" (the
    # connections that subscribed to the presence of recipients[0], plus that
    # user's own devices), or "connection" (exactly connection_id).
    audience: str = "members"
    connection_id: str | None = None
    # Extra SNS message attributes the subscriptions' filter policies route on.
    attributes: dict[str, str] = field(default_factory=dict)
    # Internal, never in a frame: the conversation's last_seq as the outbox read it for
    # a message event (the fan-out skips its head repair when it is already there).
    head_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "connection_id": self.connection_id,
            "event_id": self.event_id,
            "type": self.type,
            "company_id": self.company_id,
            "conversation_id": self.conversation_id,
            "recipients": list(self.recipients),
            "data": self.data,
        } | ({} if self.head_seq is None else {"head_seq": self.head_seq})

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        return cls(
            event_id=str(raw["event_id"]),
            type=str(raw["type"]),
            company_id=str(raw["company_id"]),
            conversation_id=raw.get("conversation_id"),
            audience=str(raw.get("audience", "members")),
            connection_id=raw.get("connection_id"),
            recipients=[str(r) for r in raw.get("recipients", [])],
            data=dict(raw.get("data", {})),
            head_seq=_whole(raw.get("head_seq")),
        )

    def frame(self) -> dict[str, Any]:
        """The WebSocket frame clients receive (contract.md)."""
        return {"type": self.type, "data": self.data}


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sms_conversation_id(business_number: str, external_number: str) -> str:
    """The one SMS conversation between a business number and an external number."""
    digest = hashlib.sha256(f"sms|{business_number}|{external_number}".encode()).hexdigest()[:32]
    return f"s{digest}"


def direct_conversation_id(company_id: str, a: str, b: str) -> str:
    """The one 1:1 IM conversation of a pair: derived, so get-or-create is one conditional put."""
    low, high = sorted((a, b))
    digest = hashlib.sha256(f"{company_id}|{low}|{high}".encode()).hexdigest()[:32]
    return f"d{digest}"
