"""Devices, push tokens, missed counters, typing throttle."""

from __future__ import annotations

import hashlib

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys import (
    DEVICE_PREFIX,
    MISSED_PREFIX,
    OWNER_SK,
    PUSH_SK,
    USER_PREFIX,
    conv_pk,
    device_sk,
    missed_sk,
    push_token_pk,
    typing_sk,
    user_pk,
)
from chalicelib.adapters.dynamodb.mapping import (
    to_device,
    to_missed,
)
from chalicelib.adapters.dynamodb.models import (
    DeviceItem,
    MarkerItem,
    MissedItem,
    PushDevicesItem,
    TokenItem,
    conditional_failed,
    get_item,
    shared_connection,
)
from chalicelib.domain.errors import ConcurrentUpdate, Conflict
from chalicelib.domain.model import (
    Device,
    Missed,
)

PUSH_ATTEMPTS = 8
# A transaction refused for what it writes (an item over 400 KB), not for a race:
# DynamoDB cancels it with this reason (some emulators answer ValidationException).
TOO_LARGE = ("ValidationError", "ValidationException")


def _device_entry(device: Device) -> dict[str, str]:
    """A device on the user's PUSH item: a Web Push device's token is its endpoint (the
    subscription, up to 4 KB), so it is stored once, as the endpoint."""
    entry = {
        "platform": device.platform,
        "endpoint": device.endpoint,
        "registered_at": device.registered_at,
    }
    if device.token != device.endpoint:
        entry["token"] = device.token
    return entry


def _entry_device(user_id: str, device_id: str, entry: dict[str, str]) -> Device:
    return Device(
        user_id=user_id,
        device_id=device_id,
        platform=entry["platform"],
        token=entry.get("token", entry.get("endpoint", "")),
        endpoint=entry.get("endpoint", ""),
        registered_at=entry.get("registered_at", ""),
    )


def _too_large(exc: TransactWriteError) -> bool:
    reasons = [r.code for r in exc.cancellation_reasons or [] if r is not None]
    return exc.cause_response_code in TOO_LARGE or any(r in TOO_LARGE for r in reasons)


def _device_item(device: Device) -> DeviceItem:
    return DeviceItem(
        user_pk(device.user_id),
        device_sk(device.device_id),
        device_id=device.device_id,
        platform=device.platform,
        token=device.token,
        endpoint=device.endpoint,
        registered_at=device.registered_at,
    )


