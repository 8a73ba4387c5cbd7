"""Composition root: builds the services with real adapters, once, on first use.

Tests call ``bootstrap(settings, **overrides)`` with fakes, or ``use(services)``
to install a set for the Chalice handlers; the handlers only ever call
``services()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.services.common import Clock, IdFactory, default_clock, default_ids
from chalicelib.settings import Settings

if TYPE_CHECKING:  # the services are imported when first built, not at Lambda import time
    from chalicelib.services.admin import AdminService
    from chalicelib.services.conversations import ConversationService
    from chalicelib.services.directory import DirectoryService
    from chalicelib.services.notifications import NotificationService, TypingService
    from chalicelib.services.ports import (
        ConnectionRepository,
        ConnectionSender,
        ContactRepository,
        ConversationRepository,
        DirectoryRepository,
        EventPublisher,
        MediaFetcher,
        MediaStore,
        NotificationRepository,
        PresenceRepository,
        PushGateway,
        RetryScheduler,
        SmsRepository,
        TokenVerifier,
    )
    from chalicelib.services.presence import PresenceService
    from chalicelib.services.realtime import ConnectionService, FanoutService, OutboxService
    from chalicelib.services.sms import Providers, SmsService


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
    presence: PresenceService
    notifications: NotificationService
    typing: TypingService
    sms: SmsService
    admin: AdminService
    retries: Any  # RetryScheduler (SQS visibility) for consumer backoff
    twilio_credentials: Any  # adapters.providers.TwilioCredentials (webhook signatures)
    idempotency: Any  # runs consumer work once per event id (adapters.idempotency)
    contact_center: Any = None  # services.contact_center.ContactCenter


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
    presence_repo: PresenceRepository | None = None,
    notification_repo: NotificationRepository | None = None,
    push: PushGateway | None = None,
    sms_repo: SmsRepository | None = None,
    providers: Providers | None = None,
    retries: RetryScheduler | None = None,
    fetcher: MediaFetcher | None = None,
    sleep: Callable[[float], None] = time.sleep,
    media: MediaStore | None = None,
    clock: Clock = default_clock,
    ids: IdFactory = default_ids,
    epoch: Callable[[], float] = time.time,
    idempotency: Any = None,
    contact_center_repo: Any = None,
    routing_queue: Any = None,
) -> Services:
    from chalicelib.services.admin import AdminService
    from chalicelib.services.conversations import ConversationService
    from chalicelib.services.directory import DirectoryService
    from chalicelib.services.notifications import NotificationService, TypingService
    from chalicelib.services.presence import PresenceService
    from chalicelib.services.realtime import ConnectionService, FanoutService, OutboxService
    from chalicelib.services.sms import SmsService

    settings = settings or Settings.from_env()
    repos = (
        directory_repo,
        contact_repo,
        conversation_repo,
        connection_repo,
        presence_repo,
        notification_repo,
        sms_repo,
    )
    on_dynamodb = None in repos
    if on_dynamodb:
        from chalicelib.adapters import dynamodb

        dynamodb.bind_models(settings.messaging_table, settings.region)
        directory_repo = directory_repo or dynamodb.DynamoDirectoryRepository()
        contact_repo = contact_repo or dynamodb.DynamoContactRepository()
        conversation_repo = conversation_repo or dynamodb.DynamoConversationRepository()
        connection_repo = connection_repo or dynamodb.DynamoConnectionRepository()
        presence_repo = presence_repo or dynamodb.DynamoPresenceRepository()
        notification_repo = notification_repo or dynamodb.DynamoNotificationRepository()
        sms_repo = sms_repo or dynamodb.DynamoSmsRepository()
    assert directory_repo and contact_repo and conversation_repo and connection_repo
    assert presence_repo and notification_repo and sms_repo
    from chalicelib.adapters.providers import ProviderRegistry, TwilioCredentials

    twilio_credentials = TwilioCredentials(settings)
    if providers is None:
        providers = ProviderRegistry(settings, twilio_credentials)
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
    if push is None:
        from chalicelib.adapters.aws import SnsPushGateway

        push = SnsPushGateway(
            {
                "apns": settings.push_apns_application_arn,
                "fcm": settings.push_fcm_application_arn,
                "webpush": settings.push_fcm_application_arn,
            }
        )
    if media is None:
        from chalicelib.adapters.aws import S3MediaStore

        media = S3MediaStore(settings.media_bucket)
    if idempotency is None:
        from chalicelib.adapters.idempotency import PowertoolsDeduplicator

        idempotency = PowertoolsDeduplicator(
            settings.idempotency_table, settings.idempotency_ttl_seconds
        )
    presence = PresenceService(
        directory_repo,
        presence_repo,
        connection_repo,
        media,
        clock,
        epoch,
        settings.photo_max_bytes,
    )
    connections = ConnectionService(
        verifier, directory_repo, connection_repo, presence_repo, clock, epoch
    )
    conversations = ConversationService(
        conversation_repo, directory_repo, settings, clock, ids, presence
    )
    if retries is None:
        from chalicelib.adapters.aws import SqsRetryScheduler

        retries = SqsRetryScheduler()
    from chalicelib.adapters.providers import HttpMediaFetcher

    sms_service = SmsService(
        directory_repo,
        conversation_repo,
        sms_repo,
        providers,
        settings,
        clock,
        epoch,
        sleep,
        media=media,
        fetcher=fetcher or HttpMediaFetcher(twilio_credentials),
    )
    conversations.sms = sms_service
    sms_service.messaging = conversations
    fanout = FanoutService(connection_repo, sender, notification_repo, connections.forget)
    # -- contact center (services/contact_center) --------------------------------
    # Off when the caller passed in-memory repositories but none for it.
    from chalicelib.services.contact_center import build_contact_center

    contact_center = None
    if on_dynamodb or contact_center_repo is not None:
        contact_center = build_contact_center(
            settings,
            directory=directory_repo,
            conversations=conversation_repo,
            numbers=sms_repo,
            publisher=publisher,
            media=media,
            repo=contact_center_repo,
            routing_queue=routing_queue,
            clock=clock,
            ids=ids,
            epoch=epoch,
            messaging=conversations,
            sms=sms_service,
        )
    sms_service.contact_center = contact_center.routing if contact_center else None
    # ------------------------------------------------------------------------------
    return Services(
        settings=settings,
        directory=DirectoryService(directory_repo, contact_repo, clock, ids, presence),
        conversations=conversations,
        connections=connections,
        fanout=fanout,
        outbox=OutboxService(publisher),
        verifier=verifier,
        conversation_repo=conversation_repo,
        presence=presence,
        notifications=NotificationService(
            directory_repo,
            conversation_repo,
            connection_repo,
            notification_repo,
            push,
            sender,
            clock,
            connections.disconnect,
        ),
        typing=TypingService(conversations, notification_repo, fanout, epoch),
        sms=sms_service,
        admin=AdminService(directory_repo, conversation_repo, sms_repo, ids),
        retries=retries,
        twilio_credentials=twilio_credentials,
        idempotency=idempotency,
        contact_center=contact_center,
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
