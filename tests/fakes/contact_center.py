"""In-memory twin of the contact center's repository (same port, same contract tests).

One lock makes every method atomic, as DynamoDB makes each (transactional)
write atomic, so the fake can be driven from several threads.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from chalicelib.adapters.dynamodb.contact_center_config import canned_after, first_matching
from chalicelib.domain.contact_center import (
    ENDED,
    WAITING,
    AgentProfile,
    Channel,
    Interaction,
    Queue,
    check_change,
    holds_open_marker,
    listed_agent,
)
from chalicelib.domain.contact_center_figures import FiguresChange
from chalicelib.domain.contact_center_messages import RoutingMessage, encode
from chalicelib.domain.contact_center_reads import AdmissionLookup, ChannelText
from chalicelib.domain.contact_center_records import (
    CannedReply,
    Case,
    Customer,
    DayFigures,
    QueueState,
)
from chalicelib.domain.contact_center_supervision import MAX_MONITORS, Monitor, TimelineEntry
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.model import Page
from tests.fakes.paging import _paginate

PROFILE_FIELDS = ("name", "role", "skills", "queues", "max_concurrent", "company_id")


class MemoryContactCenterRepository:
    """Dictionaries behind one lock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.RLock()
        self._clock = clock  # what every write of an agent stamps as ``state_since``
        self.queues: dict[tuple[str, str], Queue] = {}
        self.channels: dict[str, Channel] = {}
        self.agents: dict[str, AgentProfile] = {}
        self.interactions: dict[str, Interaction] = {}
        self.open: dict[tuple[str, str], str] = {}
        self.customers: dict[str, Customer] = {}
        self.phones: dict[tuple[str, str], str] = {}
        self.case_items: dict[str, dict[str, Case]] = {}
        self.histories: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.replies: dict[str, dict[str, CannedReply]] = {}
        self.day_figures: dict[tuple[str, str, str], DayFigures] = {}
        self.figures_once: set[tuple[str, str, str]] = set()
        self.checks_armed: set[tuple[str, int]] = set()
        self.queue_states: dict[tuple[str, str], QueueState] = {}
        self.timelines: dict[str, dict[tuple[float, str], TimelineEntry]] = {}
        self.monitor_items: dict[tuple[str, str], Monitor] = {}
        self.note_keys: dict[tuple[str, str, str], TimelineEntry] = {}
        # What the table's stream would carry, as (kind, old, new): interactions, agents'
        # status and queue states. Tests turn them into events as the outbox does.
        self.changes: list[tuple[str, Any, Any]] = []

    # -- configuration -----------------------------------------------------------

    def put_queue(self, queue: Queue) -> None:
        with self._lock:
            self.queues[(queue.company_id, queue.queue_id)] = copy.deepcopy(queue)

    def get_queue(self, company_id: str, queue_id: str) -> Queue | None:
        with self._lock:
            return copy.deepcopy(self.queues.get((company_id, queue_id)))

    def list_queues(self, company_id: str) -> list[Queue]:
        with self._lock:
            found = [copy.deepcopy(q) for (c, _), q in self.queues.items() if c == company_id]
        return sorted(found, key=lambda q: q.queue_id)

    def _require_queues(self, company_id: str, queue_ids: Iterable[str]) -> None:
        """As the adapter's checks in the same write: every named queue exists."""
        if any((company_id, q) not in self.queues for q in queue_ids):
            raise NotFound("no such queue", code="queue_not_found")

    def put_channel(self, channel: Channel) -> None:
        with self._lock:
            self._require_queues(channel.company_id, [channel.queue_id])
            self.channels[channel.e164] = copy.deepcopy(channel)

    def get_channel(self, e164: str) -> Channel | None:
        with self._lock:
            return copy.deepcopy(self.channels.get(e164))

    def list_channels(self, company_id: str) -> list[Channel]:
        with self._lock:
            found = [copy.deepcopy(c) for c in self.channels.values() if c.company_id == company_id]
        return sorted(found, key=lambda c: c.e164)

    def put_agent(self, agent: AgentProfile) -> None:
        with self._lock:
            stored = self.agents.get(agent.agent_id)
            self._require_queues(
                agent.company_id, set(agent.queues) - set(stored.queues if stored else [])
            )
            if stored is None:
                self.agents[agent.agent_id] = copy.deepcopy(
                    replace(agent, state_since=self._clock())
                )
                return
            for name in PROFILE_FIELDS:
                setattr(stored, name, copy.deepcopy(getattr(agent, name)))
            stored.state_since = self._clock()

    def get_agent(self, agent_id: str) -> AgentProfile | None:
        with self._lock:
            return copy.deepcopy(self.agents.get(agent_id))

    def get_agents(self, agent_ids: Iterable[str]) -> dict[str, AgentProfile]:
        with self._lock:
            return {
                a: copy.deepcopy(self.agents[a])
                for a in dict.fromkeys(agent_ids)
                if a in self.agents
            }

    def agents_of_queue(self, company_id: str, queue_id: str) -> list[str]:
        with self._lock:
            return sorted(
                a.agent_id
                for a in self.agents.values()
                if a.company_id == company_id and queue_id in a.queues
            )

    def list_agents(self, company_id: str) -> list[AgentProfile]:
        with self._lock:
            found = [copy.deepcopy(a) for a in self.agents.values() if a.company_id == company_id]
        return sorted(found, key=lambda a: a.agent_id)

    def set_agent_status(self, agent_id: str, status: str, now: float) -> AgentProfile | None:
        with self._lock:
            agent = self.agents.get(agent_id)
            if agent is None:
                return None
            if agent.status != status:
                old = copy.deepcopy(agent)
                agent.status = status
                agent.status_changed_at = now
                agent.state_since = self._clock()
                self.changes.append(("agent", old, copy.deepcopy(agent)))
            return copy.deepcopy(agent)

    # -- interactions ---------------------------------------------------------------

    def _room(self, agent_id: str) -> AgentProfile:
        agent = self.agents.get(agent_id)
        if agent is None or not agent.can_take():
            raise Conflict("the agent has no free slot", code="agent_at_capacity")
        return agent

    def create_interaction(
        self,
        interaction: Interaction,
        require_room: bool = False,
        *,
        new_customer: Customer | None = None,
        offered_day: str | None = None,
    ) -> tuple[Interaction, bool]:
        with self._lock:
            key = (interaction.channel, interaction.customer_phone)
            if key in self.open:
                return copy.deepcopy(self.interactions[self.open[key]]), False
            if interaction.interaction_id in self.interactions:
                raise Conflict("the interaction exists", code="interaction_exists")
            if new_customer is not None and (
                (new_customer.company_id, new_customer.phone) in self.phones
            ):
                raise Conflict("the phone has a customer", code="customer_exists")
            if (interaction.company_id, interaction.queue_id) not in self.queues:
                raise Conflict("the queue is gone", code="queue_not_found")
            if interaction.agent_id:
                agent = (
                    self._room(interaction.agent_id)
                    if require_room
                    else self.agents[interaction.agent_id]
                )
                was = copy.deepcopy(agent)
                agent.load += 1
                agent.total += 1
                agent.state_since = self._clock()
                self.changes.append(("agent", was, copy.deepcopy(agent)))
            if new_customer is not None:
                self._add_customer(new_customer)
            if offered_day is not None:
                self.add_figures(
                    interaction.company_id, interaction.queue_id, offered_day, offered=1
                )
            self.interactions[interaction.interaction_id] = copy.deepcopy(interaction)
            self.open[key] = interaction.interaction_id
            self.changes.append(("interaction", None, copy.deepcopy(interaction)))
            return copy.deepcopy(interaction), True

    def channel_text(self, e164: str, company_id: str, phone: str) -> ChannelText | None:
        with self._lock:
            channel = self.channels.get(e164)
            if channel is None:
                return None
            return ChannelText(
                channel=copy.deepcopy(channel),
                open_interaction_id=self.open.get((e164, phone)),
                customer_id=self.phones.get((company_id, phone)),
            )

    def admission_lookup(
        self, interaction_id: str, company_id: str, queue_id: str
    ) -> AdmissionLookup:
        with self._lock:
            return AdmissionLookup(
                interaction=copy.deepcopy(self.interactions.get(interaction_id)),
                queue=copy.deepcopy(self.queues.get((company_id, queue_id))),
                state=copy.deepcopy(self.queue_states.get((company_id, queue_id))),
            )

    def get_interaction(self, interaction_id: str) -> Interaction | None:
        with self._lock:
            return copy.deepcopy(self.interactions.get(interaction_id))

    def open_interaction(self, channel: str, phone: str) -> Interaction | None:
        with self._lock:
            found = self.open.get((channel, phone))
            return copy.deepcopy(self.interactions.get(found)) if found else None

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
        check_change(before, after)
        with self._lock:
            stored = self.interactions.get(before.interaction_id)
            if stored is None or stored.version != before.version:
                return False
            agent = None
            if agent_id is not None:
                agent = self.agents.get(agent_id)
                if agent is None:
                    return False
                if require_room and not agent.can_take():
                    return False
            if agent is not None:
                was = copy.deepcopy(agent)
                agent.load += load
                agent.total += total
                if assigned_at is not None:
                    agent.last_assigned_at = assigned_at
                agent.state_since = self._clock()
                self.changes.append(("agent", was, copy.deepcopy(agent)))
            new = replace(copy.deepcopy(after), version=before.version + 1)
            self.interactions[new.interaction_id] = new
            self.changes.append(("interaction", copy.deepcopy(stored), copy.deepcopy(new)))
            if not holds_open_marker(new):
                key = (new.channel, new.customer_phone)
                if self.open.get(key) == new.interaction_id:
                    del self.open[key]
            after.version = new.version
            return True

    def waiting(self, company_id: str, queue_id: str, limit: int) -> list[Interaction]:
        with self._lock:
            found = [
                copy.deepcopy(i)
                for i in self.interactions.values()
                if i.state == WAITING and i.queue_id == queue_id and i.company_id == company_id
            ]
        found.sort(key=lambda i: (i.enqueued_at, i.interaction_id))
        return found[:limit]

    def claim_waiting_check(self, interaction_id: str, offer_no: int) -> bool:
        with self._lock:
            if (interaction_id, offer_no) in self.checks_armed:
                return False
            self.checks_armed.add((interaction_id, offer_no))
            return True

    def waiting_check_armed(self, interaction_id: str, offer_no: int) -> bool:
        with self._lock:
            return (interaction_id, offer_no) in self.checks_armed

    def agent_interactions(self, agent_id: str) -> list[Interaction]:
        with self._lock:
            found = [
                copy.deepcopy(i) for i in self.interactions.values() if listed_agent(i) == agent_id
            ]
        return sorted(found, key=lambda i: i.interaction_id)

    # -- customers and cases --------------------------------------------------------

    def customer_by_phone(self, company_id: str, phone: str) -> Customer | None:
        with self._lock:
            found = self.phones.get((company_id, phone))
            return copy.deepcopy(self.customers[found]) if found else None

    def create_customer(self, customer: Customer) -> Customer:
        with self._lock:
            key = (customer.company_id, customer.phone)
            if key in self.phones:
                return copy.deepcopy(self.customers[self.phones[key]])
            self._add_customer(customer)
            return copy.deepcopy(customer)

    def _add_customer(self, customer: Customer) -> None:
        self.phones[(customer.company_id, customer.phone)] = customer.customer_id
        self.customers[customer.customer_id] = copy.deepcopy(customer)

    def get_customer(self, company_id: str, customer_id: str) -> Customer | None:
        with self._lock:
            found = self.customers.get(customer_id)
            return copy.deepcopy(found) if found and found.company_id == company_id else None

    def put_case(self, case: Case) -> None:
        with self._lock:
            self.case_items.setdefault(case.customer_id, {})[case.case_id] = copy.deepcopy(case)

    def get_case(self, customer_id: str, case_id: str) -> Case | None:
        with self._lock:
            return copy.deepcopy(self.case_items.get(customer_id, {}).get(case_id))

    def cases(self, customer_id: str) -> list[Case]:
        with self._lock:
            found = [copy.deepcopy(c) for c in self.case_items.get(customer_id, {}).values()]
        return sorted(found, key=lambda c: c.case_id)

    def add_history(self, customer_id: str, at: str, summary: dict[str, Any]) -> None:
        with self._lock:
            entries = self.histories.setdefault(customer_id, [])
            key = f"{at}#{summary.get('id')}"
            entries[:] = [e for e in entries if e[0] != key] + [(key, copy.deepcopy(summary))]

    def history(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            entries = sorted(self.histories.get(customer_id, []), key=lambda e: e[0], reverse=True)
        return [copy.deepcopy(s) for _, s in entries[:limit]]

    def customer_record(
        self, company_id: str, customer_id: str, history_limit: int
    ) -> tuple[Customer, list[Case], list[dict[str, Any]]] | None:
        with self._lock:
            customer = self.get_customer(company_id, customer_id)
            if customer is None:
                return None
            return customer, self.cases(customer_id), self.history(customer_id, history_limit)

    # -- canned replies ----------------------------------------------------------------

    def put_canned(self, reply: CannedReply) -> None:
        with self._lock:
            self._require_queues(reply.company_id, reply.queues)
            self.replies.setdefault(reply.company_id, {})[reply.reply_id] = copy.deepcopy(reply)

    def canned_page(
        self,
        company_id: str,
        scopes: list[str] | None,
        limit: int,
        cursor: str | None,
        keep: Callable[[CannedReply], bool],
    ) -> Page[CannedReply]:
        after = canned_after(cursor)
        with self._lock:
            found = [copy.deepcopy(r) for r in self.replies.get(company_id, {}).values()]
        ordered = sorted(
            (
                r
                for r in found
                if (after is None or r.reply_id > after)
                and (scopes is None or set(r.scopes()) & set(scopes))
            ),
            key=lambda r: r.reply_id,
        )
        return first_matching(iter(ordered), keep, limit)

    def copy_canned(self, company_id: str, after: str | None, limit: int) -> list[str]:
        with self._lock:  # each scope's list is worked out from the reply: nothing to copy
            ids = sorted(self.replies.get(company_id, {}))
        return [r for r in ids if after is None or r > after][:limit]

    def delete_canned(self, company_id: str, reply_id: str) -> bool:
        with self._lock:
            return self.replies.get(company_id, {}).pop(reply_id, None) is not None

    def delete_queue(self, company_id: str, queue_id: str) -> bool:
        with self._lock:
            return self.queues.pop((company_id, queue_id), None) is not None

    def delete_channel(self, company_id: str, e164: str) -> bool:
        with self._lock:
            channel = self.channels.get(e164)
            if channel is None or channel.company_id != company_id:
                return False
            del self.channels[e164]
            return True

    # -- figures ------------------------------------------------------------------------

    def add_figures(self, company_id: str, queue_id: str, day: str, **increments: float) -> None:
        with self._lock:
            figures = self.day_figures.setdefault((company_id, queue_id, day), DayFigures())
            for name, value in increments.items():
                setattr(figures, name, getattr(figures, name) + value)

    def add_figures_once(
        self, once_key: str, company_id: str, queue_id: str, day: str, **increments: float
    ) -> bool:
        with self._lock:  # reentrant: the marker and the counters as one step
            if (company_id, queue_id, once_key) in self.figures_once:
                return False
            self.add_figures(company_id, queue_id, day, **increments)
            self.figures_once.add((company_id, queue_id, once_key))
        return True

    def figures(self, company_id: str, queue_id: str, days: list[str]) -> list[DayFigures]:
        with self._lock:
            return [
                copy.deepcopy(self.day_figures.get((company_id, queue_id, d), DayFigures()))
                for d in days
            ]

    # -- the queue's published state ------------------------------------------------------

    def queue_state(self, company_id: str, queue_id: str) -> QueueState | None:
        with self._lock:
            return copy.deepcopy(self.queue_states.get((company_id, queue_id)))

    def publish_queue_state(self, state: QueueState, previous_seq: int) -> bool:
        with self._lock:
            key = (state.company_id, state.queue_id)
            stored = self.queue_states.get(key)
            if (stored.seq if stored else 0) != previous_seq:
                return False
            new = replace(copy.deepcopy(state), seq=previous_seq + 1, flush_due=0.0)
            self.queue_states[key] = new
            self.changes.append(("queue_state", copy.deepcopy(stored), copy.deepcopy(new)))
            state.seq = new.seq
            return True

    def claim_queue_flush(self, company_id: str, queue_id: str, seq: int, due: float) -> bool:
        with self._lock:
            stored = self.queue_states.get((company_id, queue_id))
            if stored is None or stored.seq != seq or stored.flush_due != 0:
                return False
            old = copy.deepcopy(stored)
            stored.flush_due = due
            self.changes.append(("queue_state", old, copy.deepcopy(stored)))
            return True

    # -- supervisors ---------------------------------------------------------------------

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
        check_change(before, after)
        with self._lock:
            stored = self.interactions.get(before.interaction_id)
            if stored is None or stored.version != before.version:
                return "changed"
            target = self.agents.get(str(after.agent_id))
            if target is None or not (target.can_take() if available else target.has_room()):
                return "refused"
            was = copy.deepcopy(target)
            target.load += 1
            target.total += 1
            target.last_assigned_at = assigned_at
            target.state_since = self._clock()
            self.changes.append(("agent", was, copy.deepcopy(target)))
            previous = self.agents.get(before.agent_id) if before.agent_id else None
            if previous is not None:
                was = copy.deepcopy(previous)
                previous.load += from_load
                previous.total += from_total
                previous.state_since = self._clock()
                self.changes.append(("agent", was, copy.deepcopy(previous)))
            new = replace(copy.deepcopy(after), version=before.version + 1)
            self.interactions[new.interaction_id] = new
            self.changes.append(("interaction", copy.deepcopy(stored), copy.deepcopy(new)))
            if entry is not None:
                self.add_timeline(entry)
            if figures is not None:
                f = figures
                self.add_figures(f.company_id, f.queue_id, f.day, **f.increments)
                if f.once_key:
                    self.figures_once.add((f.company_id, f.queue_id, f.once_key))
            after.version = new.version
            return "handed"

    def live(
        self, company_id: str, queue_id: str, limit: int, cursor: str | None
    ) -> Page[Interaction]:
        with self._lock:
            found = [
                copy.deepcopy(i)
                for i in self.interactions.values()
                if i.state != ENDED and i.queue_id == queue_id and i.company_id == company_id
            ]
        keys = sorted((f"{i.enqueued_at:017.6f}#{i.interaction_id}", i) for i in found)
        page, next_cursor = _paginate(keys, limit, cursor, f"cc-live:{company_id}:{queue_id}")
        return Page([i for _, i in page], next_cursor)

    def relist(self, interaction: Interaction) -> bool:
        """(The fake's live list is every open interaction: nothing to add.)"""
        with self._lock:
            stored = self.interactions.get(interaction.interaction_id)
            return (
                stored is not None
                and stored.version == interaction.version
                and stored.state != ENDED
            )

    def add_note(self, entry: TimelineEntry, client_id: str) -> TimelineEntry:
        with self._lock:
            key = (entry.interaction_id, entry.by, client_id)
            if key not in self.note_keys:
                self.note_keys[key] = entry
                self.add_timeline(entry)
            return self.note_keys[key]

    def add_timeline(self, entry: TimelineEntry) -> None:
        with self._lock:
            entries = self.timelines.setdefault(entry.interaction_id, {})
            if (entry.at, entry.entry_id) not in entries:
                self.changes.append(("timeline", None, entry))
            entries[(entry.at, entry.entry_id)] = entry

    def timeline(self, interaction_id: str, limit: int) -> list[TimelineEntry]:
        with self._lock:
            entries = self.timelines.get(interaction_id, {})
            return [entries[k] for k in sorted(entries)][-limit:]

    def put_monitor(self, monitor: Monitor) -> None:
        with self._lock:
            self.monitor_items[(monitor.conversation_id, monitor.user_id)] = monitor

    def end_monitor(self, conversation_id: str, user_id: str) -> None:
        with self._lock:
            self.monitor_items.pop((conversation_id, user_id), None)

    def monitors(self, conversation_id: str, now: float) -> list[Monitor]:
        with self._lock:
            found = [m for (c, _), m in sorted(self.monitor_items.items()) if c == conversation_id][
                :MAX_MONITORS
            ]
        return [m for m in found if m.live(now)]


class MemoryRoutingQueue:
    """Routing messages in order, with their delays, for tests to run when they choose.
    Kept as the JSON bodies SQS would carry (``encode``), so every message a test runs
    goes through ``decode`` as on AWS."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.messages: list[tuple[dict[str, Any], float]] = []  # (body, due at)

    def enqueue(self, message: RoutingMessage, delay_seconds: int = 0) -> None:
        body = json.loads(json.dumps(encode(message)))
        with self._lock:
            self.messages.append((body, self._clock() + delay_seconds))

    def take(self) -> list[tuple[dict[str, Any], float]]:
        with self._lock:
            taken, self.messages = self.messages, []
        return taken
