"""The contact center's rules: queues, agents' routing profiles, interactions and
their state machine, the routing choice, hours of operation, estimated wait and
service-level figures. Pure Python: no AWS, no Chalice.

Times are epoch seconds (floats) so the rules can be tested with a hand-moved
clock; the services turn them into ISO strings for clients.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from chalicelib.domain.contact_center_config import QueueSettings
from chalicelib.domain.contact_center_records import Customer
from chalicelib.domain.errors import Conflict

# -- interaction states --------------------------------------------------------

WAITING = "waiting"
OFFERED = "offered"
ACTIVE = "active"
WRAP_UP = "wrap_up"
ENDED = "ended"
STATES = (WAITING, OFFERED, ACTIVE, WRAP_UP, ENDED)
OPEN_STATES = (WAITING, OFFERED, ACTIVE, WRAP_UP)

# Which state may follow which (the state machine in docs/contact-center.md).
TRANSITIONS: dict[str, frozenset[str]] = {
    # ACTIVE directly when the queue auto-accepts; ENDED when the queue is full or the
    # customer abandoned (went quiet while waiting)
    WAITING: frozenset({OFFERED, ACTIVE, ENDED}),
    OFFERED: frozenset({ACTIVE, WAITING}),  # accept; reject / timeout / agent leaves
    # end; transfer / requeue; end with disposition; transfer to a named agent (an offer)
    ACTIVE: frozenset({WRAP_UP, WAITING, ENDED, OFFERED}),
    WRAP_UP: frozenset({ENDED}),
    ENDED: frozenset(),
}

# -- agents ---------------------------------------------------------------------

AVAILABLE = "available"
AWAY = "away"
OFFLINE = "offline"
AGENT_STATUSES = (AVAILABLE, AWAY, OFFLINE)
AGENT = "agent"
SUPERVISOR = "supervisor"
AGENT_ROLES = (AGENT, SUPERVISOR)

DEFAULT_MAX_CONCURRENT = 6
MAX_CONCURRENT_LIMIT = 10
# Idle threads stop counting toward capacity, but an agent never holds more than
# this many open interactions in all (idle ones included).
HARD_CAP_FACTOR = 2

MAX_WAITING_LIMIT = 1000  # a full queue is known by reading at most this many waiting
# Dispositions of interactions that ended without an agent.
ABANDONED = "abandoned"
QUEUE_FULL = "queue_full"


def check_transition(current: str, new: str) -> None:
    """Raise Conflict(``invalid_state``) unless ``current → new`` is allowed."""
    if new not in TRANSITIONS.get(current, frozenset()):
        raise Conflict(
            f"an interaction that is {current} cannot become {new}", code="invalid_state"
        )


def check_change(before: Interaction, after: Interaction) -> None:
    """The rule every stored change of an interaction obeys (both repositories check
    it): the same interaction, and its state unchanged or a permitted transition."""
    if before.interaction_id != after.interaction_id:
        raise Conflict("a change must keep the interaction's id", code="invalid_state")
    if before.state != after.state:
        check_transition(before.state, after.state)


def listed_agent(interaction: Interaction) -> str | None:
    """The agent whose list (``GET /interactions``) holds the interaction: its agent
    while offered, active or in wrap-up; nobody while waiting or once ended."""
    return interaction.agent_id if interaction.state not in (WAITING, ENDED) else None


def conversation_members(
    interaction: Interaction, open_now: Interaction | None = None
) -> list[str]:
    """Who the interaction's conversation reaches: its agent while active or in
    wrap-up (their devices get the texts); nobody while it waits, is offered or ended.
    The customer's later interactions on the channel share the conversation: once
    this one ended, the one their open marker points at now (``open_now``) decides."""
    holder = open_now if interaction.state == ENDED else None
    if holder is not None and holder.conversation_id == interaction.conversation_id:
        return conversation_members(holder) if holder.state != ENDED else []
    if interaction.state in (ACTIVE, WRAP_UP) and interaction.agent_id:
        return [interaction.agent_id]
    return []


def holds_open_marker(interaction: Interaction) -> bool:
    """Whether the customer's "open interaction on this channel" marker points at it
    (until it ends: then the customer's next text opens a new one)."""
    return interaction.state != ENDED


@dataclass(frozen=True)
class _QueueKey:
    queue_id: str
    company_id: str


@dataclass(frozen=True)
class Queue(QueueSettings, _QueueKey):
    """A routing queue: its key, then its settings (``QueueSettings``, in that order:
    ``Queue(queue_id, company_id, name, ...)``). Who may take its texts (skills at a
    minimum level) and how."""

    @classmethod
    def of(cls, queue_id: str, company_id: str, settings: QueueSettings) -> Queue:
        values = {f.name: getattr(settings, f.name) for f in fields(QueueSettings)}
        return cls(queue_id=queue_id, company_id=company_id, **values)

    def required_level(self, skill: str, overflowed: bool) -> int:
        level = self.skills[skill]
        if overflowed and self.overflow_level is not None:
            return min(level, self.overflow_level)
        return level

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"queue_id": self.queue_id}
        for spec in fields(QueueSettings):
            value = getattr(self, spec.name)
            body[spec.name] = dict(value) if isinstance(value, dict) else value
        return body


