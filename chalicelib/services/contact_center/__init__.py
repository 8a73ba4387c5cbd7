"""The contact center: channels, queues, skill routing with capacity, agents'
interactions, customer records, canned replies, supervisors' figures.

``build_contact_center`` is the part of the composition root that belongs to it
(``chalicelib.bootstrap`` calls it; tests call it with fakes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.services.common import Clock, IdFactory, default_clock, default_ids
from chalicelib.services.contact_center.admin import ContactCenterAdmin
from chalicelib.services.contact_center.admission import AdmissionService
from chalicelib.services.contact_center.agents import AgentService
from chalicelib.services.contact_center.common import Context
from chalicelib.services.contact_center.events import ContactCenterEvents
from chalicelib.services.contact_center.ports import ContactCenterRepository, RoutingQueue
from chalicelib.services.contact_center.records import RecordService
from chalicelib.services.contact_center.replies import AutoReplies, AutoReplyPolicy
from chalicelib.services.contact_center.routing import RoutingService
from chalicelib.services.contact_center.supervisor import SupervisorService
from chalicelib.services.search_handled import HandledLog

if TYPE_CHECKING:
    from chalicelib.services.messages import MessageLog
    from chalicelib.services.ports import (
        ConversationRepository,
        DirectoryRepository,
        EventPublisher,
        MediaStore,
    )
    from chalicelib.services.sms.ports import SmsRepository
    from chalicelib.settings import Settings


@dataclass
class ContactCenter:
    """The contact center's services, built once."""

    repo: ContactCenterRepository
    routing: RoutingService
    admission: AdmissionService
    agents: AgentService
    records: RecordService
    supervisor: SupervisorService
    admin: ContactCenterAdmin
    events: ContactCenterEvents

    def handle(self, message: dict[str, Any]) -> None:
        """One message of the routing queue (routing work or a timer); then the
        supervisors hear of the queues it changed."""
        self.routing.touched.clear()
        kind = message.get("kind")
        if kind == "admit":
            self.admission.admit(str(message["interaction_id"]))
        elif kind == "queue_flush":
            self.supervisor.publish(
                str(message["company_id"]), [str(message["queue_id"])], int(message["seq"])
            )
            return
        elif kind == "waiting_check":
            offer_no = message.get("offer_no")
            self.admission.waiting_check(
                str(message["interaction_id"]), None if offer_no is None else int(offer_no)
            )
        else:
            self.routing.handle(message, on_wrap_up_end=self.agents.close)
        by_company: dict[str, list[str]] = {}
        for company_id, queue_id in sorted(self.routing.touched):
            by_company.setdefault(company_id, []).append(queue_id)
        for company_id, queue_ids in by_company.items():
            self.supervisor.publish(company_id, queue_ids)

    def agent_statuses(self, user_ids: list[str]) -> dict[str, str]:
        """The routing status of those of ``user_ids`` who are agents (one batch read)."""
        return {a: p.status for a, p in self.repo.get_agents(user_ids).items()}


def build_contact_center(
    settings: Settings,
    *,
    directory: DirectoryRepository,
    conversations: ConversationRepository,
    numbers: SmsRepository,
    publisher: EventPublisher,
    media: MediaStore | None,
    repo: ContactCenterRepository | None = None,
    routing_queue: RoutingQueue | None = None,
    clock: Clock = default_clock,
    ids: IdFactory = default_ids,
    epoch: Callable[[], float] = time.time,
    messaging: Any = None,
    sms: Any = None,
    log: MessageLog | None = None,
    handled: HandledLog | None = None,
) -> ContactCenter:
    if repo is None:
        from chalicelib.adapters import dynamodb

        dynamodb.bind_models(settings.messaging_table, settings.region)
        repo = dynamodb.DynamoContactCenterRepository()
    if routing_queue is None:
        from chalicelib.adapters.contact_center_queue import SqsRoutingQueue

        routing_queue = SqsRoutingQueue(settings.resource_prefix)
    ctx = Context(
        repo=repo,
        routing=routing_queue,
        publisher=publisher,
        conversations=conversations,
        directory=directory,
        media=media,
        clock=clock,
        ids=ids,
        epoch=epoch,
        handled=handled or HandledLog(),
    )
    records = RecordService(ctx)
    routing = RoutingService(ctx, records)
    policy = AutoReplyPolicy(numbers, settings.sms_allowed_countries, settings.sms_max_segments)
    admission = AdmissionService(ctx, routing, records, AutoReplies(ctx, log, policy))
    agents = AgentService(ctx, routing, records)
    agents.messaging = messaging
    agents.sms = sms
    return ContactCenter(
        repo=repo,
        routing=routing,
        admission=admission,
        agents=agents,
        records=records,
        supervisor=SupervisorService(ctx),
        admin=ContactCenterAdmin(ctx, numbers),
        events=ContactCenterEvents(ctx, records),
    )


__all__ = ["ContactCenter", "build_contact_center"]
