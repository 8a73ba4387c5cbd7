"""An SQS queue of the stage, found by its URL variable or, once, by its name."""

from __future__ import annotations

import os
from typing import Any

from chalicelib import resources


class NamedQueue:
    """The queue ``queue`` of the stage ``prefix``: its URL as given, else from
    ``url_variable`` (as the stack sets it on every function; None: not read), else
    looked up by name on first use. The client is created on first use and may be
    passed in."""

    def __init__(
        self,
        prefix: str,
        queue: resources.Queue,
        url_variable: str | None,
        client: Any = None,
        queue_url: str | None = None,
    ) -> None:
        self._prefix = prefix
        self._queue = queue
        self._client = client
        from_env = os.environ.get(url_variable) if url_variable else None
        self._url = queue_url or from_env or None

    def _sqs(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        return self._client

    def _queue_url(self) -> str:
        if self._url is None:
            name = resources.physical(self._prefix, self._queue.logical)
            self._url = str(self._sqs().get_queue_url(QueueName=name)["QueueUrl"])
        return self._url
