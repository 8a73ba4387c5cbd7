"""The contact center's typed commands: what a request asks for, once the edge
(``chalicelib.api.contact_center_requests``) has parsed its JSON through the field
table (``chalicelib.api.fields``). Services take these, never raw JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.contact_center import (
    DEFAULT_ABANDON_AFTER_S,
    DEFAULT_FULL_MESSAGE,
    DEFAULT_IDLE_AFTER_S,
    DEFAULT_LAST_AGENT_WINDOW_S,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_OFFER_TIMEOUT_S,
    DEFAULT_SERVICE_LEVEL_S,
    DEFAULT_WRAP_UP_S,
)


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
    queue_id: str


@dataclass(frozen=True)
class StartOutbound:
    channel: str
    to: str
    client_id: str
    text: str


@dataclass(frozen=True)
class QueueSettings:
    """A queue's settings (docs/contact-center.md, "Settings"); skills, hours and the
    time zone are already checked by the domain's rules."""

    name: str
    skills: dict[str, int] = field(default_factory=dict)
    priority: int = 1
    timezone: str = "UTC"
    hours: dict[str, str] = field(default_factory=dict)
    closed_message: str = ""
    entry_message: str = ""
    full_message: str = DEFAULT_FULL_MESSAGE
    offer_timeout_s: int = DEFAULT_OFFER_TIMEOUT_S
    auto_accept: bool = False
    idle_after_s: int = DEFAULT_IDLE_AFTER_S
    wrap_up_s: int = DEFAULT_WRAP_UP_S
    service_level_s: int = DEFAULT_SERVICE_LEVEL_S
    abandon_after_s: int = DEFAULT_ABANDON_AFTER_S
    last_agent_window_s: int = DEFAULT_LAST_AGENT_WINDOW_S
    overflow_after_s: int = 0
    overflow_level: int | None = None
    overflow_queue_id: str | None = None
    max_waiting: int = 0


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