@dataclass
class Channel:
    """A business number that reaches the contact center, and its default queue."""

    e164: str
    company_id: str
    queue_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"e164": self.e164, "queue_id": self.queue_id}


@dataclass
class AgentProfile:
    """An agent's routing profile and live load.

    ``load`` counts the interactions that use a slot (offered, active and not
    idle, wrap-up); ``total`` counts every open one. The repository changes both
    only in conditional writes, so concurrent routers can never exceed
    ``max_concurrent`` (for load) or ``hard_cap`` (for total).
    """

    agent_id: str
    company_id: str
    name: str = ""
    role: str = AGENT
    skills: dict[str, int] = field(default_factory=dict)
    queues: list[str] = field(default_factory=list)
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    status: str = OFFLINE
    load: int = 0
    total: int = 0
    last_assigned_at: float = 0.0  # for "longest idle": the earliest goes first
    status_changed_at: float = 0.0
    # when this version of the profile was written (every write sets it): a stream
    # record's old and new values bound the spell the old version stood for (reports)
    state_since: float = 0.0

    @property
    def hard_cap(self) -> int:
        return self.max_concurrent * HARD_CAP_FACTOR

    def has_room(self) -> bool:
        return self.load < self.max_concurrent and self.total < self.hard_cap

    def can_take(self) -> bool:
        """May receive a new interaction (an offer, or an outbound text that needs a
        slot): available with a free slot. The DynamoDB adapter states the same rule
        as the condition of its write."""
        return self.status == AVAILABLE and self.has_room()

    def qualifies(self, queue: Queue, overflowed: bool) -> bool:
        return queue.queue_id in self.queues and all(
            self.skills.get(skill, 0) >= queue.required_level(skill, overflowed)
            for skill in queue.skills
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "role": self.role,
            "status": self.status,
            "skills": dict(self.skills),
            "queues": list(self.queues),
            "max_concurrent": self.max_concurrent,
            "active": self.load,
            "open": self.total,
        }


