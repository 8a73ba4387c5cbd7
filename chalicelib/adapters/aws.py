"""SNS publisher and API Gateway WebSocket sender.

Both take an optional boto3 client so tests can pass their own; otherwise the
client is created on first use, never at import time.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.errors import ConnectionGone
from chalicelib.domain.model import Event

_SNS_BATCH = 10  # PublishBatch takes at most ten entries


class SnsEventPublisher:
    """Publishes events to the events topic with ``event_type`` as a message attribute
    (the subscriptions' filter policies route on it)."""

    def __init__(self, topic_arn: str, client: Any = None) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sns")
        return self._client

    def publish(self, events: list[Event]) -> None:
        for start in range(0, len(events), _SNS_BATCH):
            batch = events[start : start + _SNS_BATCH]
            entries = [
                {
                    "Id": str(n),
                    "Message": json.dumps(e.to_dict(), separators=(",", ":")),
                    "MessageAttributes": {
                        "event_type": {"DataType": "String", "StringValue": e.type},
                        "company_id": {"DataType": "String", "StringValue": e.company_id},
                    },
                }
                for n, e in enumerate(batch)
            ]
            response = self._sns().publish_batch(
                TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
            )
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"SNS refused {len(failed)} event(s): {failed[0].get('Code')}")


class ApiGatewayConnectionSender:
    """Posts frames through the API Gateway Management API of the WebSocket API."""

    def __init__(self, endpoint_url: str, client: Any = None) -> None:
        self._endpoint_url = endpoint_url
        self._client = client

    def _api(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("apigatewaymanagementapi", endpoint_url=self._endpoint_url)
        return self._client

    def send(self, connection_id: str, frame: dict[str, Any]) -> None:
        api = self._api()
        try:
            api.post_to_connection(
                ConnectionId=connection_id, Data=json.dumps(frame, separators=(",", ":")).encode()
            )
        except api.exceptions.GoneException as exc:
            raise ConnectionGone(f"connection {connection_id} is gone") from exc
