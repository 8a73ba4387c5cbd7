"""Composition root: builds the adapters, then the services over them, once.

On Lambda the graph is built during init (``app.py`` calls ``warm()`` when it
runs inside Lambda), so the first request costs what the second does. Tests call
``bootstrap(settings, **overrides)`` with fakes, or ``use(services)`` to install
a set for the Chalice handlers; handlers only ever call ``services()``. The
adapters a set was built with are on ``Services.adapters`` for tests to seed
and inspect.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.bootstrap_adapters import Adapters, build_adapters, push_endpoints
from chalicelib.services.common import Caller, Clock, IdFactory, default_clock, default_ids
from chalicelib.settings import Settings

if TYPE_CHECKING:  # services are imported when first built, not at import time
    from chalicelib.adapters.providers import TwilioCredentials
    from chalicelib.domain.model import User
    from chalicelib.services.accounts import AccountService
    from chalicelib.services.admin import AdminService
    from chalicelib.services.company import CompanySettings
    from chalicelib.services.compliance.policy import ConsentRecords, TextingPolicies
    from chalicelib.services.compliance.registrations import Registrations
    from chalicelib.services.contact_center import ContactCenter
    from chalicelib.services.conversations import ConversationService
    from chalicelib.services.directory import DirectoryService
    from chalicelib.services.messages import MessageLog
    from chalicelib.services.notifications import NotificationService, TypingService
    from chalicelib.services.presence import PresenceService
    from chalicelib.services.realtime import ConnectionService, FanoutService, OutboxService
    from chalicelib.services.reports import ReportService
    from chalicelib.services.search import IndexChange, SearchIndexer, SearchService
    from chalicelib.services.shared_lines import SharedLineService
    from chalicelib.services.sms import (
        CarrierWebhooks,
        SmsMedia,
        SmsSender,
        SmsService,
    )


@dataclass
class Services:
    settings: Settings
    adapters: Adapters
    companies: CompanySettings
    log: MessageLog
    directory: DirectoryService
    conversations: ConversationService
    connections: ConnectionService
    fanout: FanoutService
    outbox: OutboxService
    presence: PresenceService
    notifications: NotificationService
    typing: TypingService
    sms: SmsService
    sms_media: SmsMedia
    sms_sender: SmsSender
    carrier: CarrierWebhooks
    admin: AdminService
    accounts: AccountService
    twilio_credentials: TwilioCredentials  # webhook signatures
    texting: TextingPolicies
    consents: ConsentRecords
    registrations: Registrations
    contact_center: ContactCenter | None
    search: SearchService
    search_indexer: SearchIndexer | None
    shared_lines: SharedLineService | None  # None: no repository for it (fakes without one)
    reports: ReportService | None = None  # with a contact center


def bootstrap(
    settings: Settings | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = default_clock,
    ids: IdFactory = default_ids,
    epoch: Callable[[], float] = time.time,
    **given: object,
) -> Services:
    """Build every service. ``given`` overrides adapters by their ``Adapters`` name."""
    from chalicelib.adapters.providers import TwilioCredentials
    from chalicelib.services.accounts import AccountService
    from chalicelib.services.admin import AdminService
    from chalicelib.services.company import CompanySettings
    from chalicelib.services.compliance.policy import ConsentRecords, TextingPolicies
    from chalicelib.services.compliance.registrations import Registrations
    from chalicelib.services.conversations import ConversationService
    from chalicelib.services.directory import DirectoryService
    from chalicelib.services.im import ImPolicy
    from chalicelib.services.messages import MessageLog
    from chalicelib.services.notifications import NotificationService, TypingService
    from chalicelib.services.presence import PresenceService
    from chalicelib.services.realtime import ConnectionService, FanoutService, OutboxService
    from chalicelib.services.search import SearchIndexer, SearchService
    from chalicelib.services.search_scope import ScopeReader
    from chalicelib.services.shared_lines import NotePolicy, SharedLineService
    from chalicelib.services.sms import (
        CarrierWebhooks,
        OutboundSmsPolicy,
        QuietHours,
        SmsMedia,
        SmsSender,
        SmsService,
    )

    unknown = set(given) - {f.name for f in fields(Adapters)}
    if unknown:
        raise TypeError(f"bootstrap() got unknown adapters: {sorted(unknown)}")
    settings = settings or Settings.from_env()
    credentials = TwilioCredentials.from_settings(settings)
    a = build_adapters(settings, credentials, given)
    companies = CompanySettings(a.directory)
    log = MessageLog(a.conversations, companies, clock)
    presence = PresenceService(
        a.directory,
        a.presence,
        a.connections,
        a.media,
        clock,
        epoch,
        settings.photo_max_bytes,
        agent_statuses=_agent_statuses(a),
    )
    connections = ConnectionService(
        a.verifier, a.directory, a.connections, a.presence, clock, epoch
    )
    texting = TextingPolicies(a.compliance, companies=companies)
    consents = ConsentRecords(a.compliance, a.sms, a.conversations, clock)
    registrations = Registrations(
        a.compliance, a.sms, a.registration_source, clock, a.directory, a.sms_account
    )
    sms = SmsService(
        a.directory, a.conversations, a.sms, companies, settings, clock, texting, consents
    )
    sms_media = SmsMedia(a.media, a.fetcher, settings, epoch)
    im = ImPolicy(settings, companies, sms_media)
    conversations = ConversationService(
        a.conversations,
        a.directory,
        settings,
        clock,
        ids,
        log,
        im,
        {
            "im": im,
            "sms": OutboundSmsPolicy(sms, a.sms, sms_media, settings, epoch),
            "note": NotePolicy(),
        },
        presence,
        a.contacts,
    )
    fanout = FanoutService(
        a.connections, a.sender, a.notifications, connections.forget, a.conversations
    )
    contact_center = _contact_center(
        settings, a, conversations, sms, log, presence, clock=clock, ids=ids, epoch=epoch
    )
    router = contact_center.routing if contact_center else None
    search_indexer = None
    if a.search_index is not None:
        failures = a.search_failures
        search_indexer = SearchIndexer(
            a.search_index,
            a.conversations,
            failures.keep if failures is not None else _dropped,
            sleep=sleep,
        )
    notifications = NotificationService(
        a.directory,
        a.conversations,
        a.connections,
        a.notifications,
        a.push,
        a.sender,
        clock,
        connections.disconnect,
        push_endpoints=push_endpoints(settings),
        webpush_key=a.webpush_key,
        held=a.held_pushes,
        hold_seconds=settings.assignee_first_seconds,
        max_devices=settings.push_max_devices_per_user,
    )
    carrier = CarrierWebhooks(
        a.conversations,
        a.sms,
        log,
        sms_media,
        companies,
        clock,
        texting,
        consents,
        channels=router,
        standing=registrations,
        reply_max_age=timedelta(seconds=settings.keyword_reply_max_age_seconds),
    )
    return Services(
        settings=settings,
        adapters=a,
        companies=companies,
        log=log,
        directory=DirectoryService(a.directory, a.contacts, clock, ids, presence),
        conversations=conversations,
        connections=connections,
        fanout=fanout,
        outbox=OutboxService(a.publisher),
        presence=presence,
        notifications=notifications,
        typing=TypingService(conversations, a.notifications, fanout, epoch),
        sms=sms,
        sms_media=sms_media,
        sms_sender=SmsSender(
            a.conversations,
            a.sms,
            a.providers,
            sms_media,
            settings,
            epoch,
            sleep,
            refused=carrier.recipient_refused,
            quiet=QuietHours(a.conversations, texting, epoch),
        ),
        carrier=carrier,
        admin=AdminService(a.directory, a.conversations, a.sms, companies, ids, texting),
        accounts=AccountService(
            a.directory,
            a.identity,
            notifications.end_sessions,
            notifications.logout,
            _agent_offline(contact_center),
        ),
        twilio_credentials=credentials,
        contact_center=contact_center,
        texting=texting,
        consents=consents,
        registrations=registrations,
        search=SearchService(
            a.search_index,
            a.conversations,
            scopes=ScopeReader(a.conversations, a.handled_interactions, a.contact_center),
        ),
        search_indexer=search_indexer,
        reports=_reports(a, epoch),
        shared_lines=SharedLineService(conversations, a.shared_lines) if a.shared_lines else None,
    )


def _agent_statuses(a: Adapters) -> Callable[[list[str]], dict[str, str]] | None:
    """Agents' routing status shows in their presence (read from the contact center's
    repository, so presence needs none of its services)."""
    if a.contact_center is None:
        return None
    from chalicelib.services.contact_center.common import AgentStatuses

    return AgentStatuses(a.contact_center)


def _contact_center(
    settings: Settings,
    a: Adapters,
    messaging: ConversationService,
    sms: SmsService,
    log: MessageLog,
    presence: PresenceService,
    *,
    clock: Clock,
    ids: IdFactory,
    epoch: Callable[[], float],
) -> ContactCenter | None:
    """The contact center's services over its adapters (None: no repository given)."""
    if a.contact_center is None or a.routing_queue is None:
        return None
    from chalicelib.services.contact_center import ContactCenter
    from chalicelib.services.contact_center.admin import ContactCenterAdmin
    from chalicelib.services.contact_center.admission import AdmissionService
    from chalicelib.services.contact_center.agents import AgentService
    from chalicelib.services.contact_center.common import Context
    from chalicelib.services.contact_center.events import ContactCenterEvents
    from chalicelib.services.contact_center.records import RecordService
    from chalicelib.services.contact_center.replies import AutoReplies, AutoReplyPolicy
    from chalicelib.services.contact_center.routing import RoutingService
    from chalicelib.services.contact_center.supervision import SupervisionService
    from chalicelib.services.contact_center.supervisor import SupervisorService
    from chalicelib.services.search_handled import HandledLog

    ctx = Context(
        repo=a.contact_center,
        routing=a.routing_queue,
        publisher=a.publisher,
        conversations=a.conversations,
        directory=a.directory,
        media=a.media,
        clock=clock,
        ids=ids,
        epoch=epoch,
        handled=HandledLog(a.handled_interactions, a.conversations),
    )
    records = RecordService(ctx)
    routing = RoutingService(ctx, records)
    policy = AutoReplyPolicy(a.sms, settings.sms_allowed_countries, settings.sms_max_segments)
    agents = AgentService(ctx, routing, records, messaging, sms)
    return ContactCenter(
        repo=a.contact_center,
        routing=routing,
        admission=AdmissionService(ctx, routing, records, AutoReplies(ctx, log, policy)),
        agents=agents,
        records=records,
        supervisor=SupervisorService(ctx),
        supervision=SupervisionService(ctx, routing, agents),
        admin=ContactCenterAdmin(ctx, a.sms),
        events=ContactCenterEvents(ctx, records, presence.presence_of),
    )


