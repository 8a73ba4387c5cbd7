"""The SMS channel policies the message log calls: rules before a text is stored,
usage after."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.domain import sms
from chalicelib.domain.compliance import registration_refusal
from chalicelib.domain.errors import Conflict, Forbidden, RateLimited, ValidationError
from chalicelib.domain.model import SMS, BusinessNumber, Conversation, Message
from chalicelib.services.common import Caller
from chalicelib.services.messages import ChannelFields, Draft
from chalicelib.services.sms.media import SmsMedia
from chalicelib.services.sms.ports import SmsRepository
from chalicelib.services.sms.texting import SmsService
from chalicelib.settings import Settings


def record_usage(repo: SmsRepository, message: Message) -> None:
    """Usage per company and user per day, kept as texts flow (no scan)."""
    user = None if message.direction == "inbound" else message.sender
    repo.add_usage(
        message.company_id, user, message.created_at[:10], message.direction, message.segments
    )


class OutboundSmsPolicy:
    """Everything that must hold before an outbound text is accepted: the sender's
    eligibility and number, the destination, the opt-out, the length, the media,
    and the per-minute rate limits. Accepted texts are stored ``queued``."""

    def __init__(
        self,
        texting: SmsService,
        repo: SmsRepository,
        media: SmsMedia,
        settings: Settings,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self._texting = texting
        self._repo = repo
        self._media = media
        self._settings = settings
        self._epoch = epoch

    def admit(self, conversation: Conversation, draft: Draft) -> ChannelFields:
        caller = draft.caller
        if caller is None:  # pragma: no cover - outbound texts always have a writer
            raise Forbidden("only members send texts", code="not_a_member")
        numbers = self._texting.sending_numbers(caller)
        number = next((n for n in numbers if n.e164 == conversation.business_number), None)
        if number is None:
            raise Forbidden(
                f"you cannot text from {conversation.business_number}", code="number_not_assigned"
            )
        check_registered(number, self._settings)
        sms.check_outbound(conversation.external_number, self._settings.sms_allowed_countries)
        if self._repo.opted_out(conversation.business_number, conversation.external_number):
            raise Forbidden(
                "this number opted out of texts from this business number", code="opted_out"
            )
        info = sms.segments(draft.text)
        if info.segments > self._settings.sms_max_segments:
            raise ValidationError(
                f"the text needs {info.segments} segments; at most "
                f"{self._settings.sms_max_segments} are allowed",
                code="too_many_segments",
            )
        attached = self._media.attach(caller, conversation, number, list(draft.media))
        self._take_rate(caller)
        return ChannelFields(
            status=sms.QUEUED,
            channel=SMS,
            direction="outbound",
            segments=info.segments,
            encoding=info.encoding,
            media=attached,
        )

    def recorded(self, message: Message) -> None:
        record_usage(self._repo, message)

    def _take_rate(self, caller: Caller) -> None:
        """Per user and per company, per minute: texting abuse costs real money."""
        now = self._epoch()
        window = int(now // 60) * 60
        retry_after = max(1, window + 60 - int(now))
        for key, limit, who in (
            (f"user#{caller.user_id}", self._settings.sms_rate_per_user_per_minute, "you"),
            (
                f"company#{caller.company_id}",
                self._settings.sms_rate_per_company_per_minute,
                "your company",
            ),
        ):
            if not self._repo.take_rate(key, window, limit):
                raise RateLimited(
                    f"{who} sent {limit} texts this minute; try again shortly",
                    retry_after=retry_after,
                )


def check_registered(number: BusinessNumber, settings: Settings) -> None:
    """Sending follows registration: with ``SMS_REQUIRE_REGISTRATION`` on, a US number
    whose registration is not approved is refused (409 ``number_not_registered``)
    before anything is stored or any provider is called; the message says what is
    pending."""
    if not settings.sms_require_registration:
        return
    why = registration_refusal(
        number.country,
        number.registration,
        number.registration_status,
        number.registration_reason,
    )
    if why is not None:
        raise Conflict(f"{number.e164} cannot text yet: {why}", code="number_not_registered")


class InboundSmsPolicy:
    """A text from an external phone: stored ``received`` with its segments and a copy
    of its media (copied only the first time the provider's id is seen)."""

    def __init__(self, repo: SmsRepository, media: SmsMedia, text: sms.InboundSms) -> None:
        self._repo = repo
        self._media = media
        self._text = text

    def admit(self, conversation: Conversation, draft: Draft) -> ChannelFields:
        info = sms.segments(draft.text)
        return ChannelFields(
            status="received",
            channel=SMS,
            direction="inbound",
            segments=info.segments,
            encoding=info.encoding,
            media=self._media.copy_inbound(conversation.conversation_id, self._text),
        )

    def recorded(self, message: Message) -> None:
        record_usage(self._repo, message)
