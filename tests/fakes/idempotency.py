"""In-memory deduplicator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class MemoryDeduplicator:
    def __init__(self) -> None:
        self.done: dict[str, Any] = {}

    def register_lambda_context(self, context: Any) -> None:
        return None

    def run_once(self, key: str, work: Callable[[], Any]) -> Any:
        if key not in self.done:
            self.done[key] = work()
        return self.done[key]
