"""In-memory twin of ``chalicelib.adapters.idempotency.PowertoolsDeduplicator``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)


class MemoryDeduplicator:
    """Runs work once per key, as Powertools' idempotency does over its table.

    The first call returns the work's own result; a repeat returns the stored one,
    which (like Powertools' record) has been through JSON. Work that raises leaves
    no record, so a retry runs it again; a key whose work is still running refuses
    a second caller with Powertools' own error.
    """

    def __init__(self) -> None:
        self.done: dict[str, str] = {}
        self._running: set[str] = set()

    def register_lambda_context(self, context: Any) -> None:
        return None

    def run_once(self, key: str, work: Callable[[], Any]) -> Any:
        if key in self.done:
            return json.loads(self.done[key])
        if key in self._running:
            raise IdempotencyAlreadyInProgressError(f"work for {key} is already in progress")
        self._running.add(key)
        try:
            result = work()
        finally:
            self._running.discard(key)
        self.done[key] = json.dumps(result)
        return result
