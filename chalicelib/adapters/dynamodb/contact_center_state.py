"""The contact center's stream side: each queue's last published state (written
conditionally, throttled by the supervisor service) and the translation of stream
records of contact-center items back into domain objects for the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.adapters.dynamodb.contact_center_items import (
    AgentItem,
    InteractionItem,
    QueueStateItem,
    TimelineItem,
    cc_agent,
    cc_interaction,
)
from chalicelib.adapters.dynamodb.contact_center_supervision import timeline_entry
from chalicelib.adapters.dynamodb.keys import STATE_SK, kind_of
from chalicelib.adapters.dynamodb.keys_contact_center import queue_state_pk
from chalicelib.adapters.dynamodb.models import conditional_failed, get_item
from chalicelib.domain.contact_center import AgentProfile, Interaction
from chalicelib.domain.contact_center_records import QueueState


def _state(item: QueueStateItem) -> QueueState:
    return QueueState(
        company_id=item.company_id,
        queue_id=item.queue_id,
        seq=int(item.seq or 0),
        published_at=float(item.published_at or 0),
        flush_due=float(item.flush_due or 0),
        figures=dict(item.figures or {}),
        recipients=list(item.recipients or []),
    )


def queue_state_of(raw: dict[str, Any]) -> QueueState:
    """The state of a raw queue-state item (a BatchGetItem's answer)."""
    return _state(QueueStateItem.from_raw_data(raw))


class QueueStateStore:
    """Part of ``DynamoContactCenterRepository``: the queue-state item."""

    def queue_state(self, company_id: str, queue_id: str) -> QueueState | None:
        item = get_item(
            QueueStateItem, queue_state_pk(company_id, queue_id), STATE_SK, consistent=True
        )
        return _state(item) if item else None

    def publish_queue_state(self, state: QueueState, previous_seq: int) -> bool:
        item = QueueStateItem(
            queue_state_pk(state.company_id, state.queue_id),
            STATE_SK,
            company_id=state.company_id,
            queue_id=state.queue_id,
            seq=previous_seq + 1,
            published_at=state.published_at,
            flush_due=0,
            figures=state.figures,
            recipients=list(state.recipients),
        )
        condition = (
            QueueStateItem.pk.does_not_exist()
            if previous_seq == 0
            else QueueStateItem.seq == previous_seq
        )
        try:
            item.save(condition=condition)
        except PutError as exc:
            if not conditional_failed(exc):
                raise
            return False
        state.seq = previous_seq + 1
        return True

    def claim_queue_flush(self, company_id: str, queue_id: str, seq: int, due: float) -> bool:
        item = QueueStateItem(queue_state_pk(company_id, queue_id), STATE_SK)
        try:
            item.update(
                actions=[QueueStateItem.flush_due.set(due)],
                condition=(QueueStateItem.seq == seq) & (QueueStateItem.flush_due == 0),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            return False
        return True


# -- stream records -------------------------------------------------------------------


@dataclass
class Change:
    """A stream record of a contact-center item, decoded: ``kind`` is
    ``interaction``, ``agent``, ``queue_state`` or ``timeline`` (a new entry);
    ``old`` is None for an insert."""

    kind: str
    old: Any
    new: Any


def _image(model: Any, raw: dict[str, Any] | None) -> Any:
    return model.from_raw_data(raw) if raw else None


def decode(record: dict[str, Any]) -> Change | None:
    """The domain objects before and after a stream record of an interaction, an
    agent or a queue state (None for anything else, or a removal)."""
    ddb = record.get("dynamodb", {})
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    keys = ddb.get("Keys", {})
    kind = kind_of(keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", ""))
    old, new = ddb.get("OldImage"), ddb.get("NewImage")
    if kind == "cc_interaction":
        before: Interaction | None = cc_interaction(_image(InteractionItem, old)) if old else None
        return Change("interaction", before, cc_interaction(_image(InteractionItem, new)))
    if kind == "cc_agent":
        was: AgentProfile | None = cc_agent(_image(AgentItem, old)) if old else None
        return Change("agent", was, cc_agent(_image(AgentItem, new)))
    if kind == "cc_timeline" and record.get("eventName") == "INSERT":
        return Change("timeline", None, timeline_entry(_image(TimelineItem, new)))
    if kind == "cc_queue_state":
        prior = _state(_image(QueueStateItem, old)) if old else None
        return Change("queue_state", prior, _state(_image(QueueStateItem, new)))
    return None
