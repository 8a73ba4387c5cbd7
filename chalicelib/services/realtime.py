"""Real-time delivery: WebSocket connections and liveness, the outbox, the fan-out to devices."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.errors import ConnectionGone, Unauthorized, ValidationError
from chalicelib.domain.model import Connection, Event
from chalicelib.observability import count, logger
from chalicelib.services.common import Caller, Clock, worker_pool
from chalicelib.services.ports import (
    ConnectionRepository,
    ConnectionSender,
    ConversationRepository,
    DirectoryRepository,
    EventPublisher,
    PresenceRepository,
    TokenVerifier,
)
from chalicelib.services.presence import parse_time
from chalicelib.services.push_ports import NotificationRepository

IDLE_SECONDS = 10 * 60  # API Gateway closes a WebSocket idle for 10 minutes
MAX_AGE_SECONDS = 2 * 60 * 60  # ... and any WebSocket after 2 hours
MAX_DEVICE_ID = 128
Epoch = Callable[[], float]


class ConnectionService:
    """Opens and closes WebSocket connections and keeps each user's liveness true.

    A connection lives until its deadline: the earlier of ten idle minutes after
    its last frame and two hours after it opened (API Gateway's own limits). The
    user is online while any connection lives. A connection that vanished without
    a ``$disconnect`` is found by ``sweep`` once its deadline passes.
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        directory: DirectoryRepository,
        connections: ConnectionRepository,
        presence: PresenceRepository,
        clock: Clock,
        epoch: Epoch = time.time,
        idle_seconds: int = IDLE_SECONDS,
        max_age_seconds: int = MAX_AGE_SECONDS,
    ) -> None:
        self._verifier = verifier
        self._directory = directory
        self._connections = connections
        self._presence = presence
        self._clock = clock
        self._epoch = epoch
        self._idle = idle_seconds
        self._max_age = max_age_seconds

    def _deadline(self, connected_at_epoch: float) -> int:
        return int(min(self._epoch() + self._idle, connected_at_epoch + self._max_age))

    def connect(
        self, connection_id: str, token: str | None, device_id: str | None = None
    ) -> Connection:
        if not token:
            raise Unauthorized("a token is required to connect", code="missing_token")
        if device_id is not None and (not device_id or len(device_id) > MAX_DEVICE_ID):
            raise ValidationError(
                f"device_id must be 1 to {MAX_DEVICE_ID} characters", code="invalid_device_id"
            )
        claims = self._verifier.verify(token)
        user = self._directory.get_user(str(claims["sub"]))
        if user is None:
            raise Unauthorized("this account has no profile", code="unknown_user")
        if not user.enabled:
            raise Unauthorized("this account is disabled", code="account_disabled")
        connection = Connection(
            connection_id=connection_id,
            user_id=user.user_id,
            company_id=user.company_id,
            connected_at=self._clock(),
            device_id=device_id or "",
            deadline=self._deadline(self._epoch()),
        )
        self._connections.add(connection)
        # An offboarding that listed this person's connections before the add above
        # would not close this one: read the profile again now that it is listed.
        again = self._directory.get_user(user.user_id)
        if again is None or not again.enabled:
            self._connections.remove(connection_id)
            raise Unauthorized("this account is disabled", code="account_disabled")
        self._refresh_presence(user.user_id)
        logger.info(
            "connected",
            extra={
                "user_id": user.user_id,
                "company_id": user.company_id,
                "connection_id": connection_id,
            },
        )
        return connection

    def heartbeat(self, connection: Connection) -> None:
        """Any frame from a device proves it is there: push its deadline out."""
        deadline = self._deadline(parse_time(connection.connected_at).timestamp())
        if deadline - connection.deadline < 60:
            return  # touched within the last minute: not worth a write
        self._connections.touch(connection, deadline)
        connection.deadline = deadline
        self._refresh_presence(connection.user_id)

    def set_state(self, connection: Connection, state: str) -> None:
        if state not in ("foreground", "background"):
            raise ValidationError("state must be foreground or background", code="invalid_state")
        self._connections.set_background(connection, state == "background")

    def disconnect(self, connection_id: str) -> None:
        gone = self._connections.remove(connection_id)
        if gone is not None:
            self._refresh_presence(gone.user_id)
        logger.info(
            "disconnected",
            extra={"connection_id": connection_id, "user_id": gone.user_id if gone else None},
        )

    def forget(self, connection_id: str) -> None:
        """A post answered 410 Gone: remove exactly that connection."""
        self.disconnect(connection_id)

    def sweep(self, limit: int = 500) -> int:
        """Remove connections whose deadline passed without a $disconnect; returns how many."""
        expired = self._connections.expired(int(self._epoch()), limit)
        users = set()
        for connection in expired:
            self._connections.remove(connection.connection_id)
            users.add(connection.user_id)
        for user_id in users:
            self._refresh_presence(user_id)
        if expired:
            logger.info("swept", extra={"connections": len(expired), "users": len(users)})
        return len(expired)

    def _refresh_presence(self, user_id: str) -> None:
        live = self._connections.list_for_user(user_id)
        until = max((c.deadline for c in live), default=0)
        self._presence.set_online(user_id, bool(live), until, self._clock())
        if not live:
            # A device may have connected between our read and our write, and seen the
            # user as already online: look again, so "offline" never wins over it.
            again = self._connections.list_for_user(user_id)
            if again:
                until = max(c.deadline for c in again)
                self._presence.set_online(user_id, True, until, self._clock())

    def connection(self, connection_id: str) -> Connection:
        connection = self._connections.get(connection_id)
        if connection is None:
            raise Unauthorized("this connection is not registered", code="unknown_connection")
        return connection

    def caller(self, connection: Connection) -> Caller:
        """Who sends a frame: a person disabled since they connected is refused (their
        connections are being closed; a frame may still be in flight)."""
        user = self._directory.get_user(connection.user_id)
        if user is not None and not user.enabled:
            raise Unauthorized("this account is disabled", code="account_disabled")
        return Caller(connection.user_id, connection.company_id, user.role if user else "user")


