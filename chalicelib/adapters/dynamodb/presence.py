"""Presence on the profile item."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamodb.keys import (
    PROFILE_SK,
    user_pk,
)
from chalicelib.adapters.dynamodb.models import (
    UserItem,
    conditional_failed,
)


class DynamoPresenceRepository:
    """Presence lives on the profile item, so the directory shows it with no extra reads."""

    def set_choice(
        self, user_id: str, status: str, message: str, expires_at: str | None, now: str
    ) -> None:
        UserItem(user_pk(user_id), PROFILE_SK).update(
            actions=[
                UserItem.presence_status.set(status),
                UserItem.presence_message.set(message),
                UserItem.presence_message_expires_at.set(expires_at)
                if expires_at
                else UserItem.presence_message_expires_at.remove(),
                UserItem.presence_updated_at.set(now),
            ],
            condition=UserItem.pk.exists(),
        )

    def set_online(self, user_id: str, online: bool, online_until: int, now: str) -> bool:
        """Store liveness; returns whether the user was online before."""
        item = UserItem(user_pk(user_id), PROFILE_SK)
        actions: list[Any] = [
            UserItem.online.set(online),
            UserItem.online_until.set(online_until),
            UserItem.presence_updated_at.set(now),
        ]
        was_other = (
            UserItem.online.does_not_exist() | (UserItem.online == False)  # noqa: E712
            if online
            else UserItem.online == True  # noqa: E712
        )
        try:
            item.update(actions=actions, condition=UserItem.pk.exists() & was_other)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            # no change of state: only move the deadline, with no presence event
            try:
                item.update(
                    actions=[UserItem.online_until.set(online_until)],
                    condition=UserItem.pk.exists(),
                )
            except UpdateError as inner:
                if not conditional_failed(inner):
                    raise
            return online
        return not online

    def set_photo(self, user_id: str, key: str) -> None:
        UserItem(user_pk(user_id), PROFILE_SK).update(
            actions=[UserItem.photo_key.set(key)], condition=UserItem.pk.exists()
        )
