"""Real-time delivery: WebSocket connections, the outbox, and the fan-out to devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.domain.errors import ConnectionGone, Unauthorized
from chalicelib.domain.model import Connection, Event
from chalicelib.services.common import Caller, Clock
from chalicelib.services.ports import (
    ConnectionRepository,
    ConnectionSender,
    DirectoryRepository,
    EventPublisher,
    TokenVerifier,
)

logger = Logger(service="texting")


class ConnectionService:
    """Opens and closes WebSocket connections for authenticated users."""

    def __init__(
        self,
        verifier: TokenVerifier,
        directory: DirectoryRepository,
        connections: ConnectionRepository,
        clock: Clock,
        ttl_seconds: int,
    ) -> None:
        self._verifier = verifier
        self._directory = directory
        self._connections = connections
        self._clock = clock
        self._ttl = ttl_seconds

    def connect(self, connection_id: str, token: str | None) -> Connection:
        if not token:
            raise Unauthorized("a token is required to connect", code="missing_token")
        claims = self._verifier.verify(token)
        user = self._directory.get_user(str(claims["sub"]))
        if user is None:
            raise Unauthorized("this account has no profile", code="unknown_user")
        connection = Connection(
            connection_id=connection_id,
            user_id=user.user_id,
            company_id=user.company_id,
            connected_at=self._clock(),
        )
        self._connections.add(connection, self._ttl)
        logger.info(
            "connected",
            extra={
                "user_id": user.user_id,
                "company_id": user.company_id,
                "connection_id": connection_id,
            },
        )
        return connection

    def disconnect(self, connection_id: str) -> None:
        gone = self._connections.remove(connection_id)
        logger.info(
            "disconnected",
            extra={"connection_id": connection_id, "user_id": gone.user_id if gone else None},
        )

    def caller(self, connection_id: str) -> Caller:
        connection = self._connections.get(connection_id)
        if connection is None:
            raise Unauthorized("this connection is not registered", code="unknown_connection")
        user = self._directory.get_user(connection.user_id)
        return Caller(connection.user_id, connection.company_id, user.role if user else "user")


@dataclass
class FanoutResult:
    delivered: int = 0
    gone: list[str] = field(default_factory=list)


class FanoutService:
    """Posts an event to every live connection of every recipient.

    A connection that answers 410 Gone is removed, exactly that one; any other
    failure propagates so the queue redelivers the event.
    """

    def __init__(self, connections: ConnectionRepository, sender: ConnectionSender) -> None:
        self._connections = connections
        self._sender = sender

    def deliver(self, event: Event) -> FanoutResult:
        result = FanoutResult()
        frame = event.frame()
        for user_id in dict.fromkeys(event.recipients):
            for connection in self._connections.list_for_user(user_id):
                try:
                    self._sender.send(connection.connection_id, frame)
                except ConnectionGone:
                    self._connections.remove(connection.connection_id)
                    result.gone.append(connection.connection_id)
                    continue
                result.delivered += 1
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

    def reply(self, connection_id: str, frame: dict[str, Any]) -> None:
        """Answer the device that asked (ping, send acks, errors)."""
        try:
            self._sender.send(connection_id, frame)
        except ConnectionGone:
            self._connections.remove(connection_id)


class OutboxService:
    """Publishes the events the outbox (the table's stream) yields."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    def publish(self, events: list[Event]) -> None:
        if events:
            self._publisher.publish(events)