def _reports(a: Adapters, epoch: Callable[[], float]) -> ReportService | None:
    """Reports read the contact center's set-up; without one there is nothing to count."""
    if a.reports is None or a.contact_center is None:
        return None
    from chalicelib.services.reports import ReportService

    return ReportService(a.reports, a.contact_center, epoch)  # open spells up to now


def _dropped(changes: list[IndexChange]) -> None:
    """No failure queue was given (tests): a refused write is logged, not kept."""
    from chalicelib.observability import logger

    logger.error("search index writes dropped", extra={"messages": len(changes)})


def _agent_offline(contact_center: ContactCenter | None) -> Callable[[User], None]:
    """An offboarded agent goes offline: their customers go back to their queues."""

    from chalicelib.domain.errors import NotFound

    def take_offline(user: User) -> None:
        if contact_center is None:
            return
        with contextlib.suppress(NotFound):  # NotFound: not an agent
            contact_center.agents.set_status(
                Caller(user.user_id, user.company_id, user.role), "offline"
            )

    return take_offline


_current: Services | None = None


def services() -> Services:
    global _current
    if _current is None:
        _current = bootstrap()
    return _current


def warm() -> None:
    """Lambda init: build the graph and the clients a request will need, and make one
    real read, so the first request does not pay for endpoint resolution, the TLS
    connection and the serializers (init time is not billed against a request)."""
    from chalicelib.adapters.dynamodb.models import warm_client
    from chalicelib.observability import logger, tracer

    built = services()
    warm_client()
    tracer()
    try:
        built.adapters.directory.get_company("~warm-up")  # a GetItem of nothing
    except Exception:  # a warm-up never fails the init: the request will tell
        logger.warning("warm-up read failed", exc_info=True)


def use(new: Services | None) -> None:
    """Install a set of services (tests), or None to rebuild from the environment."""
    global _current
    _current = new
