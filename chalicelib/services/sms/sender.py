"""The outbound pipeline: one queued text at a time to its number's provider, paced,
claimed before sending so it never goes out twice, retried with backoff."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import sms
from chalicelib.domain.compliance import registration_refusal
from chalicelib.domain.model import Message, parse_message_id, utcnow_iso
from chalicelib.observability import correlate, count, logger, timed
from chalicelib.services.ports import ConversationRepository
from chalicelib.services.sms.media import SmsMedia
from chalicelib.services.sms.ports import SmsRepository
from chalicelib.services.sms.quiet import QuietHours
from chalicelib.services.sms.texting import Providers
from chalicelib.settings import Settings

MAX_PACING_WAIT = 10.0  # seconds a sender may wait for its number's next slot (last attempt)
MAX_PACING_SLEEP = 2.0  # longer than this, the text comes back for its slot instead
MAX_QUEUE_DELAY = 12 * 60 * 60  # SQS's longest visibility timeout
RECONCILE_AFTER_SECONDS = 72 * 60 * 60
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 900


class PacingDelay(sms.ProviderRetryable):
    """The text's slot on its number is booked for ``retry_after`` seconds from now:
    the queue should hand it back then (exactly, not with a retry's back-off)."""


class QuietHoursHold(PacingDelay):
    """Quiet hours in the recipient's time: the queue hands the text back at 8am there
    (after 12 hours at most, SQS's limit; it is then held again for the rest)."""


def requeue_delay(
    trouble: sms.ProviderRetryable, receive_count: int, rng: Callable[[], float]
) -> int:
    """How long a text handed back to the queue stays away: until its booked slot
    (a second early at most; it sleeps the rest), or a retry's back-off."""
    if isinstance(trouble, PacingDelay):
        return int(min(MAX_QUEUE_DELAY, max(1.0, trouble.retry_after or 1.0)))
    return retry_delay(receive_count, trouble.retry_after, rng)


def retry_delay(receive_count: int, retry_after: float | None, rng: Callable[[], float]) -> int:
    """Exponential backoff with full jitter, never sooner than the provider asked."""
    ceiling = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, receive_count - 1))
    delay = ceiling * rng()
    if retry_after:
        delay = max(delay, retry_after)
    return int(min(RETRY_MAX_SECONDS, max(1, round(delay))))


