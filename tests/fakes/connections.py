"""In-memory connection and presence repositories."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

from chalicelib.domain.model import (
    Connection,
)
from tests.fakes.directory import MemoryDirectoryRepository


class MemoryConnectionRepository:
    def __init__(self, epoch: Callable[[], float] = time.time) -> None:
        self.connections: dict[str, Connection] = {}
        self.watching: dict[str, list[str]] = {}  # connection -> watched users
        self._epoch = epoch

    def add(self, connection: Connection) -> None:
        self.connections[connection.connection_id] = copy.deepcopy(connection)

    def touch(self, connection: Connection, deadline: int) -> None:
        if connection.connection_id in self.connections:
            self.connections[connection.connection_id].deadline = deadline

    def set_background(self, connection: Connection, background: bool) -> None:
        if connection.connection_id in self.connections:
            self.connections[connection.connection_id].background = background

    def get(self, connection_id: str) -> Connection | None:
        found = self.connections.get(connection_id)
        if found is None or found.deadline < self._epoch():
            return None
        return copy.deepcopy(found)

    def remove(self, connection_id: str) -> Connection | None:
        self.watching.pop(connection_id, None)
        return self.connections.pop(connection_id, None)

    def list_for_user(self, user_id: str) -> list[Connection]:
        now = self._epoch()
        return [
            copy.deepcopy(c)
            for c in self.connections.values()
            if c.user_id == user_id and c.deadline >= now
        ]

    def expired(self, now: int, limit: int) -> list[Connection]:
        return [copy.deepcopy(c) for c in self.connections.values() if c.deadline < now][:limit]

    def watch(self, connection: Connection, user_ids: list[str]) -> None:
        if connection.connection_id in self.connections:
            self.watching[connection.connection_id] = list(user_ids)

    def watchers(self, user_id: str) -> list[str]:
        return [
            cid
            for cid, users in self.watching.items()
            if user_id in users and cid in self.connections
        ]


class MemoryPresenceRepository:
    """Presence on the profiles of a MemoryDirectoryRepository, like the real one."""

    def __init__(self, directory: MemoryDirectoryRepository) -> None:
        self._directory = directory

    def set_choice(
        self, user_id: str, status: str, message: str, expires_at: str | None, now: str
    ) -> None:
        presence = self._directory.users[user_id].presence
        presence.status, presence.message = status, message
        presence.message_expires_at, presence.updated_at = expires_at, now

    def set_online(self, user_id: str, online: bool, online_until: int, now: str) -> bool:
        presence = self._directory.users[user_id].presence
        was = presence.online
        if was != online:
            presence.updated_at = now
        presence.online, presence.online_until = online, online_until
        return was

    def set_photo(self, user_id: str, key: str) -> None:
        self._directory.users[user_id].photo_key = key
