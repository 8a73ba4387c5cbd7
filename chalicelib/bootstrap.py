"""Composition root: builds the services with real adapters, once, on first use.

Tests call ``bootstrap(settings, **overrides)`` with fakes, or ``use(services)``
to install a set for the Chalice handlers; the handlers only ever call
``services()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.services.common import Clock, IdFactory, default_clock, default_ids
from chalicelib.services.conversations import ConversationService
from chalicelib.services.directory import DirectoryService
from chalicelib.services.ports import (
    ConnectionRepository,
    ConnectionSender,
    ContactRepository,
    ConversationRepository,
    DirectoryRepository,
    EventPublisher,
    TokenVerifier,
)
from chalicelib.services.realtime import ConnectionService, FanoutService, OutboxService
from chalicelib.settings import Settings


@dataclass
class Services:
    settings: Settings
    directory: DirectoryService
    conversations: ConversationService
    connections: ConnectionService
    fanout: FanoutService
    outbox: OutboxService
    verifier: TokenVerifier
    conversation_repo: ConversationRepository
    idempotency: Any  # runs consumer work once per event id (adapters.idempotency)


def bootstrap(
    settings: Settings | None = None,
    *,
    directory_repo: DirectoryRepository | None = None,
    contact_repo: ContactRepository | None = None,
    conversation_repo: ConversationRepository | None = None,
    connection_repo: ConnectionRepository | None = None,
    publisher: EventPublisher | None = None,
    sender: ConnectionSender | None = None,
    verifier: TokenVerifier | None = None,
    clock: Clock = default_clock,
    ids: IdFactory = default_ids,
    idempotency: Any = None,
) -> Services:
    settings = settings or Settings.from_env()
    needs_dynamo = None in (directory_repo, contact_repo, conversation_repo, connection_repo)
    if needs_dynamo:
        from chalicelib.adapters import dynamodb

        dynamodb.bind_models(settings.messaging_table, settings.region)
        directory_repo = directory_repo or dynamodb.DynamoDirectoryRepository()
        contact_repo = contact_repo or dynamodb.DynamoContactRepository()
        conversation_repo = conversation_repo or dynamodb.DynamoConversationRepository()
        connection_repo = connection_repo or dynamodb.DynamoConnectionRepository()
    assert directory_repo and contact_repo and conversation_repo and connection_repo
    if publisher is None:
        from chalicelib.adapters.aws import SnsEventPublisher

        publisher = SnsEventPublisher(settings.events_topic_arn)
    if sender is None:
        from chalicelib.adapters.aws import ApiGatewayConnectionSender

        sender = ApiGatewayConnectionSender(settings.websocket_management_url)
    if verifier is None:
        from chalicelib.adapters.jwt_verifier import CognitoJwtVerifier

        verifier = CognitoJwtVerifier(
            issuer=settings.cognito_issuer,
            client_id=settings.cognito_client_id,
            jwks_url=settings.cognito_jwks_url,
        )
    if idempotency is None:
        from chalicelib.adapters.idempotency import PowertoolsDeduplicator

        idempotency = PowertoolsDeduplicator(
            settings.idempotency_table, settings.idempotency_ttl_seconds
        )
    return Services(
        settings=settings,
        directory=DirectoryService(directory_repo, contact_repo, clock, ids),
        conversations=ConversationService(conversation_repo, directory_repo, settings, clock, ids),
        connections=ConnectionService(
            verifier, directory_repo, connection_repo, clock, settings.connection_ttl_seconds
        ),
        fanout=FanoutService(connection_repo, sender),
        outbox=OutboxService(publisher),
        verifier=verifier,
        conversation_repo=conversation_repo,
        idempotency=idempotency,
    )


_current: Services | None = None


def services() -> Services:
    global _current
    if _current is None:
        _current = bootstrap()
    return _current


def use(new: Services | None) -> None:
    """Install a set of services (tests), or None to rebuild from the environment."""
    global _current
    _current = new
