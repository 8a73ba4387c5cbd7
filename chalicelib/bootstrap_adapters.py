"""The composition root's first half: every port's implementation, the real adapter
for each one a caller did not give (``chalicelib.bootstrap`` builds the services over
them). Each adapter module is imported only when its adapter is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings

SQLITE_SCHEME = "sqlite:"  # SEARCH_ENDPOINT of the local stack's embedded search index

if TYPE_CHECKING:  # services are imported when first built, not at import time
    from chalicelib.adapters.providers import TwilioCredentials
    from chalicelib.services.compliance.ports import (
        ComplianceRepository,
        RegistrationSource,
        SmsAccount,
    )
    from chalicelib.services.contact_center.ports import ContactCenterRepository, RoutingQueue
    from chalicelib.services.ports import (
        ConnectionRepository,
        ConnectionSender,
        ContactRepository,
        ConversationRepository,
        Deduplicator,
        DirectoryRepository,
        EventPublisher,
        IdentityProvider,
        MediaFetcher,
        MediaStore,
        PresenceRepository,
        RetryScheduler,
        TokenVerifier,
    )
    from chalicelib.services.push_ports import NotificationRepository, PushGateway, WebPushKey
    from chalicelib.services.reports import ReportStore
    from chalicelib.services.search_handled import HandledInteractions
    from chalicelib.services.search_ports import SearchIndex
    from chalicelib.services.shared_lines import HeldPushes, SharedLineRepository
    from chalicelib.services.sms import (
        Providers,
    )
    from chalicelib.services.sms.ports import SmsRepository


@dataclass
class Adapters:
    """Every port's implementation, as built (real) or passed in (fakes)."""

    directory: DirectoryRepository
    contacts: ContactRepository
    conversations: ConversationRepository
    connections: ConnectionRepository
    presence: PresenceRepository
    notifications: NotificationRepository
    sms: SmsRepository
    publisher: EventPublisher
    sender: ConnectionSender
    verifier: TokenVerifier
    identity: IdentityProvider
    push: PushGateway
    webpush_key: WebPushKey
    media: MediaStore
    fetcher: MediaFetcher
    providers: Providers
    retries: RetryScheduler
    idempotency: Deduplicator
    contact_center: ContactCenterRepository | None  # None: no contact center (fakes without one)
    routing_queue: RoutingQueue | None
    reports: ReportStore | None  # report figures (None: no contact center)
    compliance: ComplianceRepository
    registration_source: RegistrationSource
    sms_account: SmsAccount
    search_index: SearchIndex | None  # None: search is off on this stage
    search_failures: Any  # where refused index writes wait (SqsSearchFailures), or None
    shared_lines: SharedLineRepository | None  # None: fakes without one (no assignments)
    held_pushes: HeldPushes
    handled_interactions: HandledInteractions | None  # search's contact-center records


def push_endpoints(settings: Settings) -> Any:
    """Where Web Push may post: the browsers' push services (and the local simulator's)."""
    from chalicelib.domain.webpush import PushEndpoints

    return PushEndpoints(local_prefix=settings.webpush_local_endpoint)


