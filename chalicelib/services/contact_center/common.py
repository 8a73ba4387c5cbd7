"""What every contact-center service shares: its adapters, the clock, events, timers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.domain.contact_center import (
    ENDED,
    OFFERED,
    AgentProfile,
    Interaction,
    Queue,
    conversation_members,
)
from chalicelib.domain.contact_center_messages import Route, RoutingMessage
from chalicelib.domain.contact_center_records import QueueState
from chalicelib.domain.errors import ConcurrentUpdate, NotFound
from chalicelib.services.common import Caller, Clock, IdFactory
from chalicelib.services.contact_center.ports import ContactCenterRepository, RoutingQueue
from chalicelib.services.ports import (
    ConversationRepository,
    DirectoryRepository,
    EventPublisher,
    MediaStore,
)
from chalicelib.services.search_handled import HandledLog

logger = Logger(service="texting")

MAX_TIMER_S = 900  # SQS's longest delay; longer timers re-arm themselves
RETRIES = 8  # optimistic writes that lost a race are retried (re-read) this often
CUSTOMER_EXISTS = "customer_exists"  # create_interaction's Conflict: the phone got a record
QUEUE_GONE = "queue_not_found"  # create_interaction's Conflict: its queue was deleted

# (company, queue) pairs whose figures a routing message changed: its handler returns
# them and the supervisors of those queues hear of it (``queue.updated``)
Touched = frozenset[tuple[str, str]]
NOTHING_TOUCHED: Touched = frozenset()
# queue states a handler read already, by (company, queue); None: none stored
QueueStates = dict[tuple[str, str], QueueState | None]


def touched(company_id: str, queue_ids: list[str]) -> Touched:
    return frozenset((company_id, queue_id) for queue_id in queue_ids)


class AgentStatuses:
    """What presence asks the contact center (given to ``PresenceService`` at
    construction): the routing status of those of ``user_ids`` who are agents, in one
    batch read."""

    def __init__(self, repo: ContactCenterRepository) -> None:
        self._repo = repo

    def __call__(self, user_ids: list[str]) -> dict[str, str]:
        return {a: p.status for a, p in self._repo.get_agents(user_ids).items()}


@dataclass
class Context:
    """The adapters and clocks of the contact center (built by ``chalicelib.bootstrap``)."""

    repo: ContactCenterRepository
    routing: RoutingQueue
    publisher: EventPublisher
    conversations: ConversationRepository
    directory: DirectoryRepository
    media: MediaStore | None
    clock: Clock
    ids: IdFactory
    epoch: Callable[[], float] = time.time
    handled: HandledLog = field(default_factory=HandledLog)  # search: who handled what

    def day(self, at: float | None = None) -> str:
        return datetime.fromtimestamp(self.epoch() if at is None else at, UTC).date().isoformat()

    # -- lookups the services share -------------------------------------------------

    def agent_of(self, caller: Caller) -> AgentProfile:
        agent = self.repo.get_agent(caller.user_id)
        if agent is None or agent.company_id != caller.company_id:
            raise NotFound("you are not a contact-center agent", code="not_an_agent")
        return agent

    def interaction_of(self, caller: Caller, interaction_id: str) -> Interaction:
        """An interaction of the caller's company (another company's is not found)."""
        found = self.repo.get_interaction(interaction_id)
        if found is None or found.company_id != caller.company_id:
            raise NotFound("no such interaction", code="interaction_not_found")
        return found

    def queue(self, company_id: str, queue_id: str) -> Queue:
        found = self.repo.get_queue(company_id, queue_id)
        if found is None:
            raise NotFound("no such queue", code="queue_not_found")
        return found

    # -- views and timers ------------------------------------------------------------

    def view(self, interaction: Interaction, queue: Queue | None = None) -> dict[str, Any]:
        body = interaction.to_dict()
        expires = interaction.offer_expires_at
        if not expires and queue is not None:  # stored before offers carried their expiry
            expires = interaction.offered_at + queue.offer_timeout_s
        if interaction.state == OFFERED and expires:
            body["offer_expires_at"] = datetime.fromtimestamp(expires, UTC).isoformat()
        return body

    def timer(self, message: RoutingMessage, seconds: float) -> None:
        self.routing.enqueue(message, int(max(0, min(MAX_TIMER_S, round(seconds)))))

    def route_later(self, company_id: str, queue_ids: list[str]) -> None:
        """Routing never runs in the request that caused it: it is a queued message."""
        if queue_ids:
            self.routing.enqueue(Route(company_id, tuple(sorted(set(queue_ids)))))

    def follow_members(self, interaction_id: str) -> None:
        """The interaction's conversation reaches exactly whom the interaction, as
        stored now, says (``conversation_members``). Each writer reads both again after
        its own write until a read finds them agreeing, so changes that race (a
        supervisor's move or take-over and an agent's accept) end with the members of
        the last change, whichever membership write lands last. An ended interaction
        reads the customer's open marker too: a later interaction of theirs holds the
        conversation they share, and a late write for the ended one must not empty it.
        Safe to repeat: every step after a hand-over runs it again on a retry."""
        for _ in range(RETRIES * 2):
            interaction = self.repo.get_interaction(interaction_id)
            if interaction is None:
                return
            open_now = None
            if interaction.state == ENDED:
                open_now = self.repo.open_interaction(
                    interaction.channel, interaction.customer_phone
                )
            conversation = self.conversations.get(interaction.conversation_id)
            members = conversation_members(interaction, open_now)
            if conversation is None or conversation.members == members:
                return
            try:
                self.conversations.replace_members(conversation, members, conversation.name)
            except ConcurrentUpdate:
                continue
        raise ConcurrentUpdate("the conversation keeps changing; try again")