class SmsSender:
    """Hands queued texts to providers (the ``sms_sender`` consumer) and reconciles
    texts that never got a final status (the ``sms_reconciler`` timer)."""

    def __init__(
        self,
        conversations: ConversationRepository,
        repo: SmsRepository,
        providers: Providers,
        media: SmsMedia,
        settings: Settings,
        epoch: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        refused: Callable[[str, str, str, str, str], None] | None = None,
        quiet: QuietHours | None = None,
    ) -> None:
        """``refused(business, external, provider, provider_code, at)`` learns of every
        refusal (the carrier webhooks record opt-outs and unregistered numbers)."""
        self._refused = refused
        self._quiet = quiet
        self._conversations = conversations
        self._repo = repo
        self._providers = providers
        self._media = media
        self._settings = settings
        self._epoch = epoch
        self._sleep = sleep

    def deliver(self, data: dict[str, Any], final_attempt: bool = False) -> str:
        """Hand one queued text to its number's provider; returns the resulting status.

        Never twice: the text is claimed (queued → sending) before the provider is
        called, and only the claimer calls it. If the provider certainly did not take
        it (429, 5xx, a busy number) the claim is released and the queue retries with
        backoff — or, on the queue's last attempt, the text fails. If it may have taken
        it (a timeout), the text is not resent: it becomes ``unknown``.
        """
        conversation_id = str(data["conversation_id"])
        correlate(conversation_id=conversation_id, message_id=str(data["id"]))
        seq = parse_message_id(conversation_id, str(data["id"]))
        conversation = self._conversations.get(conversation_id)
        message = self._conversations.get_message(conversation_id, seq) if seq else None
        if conversation is None or message is None or message.status != sms.QUEUED:
            return "skipped"  # gone, or already handed over by an earlier attempt
        if message.deleted:  # deleted before it went out: it never goes out
            self._repo.advance_status(
                conversation_id, message.seq, sms.FAILED, error_code="deleted"
            )
            return sms.FAILED
        number = self._repo.get_number(conversation.business_number)
        if self._repo.opted_out(conversation.business_number, conversation.external_number):
            self._repo.advance_status(
                conversation_id, message.seq, sms.FAILED, error_code="opted_out"
            )
            return sms.FAILED
        if number is None or not number.sms_capable:
            self._repo.advance_status(
                conversation_id, message.seq, sms.FAILED, error_code="number_unavailable"
            )
            return sms.FAILED
        if self._settings.sms_require_registration and registration_refusal(
            number.country, number.registration, number.registration_status
        ):  # carriers would block it: its registration was withdrawn while it waited
            self._repo.advance_status(
                conversation_id, message.seq, sms.FAILED, error_code="number_not_registered"
            )
            return sms.FAILED
        refused_mms = self._media.mms_refusal(number, conversation.external_number, message)
        if refused_mms:  # the carriers' MMS rules, checked again before any provider call
            self._repo.advance_status(
                conversation_id, message.seq, sms.FAILED, error_code=refused_mms
            )
            return sms.FAILED
        held = self._quiet.hold(conversation, message) if self._quiet else None
        if held is not None:  # an automated text in the recipient's quiet hours
            if final_attempt:
                self._repo.advance_status(
                    conversation_id, message.seq, sms.FAILED, error_code="quiet_hours"
                )
                return sms.FAILED
            count("QuietHoursHolds")
            raise QuietHoursHold("quiet hours in the recipient's time", retry_after=held)
        rate = (
            self._settings.sms_pacing_toll_free_per_second
            if number.type == "toll_free"
            else self._settings.sms_pacing_local_per_second
        )
        # The text books its slot on the number once (asking again returns the same
        # slot) and, when the slot is more than a moment away, goes back to the queue
        # until then: no Lambda sleeps for it and no slot is lost to a bounce.
        wait = self._repo.take_pace(
            number.e164,
            max(1, message.segments) / rate,
            self._epoch(),
            MAX_PACING_WAIT,
            key=message.message_id,
        )
        if wait > (MAX_PACING_WAIT if final_attempt else MAX_PACING_SLEEP):
            raise PacingDelay("waiting for the number's next free slot", retry_after=wait)
        if wait > 0:
            self._sleep(wait)
        if not self._repo.claim_send(conversation_id, message.seq):
            return "skipped"  # another attempt claimed it, or it was deleted meanwhile
        count("ProviderSends", provider=number.provider)  # attempts: ProviderErrors' base
        try:
            with timed("ProviderLatency", provider=number.provider):
                sent = self._providers(number.provider).send(
                    from_=number.e164,
                    to=conversation.external_number,
                    body=message.text,
                    idempotency_key=message.message_id,
                    media_urls=self._media.provider_media(number, message),
                )
        except sms.ProviderRejected as refusal:
            count("ProviderErrors", provider=number.provider, kind="rejected")
            code = refusal.provider_code or refusal.code
            self._repo.advance_status(conversation_id, message.seq, sms.FAILED, error_code=code)
            if self._refused is not None:  # 21610: opted out; 3003x: not registered
                self._refused(
                    number.e164,
                    conversation.external_number,
                    number.provider,
                    code,
                    utcnow_iso(datetime.fromtimestamp(self._epoch(), UTC)),
                )
            logger.info(
                "provider refused", extra={"message_id": message.message_id, "provider_code": code}
            )
            return sms.FAILED
        except sms.ProviderRetryable as trouble:
            kind = "ambiguous" if trouble.ambiguous else "retryable"
            count("ProviderErrors", provider=number.provider, kind=kind)
            if trouble.ambiguous:
                self._repo.advance_status(
                    conversation_id, message.seq, "unknown", error_code="provider_timeout"
                )
                logger.info(
                    "provider may have taken the text; not resending",
                    extra={"message_id": message.message_id},
                )
                return "unknown"
            self._repo.release_send(conversation_id, message.seq)
            return self._not_now(conversation_id, message, final_attempt, trouble)
        correlate(provider_message_id=sent.provider_message_id)
        self._repo.map_provider_message(
            number.provider, sent.provider_message_id, conversation_id, message.seq
        )
        self._repo.set_provider_id(conversation_id, message.seq, sent.provider_message_id)
        logger.info(
            "handed to provider",
            extra={
                "message_id": message.message_id,
                "provider": number.provider,
                "provider_message_id": sent.provider_message_id,
            },
        )
        return sms.SENDING

    def _not_now(
        self,
        conversation_id: str,
        message: Message,
        final_attempt: bool,
        trouble: sms.ProviderRetryable,
    ) -> str:
        if final_attempt:
            self._repo.advance_status(
                conversation_id, message.seq, sms.FAILED, error_code="provider_unavailable"
            )
            return sms.FAILED
        raise trouble

    def reconcile(self, limit: int = 500) -> int:
        """Texts with no final status 72 hours after they were sent are marked ``unknown``."""
        cutoff = datetime.fromtimestamp(self._epoch() - RECONCILE_AFTER_SECONDS, UTC)
        stale = self._repo.stale_pending(utcnow_iso(cutoff), limit)
        for conversation_id, seq in stale:
            self._repo.advance_status(conversation_id, seq, "unknown")
        if stale:
            logger.info("reconciled", extra={"unknown": len(stale)})
        return len(stale)
