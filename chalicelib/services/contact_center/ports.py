"""Ports of the contact center: what its services need from the outside world.

``ContactCenterRepository`` has a DynamoDB adapter
(``chalicelib.adapters.dynamodb.contact_center``) and an in-memory fake
(``tests.fakes.contact_center``); both pass ``tests/adapters/test_contact_center_repository.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from chalicelib.domain.contact_center import (
    AgentProfile,
    Channel,
    Interaction,
    Queue,
)
from chalicelib.domain.contact_center_figures import FiguresChange
from chalicelib.domain.contact_center_messages import RoutingMessage
from chalicelib.domain.contact_center_reads import AdmissionLookup, ChannelText
from chalicelib.domain.contact_center_records import (
    CannedReply,
    Case,
    Customer,
    DayFigures,
    QueueState,
)
from chalicelib.domain.contact_center_supervision import Monitor, TimelineEntry
from chalicelib.domain.model import Page


class ContactCenterRepository(Protocol):
    """Queues, channels, agents' profiles and load, interactions, customers, figures.

    The two writes that matter under concurrency are ``create_interaction`` (one
    open interaction per customer and channel) and ``transition`` (an
    interaction changes only from the version that was read, and the agent's
    load changes in the same transaction, never past their cap).
    """

    # -- configuration -----------------------------------------------------------

    def put_queue(self, queue: Queue) -> None: ...

    def get_queue(self, company_id: str, queue_id: str) -> Queue | None: ...

    def list_queues(self, company_id: str) -> list[Queue]: ...

    def put_channel(self, channel: Channel) -> None: ...

    def get_channel(self, e164: str) -> Channel | None: ...

    def list_channels(self, company_id: str) -> list[Channel]: ...

    def put_agent(self, agent: AgentProfile) -> None:
        """Store the routing profile (skills, queues, cap, role, name); a stored
        agent keeps their status and load."""
        ...

    def get_agent(self, agent_id: str) -> AgentProfile | None: ...

    def get_agents(self, agent_ids: Iterable[str]) -> dict[str, AgentProfile]:
        """Several agents, strongly consistent (the router decides on them)."""
        ...

    def agents_of_queue(self, company_id: str, queue_id: str) -> list[str]: ...

    def list_agents(self, company_id: str) -> list[AgentProfile]: ...

    def set_agent_status(self, agent_id: str, status: str, now: float) -> AgentProfile | None: ...

    # -- interactions ---------------------------------------------------------------

    def create_interaction(
        self,
        interaction: Interaction,
        require_room: bool = False,
        *,
        new_customer: Customer | None = None,
        offered_day: str | None = None,
    ) -> tuple[Interaction, bool]:
        """Store a new interaction unless the customer already has an open one on
        that channel (then return that one, False). With an agent (outbound), the
        agent's load and total go up by one in the same write; ``require_room``
        makes it fail with Conflict(``agent_at_capacity``) when they have no slot.
        In the same write, ``new_customer`` (the record of the interaction's customer,
        made now) is stored — Conflict(``customer_exists``) when the phone got a
        record meanwhile — and with ``offered_day`` the queue's ``offered`` figure of
        that day goes up by one: counted with the create, so exactly once. The
        interaction's queue must exist, checked in the same write: Conflict
        (``queue_not_found``) when it was deleted."""
        ...

    def channel_text(self, e164: str, company_id: str, phone: str) -> ChannelText | None:
        """What a text from ``phone`` to the number ``e164`` of ``company_id`` reads at
        once: the number's channel (None: it is not one), the customer's open
        interaction's id there and their record's id."""
        ...

    def admission_lookup(
        self, interaction_id: str, company_id: str, queue_id: str
    ) -> AdmissionLookup:
        """What ``admit`` reads at once: the interaction, the queue it was opened in
        (``company_id``/``queue_id``: it may have moved since) and its published state."""
        ...

    def get_interaction(self, interaction_id: str) -> Interaction | None: ...

    def open_interaction(self, channel: str, phone: str) -> Interaction | None: ...

    def transition(
        self,
        before: Interaction,
        after: Interaction,
        *,
        agent_id: str | None = None,
        load: int = 0,
        total: int = 0,
        require_room: bool = False,
        assigned_at: float | None = None,
    ) -> bool:
        """Write ``after`` (with ``version = before.version + 1``) if the stored
        interaction is still at ``before.version``; in the same transaction add
        ``load``/``total`` to ``agent_id`` — when ``require_room``, only if that agent
        is available with a free slot. Keeps the waiting index (present while
        ``waiting``), the agent's list (while assigned and not ended) and the
        customer's open marker (until ended). False when anything changed meanwhile."""
        ...

    def waiting(self, company_id: str, queue_id: str, limit: int) -> list[Interaction]:
        """The queue's waiting interactions, longest waiting first."""
        ...

    def claim_waiting_check(self, interaction_id: str, offer_no: int) -> bool:
        """Mark the first waiting check of the interaction at ``offer_no`` armed (a
        marker that expires after a week). False when it was marked before."""
        ...

    def waiting_check_armed(self, interaction_id: str, offer_no: int) -> bool:
        """Whether the first waiting check of the interaction at ``offer_no`` is marked
        armed (a strongly consistent read)."""
        ...

    def agent_interactions(self, agent_id: str) -> list[Interaction]:
        """The agent's interactions that are not ended."""
        ...

    # -- customers and cases --------------------------------------------------------

    def customer_by_phone(self, company_id: str, phone: str) -> Customer | None: ...

    def create_customer(self, customer: Customer) -> Customer:
        """Get-or-create by (company, phone): two first texts at once make one record."""
        ...

    def get_customer(self, company_id: str, customer_id: str) -> Customer | None: ...

    def put_case(self, case: Case) -> None: ...

    def get_case(self, customer_id: str, case_id: str) -> Case | None: ...

    def cases(self, customer_id: str) -> list[Case]: ...

    def add_history(self, customer_id: str, at: str, summary: dict[str, Any]) -> None: ...

    def history(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        """Past interactions of a customer, most recent first."""
        ...

    def customer_record(
        self, company_id: str, customer_id: str, history_limit: int
    ) -> tuple[Customer, list[Case], list[dict[str, Any]]] | None:
        """The screen pop's reads: the record (None if not the company's), its cases
        (by id) and its latest ``history_limit`` entries (most recent first)."""
        ...

    # -- canned replies ----------------------------------------------------------------

    def put_canned(self, reply: CannedReply) -> None:
        """Store the reply where agents of its scopes find it (a scope it left no longer
        lists it); ConcurrentUpdate when it changed since read."""
        ...

    def canned_page(
        self,
        company_id: str,
        scopes: list[str] | None,
        limit: int,
        cursor: str | None,
        keep: Callable[[CannedReply], bool],
    ) -> Page[CannedReply]:
        """In reply-id order from ``cursor`` on (an opaque ``next_cursor`` of this list,
        else 400 ``invalid_cursor``), at most ``limit`` replies that ``keep`` holds: all
        of the company's (``scopes`` None), or those of ``scopes`` (queue ids, and
        ``EVERY_QUEUE`` for the replies limited to none), each once."""
        ...

    def copy_canned(self, company_id: str, after: str | None, limit: int) -> list[str]:
        """Write the per-scope copies of up to ``limit`` of the company's replies after
        ``after`` (id order), as each reply is now (a reply saved meanwhile is skipped:
        its save wrote them). Idempotent. The ids read; fewer than ``limit``: the end."""
        ...

    def delete_canned(self, company_id: str, reply_id: str) -> bool:
        """Remove the reply from every scope; False when there was none."""
        ...

    # -- removal (the services check first that nothing depends on it) ------------------

    def delete_queue(self, company_id: str, queue_id: str) -> bool:
        """False when there was none."""
        ...

    def delete_channel(self, company_id: str, e164: str) -> bool:
        """False when the number is not (or no longer) a channel of the company."""
        ...

    # -- figures ------------------------------------------------------------------------

    def add_figures(self, company_id: str, queue_id: str, day: str, **increments: float) -> None:
        """Add to the queue's counters of one day (``DayFigures`` field names)."""
        ...

    def add_figures_once(
        self, once_key: str, company_id: str, queue_id: str, day: str, **increments: float
    ) -> bool:
        """``add_figures``, at most once per ``once_key`` (a retried step counts
        nothing more). True when counted now, False when counted before."""
        ...

    def figures(self, company_id: str, queue_id: str, days: list[str]) -> list[DayFigures]: ...

    # -- the queue's published state (queue.updated comes from its stream record) ----------

    def queue_state(self, company_id: str, queue_id: str) -> QueueState | None: ...

    def publish_queue_state(self, state: QueueState, previous_seq: int) -> bool:
        """Store ``state`` as publication ``previous_seq + 1`` (no flush pending) if the
        stored one is still ``previous_seq`` (0: none stored yet); False otherwise."""
        ...

    def claim_queue_flush(self, company_id: str, queue_id: str, seq: int, due: float) -> bool:
        """Mark a coalesced publication due at ``due`` if the stored state is still
        ``seq`` and none is pending: exactly one caller arms the flush timer."""
        ...

    # -- supervisors: hand-overs, the timeline, monitors ----------------------------------

    def hand_over(
        self,
        before: Interaction,
        after: Interaction,
        *,
        available: bool,
        assigned_at: float,
        from_load: int = 0,
        from_total: int = 0,
        entry: TimelineEntry | None = None,
        figures: FiguresChange | None = None,
    ) -> str:
        """Give the interaction to ``after.agent_id`` in one transaction: ``after`` is
        written if the stored one is still at ``before.version``; the new agent's load
        and total go up by one only if they have a free slot (and, when ``available``,
        are available); ``before.agent_id``'s go down by ``from_load``/``from_total``;
        the agents' lists follow; ``entry`` (its audit) is added to the timeline and
        ``figures`` to the queue's day, its ``once_key`` marked counted. ``"handed"``,
        ``"changed"`` (the interaction moved on, or another write held one of the
        items: read it again) or ``"refused"`` (the new agent has no free slot, is not
        available or is no agent)."""
        ...

    def live(
        self, company_id: str, queue_id: str, limit: int, cursor: str | None
    ) -> Page[Interaction]:
        """The queue's interactions that have not ended (waiting, offered, active, in
        wrap-up), whoever holds them, longest in the queue first; a page of at most
        ``limit`` and the cursor of the next (None at the end). One Query per page."""
        ...

    def relist(self, interaction: Interaction) -> bool:
        """Give a stored open interaction its place in its queue's live list (the index
        keys its next write would carry) if it is still at ``interaction.version``;
        nothing else changes, not even its version. False when it moved on or ended
        (its own write keeps the list). An operator's backfill, never a request's."""
        ...

    def add_timeline(self, entry: TimelineEntry) -> None:
        """Store an entry (the same id and time again: the same item)."""
        ...

    def add_note(self, entry: TimelineEntry, client_id: str) -> TimelineEntry:
        """Store a private note once per (interaction, author, ``client_id``): the
        entry, and the client key in the same write. When the key is there already,
        nothing is written and the first note is returned."""
        ...

    def timeline(self, interaction_id: str, limit: int) -> list[TimelineEntry]:
        """The latest ``limit`` entries, oldest first."""
        ...

    def put_monitor(self, monitor: Monitor) -> None: ...

    def end_monitor(self, conversation_id: str, user_id: str) -> None: ...

    def monitors(self, conversation_id: str, now: float) -> list[Monitor]:
        """The conversation's monitors not expired at ``now`` (at most ``MAX_MONITORS``)."""
        ...


class RoutingQueue(Protocol):
    """Routing work and timers (SQS on AWS; a delayed message is a timer). The body
    sent is ``contact_center_messages.encode(message)``."""

    def enqueue(self, message: RoutingMessage, delay_seconds: int = 0) -> None: ...
