"""The contact center's items in the messaging table, and their conversions.

They share the table's one connection and key schema (``models._Item``); every key
comes from ``keys``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.adapters.dynamodb.keys_contact_center import (
    CC_AGENT_PREFIX,
    IX_SK,
    ix_pk,
    live_gsi,
    waiting_gsi,
    waiting_sort,
)
from chalicelib.adapters.dynamodb.models import Gsi1, Gsi2, _Item, register
from chalicelib.domain.contact_center import ENDED, WAITING, AgentProfile, Interaction


class ConfigItem(_Item):
    """Queues, canned replies, cases, history entries: a document under a key."""

    data = JSONAttribute()


class ChannelItem(_Item):
    company_id = UnicodeAttribute()
    queue_id = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


class AgentItem(_Item):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="agent")
    skills = JSONAttribute(default=dict)
    queues: ListAttribute[str] = ListAttribute(default=list)
    max_concurrent = NumberAttribute()
    hard_cap = NumberAttribute()
    status = UnicodeAttribute(default="offline")
    load = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    last_assigned_at = NumberAttribute(default=0)
    status_changed_at = NumberAttribute(default=0)
    state_since = NumberAttribute(null=True)  # every write sets it: ``written()``
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


class PointerItem(_Item):
    """An agent's open interaction, a queue's agent, a customer's open interaction or phone."""

    target = UnicodeAttribute(default="")


class InteractionItem(_Item):
    state = UnicodeAttribute()
    version = NumberAttribute()
    queue_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    data = JSONAttribute()
    gsi1pk = UnicodeAttribute(null=True)  # the waiting index: only while it waits
    gsi1sk = UnicodeAttribute(null=True)  # its place in the queue: until it ends
    gsi1 = Gsi1()
    gsi2pk = UnicodeAttribute(null=True)  # the queue's live list: until it ends
    gsi2 = Gsi2()


class QueueStateItem(_Item):
    """A queue's last published figures (``queue.updated`` comes from its stream record)."""

    company_id = UnicodeAttribute()
    queue_id = UnicodeAttribute()
    seq = NumberAttribute(default=0)
    published_at = NumberAttribute(default=0)
    flush_due = NumberAttribute(default=0)
    figures = JSONAttribute(default=dict)
    recipients: ListAttribute[str] = ListAttribute(default=list)


class CustomerItem(_Item):
    company_id = UnicodeAttribute()
    phone = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    created_at = UnicodeAttribute(default="")
    # False until the first history entry is added (in the same write): the screen pop
    # then skips the history Query. Absent on records made before it was kept: read it.
    has_history = BooleanAttribute(null=True)


class FiguresItem(_Item):
    offered = NumberAttribute(default=0)
    answered = NumberAttribute(default=0)
    abandoned = NumberAttribute(default=0)
    timed_out = NumberAttribute(default=0)
    turned_away = NumberAttribute(default=0)
    moved_out = NumberAttribute(default=0)
    wait_total_s = NumberAttribute(default=0)
    within_service_level = NumberAttribute(default=0)
    handled = NumberAttribute(default=0)
    handle_total_s = NumberAttribute(default=0)


class TimelineItem(_Item):
    """An interaction's timeline entry (a private note, a supervisor's action)."""

    data = JSONAttribute()


class MonitorItem(_Item):
    """A supervisor following a conversation; TTL removes it after ``expires_at``."""

    interaction_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    expires_at = NumberAttribute()
    queue_id = UnicodeAttribute(null=True)  # absent on records stored before it was kept


class FiguresOnceItem(_Item):
    """Marks a figure counted (``add_figures_once``) or a waiting check armed
    (``claim_waiting_check``); TTL removes it after a week."""

    expires_at = NumberAttribute()


CONTACT_CENTER_MODELS: tuple[type[_Item], ...] = (
    ConfigItem,
    ChannelItem,
    AgentItem,
    PointerItem,
    InteractionItem,
    CustomerItem,
    FiguresItem,
    FiguresOnceItem,
    QueueStateItem,
    TimelineItem,
    MonitorItem,
)
register(*CONTACT_CENTER_MODELS)


def cc_fields(cls: type[Any], raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in raw.items() if k in names}


def cc_interaction(item: InteractionItem) -> Interaction:
    raw = dict(item.data)
    raw["version"] = int(item.version)
    raw["state"] = item.state
    return Interaction(**cc_fields(Interaction, raw))


def cc_agent(item: AgentItem) -> AgentProfile:
    return AgentProfile(
        agent_id=item.pk.removeprefix(CC_AGENT_PREFIX),
        company_id=item.company_id,
        name=item.name,
        role=item.role,
        skills={k: int(v) for k, v in (item.skills or {}).items()},
        queues=list(item.queues or []),
        max_concurrent=int(item.max_concurrent),
        status=item.status,
        load=int(item.load),
        total=int(item.total),
        last_assigned_at=float(item.last_assigned_at or 0),
        status_changed_at=float(item.status_changed_at or 0),
        state_since=float(item.state_since or 0),
    )


def cc_interaction_item(interaction: Interaction, version: int) -> InteractionItem:
    """The whole item, its indexes included: every write of an interaction keeps the
    waiting index (while it waits) and its queue's live list (until it ends) in the
    same request, so neither can disagree with the interaction."""
    data = dataclasses.asdict(interaction)
    data.pop("version")
    waiting = interaction.state == WAITING
    live = interaction.state != ENDED
    company_id, queue_id = interaction.company_id, interaction.queue_id
    return InteractionItem(
        ix_pk(interaction.interaction_id),
        IX_SK,
        state=interaction.state,
        version=version,
        queue_id=queue_id,
        company_id=company_id,
        data=data,
        gsi1pk=waiting_gsi(company_id, queue_id) if waiting else None,
        gsi1sk=waiting_sort(interaction.enqueued_at, interaction.interaction_id) if live else None,
        gsi2pk=live_gsi(company_id, queue_id) if live else None,
    )


def cc_number(name: str, value: Any) -> Any:
    return float(value or 0) if name.endswith("_s") else int(value or 0)


def written_at() -> float:
    """The time a write of an agent's profile stamps on it (``written``)."""
    return time.time()


def written() -> Any:
    """The action every write of an agent's profile carries: when this version of the
    profile began. A stream record then holds the whole spell its old version stood
    for (old ``state_since`` → new), so reports count each record on its own, in any
    order (``domain.report_time``)."""
    return AgentItem.state_since.set(written_at())


def agent_room() -> Any:
    """``AgentProfile.has_room`` as a write's condition (with ``status = available``:
    ``can_take``)."""
    return (AgentItem.load < AgentItem.max_concurrent) & (AgentItem.total < AgentItem.hard_cap)
