"""Devices, push tokens, missed counters, typing throttle."""

from __future__ import annotations

import hashlib

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys import (
    DEVICE_PREFIX,
    MISSED_PREFIX,
    OWNER_SK,
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
    TokenItem,
    conditional_failed,
    get_item,
    shared_connection,
)
from chalicelib.domain.model import (
    Device,
    Missed,
)


class DynamoNotificationRepository:
    """Push registrations, missed-message counters and the typing throttle."""

    def put_device(self, device: Device) -> None:
        DeviceItem(
            user_pk(device.user_id),
            device_sk(device.device_id),
            device_id=device.device_id,
            platform=device.platform,
            token=device.token,
            endpoint=device.endpoint,
            registered_at=device.registered_at,
        ).save()

    def get_device(self, user_id: str, device_id: str) -> Device | None:
        item = get_item(DeviceItem, user_pk(user_id), device_sk(device_id))
        return to_device(user_id, item) if item else None

    def delete_device(self, user_id: str, device_id: str) -> None:
        DeviceItem(user_pk(user_id), device_sk(device_id)).delete()

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
        MissedItem(user_pk(user_id), missed_sk(conversation_id)).update(
            actions=[
                MissedItem.conversation_id.set(conversation_id),
                MissedItem.missed.add(1),
                MissedItem.last_seq.set(seq),
                MissedItem.updated_at.set(at),
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