class DynamoNotificationRepository:
    """Push registrations, missed-message counters and the typing throttle."""

    def put_device(self, device: Device) -> None:
        self._change_devices(device.user_id, device.device_id, device)

    def _change_devices(self, user_id: str, device_id: str, device: Device | None) -> None:
        """Write (or delete) the DEVICE item and its mirror on the user's PUSH item in one
        transaction, conditional on the PUSH item's version (a concurrent change retries)."""
        for _ in range(PUSH_ATTEMPTS):
            current, version = self._summary(user_id)
            if device is None:
                current.pop(device_id, None)
            else:
                current[device_id] = _device_entry(device)
            summary = PushDevicesItem(
                user_pk(user_id), PUSH_SK, devices=current, version=version + 1
            )
            unchanged = (
                PushDevicesItem.pk.does_not_exist()
                if version == 0
                else PushDevicesItem.version == version
            )
            try:
                with TransactWrite(connection=shared_connection()) as tx:
                    if device is None:
                        tx.delete(DeviceItem(user_pk(user_id), device_sk(device_id)))
                    else:
                        tx.save(_device_item(device))
                    tx.save(summary, condition=unchanged)
            except TransactWriteError as exc:
                if _too_large(exc):
                    raise Conflict(
                        "this account's devices no longer fit on one record; sign out of "
                        "devices no longer used (DELETE /devices/{device_id})",
                        code="too_many_devices",
                    ) from None
                continue  # another device of this user changed meanwhile: read again
            return
        raise ConcurrentUpdate("the user's devices keep changing; try again")

    def _summary(self, user_id: str) -> tuple[dict[str, dict[str, str]], int]:
        """The user's PUSH item (devices, version); absent (version 0): built from the
        DEVICE items, which registrations before it existed left alone."""
        item = get_item(PushDevicesItem, user_pk(user_id), PUSH_SK, consistent=True)
        if item is not None:
            return dict(item.devices or {}), int(item.version)
        return {d.device_id: _device_entry(d) for d in self.devices(user_id)}, 0

    def devices_of(self, user_ids: list[str]) -> dict[str, list[Device]]:
        wanted = list(dict.fromkeys(user_ids))
        if not wanted:
            return {}
        found = {
            i.pk.removeprefix(USER_PREFIX): i
            for i in PushDevicesItem.batch_get([(user_pk(u), PUSH_SK) for u in wanted])
        }
        result: dict[str, list[Device]] = {}
        for user_id in wanted:
            item = found.get(user_id)
            if item is None:  # never built: once from the DEVICE items, then kept
                devices = {d.device_id: _device_entry(d) for d in self.devices(user_id)}
                self._seed(user_id, devices)
            else:
                devices = dict(item.devices or {})
            result[user_id] = [
                _entry_device(user_id, device_id, entry) for device_id, entry in devices.items()
            ]
        return result

    def _seed(self, user_id: str, devices: dict[str, dict[str, str]]) -> None:
        try:
            PushDevicesItem(user_pk(user_id), PUSH_SK, devices=devices, version=1).save(
                condition=PushDevicesItem.pk.does_not_exist()
            )
        except PutError as exc:
            if not conditional_failed(exc):
                raise

    def get_device(self, user_id: str, device_id: str) -> Device | None:
        item = get_item(DeviceItem, user_pk(user_id), device_sk(device_id))
        return to_device(user_id, item) if item else None

    def delete_device(self, user_id: str, device_id: str) -> None:
        self._change_devices(user_id, device_id, None)

    def devices(self, user_id: str) -> list[Device]:
        return [
            to_device(user_id, i)
            for i in DeviceItem.query(user_pk(user_id), DeviceItem.sk.startswith(DEVICE_PREFIX))
        ]

    def claim_token(
        self, platform: str, token: str, user_id: str, device_id: str
    ) -> tuple[str, str] | None:
        """Make (user, device) the one owner of a push token; returns the previous owner.

        A phone passed from one person to another keeps its token: the new owner's
        registration must take the token away from the old one, or the old owner's
        previews would land on the new owner's screen.
        """
        digest = hashlib.sha256(f"{platform}|{token}".encode()).hexdigest()
        item = get_item(TokenItem, push_token_pk(digest), OWNER_SK, consistent=True)
        previous = (item.user_id, item.device_id) if item else None
        TokenItem(push_token_pk(digest), OWNER_SK, user_id=user_id, device_id=device_id).save()
        return previous

    def add_missed(self, user_id: str, conversation_id: str, seq: int, at: str) -> None:
        """Count one more; the newest message (seq) only moves forward: events arrive
        in any order, and an older one counts without setting the newest back."""
        item = MissedItem(user_pk(user_id), missed_sk(conversation_id))
        try:
            item.update(
                actions=[
                    MissedItem.conversation_id.set(conversation_id),
                    MissedItem.missed.add(1),
                    MissedItem.last_seq.set(seq),
                    MissedItem.updated_at.set(at),
                ],
                condition=MissedItem.last_seq.does_not_exist() | (MissedItem.last_seq < seq),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            item.update(  # a newer one is counted already (or is claimed meanwhile)
                actions=[
                    MissedItem.conversation_id.set(conversation_id),
                    MissedItem.missed.add(1),
                    MissedItem.last_seq.set(MissedItem.last_seq | seq),
                    MissedItem.updated_at.set(MissedItem.updated_at | at),
                ]
            )

    def missed(self, user_id: str) -> list[Missed]:
        return [
            to_missed(i)
            for i in MissedItem.query(
                user_pk(user_id), MissedItem.sk.startswith(MISSED_PREFIX), consistent_read=True
            )
        ]

    def claim_missed(self, user_id: str) -> list[Missed] | None:
        """Take every missed counter at once; None if another device took them first."""
        items = list(
            MissedItem.query(
                user_pk(user_id), MissedItem.sk.startswith(MISSED_PREFIX), consistent_read=True
            )
        )
        if not items:
            return []
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                for item in items[:100]:
                    tx.delete(item, condition=MissedItem.missed == item.missed)
        except TransactWriteError as exc:
            reasons = [r.code for r in exc.cancellation_reasons if r is not None]
            if "ConditionalCheckFailed" in reasons:
                return None  # another device claimed them, or a new one arrived: lost race
            raise  # throttled or conflicting: the queue retries
        return [to_missed(i) for i in items[:100]]

    def restore_missed(self, user_id: str, missed: list[Missed]) -> None:
        for entry in missed:
            MissedItem(user_pk(user_id), missed_sk(entry.conversation_id)).update(
                actions=[
                    MissedItem.conversation_id.set(entry.conversation_id),
                    MissedItem.missed.add(entry.count),
                    MissedItem.last_seq.set(MissedItem.last_seq | entry.last_seq),
                    MissedItem.updated_at.set(MissedItem.updated_at | entry.updated_at),
                ]
            )

    def allow_typing(self, conversation_id: str, user_id: str, now: float, every: float) -> bool:
        marker = MarkerItem(
            conv_pk(conversation_id),
            typing_sk(user_id),
            until=now + every,
            expires_at=int(now + every) + 60,
        )
        try:
            marker.save(condition=MarkerItem.pk.does_not_exist() | (MarkerItem.until <= now))
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True
