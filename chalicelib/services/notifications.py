"""Push notifications, missed messages, device registration and logout, typing indicators."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from chalicelib.domain.errors import (
    NotFound,
    PushRejected,
    PushUnavailable,
    Unauthorized,
    ValidationError,
)
from chalicelib.domain.model import Connection, Device, Event, Membership, User
from chalicelib.domain.shared_lines import HELD
from chalicelib.domain.webpush import PushEndpoints, parse_subscription
from chalicelib.observability import count, logger
from chalicelib.services.common import Caller, Clock, worker_pool
from chalicelib.services.conversations import ConversationService
from chalicelib.services.ports import (
    ConnectionRepository,
    ConnectionSender,
    ConversationRepository,
    DirectoryRepository,
)
from chalicelib.services.push_ports import NotificationRepository, PushGateway, WebPushKey
from chalicelib.services.realtime import FanoutService
from chalicelib.services.shared_lines import HeldPushes

PLATFORMS = ("apns", "fcm", "webpush")
MAX_TOKEN = 4096
MAX_DEVICES = 20
PREVIEW = 100
TYPING_EVERY_SECONDS = 3.0
RunOnce = Callable[[str, Callable[[], Any]], Any]


class NotificationService:
    """Decides, per recipient of a new message, between WebSocket, push, and "missed".

    Connected devices in the foreground already got the WebSocket event. Every
    other registered device gets a push — unless the conversation is muted; under
    do-not-disturb the push is silent. A recipient with no live device at all has
    the message counted as missed, for the first device that connects next.

    Browsers (``webpush``) follow the same rules as phones; their token is the
    ``PushSubscription`` JSON, whose keys and endpoint (a browser's push service
    only: ``push_endpoints``) are checked when the device registers, and only while
    the stage has a VAPID key (else 503 ``push_unavailable``: nothing could ever be
    pushed to it). A user keeps at most ``max_devices``: one more forgets the least
    recently registered.
    """

    def __init__(
        self,
        directory: DirectoryRepository,
        conversations: ConversationRepository,
        connections: ConnectionRepository,
        notifications: NotificationRepository,
        push: PushGateway,
        sender: ConnectionSender,
        clock: Clock,
        on_disconnect: Callable[[str], None],
        push_endpoints: PushEndpoints | None = None,
        webpush_key: WebPushKey | None = None,
        held: HeldPushes | None = None,
        hold_seconds: int = 120,
        max_devices: int = MAX_DEVICES,
    ) -> None:
        self._directory = directory
        self._conversations = conversations
        self._connections = connections
        self._notifications = notifications
        self._push = push
        self._sender = sender
        self._clock = clock
        self._on_disconnect = on_disconnect
        self._push_endpoints = push_endpoints or PushEndpoints()
        self._webpush_key = webpush_key
        self._held = held
        self._hold_seconds = hold_seconds
        self._max_devices = max(1, max_devices)

    # -- devices ----------------------------------------------------------

    def register_device(
        self, caller: Caller, device_id: str, platform: str, token: str
    ) -> dict[str, Any]:
        if not isinstance(device_id, str) or not 0 < len(device_id) <= 128:
            raise ValidationError("device_id must be 1 to 128 characters", code="invalid_device_id")
        if platform not in PLATFORMS:
            raise ValidationError(
                f"platform must be one of {', '.join(PLATFORMS)}", code="invalid_platform"
            )
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
            raise ValidationError(
                "token must be the platform's push token", code="invalid_push_token"
            )
        if platform == "webpush":  # one spelling per subscription, on a push service only
            subscription = parse_subscription(token)
            self._push_endpoints.check(subscription.endpoint)
            token = subscription.token()
            self.push_key()  # 503 push_unavailable while the stage has no VAPID key
        user = self._directory.get_user(caller.user_id)
        if user is None or not user.enabled:  # offboarded since the token was allowed
            raise Unauthorized("this account is disabled", code="account_disabled")
        previous = self._notifications.claim_token(platform, token, caller.user_id, device_id)
        if previous is not None and previous != (caller.user_id, device_id):
            # the token moved to another account or install: the old one loses it
            self._notifications.delete_device(*previous)
        existing = self._notifications.get_device(caller.user_id, device_id)
        if existing and existing.token == token and existing.platform == platform:
            return _device_view(existing)
        if existing and existing.endpoint and existing.token != token:
            self._push.unregister(existing.endpoint)
        if existing is None:
            self._make_room(caller.user_id, device_id)
        device = Device(
            user_id=caller.user_id,
            device_id=device_id,
            platform=platform,
            token=token,
            registered_at=self._clock(),
            endpoint=self._push.register(platform, token, caller.user_id),
        )
        self._notifications.put_device(device)
        return _device_view(device)

    def _make_room(self, user_id: str, device_id: str) -> None:
        """Forget the least recently registered devices until one more fits."""
        others = [d for d in self._notifications.devices(user_id) if d.device_id != device_id]
        surplus = len(others) - self._max_devices + 1
        for device in sorted(others, key=lambda d: d.registered_at)[: max(0, surplus)]:
            logger.info(
                "device limit reached; least recently registered device removed",
                extra={"user_id": user_id, "device_id": device.device_id},
            )
            if device.endpoint:
                self._push.unregister(device.endpoint)
            self._notifications.delete_device(user_id, device.device_id)

    def push_key(self) -> dict[str, str]:
        """The VAPID public key a browser subscribes with (``applicationServerKey``)."""
        if self._webpush_key is None:
            raise PushUnavailable("Web Push is not configured on this stage")
        return {"public_key": self._webpush_key.public_key()}

    def list_devices(self, caller: Caller) -> list[dict[str, Any]]:
        return [_device_view(d) for d in self._notifications.devices(caller.user_id)]

    def logout(self, caller: Caller, device_id: str) -> None:
        """The device signs out: no more pushes to it, and its live connections close."""
        device = self._notifications.get_device(caller.user_id, device_id)
        closing = [
            c for c in self._connections.list_for_user(caller.user_id) if c.device_id == device_id
        ]
        if device is None and not closing:
            raise NotFound("no such device", code="device_not_found")
        if device is not None:
            if device.endpoint:
                self._push.unregister(device.endpoint)
            self._notifications.delete_device(caller.user_id, device_id)
        for connection in closing:
            self._sender.close(connection.connection_id)
            self._on_disconnect(connection.connection_id)

    def end_sessions(self, user_id: str) -> int:
        """Offboarding: no device of the user gets a push any more and every live
        connection closes (the number closed). Safe to repeat."""
        for device in self._notifications.devices(user_id):
            if device.endpoint:
                self._push.unregister(device.endpoint)
            self._notifications.delete_device(user_id, device.device_id)
        closing = self._connections.list_for_user(user_id)
        for connection in closing:
            self._sender.close(connection.connection_id)
            self._on_disconnect(connection.connection_id)
        return len(closing)

    def pending_missed(self, caller: Caller) -> dict[str, Any]:
        """What the next device to connect will be told it missed (not claimed here)."""
        missed = sorted(
            self._notifications.missed(caller.user_id), key=lambda m: m.updated_at, reverse=True
        )
        return {
            "total": sum(m.count for m in missed),
            "conversations": [
                {
                    "conversation_id": m.conversation_id,
                    "count": m.count,
                    "last_seq": m.last_seq,
                    "updated_at": m.updated_at,
                }
                for m in missed
            ],
        }

    # -- a new message ----------------------------------------------------

    def on_message(
        self, event: Event, once: RunOnce, live: Mapping[str, list[Connection]] | None = None
    ) -> dict[str, int]:
        """One pass over the recipients: push devices in a batch, and only for those
        with a device, their memberships and profiles (with the sender's); then per
        recipient, side by side, push or count as missed. ``live`` is each recipient's
        connections as the fan-out just found them (a recipient missing from it has
        theirs read here). Only the effects that are not idempotent by themselves (a
        missed count, a push) run once per key."""
        message = event.data
        conversation_id = str(message.get("conversation_id") or event.conversation_id)
        sender_id = str(message.get("sender", ""))
        recipients = [u for u in dict.fromkeys(event.recipients) if u != sender_id]
        if not recipients:
            return {"pushed": 0, "missed": 0, "muted": 0}
        # Push devices first: most recipients have none, and then neither their
        # membership (mute) nor their profile (do-not-disturb) is read.
        devices = self._notifications.devices_of(recipients)
        pushable = [u for u in recipients if devices.get(u)]
        memberships = (
            self._conversations.get_memberships(conversation_id, pushable) if pushable else {}
        )
        audible = [u for u in pushable if u in memberships and not memberships[u].muted]
        held = self._hold(event, audible, memberships)
        readers = [*audible, sender_id] if sender_id else audible
        users = self._directory.get_users(readers) if audible else {}
        seq = int(message.get("seq") or 0)
        payload = self._payload(message, conversation_id, users.get(sender_id))

        def notify(user_id: str) -> dict[str, int]:
            return self._notify_one(
                event,
                once,
                user_id,
                users.get(user_id),
                memberships.get(user_id),
                [] if user_id in held else devices.get(user_id, []),
                live.get(user_id) if live is not None else None,
                conversation_id,
                seq,
                payload,
            )

        counts = {"pushed": 0, "missed": 0, "muted": 0}
        for outcome in worker_pool().map(notify, recipients):  # recipients side by side
            for key, value in outcome.items():
                counts[key] += value
        logger.info(
            "notified",
            extra={"event_id": event.event_id, "conversation_id": conversation_id, **counts},
        )
        return counts

    def _hold(
        self, event: Event, audible: list[str], memberships: Mapping[str, Membership]
    ) -> set[str]:
        """A conversation with an assignee pushes to the assignee first: the others'
        pushes are held (``hold_seconds``) and go out then only if still unread. If the
        hold cannot be queued they go out now: a push is never lost."""
        if self._held is None or event.type == HELD:
            return set()
        held = [u for u in audible if memberships[u].assignee not in (None, u)]
        if not held:
            return set()
        try:
            self._held.hold(replace(event, type=HELD, recipients=held), self._hold_seconds)
        except Exception:
            logger.exception("could not hold pushes; sending them now")
            return set()
        return set(held)

    def on_held(self, event: Event, once: RunOnce) -> dict[str, int]:
        """A message's held pushes, now: to those on the line who still have not read it
        (the same event id: a missed count is not counted twice, a push goes once)."""
        seq = int(event.data.get("seq") or 0)
        conversation_id = str(event.data.get("conversation_id") or event.conversation_id)
        read = self._conversations.get_memberships(conversation_id, list(event.recipients))
        unread = [u for u in event.recipients if u in read and read[u].read_seq < seq]
        return self.on_message(replace(event, recipients=unread), once)

    def _payload(
        self, message: dict[str, Any], conversation_id: str, sender: User | None
    ) -> Callable[[], dict[str, Any]]:
        """The push's content, built on the first push only (a group's name is one read,
        and most messages push to nobody: everyone is looking)."""
        built: list[dict[str, Any]] = []
        lock = threading.Lock()

        def payload() -> dict[str, Any]:
            with lock:
                if not built:
                    title = sender.name if sender else "New message"
                    conversation = self._conversations.get(conversation_id)
                    if conversation is not None and conversation.is_group and conversation.name:
                        title = f"{title} in {conversation.name}"
                    text = str(message.get("text", "")) or _attachments(message)
                    built.append(
                        {
                            "type": "message",
                            "title": title,
                            "body": text[:PREVIEW] + ("…" if len(text) > PREVIEW else ""),
                            "conversation_id": conversation_id,
                            "message_id": message.get("id"),
                            "seq": message.get("seq"),
                        }
                    )
                return built[0]

        return payload

    def _notify_one(
        self,
        event: Event,
        once: RunOnce,
        user_id: str,
        recipient: User | None,
        membership: Membership | None,
        devices: list[Device],
        known: list[Connection] | None,
        conversation_id: str,
        seq: int,
        payload: Callable[[], dict[str, Any]],
    ) -> dict[str, int]:
        """One recipient: counted as missed with no live device; pushed to each device
        not in the foreground unless the conversation is muted (silently under DND)."""
        counts = {"pushed": 0, "missed": 0, "muted": 0}
        live = known if known is not None else self._connections.list_for_user(user_id)
        if not live:
            once(
                f"missed:{event.event_id}:{user_id}",
                partial(
                    self._notifications.add_missed, user_id, conversation_id, seq, self._clock()
                ),
            )
            counts["missed"] += 1
        if membership is None or membership.muted:
            counts["muted"] += membership is not None
            return counts
        silent = bool(recipient and recipient.presence.status == "dnd")
        in_front = {c.device_id for c in live if c.device_id and not c.background}
        for device in devices:
            if device.device_id in in_front:
                continue
            once(
                f"push:{event.event_id}:{user_id}:{device.device_id}",
                partial(self._push_one, device, payload(), silent),
            )
            counts["pushed"] += 1
        return counts

    def _push_one(self, device: Device, payload: dict[str, Any], silent: bool) -> bool:
        try:
            self._push.push(device.endpoint, device.platform, payload, silent)
        except PushRejected:
            # the token is dead (app uninstalled, token rotated): forget the device
            logger.info(
                "push endpoint rejected; device removed",
                extra={"user_id": device.user_id, "device_id": device.device_id},
            )
            self._notifications.delete_device(device.user_id, device.device_id)
            return False
        except PushUnavailable:
            # no VAPID key to sign with (none yet, or its secret unreadable): a retry of
            # the whole record would fail the same way for everyone else's messages too
            logger.warning(
                "web push unavailable; push dropped",
                extra={"user_id": device.user_id, "device_id": device.device_id},
            )
            count("WebPushUnavailable")
            return False
        return True


def _attachments(message: dict[str, Any]) -> str:
    """A preview for a message without text: its first attachment's file name, else
    "Picture" or "File" (and how many more)."""
    media = [m for m in message.get("media") or [] if isinstance(m, dict)]
    if not media:
        return ""
    first = media[0]
    kind = "Picture" if str(first.get("content_type", "")).startswith("image/") else "File"
    name = str(first.get("filename") or kind)
    return name if len(media) == 1 else f"{name} (+{len(media) - 1})"


def _device_view(device: Device) -> dict[str, Any]:
    return {
        "device_id": device.device_id,
        "platform": device.platform,
        "registered_at": device.registered_at,
    }


class TypingService:
    """Typing indicators: throttled per user and conversation, sent to the other members'
    live connections, never stored."""

    def __init__(
        self,
        conversations: ConversationService,
        notifications: NotificationRepository,
        fanout: FanoutService,
        epoch: Callable[[], float] = time.time,
        every: float = TYPING_EVERY_SECONDS,
    ) -> None:
        self._conversations = conversations
        self._notifications = notifications
        self._fanout = fanout
        self._epoch = epoch
        self._every = every

    def typing(self, caller: Caller, conversation_id: str) -> bool:
        conversation = self._conversations.visible(caller, conversation_id)
        now = self._epoch()
        if not self._notifications.allow_typing(conversation_id, caller.user_id, now, self._every):
            return False
        others = [m for m in conversation.members if m != caller.user_id]
        self._fanout.deliver(
            Event(
                event_id=f"typing:{conversation_id}:{caller.user_id}:{int(now)}",
                type="typing",
                company_id=conversation.company_id,
                conversation_id=conversation_id,
                recipients=others,
                data={
                    "conversation_id": conversation_id,
                    "user_id": caller.user_id,
                    "expires_in": int(self._every * 2),
                },
            )
        )
        return True
