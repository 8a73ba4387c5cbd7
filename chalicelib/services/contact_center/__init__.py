"""The contact center: channels, queues, skill routing with capacity, agents'
interactions, customer records, canned replies, supervisors' figures and actions.

``ContactCenter`` holds its services (``chalicelib.bootstrap`` builds them, the one
composition root) and handles the routing queue's messages: each is decoded once
(``chalicelib.domain.contact_center_messages``) and dispatched by its type through
``HANDLERS``; a handler returns the queues it touched, whose supervisors then hear
of them (``queue.updated``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.contact_center_messages import (
    Admit,
    BadRoutingMessage,
    IdleCheck,
    OfferTimeout,
    QueueFlush,
    Route,
    RoutingMessage,
    UnknownRoutingMessage,
    WaitingCheck,
    WrapUpEnd,
    decode,
)
from chalicelib.services.contact_center.admin import ContactCenterAdmin
from chalicelib.services.contact_center.admission import AdmissionService
from chalicelib.services.contact_center.agents import AgentService
from chalicelib.services.contact_center.common import (
    NOTHING_TOUCHED,
    QueueStates,
    Touched,
    logger,
)
from chalicelib.services.contact_center.events import ContactCenterEvents
from chalicelib.services.contact_center.ports import ContactCenterRepository
from chalicelib.services.contact_center.records import RecordService
from chalicelib.services.contact_center.routing import RoutingService
from chalicelib.services.contact_center.supervision import SupervisionService
from chalicelib.services.contact_center.supervisor import SupervisorService


@dataclass(frozen=True)
class ContactCenter:
    """The contact center's services, built once by the composition root."""

    repo: ContactCenterRepository
    routing: RoutingService
    admission: AdmissionService
    agents: AgentService
    records: RecordService
    supervisor: SupervisorService
    supervision: SupervisionService
    admin: ContactCenterAdmin
    events: ContactCenterEvents

    def handle(self, body: Any) -> None:
        """One message of the routing queue, as its JSON body. A kind this code does not
        know is logged and dropped; a malformed one raises (SQS retries it, then its
        dead-letter queue keeps it)."""
        try:
            message = decode(body)
        except UnknownRoutingMessage as unknown:
            logger.info("unknown routing message ignored", extra={"reason": str(unknown)})
            return
        except BadRoutingMessage as bad:
            logger.error("malformed routing message", extra={"reason": str(bad)})
            raise
        self.dispatch(message)

    def dispatch(self, message: RoutingMessage) -> None:
        """Run ``message``'s handler; then the supervisors hear of the queues it touched."""
        self.publish(HANDLERS[type(message)](self, message))

    def publish(self, touched: Touched, read: QueueStates | None = None) -> None:
        """``queue.updated`` for the queues ``touched`` (``read``: their states, when
        the handler read them already)."""
        by_company: dict[str, list[str]] = {}
        for company_id, queue_id in sorted(touched):
            by_company.setdefault(company_id, []).append(queue_id)
        for company_id, queue_ids in by_company.items():
            known = {q: s for (c, q), s in (read or {}).items() if c == company_id}
            self.supervisor.publish(company_id, queue_ids, read=known)


def _admit(cc: ContactCenter, message: Admit) -> Touched:
    touched, read = cc.admission.admit(message.interaction_id, message.company_id, message.queue_id)
    cc.publish(touched, read)
    return NOTHING_TOUCHED  # published with the queue state admit read


def _route(cc: ContactCenter, message: Route) -> Touched:
    return cc.routing.route(message.company_id, list(message.queue_ids))


def _waiting_check(cc: ContactCenter, message: WaitingCheck) -> Touched:
    return cc.admission.waiting_check(message.interaction_id, message.offer_no)


def _offer_timeout(cc: ContactCenter, message: OfferTimeout) -> Touched:
    cc.routing.offer_timeout(message.interaction_id, message.offer_no)
    return NOTHING_TOUCHED  # a release routes again (its own message touches the queue)


def _idle_check(cc: ContactCenter, message: IdleCheck) -> Touched:
    cc.routing.idle_check(message.interaction_id)
    return NOTHING_TOUCHED


def _wrap_up_end(cc: ContactCenter, message: WrapUpEnd) -> Touched:
    cc.agents.close(message.interaction_id)
    return NOTHING_TOUCHED


def _queue_flush(cc: ContactCenter, message: QueueFlush) -> Touched:
    cc.supervisor.publish(message.company_id, [message.queue_id], message.seq)
    return NOTHING_TOUCHED  # it is the publication


# kind → handler, as the WebSocket's ``ACTIONS``: a new message kind is a dataclass in
# ``contact_center_messages`` and a line here (a test checks every kind has one)
Handler = Callable[[ContactCenter, Any], Touched]
HANDLERS: dict[type[RoutingMessage], Handler] = {
    Admit: _admit,
    Route: _route,
    WaitingCheck: _waiting_check,
    OfferTimeout: _offer_timeout,
    IdleCheck: _idle_check,
    WrapUpEnd: _wrap_up_end,
    QueueFlush: _queue_flush,
}


__all__ = ["HANDLERS", "ContactCenter"]
