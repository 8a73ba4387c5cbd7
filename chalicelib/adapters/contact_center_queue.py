"""The contact center's routing queue on SQS: routing work, and timers as delayed messages."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib import resources
from chalicelib.adapters.named_queue import NamedQueue
from chalicelib.domain.contact_center_messages import RoutingMessage, encode

if TYPE_CHECKING:
    from chalicelib.settings import Settings

MAX_DELAY_S = 900  # SQS's longest DelaySeconds


class SqsRoutingQueue(NamedQueue):
    """Sends to the ``cc-routing`` queue: its URL from ``Settings.cc_routing_queue_url``
    (the stack's ``CC_ROUTING_QUEUE_URL``), else looked up by name once. The client is
    created on first use and may be passed in."""

    def __init__(self, prefix: str, client: Any = None, queue_url: str | None = None) -> None:
        super().__init__(prefix, resources.CC_ROUTING_QUEUE, None, client, queue_url)

    @classmethod
    def from_settings(cls, settings: Settings, client: Any = None) -> SqsRoutingQueue:
        return cls(settings.resource_prefix, client, settings.cc_routing_queue_url or None)

    def enqueue(self, message: RoutingMessage, delay_seconds: int = 0) -> None:
        self._sqs().send_message(
            QueueUrl=self._queue_url(),
            MessageBody=json.dumps(encode(message), sort_keys=True),
            DelaySeconds=max(0, min(MAX_DELAY_S, int(delay_seconds))),
        )
