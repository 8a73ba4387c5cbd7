"""The message log: the one path every message takes into a conversation.

IM sends, outbound texts, inbound texts (and the contact center's) all go
through ``MessageLog.append``: it checks the client's (or provider's) id once,
asks the channel's policy whether the message may be stored and with which
channel fields, takes the next sequence number, stores, moves the writer's entry,
and tells the policy it was stored. Channel rules live in policies the log
calls; no policy calls back into the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain import entities
from chalicelib.domain.errors import ConcurrentUpdate, Conflict
from chalicelib.domain.model import Conversation, Message, Page, utcnow_iso
from chalicelib.observability import correlate, count, logger
from chalicelib.services.common import Caller, Clock
from chalicelib.services.company import CompanySettings
from chalicelib.services.ports import ConversationRepository

# Sequence numbers come from an atomic counter: concurrent sends never conflict. A
# send whose number was closed as lost (it took longer than SETTLE_SECONDS between
# taking the number and storing) takes another; that is the only retry.
SEQ_ATTEMPTS = 3
# A hole in the log older than this (after a later message) is a send that died:
# catch-up closes it with a placeholder and steps over it.
SETTLE_SECONDS = 10.0


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


@dataclass(frozen=True)
class ClientSeq:
    """What a send's first read found for its (sender, client id): the number it
    holds, or None (a first attempt)."""

    seq: int | None


class MessageLog:
    """Appends messages to conversations: once per (sender, client id), in sequence."""

    def __init__(
        self,
        repo: ConversationRepository,
        companies: CompanySettings,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._companies = companies
        self._clock = clock

    def append(
        self,
        conversation: Conversation,
        draft: Draft,
        policy: ChannelPolicy,
        client_seq: ClientSeq | None = None,
    ) -> tuple[Message, bool]:
        """Store the draft once; returns (message, created).

        A replayed client id returns the stored message and redoes what the first
        attempt may not have finished after storing (a crash between the steps): the
        head and the writer's own entry, both forward-only. The other members'
        entries follow from the message's stream record, which the store itself wrote.
        ``client_seq``: the client key, when the caller read it already (with the
        conversation, in one request).
        """
        correlate(company_id=conversation.company_id, conversation_id=conversation.conversation_id)
        if client_seq is None:
            existing = self._repo.find_by_client_id(
                conversation.conversation_id, draft.sender, draft.client_id
            )
        elif client_seq.seq is None:
            existing = None
        else:
            existing = self._repo.get_message(conversation.conversation_id, client_seq.seq)
        if existing is not None:
            self._settle_head(conversation, existing, draft)
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

    def _settle_head(self, conversation: Conversation, message: Message, draft: Draft) -> None:
        self._repo.advance_head(conversation, message)
        if draft.caller is not None:  # a member's retry (a phone has no entry)
            self._repo.touch_sender(
                draft.sender, conversation.conversation_id, message.seq, message.created_at
            )

    def _store(
        self, conversation: Conversation, draft: Draft, fields: ChannelFields
    ) -> tuple[Message, bool]:
        """Take a number and store; a repeated client id returns the stored message."""
        region = self._companies.region(conversation.company_id)
        found = entities.extract(draft.text, region)
        for _ in range(SEQ_ATTEMPTS):
            seq = self._repo.take_seq(conversation.conversation_id)
            message = Message(
                conversation_id=conversation.conversation_id,
                company_id=conversation.company_id,
                seq=seq,
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
                again = self._repo.find_by_client_id(
                    conversation.conversation_id, draft.sender, draft.client_id
                )
                if again is None:  # pragma: no cover - a conflict implies the item exists
                    raise
                if again.seq != seq:
                    # The same client id won a race with us: that message is the
                    # answer, and our number will never hold one.
                    self._repo.fill_gap(conversation, seq, message.created_at)
                    return again, False
                # Our own write landed and a retry of it (the SDK's, after a lost
                # response) found our key: it is ours, and still created.
                self._repo.advance_head(conversation, again)
                stored = again
            except ConcurrentUpdate:
                continue  # our number was closed as lost meanwhile: take another
            except Exception:
                self._close_quietly(conversation, seq, message.created_at)
                raise
            if draft.caller is not None:
                self._repo.touch_sender(
                    draft.sender, conversation.conversation_id, stored.seq, stored.created_at
                )
            return stored, True
        raise ConcurrentUpdate("the conversation is busy; try again")

    def _close_quietly(self, conversation: Conversation, seq: int, at: str) -> None:
        """A store that failed (throttled, timed out) may still have landed: a
        placeholder goes in only if nothing did; catch-up would close it later anyway."""
        try:
            self._repo.fill_gap(conversation, seq, at)
        except Exception:
            logger.warning("could not close a lost sequence number", extra={"seq": seq})

    def after(
        self, conversation_id: str, after_seq: int, limit: int, cursor: str | None
    ) -> tuple[Page[Message], int]:
        """Catch-up: what follows ``after_seq``, exactly (no gap, no duplicate), and how
        far that is accounted for (``through``: ask from it next)."""
        settled_before = utcnow_iso(
            datetime.fromisoformat(self._clock().replace("Z", "+00:00"))
            - timedelta(seconds=SETTLE_SECONDS)
        )
        return self._repo.messages_after(conversation_id, after_seq, limit, cursor, settled_before)