@dataclass
class Interaction:
    """One customer's text thread with the contact center, from waiting to ended."""

    interaction_id: str
    company_id: str
    queue_id: str
    channel: str
    customer_phone: str
    conversation_id: str
    created_at: str
    enqueued_at: float  # when it (last) started waiting: its place in the queue
    state: str = WAITING
    agent_id: str | None = None
    customer_id: str | None = None
    customer_name: str = ""
    direction: str = "inbound"
    first_seq: int = 0  # the conversation's first message that belongs to it
    arrived_at: float = 0.0  # first entered a queue
    # when the current wait started: arrival, or a transfer or a requeue after an
    # answer (0 in items older than it: arrived_at); waits are measured from here
    wait_started_at: float = 0.0
    offer_no: int = 0  # counts offers: a timer for an old offer does nothing
    offered_at: float = 0.0
    offer_expires_at: float = 0.0  # offered_at + the queue's offer timeout
    answered_at: float = 0.0
    ended_at: float = 0.0
    last_customer_at: float = 0.0
    idle: bool = False  # an idle thread does not use a slot
    overflowed: bool = False
    rejected: dict[str, float] = field(default_factory=dict)  # agent → declined/timed out at
    last_agent_id: str | None = None  # the customer's previous agent (routing preference)
    released: str = ""  # why it last went back to a queue (reports read it from the stream)
    disposition: str = ""
    notes: str = ""
    case_id: str | None = None
    transcript_key: str = ""
    version: int = 0  # every stored change bumps it: writes are conditional on it

    @classmethod
    def opened(
        cls,
        interaction_id: str,
        channel: Channel,
        customer: Customer,
        conversation_id: str,
        *,
        created_at: str,
        now: float,
        first_seq: int,
        agent_id: str | None = None,
        last_agent_id: str | None = None,
    ) -> Interaction:
        """A new interaction on ``channel`` with ``customer`` (the one place one is
        built): inbound, it waits in the channel's queue from ``now``; started by an
        agent (``agent_id``), it is theirs and active at once (outbound)."""
        opened = cls(
            interaction_id=interaction_id,
            company_id=channel.company_id,
            queue_id=channel.queue_id,
            channel=channel.e164,
            customer_phone=customer.phone,
            conversation_id=conversation_id,
            created_at=created_at,
            customer_id=customer.customer_id,
            customer_name=customer.name,
            first_seq=first_seq,
            enqueued_at=now,
            arrived_at=now,
            last_customer_at=now,
        )
        if agent_id is None:
            return replace(opened, wait_started_at=now, last_agent_id=last_agent_id)
        return replace(
            opened,
            state=ACTIVE,
            agent_id=agent_id,
            direction="outbound",
            offered_at=now,
            answered_at=now,
        )

    def waiting_since(self) -> float:
        return self.wait_started_at or self.arrived_at

    def counts_toward_capacity(self) -> bool:
        return self.state in (OFFERED, WRAP_UP) or (self.state == ACTIVE and not self.idle)

    def is_idle(self, queue: Queue, now: float) -> bool:
        """An active thread whose customer has been quiet for the queue's idle time."""
        return (
            self.state == ACTIVE
            and self.direction == "inbound"
            and queue.idle_after_s > 0
            and now - self.last_customer_at >= queue.idle_after_s
        )

    def abandoned(self, queue: Queue, now: float) -> bool:
        """Waiting, and the customer has been quiet for the queue's abandon time since
        their last text or since it (last) started waiting, whichever is later."""
        quiet_since = max(self.last_customer_at, self.waiting_since())
        return (
            self.state == WAITING
            and queue.abandon_after_s > 0
            and now - quiet_since >= queue.abandon_after_s
        )

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.interaction_id,
            "state": self.state,
            "queue_id": self.queue_id,
            "agent_id": self.agent_id,
            "conversation_id": self.conversation_id,
            "channel": self.channel,
            "direction": self.direction,
            "customer": {
                "id": self.customer_id,
                "name": self.customer_name,
                "phone": self.customer_phone,
            },
            "created_at": self.created_at,
            "idle": self.idle,
        }
        if self.state in (WRAP_UP, ENDED):
            body["disposition"] = self.disposition
            body["notes"] = self.notes
        if self.state == ENDED:
            body["case_id"] = self.case_id
        return body


# What an agent's devices show of an interaction; a change of anything else (the
# customer's last text time, declined offers) tells nobody.
SHOWN = ("state", "agent_id", "queue_id", "idle", "disposition", "notes", "case_id")


def interaction_notices(old: Interaction | None, new: Interaction) -> list[tuple[str, str]]:
    """The events a stored change of an interaction makes, as (type, agent): a new
    offer (or an auto-accepted one) is ``interaction.offered`` to its agent; any other
    change agents see is ``interaction.updated`` to the agent concerned (the one it
    left, when it went back to the queue); handed from one agent to another (a named
    transfer, a supervisor's take-over), the agent it left is told too."""
    left = old.agent_id if old is not None and old.agent_id != new.agent_id else None
    gone = [("interaction.updated", left)] if left and new.agent_id else []  # handed over
    if new.agent_id and new.offer_no != (old.offer_no if old else 0):
        return [("interaction.offered", new.agent_id), *gone]
    if old is not None and all(getattr(old, f) == getattr(new, f) for f in SHOWN):
        return []
    agents = [a for a in (new.agent_id, old.agent_id if old else None) if a]
    return [("interaction.updated", agents[0]), *gone] if agents else []


