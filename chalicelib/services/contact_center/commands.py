"""The contact center's typed commands: what a request asks for, once the edge
(``chalicelib.api.contact_center_requests``) has parsed its JSON through the field
table (``chalicelib.api.fields``). Services take these, never raw JSON. A queue's settings are the domain's
``QueueSettings`` (one definition with ``Queue``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.contact_center import DEFAULT_MAX_CONCURRENT
from chalicelib.domain.contact_center_config import QueueSettings


@dataclass(frozen=True)
class SetAgentStatus:
    status: str


@dataclass(frozen=True)
class EndInteraction:
    disposition: str = ""
    notes: str = ""
    case_id: str | None = None


@dataclass(frozen=True)
class TransferInteraction:
    """To a queue (``queue_id``) or offered to a named agent (``agent_id``): one of them."""

    queue_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True)
class AddNote:
    """A private note; ``client_id`` (optional) makes a retry return the first one."""

    text: str
    client_id: str | None = None


@dataclass(frozen=True)
class StartOutbound:
    channel: str
    to: str
    client_id: str
    text: str


@dataclass(frozen=True)
class ChannelSettings:
    queue_id: str


@dataclass(frozen=True)
class AgentSettings:
    skills: dict[str, int] = field(default_factory=dict)
    queues: tuple[str, ...] = ()
    role: str = "agent"
    max_concurrent: int = DEFAULT_MAX_CONCURRENT


@dataclass(frozen=True)
class CannedSettings:
    text: str
    shortcut: str = ""
    title: str = ""
    queues: tuple[str, ...] = ()  # empty: every queue


__all__ = [
    "AddNote",
    "AgentSettings",
    "CannedSettings",
    "ChannelSettings",
    "EndInteraction",
    "QueueSettings",
    "SetAgentStatus",
    "StartOutbound",
    "TransferInteraction",
]
