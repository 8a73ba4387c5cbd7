"""In-memory event publisher and WebSocket sender."""

from __future__ import annotations

import copy
import json
from typing import Any

from chalicelib.domain.errors import ConnectionGone
from chalicelib.domain.model import (
    Event,
)


class MemoryPublisher:
    """Keeps what subscribers would receive: a copy of each event as it was published."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: list[Event]) -> None:
        self.events.extend(copy.deepcopy(events))  # SNS carries a snapshot, not a reference


class MemorySender:
    """Records frames per connection, as JSON carries them; connections in ``gone``
    answer like a 410."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.closed: list[str] = []

    def send(self, connection_id: str, frame: dict[str, Any]) -> None:
        wire = json.dumps(
            frame, separators=(",", ":")
        )  # refuses what cannot travel, like the real one
        if connection_id in self.gone:
            raise ConnectionGone(f"connection {connection_id} is gone")
        self.frames.setdefault(connection_id, []).append(json.loads(wire))

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)
