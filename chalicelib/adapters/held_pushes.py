"""Pushes held back on the realtime queue: a delayed SQS message the fan-out reads later."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from chalicelib import resources
from chalicelib.adapters.named_queue import NamedQueue
from chalicelib.domain.model import Event

if TYPE_CHECKING:
    from chalicelib.settings import Settings

MAX_DELAY_S = 900  # SQS's longest DelaySeconds


class SqsHeldPushes(NamedQueue):
    """Sends a held event straight to the ``realtime`` queue (the fan-out's own) with a
    delay: its URL from ``Settings.realtime_queue_url`` (the stack's
    ``REALTIME_QUEUE_URL``), else looked up by name once. The client is created on
    first use and may be passed in."""

    def __init__(self, prefix: str, client: Any = None, queue_url: str | None = None) -> None:
        super().__init__(prefix, resources.REALTIME_QUEUE, None, client, queue_url)

    @classmethod
    def from_settings(cls, settings: Settings, client: Any = None) -> SqsHeldPushes:
        return cls(settings.resource_prefix, client, settings.realtime_queue_url or None)

    def hold(self, event: Event, delay_seconds: int) -> None:
        self._sqs().send_message(
            QueueUrl=self._queue_url(),
            MessageBody=json.dumps(event.to_dict(), sort_keys=True),
            DelaySeconds=max(0, min(MAX_DELAY_S, int(delay_seconds))),
        )
