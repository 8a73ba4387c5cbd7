"""The supervisors' part of ``DynamoContactCenterRepository``: handing an interaction
to a named agent in one transaction, a queue's live list (one Query of gsi2 per page),
the interaction's timeline (a private note stored once per client key) and the
monitor records the outbox reads (one Query per text of an SMS conversation).

Every key comes from ``keys``.
"""

from __future__ import annotations

import time
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.contact_center_items import (
    AgentItem,
    FiguresItem,
    FiguresOnceItem,
    InteractionItem,
    MonitorItem,
    PointerItem,
    TimelineItem,
    agent_room,
    cc_fields,
    cc_interaction,
    cc_interaction_item,
    written,
)
from chalicelib.adapters.dynamodb.keys import PROFILE_SK
from chalicelib.adapters.dynamodb.keys_contact_center import (
    IX_SK,
    MON_PREFIX,
    TL_PREFIX,
    agent_ix_sk,
    agent_pk,
    day_sk,
    figures_once_sk,
    figures_pk,
    ix_pk,
    live_gsi,
    monitor_pk,
    monitor_sk,
    note_key_sk,
    timeline_sk,
)
from chalicelib.adapters.dynamodb.models import get_item, page_of, shared_connection
from chalicelib.domain.contact_center import (
    AVAILABLE,
    ENDED,
    Interaction,
    check_change,
    listed_agent,
)
from chalicelib.domain.contact_center_figures import FiguresChange
from chalicelib.domain.contact_center_supervision import MAX_MONITORS, Monitor, TimelineEntry
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import Page

HANDED, CHANGED, REFUSED = "handed", "changed", "refused"
LIVE_KEYS = ("pk", "sk", "gsi2pk", "gsi1sk")  # a cursor of the live list
LIVE_TAG = "cc-live"
MARK_TTL_S = 7 * 86400  # a counted key's marker lives as long as add_figures_once's
NOTE_ATTEMPTS = 3  # a note's write cancelled by a concurrent transaction is tried again