@dataclass
class FanoutResult:
    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    # Each recipient's connections that took the event (gone ones left out): the
    # notifications decide push or missed from these, without reading them again.
    live: dict[str, list[Connection]] = field(default_factory=dict)


class FanoutService:
    """Posts an event to the connections that should hear it; for a new message, also
    moves every member's list entry up (off the send's request path).

    Everything per recipient runs side by side on the worker pool: the entries, the
    connection lookups, the posts. Redelivery is harmless without an idempotency
    record: entries only move forward (conditional on the message's time), devices
    de-duplicate by message id. A connection that answers 410 Gone is removed,
    exactly that one; any other failure propagates so the queue redelivers the event.
    """

    def __init__(
        self,
        connections: ConnectionRepository,
        sender: ConnectionSender,
        notifications: NotificationRepository,
        on_gone: Callable[[str], None] | None = None,
        conversations: ConversationRepository | None = None,
    ) -> None:
        self._connections = connections
        self._sender = sender
        self._notifications = notifications
        self._on_gone = on_gone or (lambda cid: None)
        self._conversations = conversations

    def _targets(self, event: Event) -> tuple[list[str], dict[str, list[Connection]]]:
        """The connections to post to, and each recipient's own connections."""
        if event.audience == "connection":
            return ([event.connection_id] if event.connection_id else []), {}
        targets: list[str] = []
        if event.audience == "watchers" and event.recipients:
            targets += self._connections.watchers(event.recipients[0])
        # one query per recipient, run side by side: a group's latency is one query's
        recipients = list(dict.fromkeys(event.recipients))
        per_user = dict(
            zip(
                recipients,
                worker_pool().map(self._connections.list_for_user, recipients),
                strict=True,
            )
        )
        for found in per_user.values():
            targets += [c.connection_id for c in found]
        return list(dict.fromkeys(targets)), per_user

    def _post(self, connection_id: str, frame: dict[str, Any]) -> bool:
        """True when delivered, False when the connection is gone (and forgotten)."""
        try:
            self._sender.send(connection_id, frame)
        except ConnectionGone:
            self._on_gone(connection_id)
            return False
        return True

    def deliver(self, event: Event) -> FanoutResult:
        if event.type == "connection.opened":
            return self._missed_summary(event)
        result = FanoutResult()
        frame = event.frame()
        targets, per_user = self._targets(event)
        # posts to every device at once: the last device waits one post, not all of
        # them; any failure but Gone still fails the event (after the others went out).
        # The posts are queued first: the list entries must not delay live delivery.
        outcomes = [worker_pool().submit(self._post, cid, frame) for cid in targets]
        entries = self._touch_entries(event)
        for connection_id, outcome in zip(targets, outcomes, strict=True):
            if outcome.result():
                result.delivered += 1
            else:
                result.gone.append(connection_id)
        for entry in entries:
            entry.result()  # a failed entry fails the event: redelivery redoes it
        gone = set(result.gone)
        result.live = {
            user_id: [c for c in found if c.connection_id not in gone]
            for user_id, found in per_user.items()
        }
        count("FanoutDeliveries", result.delivered, event_type=event.type)
        if result.gone:
            count("GoneConnections", len(result.gone))
        logger.info(
            "fanout",
            extra={
                "event_id": event.event_id,
                "event_type": event.type,
                "company_id": event.company_id,
                "conversation_id": event.conversation_id,
                "delivered": result.delivered,
                "gone": len(result.gone),
            },
        )
        return result

    def _touch_entries(self, event: Event) -> list[Future[bool]]:
        """A new message moves its conversation to the top of every member's list (and
        unhides it), forward only: a replay or a late delivery never moves one back."""
        created_at = str(event.data.get("created_at") or "")
        if event.type != "message.created" or self._conversations is None or not created_at:
            return []
        conversation_id = event.conversation_id or str(event.data.get("conversation_id"))
        touch = self._conversations.touch_member
        seq = event.data.get("seq")
        head = [worker_pool().submit(self._repair_head, conversation_id, seq, event.head_seq)]
        return head + [
            worker_pool().submit(touch, user_id, conversation_id, created_at)
            for user_id in dict.fromkeys(event.recipients)
        ]

    def _repair_head(self, conversation_id: str, seq: object, seen: int | None) -> bool:
        """The send moves the conversation's head (last_seq, preview) after storing; a
        send that died between the two leaves it behind, and only this event, which
        every stored message has at least once, is sure to come: one read, and the
        forward-only write only when the head is behind. No read when the outbox saw
        the head at or past this message already (``seen``): heads only move forward."""
        assert self._conversations is not None
        if not isinstance(seq, int) or isinstance(seq, bool):
            return False
        if seen is not None and seen >= seq:
            return False
        conversation = self._conversations.get(conversation_id)
        if conversation is None or conversation.last_seq >= seq:
            return False
        message = self._conversations.get_message(conversation_id, seq)
        return message is not None and self._conversations.advance_head(conversation, message)

    def _missed_summary(self, event: Event) -> FanoutResult:
        """The first device to connect after messages were missed hears of them, once."""
        user_id = event.recipients[0] if event.recipients else ""
        claimed = self._notifications.claim_missed(user_id) if user_id else None
        if not claimed or not event.connection_id:
            return FanoutResult()
        frame = {
            "type": "notification.missed",
            "data": {
                "total": sum(m.count for m in claimed),
                "conversations": [
                    {
                        "conversation_id": m.conversation_id,
                        "count": m.count,
                        "last_seq": m.last_seq,
                        "updated_at": m.updated_at,
                    }
                    for m in sorted(claimed, key=lambda m: m.updated_at, reverse=True)
                ],
            },
        }
        try:
            self._sender.send(event.connection_id, frame)
        except ConnectionGone:
            # that device left already: the summary waits for the next one
            self._notifications.restore_missed(user_id, claimed)
            self._on_gone(event.connection_id)
            return FanoutResult(gone=[event.connection_id])
        except Exception:
            self._notifications.restore_missed(user_id, claimed)  # the retry claims again
            raise
        return FanoutResult(delivered=1)

    def reply(self, connection_id: str, frame: dict[str, Any]) -> None:
        """Answer the device that asked (ping, acks, errors)."""
        try:
            self._sender.send(connection_id, frame)
        except ConnectionGone:
            self._on_gone(connection_id)


class OutboxService:
    """Publishes the events the outbox (the table's stream) yields."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    def publish(self, events: list[Event]) -> None:
        if events:
            self._publisher.publish(events)
