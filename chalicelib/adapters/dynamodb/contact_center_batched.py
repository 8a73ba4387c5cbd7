"""Part of the contact center's repository: the reads a step makes at once, each one
BatchGetItem of items of several types (PynamoDB batches one model at a time)."""

from __future__ import annotations

from chalicelib.adapters.dynamodb.contact_center_items import (
    ChannelItem,
    ConfigItem,
    InteractionItem,
    PointerItem,
    cc_fields,
    cc_interaction,
)
from chalicelib.adapters.dynamodb.contact_center_state import queue_state_of
from chalicelib.adapters.dynamodb.keys import STATE_SK, co_pk
from chalicelib.adapters.dynamodb.keys_contact_center import (
    CHANNEL_SK,
    CUSTOMER_SK,
    IX_SK,
    OPEN_SK,
    cc_queue_sk,
    channel_pk,
    customer_phone_pk,
    ix_pk,
    open_pk,
    queue_state_pk,
)
from chalicelib.adapters.dynamodb.models import batch_get_raw
from chalicelib.domain.contact_center import Channel, Queue
from chalicelib.domain.contact_center_reads import AdmissionLookup, ChannelText


def queue_of(company_id: str, item: ConfigItem) -> Queue:
    return Queue(company_id=company_id, **cc_fields(Queue, item.data))


class BatchedReads:
    """Part of ``DynamoContactCenterRepository``: ``channel_text``, ``admission_lookup``."""

    def channel_text(self, e164: str, company_id: str, phone: str) -> ChannelText | None:
        """One BatchGetItem (strongly consistent, as the markers were read alone)."""
        channel_key = (channel_pk(e164), CHANNEL_SK)
        open_key = (open_pk(e164, phone), OPEN_SK)
        phone_key = (customer_phone_pk(company_id, phone), CUSTOMER_SK)
        found = batch_get_raw([channel_key, open_key, phone_key], consistent=True)
        channel, opened, known = found.get(channel_key), found.get(open_key), found.get(phone_key)
        if channel is None:
            return None
        item = ChannelItem.from_raw_data(channel)
        return ChannelText(
            channel=Channel(e164, item.company_id, item.queue_id),
            open_interaction_id=PointerItem.from_raw_data(opened).target if opened else None,
            customer_id=PointerItem.from_raw_data(known).target if known else None,
        )

    def admission_lookup(
        self, interaction_id: str, company_id: str, queue_id: str
    ) -> AdmissionLookup:
        """One BatchGetItem: the interaction, the queue it was opened in and that queue's
        published state (strongly consistent, as each was read alone)."""
        ix_key = (ix_pk(interaction_id), IX_SK)
        queue_key = (co_pk(company_id), cc_queue_sk(queue_id))
        state_key = (queue_state_pk(company_id, queue_id), STATE_SK)
        found = batch_get_raw([ix_key, queue_key, state_key], consistent=True)
        ix, queue, state = found.get(ix_key), found.get(queue_key), found.get(state_key)
        return AdmissionLookup(
            interaction=cc_interaction(InteractionItem.from_raw_data(ix)) if ix else None,
            queue=queue_of(company_id, ConfigItem.from_raw_data(queue)) if queue else None,
            state=queue_state_of(state) if state else None,
        )