def waiting_order(interaction: Interaction, queue: Queue) -> tuple[int, float, str]:
    """Highest priority first, then the longest waiting; the id breaks exact ties."""
    return (-queue.priority, interaction.enqueued_at, interaction.interaction_id)


def choose_agent(
    interaction: Interaction,
    queue: Queue,
    agents: Iterable[AgentProfile],
    now: float,
) -> AgentProfile | None:
    """The agent to offer ``interaction`` to, or None.

    Eligible: of the same company, available, in the queue, every required skill at the required level
    (relaxed once the interaction overflowed), a free slot, and not someone who
    declined it within the offer timeout. The customer's last agent wins when
    eligible and the customer is back within the queue's window; otherwise the
    fewest slots in use, then the longest since their last assignment.
    """
    eligible = [
        agent
        for agent in agents
        if agent.company_id == interaction.company_id
        and agent.can_take()
        and agent.qualifies(queue, interaction.overflowed)
        and now - interaction.rejected.get(agent.agent_id, -math.inf) >= queue.offer_timeout_s
    ]
    if not eligible:
        return None
    if interaction.last_agent_id and now - interaction.arrived_at <= queue.last_agent_window_s:
        for agent in eligible:
            if agent.agent_id == interaction.last_agent_id:
                return agent
    return min(eligible, key=lambda a: (a.load, a.last_assigned_at, a.agent_id))


def should_overflow(interaction: Interaction, queue: Queue, now: float) -> bool:
    return (
        interaction.state == WAITING
        and not interaction.overflowed
        and queue.overflow_after_s > 0
        and (queue.overflow_level is not None or bool(queue.overflow_queue_id))
        and now - interaction.waiting_since() >= queue.overflow_after_s
    )


def queue_position(interaction_id: str, waiting: list[Interaction]) -> int:
    """The interaction's 1-based place among ``waiting`` (in queue order). One that is
    not listed (the waiting index is read eventually consistent and may not show a new
    interaction yet) is counted after all of them."""
    ids = [i.interaction_id for i in waiting]
    return ids.index(interaction_id) + 1 if interaction_id in ids else len(ids) + 1


def beyond_cap(interaction_id: str, waiting: list[Interaction], queue: Queue) -> bool:
    """Whether the interaction is not among the first ``max_waiting`` of its queue's
    waiting interactions (``waiting`` in queue order, at least ``max_waiting + 1`` long
    when there are that many)."""
    if queue.max_waiting <= 0:
        return False
    return queue_position(interaction_id, waiting) > queue.max_waiting


def estimate_wait_s(position: int, average_handle_s: float, slots: int) -> int:
    """Seconds until the customer at ``position`` (1-based) is likely answered.

    Every slot of the queue's agents finishes one interaction per average handle
    time; the customer is answered once ``position`` slots have freed.
    """
    if position <= 0:
        return 0
    per_slot = max(1, slots)
    return int(math.ceil(position / per_slot) * max(0.0, average_handle_s))


WAITING_CHECK_S = 60  # a waiting interaction re-triggers routing this often


def waiting_check_delay(queue: Queue, interaction: Interaction, now: float) -> int:
    """Seconds to the next check of a waiting interaction: every minute, or sooner
    when the queue overflows sooner or an agent's skip (a reject or a timed-out
    offer) ends sooner, so that agent may be offered it again at once."""
    delay = WAITING_CHECK_S
    if queue.overflow_after_s > 0:
        delay = min(delay, queue.overflow_after_s)
    skip_ends = [at + queue.offer_timeout_s - now for at in interaction.rejected.values()]
    due = [math.ceil(left) for left in skip_ends if left > 0]
    return min([delay, *due])
