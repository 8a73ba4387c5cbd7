"""In-memory notification repository and push gateway."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.domain.errors import PushRejected
from chalicelib.domain.model import (
    Device,
    Event,
    Missed,
)


class MemoryNotificationRepository:
    def __init__(self) -> None:
        self.devices_by_user: dict[str, dict[str, Device]] = {}
        self.missed_by_user: dict[str, dict[str, Missed]] = {}
        self.typing_until: dict[tuple[str, str], float] = {}
        self.token_owners: dict[tuple[str, str], tuple[str, str]] = {}

    def put_device(self, device: Device) -> None:
        self.devices_by_user.setdefault(device.user_id, {})[device.device_id] = copy.deepcopy(
            device
        )

    def get_device(self, user_id: str, device_id: str) -> Device | None:
        return copy.deepcopy(self.devices_by_user.get(user_id, {}).get(device_id))

    def delete_device(self, user_id: str, device_id: str) -> None:
        self.devices_by_user.get(user_id, {}).pop(device_id, None)

    def devices(self, user_id: str) -> list[Device]:
        return [copy.deepcopy(d) for d in self.devices_by_user.get(user_id, {}).values()]

    def devices_of(self, user_ids: list[str]) -> dict[str, list[Device]]:
        return {u: self.devices(u) for u in dict.fromkeys(user_ids)}

    def claim_token(
        self, platform: str, token: str, user_id: str, device_id: str
    ) -> tuple[str, str] | None:
        previous = self.token_owners.get((platform, token))
        self.token_owners[(platform, token)] = (user_id, device_id)
        return previous

    def add_missed(self, user_id: str, conversation_id: str, seq: int, at: str) -> None:
        entry = self.missed_by_user.setdefault(user_id, {}).setdefault(
            conversation_id, Missed(conversation_id, 0, 0)
        )
        entry.count += 1
        if seq > entry.last_seq or not entry.updated_at:  # the newest only moves forward
            entry.last_seq, entry.updated_at = seq, at

    def missed(self, user_id: str) -> list[Missed]:
        return [copy.deepcopy(m) for m in self.missed_by_user.get(user_id, {}).values()]

    def restore_missed(self, user_id: str, missed: list[Missed]) -> None:
        for entry in missed:
            stored = self.missed_by_user.setdefault(user_id, {}).setdefault(
                entry.conversation_id,
                Missed(entry.conversation_id, 0, entry.last_seq, entry.updated_at),
            )
            stored.count += entry.count

    def claim_missed(self, user_id: str) -> list[Missed] | None:
        return list(self.missed_by_user.pop(user_id, {}).values())

    def allow_typing(self, conversation_id: str, user_id: str, now: float, every: float) -> bool:
        key = (conversation_id, user_id)
        if self.typing_until.get(key, 0) > now:
            return False
        self.typing_until[key] = now + every
        return True


class MemoryPushGateway:
    """Records pushes; endpoints in ``dead`` are rejected like a disabled SNS endpoint,
    and so is one never registered or unregistered (SNS: not found).

    ``platforms``: those with an application configured (default: all); a token of
    another platform is registered with no endpoint and never pushed, as on AWS.
    """

    def __init__(self, platforms: set[str] | None = None) -> None:
        self.pushed: list[dict[str, Any]] = []
        self.registered: dict[str, str] = {}
        self.dead: set[str] = set()
        self.platforms = platforms

    def register(self, platform: str, token: str, user_id: str) -> str:
        if self.platforms is not None and platform not in self.platforms:
            return ""
        endpoint = f"endpoint/{platform}/{token}"
        self.registered[endpoint] = user_id
        return endpoint

    def unregister(self, endpoint: str) -> None:
        self.registered.pop(endpoint, None)

    def push(self, endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        if not endpoint:
            return
        if endpoint in self.dead or endpoint not in self.registered:
            raise PushRejected("the device endpoint is disabled or gone")
        self.pushed.append(
            {"endpoint": endpoint, "platform": platform, "silent": silent, **payload}
        )


class MemoryHeldPushes:
    """Records held events and their delays; a test releases them when time has passed."""

    def __init__(self) -> None:
        self.held: list[tuple[Event, int]] = []

    def hold(self, event: Event, delay_seconds: int) -> None:
        self.held.append((event, delay_seconds))
