"""Index writes the engine refused, kept on an SQS queue until ``redrive``.

Each message is one refused batch: the ids of its messages, which the redrive
reads again from the table (the source of truth) and indexes as they are then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib import resources
from chalicelib.adapters.named_queue import NamedQueue
from chalicelib.services.search import IndexChange

_SQS_BATCH = 10


class SqsSearchFailures(NamedQueue):
    """The ``search-failures`` queue (``SEARCH_FAILURES_QUEUE_URL``, else looked up by
    name once); the client is created on first use and may be passed in."""

    def __init__(self, prefix: str, client: Any = None, queue_url: str | None = None) -> None:
        super().__init__(
            prefix, resources.SEARCH_FAILURES_QUEUE, "SEARCH_FAILURES_QUEUE_URL", client, queue_url
        )

    def keep(self, changes: list[IndexChange]) -> None:
        body = [{"conversation_id": c.conversation_id, "seq": c.seq} for c in changes]
        self._sqs().send_message(QueueUrl=self._queue_url(), MessageBody=json.dumps(body))

    def waiting(self) -> int:
        attributes = self._sqs().get_queue_attributes(
            QueueUrl=self._queue_url(), AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))

    def drain(self, redrive: Callable[[list[IndexChange]], int], limit: int = 1000) -> int:
        """Redrive up to ``limit`` kept batches; a batch leaves the queue only once its
        changes are written (a refused redrive keeps it, and keeps its copy too)."""
        done = 0
        while done < limit:
            answer = self._sqs().receive_message(
                QueueUrl=self._queue_url(),
                MaxNumberOfMessages=_SQS_BATCH,
                WaitTimeSeconds=0,
                VisibilityTimeout=60,
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                changes = [
                    IndexChange(str(c["conversation_id"]), int(c["seq"]))
                    for c in json.loads(message["Body"])
                ]
                if redrive(changes) or not changes:
                    self._sqs().delete_message(
                        QueueUrl=self._queue_url(), ReceiptHandle=message["ReceiptHandle"]
                    )
                    done += 1
        return done