def build_adapters(
    settings: Settings, credentials: TwilioCredentials, given: dict[str, object]
) -> Adapters:
    """The real adapter for every port not given (each built only when missing)."""
    made = dict(given)

    def need(name: str, build: Callable[[], object]) -> None:
        if made.get(name) is None:
            made[name] = build()

    repos = ("directory", "contacts", "conversations", "connections", "presence")
    on_dynamodb = any(made.get(n) is None for n in (*repos, "notifications", "sms"))
    if on_dynamodb:
        from chalicelib.adapters import dynamodb

        dynamodb.bind_models(settings.messaging_table, settings.region)
        need("directory", dynamodb.DynamoDirectoryRepository)
        need("contacts", dynamodb.DynamoContactRepository)
        need("conversations", dynamodb.DynamoConversationRepository)
        need("connections", dynamodb.DynamoConnectionRepository)
        need("presence", dynamodb.DynamoPresenceRepository)
        need("notifications", dynamodb.DynamoNotificationRepository)
        need("sms", dynamodb.DynamoSmsRepository)
    from chalicelib.adapters import aws

    need("publisher", lambda: aws.SnsEventPublisher(settings.events_topic_arn))
    need("sender", lambda: aws.ApiGatewayConnectionSender(settings.websocket_management_url))
    need("media", lambda: aws.S3MediaStore(settings.media_bucket))
    need("retries", aws.SqsRetryScheduler)
    from chalicelib.adapters import webpush

    ttl = settings.webpush_key_ttl_seconds
    need(
        "webpush_key",
        lambda: webpush.VapidPublicKey(settings.webpush_public_key_parameter, ttl=ttl),
    )
    need(
        "push",
        lambda: webpush.PushByPlatform(
            aws.SnsPushGateway(
                {
                    "apns": settings.push_apns_application_arn,
                    "fcm": settings.push_fcm_application_arn,
                }
            ),
            webpush.WebPushGateway(
                webpush.VapidKeys.named(settings.webpush_vapid_secret_name, ttl=ttl),
                settings.webpush_subject,
                ttl=settings.webpush_ttl_seconds,
                timeout=settings.webpush_timeout_seconds,
                endpoints=push_endpoints(settings),
            ),
        ),
    )

    def verifier() -> object:
        from chalicelib.adapters.jwt_verifier import CognitoJwtVerifier

        return CognitoJwtVerifier(
            issuer=settings.cognito_issuer,
            client_id=settings.cognito_client_id,
            jwks_url=settings.cognito_jwks_url,
        )

    def identity() -> object:
        from chalicelib.adapters.cognito import CognitoIdentityProvider

        return CognitoIdentityProvider(
            settings.cognito_user_pool_id, settings.cognito_client_id, settings.region
        )

    def idempotency() -> object:
        from chalicelib.adapters.idempotency import PowertoolsDeduplicator

        return PowertoolsDeduplicator(settings.idempotency_table, settings.idempotency_ttl_seconds)

    def providers() -> object:
        from chalicelib.adapters.providers import ProviderRegistry

        return ProviderRegistry(settings, credentials)

    def fetcher() -> object:
        from chalicelib.adapters.providers import HttpMediaFetcher

        return HttpMediaFetcher(credentials)

    if on_dynamodb:  # with fakes, the contact center is there only when given
        from chalicelib.adapters import dynamodb

        need("contact_center", dynamodb.DynamoContactCenterRepository)
        need("handled_interactions", dynamodb.DynamoHandledInteractions)
    if made.get("contact_center") is not None:
        from chalicelib.adapters.contact_center_queue import SqsRoutingQueue

        need("routing_queue", lambda: SqsRoutingQueue.from_settings(settings))
    made.setdefault("contact_center", None)
    made.setdefault("routing_queue", None)
    if on_dynamodb and made.get("contact_center") is not None:
        from chalicelib.adapters.dynamodb.reports import DynamoReportStore

        need("reports", DynamoReportStore)
    made.setdefault("reports", None)
    made.setdefault("handled_interactions", None)

    def registration_source() -> object:
        from chalicelib.adapters.registration_sources import ProviderRegistrations

        return ProviderRegistrations(credentials, settings.twilio_messaging_base_url)

    def sms_account() -> object:
        from chalicelib.adapters.eum_registrations import EumAccount

        return EumAccount()

    if made.get("compliance") is None:
        from chalicelib.adapters import dynamodb

        dynamodb.bind_models(settings.messaging_table, settings.region)
        made["compliance"] = dynamodb.DynamoComplianceRepository()
    need("registration_source", registration_source)
    need("sms_account", sms_account)
    if settings.search_enabled:  # tests pass their own index, on or off
        from chalicelib.adapters.search_failures import SqsSearchFailures

        need("search_index", lambda: search_index(settings))
        need("search_failures", lambda: SqsSearchFailures(settings.resource_prefix))
    made.setdefault("search_index", None)
    made.setdefault("search_failures", None)
    if on_dynamodb:
        from chalicelib.adapters.dynamodb.shared_lines import DynamoSharedLines

        need("shared_lines", DynamoSharedLines)
    made.setdefault("shared_lines", None)

    def held_pushes() -> object:
        from chalicelib.adapters.held_pushes import SqsHeldPushes

        return SqsHeldPushes.from_settings(settings)

    need("held_pushes", held_pushes)
    need("verifier", verifier)
    need("identity", identity)
    need("idempotency", idempotency)
    need("providers", providers)
    need("fetcher", fetcher)
    return Adapters(**{f.name: made[f.name] for f in fields(Adapters)})  # type: ignore[arg-type]


def search_index(settings: Settings) -> object:
    """The stage's OpenSearch domain (an https endpoint, signed on AWS); the local
    stack's embedded index when the endpoint is ``sqlite:{path}`` (local/search_engine.py)."""
    if settings.search_endpoint.startswith(SQLITE_SCHEME):
        from chalicelib.adapters.sqlite_search import SqliteSearchIndex

        return SqliteSearchIndex(
            settings.search_endpoint[len(SQLITE_SCHEME) :], settings.search_alias
        )
    from chalicelib.adapters.opensearch import OpenSearchIndex

    return OpenSearchIndex(
        settings.search_endpoint,
        settings.search_alias,
        region=settings.region,
        sign=settings.search_sigv4,
    )
