"""In-process moto, one DynamoDB request at a time, for tests that use real threads.

moto's DynamoDB backend has no locking: a cancelled ``TransactWriteItems``
replaces the table with a deep copy taken before it, losing writes that other
threads made in between. DynamoDB itself applies each request atomically; one
lock around moto's handling of DynamoDB requests gives the same guarantee (the
local stack's moto server does the same, ``local.motoserver.SerialisedDynamoDB``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def serial_dynamodb(aws: Any) -> Iterator[None]:
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        target = str(request.headers.get("X-Amz-Target", b"") or b"")
        if "DynamoDB" not in target:
            return original(self, request)
        with lock:
            return original(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.process_request = original  # type: ignore[method-assign]
