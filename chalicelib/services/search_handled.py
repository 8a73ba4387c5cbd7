"""Handled interactions: the contact center's transcripts in search scope.

A contact-center conversation's members are its agent only while they have the
interaction; once it ends, or goes back to a queue, nobody is. So that the agent
(and the supervisors of the queue it was answered from) can still find what they
handled, routing notes each answer, end and release here, and search reads these
records newest first: a Query per agent or per queue, never a Scan, bounded by
count rather than by history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools import Logger

from chalicelib.domain.search_scope import HandledInteraction

if TYPE_CHECKING:
    from chalicelib.domain.contact_center import Interaction
    from chalicelib.services.ports import ConversationRepository

logger = Logger(service="texting")


class HandledInteractions(Protocol):
    """Who handled which interaction, kept under the agent and under the queue.

    ``record`` is idempotent and moves forward only: writing a record again, or an
    older ``last_seq``, never narrows what the record grants.
    ``tests/adapters/test_handled_interactions_contract.py`` holds the DynamoDB
    adapter and the in-memory fake to this port.
    """

    def record(self, handled: HandledInteraction) -> None:
        """Store ``handled`` under its agent and its queue (``last_seq`` = the greater of
        the stored one and this one)."""
        ...

    def by_agent(self, agent_id: str, limit: int) -> list[HandledInteraction]:
        """The agent's handled interactions, most recently answered first."""
        ...

    def by_queue(self, company_id: str, queue_id: str, limit: int) -> list[HandledInteraction]:
        """Those answered from the queue, most recently answered first."""
        ...


class HandledLog:
    """What routing calls when an agent gets an interaction (``answered``) and when it
    leaves them (``left``: ended, transferred, back to the queue). Each records the
    range the agent could read: from the interaction's first message to the
    conversation's newest one now. Search bookkeeping never fails routing: a write
    that fails is logged, and the next one (the end) writes the whole record again.
    """

    def __init__(
        self,
        store: HandledInteractions | None = None,
        conversations: ConversationRepository | None = None,
    ) -> None:
        self.store = store
        self._conversations = conversations

    def answered(self, interaction: Interaction) -> None:
        self._record(interaction)

    def left(self, interaction: Interaction) -> None:
        self._record(interaction)

    def _record(self, interaction: Interaction) -> None:
        if self.store is None or self._conversations is None:
            return
        if not interaction.agent_id or not interaction.answered_at:
            return  # never answered: nobody handled it
        try:
            conversation = self._conversations.get(interaction.conversation_id)
            last = conversation.last_seq if conversation is not None else 0
            self.store.record(
                HandledInteraction(
                    interaction_id=interaction.interaction_id,
                    company_id=interaction.company_id,
                    queue_id=interaction.queue_id,
                    agent_id=interaction.agent_id,
                    conversation_id=interaction.conversation_id,
                    answered_at=interaction.answered_at,
                    first_seq=interaction.first_seq,
                    last_seq=last,
                )
            )
        except Exception:  # search is secondary to routing; the next note rewrites it
            logger.exception(
                "handled interaction not recorded",
                extra={
                    "interaction_id": interaction.interaction_id,
                    "company_id": interaction.company_id,
                },
            )
