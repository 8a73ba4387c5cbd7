"""Supervisors' rules: who supervises a queue, the interaction's timeline (every
supervisor action and every private note, audited: who, what, when) and the
monitor records that let a supervisor follow a live transcript. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.contact_center import ENDED, SUPERVISOR, AgentProfile, Interaction

# A monitor record lives this long unless renewed (the page renews it while open):
# a supervisor who closed the tab without saying so stops costing anything by then.
MONITOR_TTL_S = 300
MAX_MONITORS = 20  # monitors of one conversation the fan-out reads (one Query)
TIMELINE_LIMIT = 50  # entries GET /interactions/{id} shows: the latest, oldest first
TRANSCRIPT_LIMIT = 200  # messages a monitor's first read returns (then live)
MAX_NOTE = 2000

# what a timeline entry records
NOTE = "note"  # a private note ("whisper"): never sent to the customer
MONITOR = "monitor"  # a supervisor started watching
BARGE = "barge"  # a supervisor took it over
TRANSFER = "transfer"  # moved to a queue or offered to a named agent
AGENT_STATUS = "agent_status"  # a supervisor set its agent's status and it moved
TIMELINE_KINDS = (NOTE, MONITOR, BARGE, TRANSFER, AGENT_STATUS)


def supervises(agent: AgentProfile | None, company_id: str, queue_id: str) -> bool:
    """A supervisor of a queue: the supervisor role and a routing profile that lists
    the queue, in the same company (admins supervise every queue: the caller's rule)."""
    return (
        agent is not None
        and agent.company_id == company_id
        and agent.role == SUPERVISOR
        and queue_id in agent.queues
    )


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


@dataclass(frozen=True)
class TimelineEntry:
    """One audited line of an interaction's timeline. ``agent_id`` is the interaction's
    agent when it was written (a note reaches them); ``detail`` what the action did."""

    interaction_id: str
    entry_id: str
    company_id: str
    conversation_id: str
    kind: str
    by: str
    at: float
    agent_id: str | None = None
    text: str = ""
    detail: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.entry_id,
            "interaction_id": self.interaction_id,
            "kind": self.kind,
            "by": self.by,
            "at": iso(self.at),
            "text": self.text,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True)
class Monitor:
    """A supervisor following a conversation's transcript until ``expires_at``: the
    interaction ``interaction_id`` while it stays open in ``queue_id`` (the queue they
    were allowed to monitor it in; '' on records stored before it was kept)."""

    conversation_id: str
    user_id: str
    interaction_id: str
    company_id: str
    expires_at: float
    queue_id: str = ""

    def live(self, now: float) -> bool:
        return self.expires_at > now

    def still_watches(self, interaction: Interaction | None) -> bool:
        """Its interaction is still open (not ended: a customer's next text joins it,
        so it is the conversation's open one) in the queue it was monitored in."""
        return (
            interaction is not None
            and interaction.interaction_id == self.interaction_id
            and interaction.state != ENDED
            and (not self.queue_id or interaction.queue_id == self.queue_id)
        )
