"""The message log: the one path every message takes into a conversation.

IM sends, outbound texts, inbound texts (and the contact center's) all go
through ``MessageLog.append``: it checks the client's (or provider's) id once,
asks the channel's policy whether the message may be stored and with which
channel fields, takes the next sequence number, stores, updates the members,
and tells the policy it was stored. Channel rules live in policies the log
calls; no policy calls back into the log.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain import entities
from chalicelib.domain.errors import ConcurrentUpdate, Conflict, NotFound
from chalicelib.domain.model import Conversation, Message
from chalicelib.observability import correlate, count
from chalicelib.services.common import Caller, Clock
from chalicelib.services.company import CompanySettings
from chalicelib.services.ports import ConversationRepository

# Sequence numbers are optimistic: a send that loses the race for the next number
# re-reads and tries again. Twenty people writing into one group at once means up
# to nineteen lost races for the last of them, so the budget is generous and the
# back-off grows (full jitter, capped): they all succeed, within a second or two.
SEQ_ATTEMPTS = 50
SEQ_BACKOFF_BASE = 0.005
SEQ_BACKOFF_CAP = 0.1


@dataclass(frozen=True)
class Draft:
    """A message before it has a sequence number.

    ``caller`` is the member who writes (None for a text from an external phone);
    their read horizon moves with the send. ``media`` are upload keys the channel
    policy turns into attachments.
    """

    sender: str
    client_id: str
    text: str
    caller: Caller | None = None
    media: tuple[str, ...] = ()


@dataclass
class ChannelFields:
    """What a channel adds to a stored message."""

    status: str = "sent"
    channel: str = "im"
    direction: str = ""
    segments: int = 0
    encoding: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)


class ChannelPolicy(Protocol):
    """A channel's rules, called by the log around storing a new message."""

    def admit(self, conversation: Conversation, draft: Draft) -> ChannelFields:
        """Raise a domain error if the message may not be stored; else its channel fields.
        Called only for a message not stored before (not for a replayed client id)."""
        ...

    def recorded(self, message: Message) -> None:
        """The message was stored for the first time (usage, metrics)."""
        ...


class MessageLog:
    """Appends messages to conversations: once per (sender, client id), in sequence."""

    def __init__(
        self,
        repo: ConversationRepository,
        companies: CompanySettings,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._repo = repo
        self._companies = companies
        self._clock = clock
        self._sleep = sleep

    def append(
        self, conversation: Conversation, draft: Draft, policy: ChannelPolicy
    ) -> tuple[Message, bool]:
        """Store the draft once; returns (message, created).

        A replayed client id returns the stored message and redoes the member
        updates (a retry may follow a crash between storing and updating them;
        both are conditional, so a normal replay changes nothing).
        """
        correlate(company_id=conversation.company_id, conversation_id=conversation.conversation_id)
        existing = self._repo.find_by_client_id(
            conversation.conversation_id, draft.sender, draft.client_id
        )
        if existing is not None:
            if draft.caller is not None:  # a member's retry (a phone's replay changes nothing)
                self._repo.touch_members(conversation, existing.created_at)
                self._repo.advance_read(draft.sender, conversation.conversation_id, existing.seq)
            return existing, False
        fields = policy.admit(conversation, draft)
        message, created = self._store(conversation, draft, fields)
        correlate(message_id=message.message_id)
        if created:
            policy.recorded(message)
            direction = message.direction or "internal"
            count("MessagesStored", channel=message.channel, direction=direction)
            if message.segments:
                count("SmsSegments", message.segments, direction=direction)
        return message, created

    def _store(
        self, conversation: Conversation, draft: Draft, fields: ChannelFields
    ) -> tuple[Message, bool]:
        """Take the next sequence number and store; a lost race retries, a repeated
        client id returns the stored message."""
        region = self._companies.region(conversation.company_id)
        found = entities.extract(draft.text, region)
        for attempt in range(SEQ_ATTEMPTS):
            message = Message(
                conversation_id=conversation.conversation_id,
                company_id=conversation.company_id,
                seq=conversation.last_seq + 1,
                client_id=draft.client_id,
                sender=draft.sender,
                text=draft.text,
                created_at=self._clock(),
                entities=found,
                status=fields.status,
                channel=fields.channel,
                direction=fields.direction,
                segments=fields.segments,
                encoding=fields.encoding,
                media=list(fields.media),
            )
            try:
                stored = self._repo.append_message(conversation, message)
            except Conflict:
                # The same client id won a race with us: that message is the answer.
                again = self._repo.find_by_client_id(
                    conversation.conversation_id, draft.sender, draft.client_id
                )
                if again is None:  # pragma: no cover - a conflict implies the item exists
                    raise
                return again, False
            except ConcurrentUpdate:
                ceiling = min(SEQ_BACKOFF_CAP, SEQ_BACKOFF_BASE * 2**attempt)
                self._sleep(random.uniform(0, ceiling))
                conversation = self._refresh(conversation, draft)
                continue
            reader = draft.sender if draft.caller is not None else None
            self._repo.touch_members(conversation, stored.created_at, sender=reader)
            return stored, True
        raise ConcurrentUpdate("the conversation is busy; try again")

    def _refresh(self, conversation: Conversation, draft: Draft) -> Conversation:
        fresh = self._repo.get(conversation.conversation_id)
        if fresh is None or (draft.caller is not None and draft.sender not in fresh.members):
            raise NotFound("no such conversation", code="conversation_not_found")
        return fresh
