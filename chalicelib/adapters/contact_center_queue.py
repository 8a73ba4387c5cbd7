"""The contact center's routing queue on SQS: routing work, and timers as delayed messages."""

from __future__ import annotations

import json
import os
from typing import Any

from chalicelib import resources


class SqsRoutingQueue:
    """Sends to the ``cc-routing`` queue (``CC_ROUTING_QUEUE_URL``, else looked up by
    name once). The client is created on first use and may be passed in."""

    def __init__(self, prefix: str, client: Any = None, queue_url: str | None = None) -> None:
        self._prefix = prefix
        self._client = client
        self._url = queue_url or os.environ.get("CC_ROUTING_QUEUE_URL") or None

    def _sqs(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client

    def _queue_url(self) -> str:
        if self._url is None:
            name = resources.physical(self._prefix, resources.CC_ROUTING_QUEUE.logical)
            self._url = str(self._sqs().get_queue_url(QueueName=name)["QueueUrl"])
        return self._url

    def enqueue(self, message: dict[str, Any], delay_seconds: int = 0) -> None:
        self._sqs().send_message(
            QueueUrl=self._queue_url(),
            MessageBody=json.dumps(message, sort_keys=True),
            DelaySeconds=max(0, min(900, int(delay_seconds))),
        )