class SupervisionStore:
    """Hand-overs, timelines and monitors on the messaging table."""

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
        to_agent, from_agent = str(after.agent_id), before.agent_id
        version = before.version + 1
        condition = AgentItem.pk.exists() & agent_room()
        if available:
            condition = condition & (AgentItem.status == AVAILABLE)
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(
                    cc_interaction_item(after, version),
                    condition=InteractionItem.version == before.version,
                )
                tx.update(
                    AgentItem(agent_pk(to_agent), PROFILE_SK),
                    actions=[
                        AgentItem.load.add(1),
                        AgentItem.total.add(1),
                        AgentItem.last_assigned_at.set(assigned_at),
                        written(),
                    ],
                    condition=condition,
                )
                if from_agent:
                    tx.update(
                        AgentItem(agent_pk(from_agent), PROFILE_SK),
                        actions=[
                            AgentItem.load.add(from_load),
                            AgentItem.total.add(from_total),
                            written(),
                        ],
                        condition=AgentItem.pk.exists(),
                    )
                    tx.delete(PointerItem(agent_pk(from_agent), agent_ix_sk(before.interaction_id)))
                if listed_agent(after) == to_agent:
                    tx.save(PointerItem(agent_pk(to_agent), agent_ix_sk(after.interaction_id)))
                if entry is not None:
                    tx.save(_timeline_item(entry))
                if figures is not None:
                    _count(tx, figures)
        except TransactWriteError as exc:
            if exc.cause_response_code != "TransactionCanceledException":
                raise
            if _held(exc):  # another write held one of its items (a busy figures item)
                return CHANGED
            # which condition failed: the interaction's version (it moved on) or else the
            # new agent's room (PynamoDB reorders the items, so the reasons' places do
            # not say): the interaction read again tells
            stored = get_item(InteractionItem, ix_pk(before.interaction_id), IX_SK, consistent=True)
            return REFUSED if stored is not None and stored.version == before.version else CHANGED
        after.version = version
        return HANDED

    # -- a queue's live list ------------------------------------------------------------

    def live(
        self, company_id: str, queue_id: str, limit: int, cursor: str | None
    ) -> Page[Interaction]:
        key = live_gsi(company_id, queue_id)
        start = decode_cursor(cursor, LIVE_TAG, LIVE_KEYS, {"gsi2pk": key})
        items = list(InteractionItem.gsi2.query(key, limit=limit + 1, last_evaluated_key=start))
        page, next_cursor = page_of(items, limit, LIVE_KEYS, LIVE_TAG)
        return Page([cc_interaction(i) for i in page], next_cursor)

    def relist(self, interaction: Interaction) -> bool:
        """Only the live list's keys are set (as ``cc_interaction_item`` writes them):
        the data and version stay, so the stream's consumers see no change."""
        listed = cc_interaction_item(interaction, interaction.version)
        item = InteractionItem(ix_pk(interaction.interaction_id), IX_SK)
        try:
            item.update(
                actions=[
                    InteractionItem.gsi2pk.set(listed.gsi2pk),
                    InteractionItem.gsi1sk.set(listed.gsi1sk),
                ],
                condition=(InteractionItem.version == interaction.version)
                & (InteractionItem.state != ENDED),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    # -- the timeline ------------------------------------------------------------------

    def add_timeline(self, entry: TimelineEntry) -> None:
        _timeline_item(entry).save()

    def add_note(self, entry: TimelineEntry, client_id: str) -> TimelineEntry:
        """One transaction: the note's client key (only if absent), holding the entry,
        and the entry. A retry finds the key and gets the first note back."""
        pk = ix_pk(entry.interaction_id)
        key = TimelineItem(pk, note_key_sk(entry.by, client_id), data=_entry_data(entry))
        for _ in range(NOTE_ATTEMPTS):
            try:
                with TransactWrite(connection=shared_connection()) as tx:
                    tx.save(key, condition=TimelineItem.pk.does_not_exist())
                    tx.save(TimelineItem(pk, timeline_sk(entry.at, entry.entry_id), data=key.data))
            except TransactWriteError as exc:
                if exc.cause_response_code != "TransactionCanceledException":
                    raise
                first = get_item(TimelineItem, pk, key.sk, consistent=True)
                if first is not None:
                    return timeline_entry(first)
                continue  # cancelled by a transaction in progress on these items
            return entry
        raise ConcurrentUpdate("the note could not be stored; try again")

    def timeline(self, interaction_id: str, limit: int) -> list[TimelineEntry]:
        items = TimelineItem.query(
            ix_pk(interaction_id),
            TimelineItem.sk.startswith(TL_PREFIX),
            scan_index_forward=False,
            limit=limit,
        )
        return list(reversed([timeline_entry(i) for i in items]))

    # -- monitors ------------------------------------------------------------------------

    def put_monitor(self, monitor: Monitor) -> None:
        MonitorItem(
            monitor_pk(monitor.conversation_id),
            monitor_sk(monitor.user_id),
            interaction_id=monitor.interaction_id,
            company_id=monitor.company_id,
            expires_at=int(monitor.expires_at),
            queue_id=monitor.queue_id or None,
        ).save()

    def end_monitor(self, conversation_id: str, user_id: str) -> None:
        MonitorItem(monitor_pk(conversation_id), monitor_sk(user_id)).delete()

    def monitors(self, conversation_id: str, now: float) -> list[Monitor]:
        """Live monitors (TTL removes expired records late: they are left out here)."""
        items = MonitorItem.query(
            monitor_pk(conversation_id),
            MonitorItem.sk.startswith(MON_PREFIX),
            limit=MAX_MONITORS,
        )
        found = [
            Monitor(
                conversation_id,
                i.sk.removeprefix(MON_PREFIX),
                i.interaction_id,
                i.company_id,
                float(i.expires_at),
                i.queue_id or "",
            )
            for i in items
        ]
        return [m for m in found if m.live(now)]


def _timeline_item(entry: TimelineEntry) -> TimelineItem:
    return TimelineItem(
        ix_pk(entry.interaction_id), timeline_sk(entry.at, entry.entry_id), data=_entry_data(entry)
    )


def _count(tx: TransactWrite, figures: FiguresChange) -> None:
    """The figures' increments in the transaction, and their once key's marker (as
    ``add_figures_once`` leaves it: a later one with the key adds nothing)."""
    pk = figures_pk(figures.company_id, figures.queue_id)
    actions = [getattr(FiguresItem, name).add(value) for name, value in figures.increments.items()]
    if actions:
        tx.update(FiguresItem(pk, day_sk(figures.day)), actions=actions)
    if figures.once_key:
        expires_at = int(time.time()) + MARK_TTL_S
        tx.save(FiguresOnceItem(pk, figures_once_sk(figures.once_key), expires_at=expires_at))


def _held(exc: TransactWriteError) -> bool:
    """Cancelled because another transaction was writing one of its items."""
    reasons = getattr(exc.cause, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "TransactionConflict" for r in reasons)


def _entry_data(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "interaction_id": entry.interaction_id,
        "entry_id": entry.entry_id,
        "company_id": entry.company_id,
        "conversation_id": entry.conversation_id,
        "kind": entry.kind,
        "by": entry.by,
        "at": entry.at,
        "agent_id": entry.agent_id,
        "text": entry.text,
        "detail": dict(entry.detail),
    }


def timeline_entry(item: TimelineItem) -> TimelineEntry:
    raw = cc_fields(TimelineEntry, dict(item.data))
    raw["at"] = float(raw["at"])
    return TimelineEntry(**raw)
