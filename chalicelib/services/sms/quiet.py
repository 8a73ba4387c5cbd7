"""Quiet hours, per company (its texting policy's ``quiet_hours``, off by default):
an automated text to a US number waits for 8am-8pm in the recipient's time
(``chalicelib.domain.quiet_hours``), unless it answers that recipient: a text they
sent in this conversation before it, within the last 24 hours. A person's text is
never held, nor an automatic answer to the customer (closed hours, queue position),
which the customer's text preceded. A text the customer sends after an automated
text was queued does not release it (that text answers nothing)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.domain import quiet_hours, sms
from chalicelib.domain.model import Conversation, Message, utcnow_iso
from chalicelib.services.ports import ConversationRepository

# Who sends automated texts: today only the contact center's automatic replies. The app
# has no scheduled, bulk or survey sends; one added later stores its texts with a
# sender id under ``automation:`` and is held like them. Everyone else is a person.
AUTOMATED_SENDERS = frozenset({"contact-center"})
AUTOMATED_PREFIX = "automation:"
ANSWER_WINDOW = timedelta(hours=24)
RECENT_MESSAGES = 20  # how far back the customer's last text is looked for


def is_automated(sender: str) -> bool:
    return sender in AUTOMATED_SENDERS or sender.startswith(AUTOMATED_PREFIX)


class QuietPolicy(Protocol):
    def quiet_hours(self, company_id: str) -> bool:
        """Whether the company keeps quiet hours."""
        ...


class QuietHours:
    """Decides whether a queued text waits, and until when."""

    def __init__(
        self,
        conversations: ConversationRepository,
        policies: QuietPolicy,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self._conversations = conversations
        self._policies = policies
        self._epoch = epoch

    def hold(self, conversation: Conversation, message: Message) -> float | None:
        """Seconds the text must wait (None: it may go now)."""
        if not is_automated(message.sender):
            return None
        if not self._policies.quiet_hours(conversation.company_id):
            return None
        now = datetime.fromtimestamp(self._epoch(), UTC)
        country = sms.classify_destination(conversation.external_number).country or ""
        until = quiet_hours.hold_until(now, conversation.external_number, country)
        if until is None or self._answers_customer(conversation, message, now):
            return None
        return max(1.0, (until - now).total_seconds())

    def _answers_customer(
        self, conversation: Conversation, message: Message, now: datetime
    ) -> bool:
        """The recipient texted this conversation before ``message`` was stored, within
        the last 24 hours (among its latest messages: an older one holds, never sends)."""
        since = utcnow_iso(now - ANSWER_WINDOW)
        recent = self._conversations.list_messages(
            conversation.conversation_id, RECENT_MESSAGES, None
        )
        return any(
            m.direction == "inbound"
            and m.sender == conversation.external_number
            and m.seq < message.seq
            and m.created_at >= since
            for m in recent.items
        )
