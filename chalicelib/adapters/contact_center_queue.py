"""The contact center's routing queue on SQS: routing work, and timers as delayed messages."""

from __future__ import annotations

import json
from typing import Any

from chalicelib import resources
from chalicelib.adapters.named_queue import NamedQueue


class SqsRoutingQueue(NamedQueue):
    """Sends to the ``cc-routing`` queue (``CC_ROUTING_QUEUE_URL``, else looked up by
    name once). The client is created on first use and may be passed in."""

    def __init__(self, prefix: str, client: Any = None, queue_url: str | None = None) -> None:
        super().__init__(
            prefix, resources.CC_ROUTING_QUEUE, "CC_ROUTING_QUEUE_URL", client, queue_url
        )

    def enqueue(self, message: dict[str, Any], delay_seconds: int = 0) -> None:
        self._sqs().send_message(
            QueueUrl=self._queue_url(),
            MessageBody=json.dumps(message, sort_keys=True),
            DelaySeconds=max(0, min(900, int(delay_seconds))),
        )
