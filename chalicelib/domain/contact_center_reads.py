"""What a step of the contact center reads at once (one BatchGetItem on DynamoDB),
handed from the repository to the service that decides on it. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.contact_center import Channel, Interaction, Queue
from chalicelib.domain.contact_center_records import QueueState


@dataclass(frozen=True)
class ChannelText:
    """A customer's text to a channel, with what its first read found: the channel,
    the id of the customer's open interaction there (its marker) and the id of their
    record (by phone, in the company that owns the number)."""

    channel: Channel
    open_interaction_id: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class AdmissionLookup:
    """An ``admit``: the interaction, the queue it was opened in, and that queue's last
    published state (for ``queue.updated`` after the routing pass)."""

    interaction: Interaction | None = None
    queue: Queue | None = None
    state: QueueState | None = None
