"""Handled interactions on the messaging table (``HandledInteractions``): one item
under the agent (``USER#{agent}``, ``CCHANDLED#…``) and one under the queue
(``CCQ#{company}#{queue}``, ``HANDLED#…``), both sorted by the answer time, so
"the newest N" is one Query either way."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamodb.keys import user_pk
from chalicelib.adapters.dynamodb.keys_contact_center import (
    CC_HANDLED_PREFIX,
    HANDLED_PREFIX,
    agent_handled_sk,
    queue_handled_sk,
    queue_members_pk,
)
from chalicelib.adapters.dynamodb.models import _Item, conditional_failed, register
from chalicelib.domain.search_scope import HandledInteraction


class HandledItem(_Item):
    interaction_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    queue_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    answered_at = NumberAttribute()
    first_seq = NumberAttribute()
    last_seq = NumberAttribute()


register(HandledItem)


def _handled(item: HandledItem) -> HandledInteraction:
    return HandledInteraction(
        interaction_id=item.interaction_id,
        company_id=item.company_id,
        queue_id=item.queue_id,
        agent_id=item.agent_id,
        conversation_id=item.conversation_id,
        answered_at=float(item.answered_at),
        first_seq=int(item.first_seq),
        last_seq=int(item.last_seq),
    )


class DynamoHandledInteractions:
    """``HandledInteractions`` in DynamoDB: two UpdateItems a record (each conditional
    on moving ``last_seq`` forward), one Query a read."""

    def record(self, handled: HandledInteraction) -> None:
        keys = (
            (
                user_pk(handled.agent_id),
                agent_handled_sk(handled.answered_at, handled.interaction_id),
            ),
            (
                queue_members_pk(handled.company_id, handled.queue_id),
                queue_handled_sk(handled.answered_at, handled.interaction_id),
            ),
        )
        for pk, sk in keys:
            try:
                HandledItem(pk, sk).update(
                    actions=[
                        HandledItem.interaction_id.set(handled.interaction_id),
                        HandledItem.company_id.set(handled.company_id),
                        HandledItem.queue_id.set(handled.queue_id),
                        HandledItem.agent_id.set(handled.agent_id),
                        HandledItem.conversation_id.set(handled.conversation_id),
                        HandledItem.answered_at.set(handled.answered_at),
                        HandledItem.first_seq.set(handled.first_seq),
                        HandledItem.last_seq.set(handled.last_seq),
                    ],
                    condition=HandledItem.last_seq.does_not_exist()
                    | (HandledItem.last_seq < handled.last_seq),
                )
            except UpdateError as exc:
                if not conditional_failed(exc):  # else it holds as much already
                    raise

    def by_agent(self, agent_id: str, limit: int) -> list[HandledInteraction]:
        items = HandledItem.query(
            user_pk(agent_id),
            HandledItem.sk.startswith(CC_HANDLED_PREFIX),
            scan_index_forward=False,
            limit=limit,
        )
        return [_handled(i) for i in items]

    def by_queue(self, company_id: str, queue_id: str, limit: int) -> list[HandledInteraction]:
        items = HandledItem.query(
            queue_members_pk(company_id, queue_id),
            HandledItem.sk.startswith(HANDLED_PREFIX),
            scan_index_forward=False,
            limit=limit,
        )
        return [_handled(i) for i in items]
