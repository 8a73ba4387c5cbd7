"""Presence: what users choose, whether any of their devices is live, and who hears of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.errors import NotFound, ValidationError
from chalicelib.domain.model import STATUSES, User, utcnow_iso
from chalicelib.services.common import Caller, Clock
from chalicelib.services.ports import (
    ConnectionRepository,
    DirectoryRepository,
    MediaStore,
    PresenceRepository,
)

MAX_STATUS_MESSAGE = 100
MAX_EXPIRY_SECONDS = 366 * 24 * 60 * 60
MAX_WATCHED = 200
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
PHOTO_URL_SECONDS = 3600
Epoch = Callable[[], float]
# user ids -> the contact-center routing status of those who are agents (one batch read)
AgentStatuses = Callable[[list[str]], dict[str, str]]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class PresenceService:
    """Chosen status and message, derived offline, presence subscriptions, profile photos.

    A presence change reaches only the connections that asked for it
    (``presence.subscribe``: the people a client has on screen) and the user's own
    devices, so its cost does not grow with the size of the company.
    """

    def __init__(
        self,
        directory: DirectoryRepository,
        presence: PresenceRepository,
        connections: ConnectionRepository,
        media: MediaStore | None,
        clock: Clock,
        epoch: Epoch = time.time,
        photo_max_bytes: int = 2 * 1024 * 1024,
        agent_statuses: AgentStatuses | None = None,
    ) -> None:
        self._directory = directory
        self._presence = presence
        self._connections = connections
        self._media = media
        self._clock = clock
        self._epoch = epoch
        self._photo_max_bytes = photo_max_bytes
        self._agent_statuses = agent_statuses  # given when a contact center runs

    def view(self, user: User) -> dict[str, Any]:
        now = self._epoch()
        return user.presence.view(now, utcnow_iso(datetime.fromtimestamp(now, UTC)))

    def _with_agent_status(self, views: dict[str, dict[str, Any]]) -> None:
        """Agents' presence also says their routing status (``agent_status``:
        available, away or offline); other users' has none."""
        if self._agent_statuses is None or not views:
            return
        statuses = self._agent_statuses(list(views))
        for user_id, view in views.items():
            if user_id in statuses:
                view["agent_status"] = statuses[user_id]

    def presence_of(self, user_id: str) -> dict[str, Any] | None:
        """One user's presence as co-workers see it (for ``presence.changed``)."""
        user = self._directory.get_user(user_id)
        if user is None:
            return None
        view = self.view(user)
        self._with_agent_status({user_id: view})
        return view

    def entries(self, users: list[User]) -> list[dict[str, Any]]:
        """Several users as co-workers see them (agents' statuses read in one batch)."""
        bodies = [self._entry(u) for u in users]
        self._with_agent_status({b["user_id"]: b["presence"] for b in bodies})
        return bodies

    def entry(self, user: User) -> dict[str, Any]:
        """A user as co-workers see them: profile, presence, photo link."""
        return self.entries([user])[0]

    def _entry(self, user: User) -> dict[str, Any]:
        body = user.to_dict()
        body["presence"] = self.view(user)
        body["photo_url"] = (
            self._media.download_url(user.photo_key, PHOTO_URL_SECONDS)
            if self._media and user.photo_key
            else None
        )
        return body

    def set_status(
        self,
        caller: Caller,
        status: str,
        message: str | None = None,
        expires_at: str | None = None,
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        if status not in STATUSES:
            raise ValidationError(
                f"status must be one of {', '.join(STATUSES)}", code="invalid_status"
            )
        if message is None:
            message = ""
        if not isinstance(message, str) or len(message) > MAX_STATUS_MESSAGE:
            raise ValidationError(
                f"message must be text of at most {MAX_STATUS_MESSAGE} characters",
                code="invalid_status_message",
            )
        expiry = self._expiry(expires_at, expires_in) if message else None
        self._presence.set_choice(caller.user_id, status, message.strip(), expiry, self._clock())
        user = self._directory.get_user(caller.user_id)
        if user is None:
            raise NotFound("no such user", code="user_not_found")
        return self.view(user)

    def _expiry(self, expires_at: str | None, expires_in: int | None) -> str | None:
        now = datetime.fromtimestamp(self._epoch(), UTC)
        if expires_in is not None:
            if (
                isinstance(expires_in, bool)
                or not isinstance(expires_in, int)
                or not 0 < expires_in <= MAX_EXPIRY_SECONDS
            ):
                raise ValidationError(
                    f"expires_in must be 1 to {MAX_EXPIRY_SECONDS} seconds", code="invalid_expiry"
                )
            return utcnow_iso(now + timedelta(seconds=expires_in))
        if expires_at is None:
            return None
        try:
            when = parse_time(str(expires_at))
            valid = when.tzinfo is not None and now < when <= now + timedelta(
                seconds=MAX_EXPIRY_SECONDS
            )
        except (ValueError, OverflowError):
            valid = False
        if not valid:
            raise ValidationError(
                "expires_at must be an ISO 8601 time with a time zone, within a year",
                code="invalid_expiry",
            )
        return utcnow_iso(when.astimezone(UTC))

    def subscribe(self, connection_id: str, caller: Caller, user_ids: list[str]) -> dict[str, Any]:
        """Follow co-workers' presence on this connection; answers with their presence now."""
        if not isinstance(user_ids, list) or not all(isinstance(u, str) for u in user_ids):
            raise ValidationError("user_ids must be a list of user ids", code="invalid_user_ids")
        wanted = list(dict.fromkeys(user_ids))
        if len(wanted) > MAX_WATCHED:
            raise ValidationError(
                f"follow at most {MAX_WATCHED} users per connection", code="too_many_users"
            )
        users = self._directory.get_users(wanted)
        visible = {u.user_id: u for u in users.values() if u.company_id == caller.company_id}
        connection = self._connections.get(connection_id)
        if connection is None:
            raise NotFound("this connection is not registered", code="unknown_connection")
        self._connections.watch(connection, list(visible))
        views = {uid: self.view(u) for uid, u in visible.items()}
        self._with_agent_status(views)
        return {
            "users": views,
            "unknown": [u for u in wanted if u not in visible],
        }

    # -- profile photo --------------------------------------------------

    def photo_upload(self, caller: Caller, content_type: str, size: int) -> dict[str, Any]:
        if self._media is None:
            raise ValidationError("photos are not configured", code="media_unavailable")
        if content_type not in PHOTO_TYPES:
            raise ValidationError(
                "a photo must be image/jpeg or image/png", code="invalid_content_type"
            )
        if (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not 0 < size <= self._photo_max_bytes
        ):
            raise ValidationError(
                f"size must be 1 to {self._photo_max_bytes} bytes", code="photo_too_large"
            )
        # uploads/ expires after a day: an upload never confirmed does not linger
        key = (
            f"uploads/photos/{caller.user_id}/{int(self._epoch() * 1000)}."
            f"{PHOTO_TYPES[content_type]}"
        )
        upload = self._media.presigned_upload(key, content_type, self._photo_max_bytes, 900)
        return {"key": key, "upload": upload, "max_bytes": self._photo_max_bytes}

    def photo_confirm(self, caller: Caller, key: str) -> dict[str, Any]:
        if self._media is None:
            raise ValidationError("photos are not configured", code="media_unavailable")
        if not isinstance(key, str) or not key.startswith(f"uploads/photos/{caller.user_id}/"):
            raise ValidationError("key must be one of your photo uploads", code="invalid_key")
        found = self._media.describe(key)
        if found is None:
            raise NotFound("nothing was uploaded under that key", code="upload_not_found")
        if found["content_type"] not in PHOTO_TYPES or found["size"] > self._photo_max_bytes:
            raise ValidationError(
                "the upload is not a JPEG or PNG within the size limit", code="invalid_photo"
            )
        kept = key.removeprefix("uploads/")  # out of the expiring prefix, for good
        self._media.copy(key, kept)
        self._presence.set_photo(caller.user_id, kept)
        user = self._directory.get_user(caller.user_id)
        assert user is not None
        return self.entry(user)
