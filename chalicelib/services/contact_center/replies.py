"""Automatic replies to a waiting customer (closed hours, position and estimated wait,
a full queue) go through the shared message log like every text: they are stored in
the interaction's conversation (so the transcript shows them), sent by the SMS sender
(paced per number), and never sent to a number that opted out."""

from __future__ import annotations

from chalicelib.domain import sms
from chalicelib.domain.contact_center import Interaction
from chalicelib.domain.errors import DomainError, Forbidden, ValidationError
from chalicelib.domain.model import SMS, Conversation, Message
from chalicelib.services.contact_center.common import Context, logger
from chalicelib.services.messages import ChannelFields, Draft, MessageLog
from chalicelib.services.sms.ports import SmsRepository

# The sender of an automatic reply: not a user, so no user's usage or rate limit.
AUTO_REPLY_SENDER = "contact-center"


class AutoReplyPolicy:
    """The outbound text rules that apply to a reply nobody typed: the destination
    policy, the opt-out and the length. Stored ``queued``: the SMS sender sends it."""

    def __init__(
        self, numbers: SmsRepository, allowed_countries: tuple[str, ...], max_segments: int
    ) -> None:
        self._numbers = numbers
        self._allowed = allowed_countries
        self._max_segments = max_segments

    def admit(self, conversation: Conversation, draft: Draft) -> ChannelFields:
        sms.check_outbound(conversation.external_number, self._allowed)
        if self._numbers.opted_out(conversation.business_number, conversation.external_number):
            raise Forbidden("the customer opted out of texts", code="opted_out")
        info = sms.segments(draft.text)
        if info.segments > self._max_segments:
            raise ValidationError("the automatic reply is too long", code="too_many_segments")
        return ChannelFields(
            status=sms.QUEUED,
            channel=SMS,
            direction="outbound",
            segments=info.segments,
            encoding=info.encoding,
        )

    def recorded(self, message: Message) -> None:
        self._numbers.add_usage(
            message.company_id, None, message.created_at[:10], "outbound", message.segments
        )


class AutoReplies:
    """Sends one automatic reply of each kind per interaction (the client id is the
    interaction and the kind, so a repeated routing message stores nothing twice)."""

    def __init__(
        self, ctx: Context, log: MessageLog | None, policy: AutoReplyPolicy | None
    ) -> None:
        self._ctx = ctx
        self._log = log
        self._policy = policy

    def send(self, interaction: Interaction, kind: str, text: str) -> Message | None:
        if not text.strip() or self._log is None or self._policy is None:
            return None
        conversation = self._ctx.conversations.get(interaction.conversation_id)
        if conversation is None:
            return None
        draft = Draft(
            sender=AUTO_REPLY_SENDER,
            client_id=f"cc-{kind}:{interaction.interaction_id}",
            text=text,
        )
        try:
            message, _ = self._log.append(conversation, draft, self._policy)
        except DomainError as refused:  # opted out, destination, length: not sent, logged
            logger.info(
                "automatic reply not sent",
                extra={
                    "interaction_id": interaction.interaction_id,
                    "kind": kind,
                    "reason": refused.code,
                },
            )
            return None
        return message
