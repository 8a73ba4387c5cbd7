"""Push's ports: the devices registered for push and missed-message records, the
mobile push gateway, and the Web Push (VAPID) key. As every port, each has an adapter
in ``chalicelib.adapters`` and a fake in ``tests/fakes`` held to the same contract."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.model import Device, Missed


class NotificationRepository(Protocol):
    """Push registrations, missed-message counters, and the typing throttle."""

    def put_device(self, device: Device) -> None: ...

    def get_device(self, user_id: str, device_id: str) -> Device | None: ...

    def delete_device(self, user_id: str, device_id: str) -> None: ...

    def devices(self, user_id: str) -> list[Device]: ...

    def devices_of(self, user_ids: list[str]) -> dict[str, list[Device]]:
        """The push devices of several users at once (one BatchGetItem); every asked
        user is in the answer, with an empty list when they have none."""
        ...

    def claim_token(
        self, platform: str, token: str, user_id: str, device_id: str
    ) -> tuple[str, str] | None:
        """Make (user, device) the one owner of a push token; returns the previous owner."""
        ...

    def add_missed(self, user_id: str, conversation_id: str, seq: int, at: str) -> None: ...

    def missed(self, user_id: str) -> list[Missed]:
        """What is waiting for the next device, without taking it."""
        ...

    def restore_missed(self, user_id: str, missed: list[Missed]) -> None:
        """Put claimed counters back (the summary could not be delivered)."""
        ...

    def claim_missed(self, user_id: str) -> list[Missed] | None:
        """Take all missed counters at once; None if another device took them first."""
        ...

    def allow_typing(self, conversation_id: str, user_id: str, now: float, every: float) -> bool:
        """True at most once per ``every`` seconds per user and conversation."""
        ...


class PushGateway(Protocol):
    """Mobile and browser push: SNS platform endpoints (APNs, FCM) and Web Push."""

    def register(self, platform: str, token: str, user_id: str) -> str:
        """Create (or find) the endpoint for a device token; returns its handle."""
        ...

    def unregister(self, endpoint: str) -> None: ...

    def push(self, endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        """Deliver one notification; raises PushRejected if the endpoint is dead and
        PushUnavailable if it cannot push at all here (both: no retry); any other
        exception means "try again later" (the event is redelivered). A gateway that
        gives a push up by its own rules (Web Push after a few tries) returns."""
        ...


class WebPushKey(Protocol):
    """The VAPID key pair browsers subscribe with (its private half stays inside)."""

    def public_key(self) -> str:
        """The public key, base64url; raises PushUnavailable when none is configured."""
        ...
