"""Texting external numbers: who may, from which number, to where; the outbound
pipeline's sender; carrier webhooks (inbound texts, delivery status, opt-out)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from chalicelib.domain import phone, sms
from chalicelib.domain.errors import (
    FeatureDisabled,
    Forbidden,
    NotFound,
    RateLimited,
    ValidationError,
)
from chalicelib.domain.model import (
    SMS,
    BusinessNumber,
    Conversation,
    Message,
    User,
    parse_message_id,
    sms_conversation_id,
    utcnow_iso,
)
from chalicelib.services.common import Caller, Clock
from chalicelib.services.ports import (
    ConversationRepository,
    DirectoryRepository,
    MediaFetcher,
    MediaStore,
    SmsProvider,
    SmsRepository,
)
from chalicelib.settings import Settings

if TYPE_CHECKING:
    from chalicelib.services.conversations import ConversationService

logger = Logger(service="texting")

# Licence types that include SMS unless the operator says otherwise.
SMS_LICENSES = ("unlimited", "global", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "express")
STOP_REPLY = "You are unsubscribed and will receive no more messages from this number. Reply START to resubscribe."
START_REPLY = "You are resubscribed. Reply STOP to unsubscribe, HELP for help."
DEFAULT_HELP = "Reply STOP to unsubscribe. Msg&data rates may apply."
Providers = Callable[[str], SmsProvider]
MEDIA_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
}
MAX_MEDIA = 10
MEDIA_LINK_SECONDS = 15 * 60  # participants' download links
PROVIDER_MEDIA_SECONDS = 60 * 60  # the provider fetches outbound media within this
MAX_PACING_WAIT = 10.0  # seconds a sender may wait for its number's next slot (last attempt)
MAX_PACING_SLEEP = 2.0  # longer than this, the text comes back for its slot instead
MAX_QUEUE_DELAY = 12 * 60 * 60  # SQS's longest visibility timeout
RECONCILE_AFTER_SECONDS = 72 * 60 * 60
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 900


class PacingDelay(sms.ProviderRetryable):
    """The text's slot on its number is booked for ``retry_after`` seconds from now:
    the queue should hand it back then (exactly, not with a retry's back-off)."""


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


class SmsService:
    """The rules of business texting, over the SMS repository and the provider bridge."""

    def __init__(
        self,
        directory: DirectoryRepository,
        conversations: ConversationRepository,
        repo: SmsRepository,
        providers: Providers,
        settings: Settings,
        clock: Clock,
        epoch: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        media: MediaStore | None = None,
        fetcher: MediaFetcher | None = None,
    ) -> None:
        self._media = media
        self._fetcher = fetcher
        self._epoch = epoch
        self._sleep = sleep
        self._directory = directory
        self._conversations = conversations
        self._repo = repo
        self._providers = providers
        self._settings = settings
        self._clock = clock
        self.messaging: ConversationService | None = None  # wired by bootstrap (stores texts)

    # -- who may text, from where, to where ----------------------------------

    def _user(self, caller: Caller) -> User:
        user = self._directory.get_user(caller.user_id)
        if user is None:
            raise NotFound("no such user", code="user_not_found")
        return user

    def sending_numbers(self, caller: Caller) -> list[BusinessNumber]:
        """The caller's SMS-capable numbers, after every eligibility rule (each its own code)."""
        if not self._settings.sms_enabled:
            raise FeatureDisabled("SMS is switched off", code="sms_disabled")
        company = self._directory.get_company(caller.company_id)
        if company is not None and not company.sms_enabled:
            raise FeatureDisabled(
                "SMS is switched off for your company", code="sms_disabled_company"
            )
        user = self._user(caller)
        policy = (
            self._repo.get_policy(caller.company_id, user.policy_id) if user.policy_id else None
        )
        if policy is not None and not policy.sms_enabled:
            raise FeatureDisabled(
                f"SMS is switched off for the {policy.name} policy", code="sms_disabled_policy"
            )
        if not user.sms_enabled:
            raise FeatureDisabled("SMS is switched off for your account", code="sms_disabled_user")
        if user.license_type.lower() not in SMS_LICENSES:
            raise Forbidden(
                f"a {user.license_type} licence cannot send SMS", code="license_not_eligible"
            )
        numbers = [
            n
            for n in self._repo.numbers_of(user)
            if n.sms_capable and n.company_id == caller.company_id and caller.user_id in n.users
        ]
        if not numbers:
            raise Forbidden("you have no SMS-capable number", code="no_sms_number")
        return numbers

    def _region(self, company_id: str) -> str:
        company = self._directory.get_company(company_id)
        return company.default_region if company else "US"

    def preview(self, caller: Caller, text: Any, to: Any = None) -> dict[str, Any]:
        if not isinstance(text, str):
            raise ValidationError("text is required and must be a string", code="invalid_text")
        info = sms.segments(text)
        country = "US"
        if to is not None:
            country = (
                sms.classify_destination(
                    phone.normalise(to, self._region(caller.company_id))
                ).country
                or "US"
            )
        body = info.to_dict()
        body["estimated_cost"] = {
            "amount": str(sms.estimate_cost(info.segments, country)),
            "currency": "USD",
            "country": country,
        }
        body["max_segments"] = self._settings.sms_max_segments
        body["non_gsm_characters"] = sms.non_gsm_characters(text)
        return body

    def start(self, caller: Caller, to: Any, from_: Any = None) -> tuple[Conversation, bool]:
        """Get-or-create the conversation between one of the caller's numbers and ``to``."""
        if isinstance(to, list):
            raise ValidationError(
                "group SMS is not supported: text one number at a time",
                code="group_sms_unsupported",
            )
        numbers = self.sending_numbers(caller)  # who may text comes first (api.md)
        if isinstance(to, str) and sms.is_short_code(to):
            raise ValidationError("texting short codes is not allowed", code="short_code")
        external = phone.normalise(to, self._region(caller.company_id))
        business = self._choose_number(caller, numbers, from_, external)
        own = self._repo.get_number(external)
        if external == business.e164 or (own is not None and own.company_id == caller.company_id):
            raise ValidationError(
                "that is one of the business numbers: use IM for co-workers", code="internal_number"
            )
        sms.check_outbound(external, self._settings.sms_allowed_countries)
        now = self._clock()
        conversation = Conversation(
            conversation_id=sms_conversation_id(business.e164, external),
            company_id=caller.company_id,
            type=SMS,
            members=list(business.users),
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
            business_number=business.e164,
            external_number=external,
        )
        return self._conversations.create(conversation)

    def _choose_number(
        self, caller: Caller, numbers: list[BusinessNumber], from_: Any, external: str
    ) -> BusinessNumber:
        """``from`` when given; else the number last used with this contact; else the
        user's default (their first number)."""
        if from_ is not None:
            if not isinstance(from_, str):
                raise ValidationError(
                    "from must be one of your business numbers", code="invalid_from"
                )
            chosen = next((n for n in numbers if n.e164 == from_), None)
            if chosen is None:
                raise Forbidden(f"you cannot text from {from_}", code="number_not_assigned")
            return chosen
        if len(numbers) == 1:
            return numbers[0]
        existing = self._conversations.get_many(
            sms_conversation_id(n.e164, external) for n in numbers
        )
        if existing:
            latest = max(existing.values(), key=lambda c: c.updated_at or c.created_at)
            return next(n for n in numbers if n.e164 == latest.business_number)
        user = self._user(caller)
        default = next((n for n in numbers if user.numbers and n.e164 == user.numbers[0]), None)
        return default or numbers[0]

    # -- MMS ------------------------------------------------------------------

    def media_upload(self, caller: Caller, content_type: Any, size: Any) -> dict[str, Any]:
        """A presigned upload for a picture or PDF to send (expires unless sent)."""
        if self._media is None or not self._settings.mms_enabled:
            raise FeatureDisabled("MMS is switched off", code="mms_disabled")
        if content_type not in MEDIA_TYPES:
            raise ValidationError(
                f"media must be one of {', '.join(MEDIA_TYPES)}", code="invalid_content_type"
            )
        limit = self._settings.mms_max_bytes
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= limit:
            raise ValidationError(f"size must be 1 to {limit} bytes", code="media_too_large")
        key = (
            f"uploads/media/{caller.company_id}/{caller.user_id}/"
            f"{int(self._epoch() * 1000)}-{uuid.uuid4().hex[:8]}.{MEDIA_TYPES[content_type]}"
        )
        return {
            "key": key,
            "upload": self._media.presigned_upload(key, content_type, limit, 900),
            "max_bytes": limit,
        }

    def _attach(
        self, caller: Caller, conversation: Conversation, number: BusinessNumber, keys: Any
    ) -> list[dict[str, Any]]:
        if keys is None or keys == []:
            return []
        if self._media is None or not self._settings.mms_enabled:
            raise FeatureDisabled("MMS is switched off", code="mms_disabled")
        if "mms" not in number.capabilities:
            raise Forbidden(f"{number.e164} cannot send MMS", code="mms_not_supported")
        if not isinstance(keys, list) or len(keys) > MAX_MEDIA:
            raise ValidationError(
                f"media is a list of at most {MAX_MEDIA} uploads", code="invalid_media"
            )
        prefix = f"uploads/media/{caller.company_id}/{caller.user_id}/"
        attached = []
        for key in keys:
            found = (
                self._media.describe(key)
                if isinstance(key, str) and key.startswith(prefix)
                else None
            )
            if (
                found is None
                or found["content_type"] not in MEDIA_TYPES
                or found["size"] > self._settings.mms_max_bytes
            ):
                raise ValidationError(
                    f"{key} is not one of your uploads of a picture or PDF", code="invalid_media"
                )
            kept = f"media/{conversation.conversation_id}/{key.rsplit('/', 1)[-1]}"
            self._media.copy(key, kept)  # out of the expiring uploads/ prefix
            attached.append(
                {"key": kept, "content_type": found["content_type"], "size": found["size"]}
            )
        return attached

    def media_link(self, message: Message, index: int) -> dict[str, Any]:
        if self._media is None or not 0 <= index < len(message.media) or message.deleted:
            raise NotFound("no such media", code="media_not_found")
        item = message.media[index]
        return {
            "url": self._media.download_url(item["key"], MEDIA_LINK_SECONDS),
            "content_type": item["content_type"],
            "size": item["size"],
            "expires_in": MEDIA_LINK_SECONDS,
        }

    def _provider_media(self, number: BusinessNumber, message: Message) -> list[str]:
        if not message.media or self._media is None:
            return []
        if number.provider == "eum":  # End User Messaging reads from S3 itself
            return [self._media.s3_url(m["key"]) for m in message.media]
        return [self._media.download_url(m["key"], PROVIDER_MEDIA_SECONDS) for m in message.media]

    def _copy_inbound_media(
        self, conversation_id: str, text: sms.InboundSms
    ) -> list[dict[str, Any]]:
        """Inbound media is copied into the bucket so it outlives the provider's copy."""
        if not text.media or self._media is None or self._fetcher is None:
            return []
        kept = []
        for n, media in enumerate(text.media[:MAX_MEDIA]):
            try:
                data, content_type = self._fetcher.fetch(media.url, self._settings.mms_max_bytes)
            except ValidationError as error:
                logger.info(
                    "inbound media skipped",
                    extra={"reason": error.code, "provider_message_id": text.provider_message_id},
                )
                continue
            content_type = media.content_type or content_type
            ext = MEDIA_TYPES.get(content_type, "bin")
            key = f"media/{conversation_id}/{text.provider}-{text.provider_message_id}-{n}.{ext}"
            self._media.put(key, data, content_type)
            kept.append({"key": key, "content_type": content_type, "size": len(data)})
        return kept

    def check_send(
        self, caller: Caller, conversation: Conversation, text: str, media: Any = None
    ) -> dict[str, Any]:
        """Everything that must hold before an outbound text is accepted; returns its segments."""
        numbers = self.sending_numbers(caller)
        number = next((n for n in numbers if n.e164 == conversation.business_number), None)
        if number is None:
            raise Forbidden(
                f"you cannot text from {conversation.business_number}", code="number_not_assigned"
            )
        sms.check_outbound(conversation.external_number, self._settings.sms_allowed_countries)
        if self._repo.opted_out(conversation.business_number, conversation.external_number):
            raise Forbidden(
                "this number opted out of texts from this business number", code="opted_out"
            )
        info = sms.segments(text)
        if info.segments > self._settings.sms_max_segments:
            raise ValidationError(
                f"the text needs {info.segments} segments; at most "
                f"{self._settings.sms_max_segments} are allowed",
                code="too_many_segments",
            )
        attached = self._attach(caller, conversation, number, media)
        self._take_rate(caller)
        return {"segments": info.segments, "encoding": info.encoding, "media": attached}

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

    def record_usage(self, message: Message) -> None:
        """Usage per company and user per day, kept as texts flow (no scan)."""
        user = None if message.direction == "inbound" else message.sender
        self._repo.add_usage(
            message.company_id, user, message.created_at[:10], message.direction, message.segments
        )

    def usage(self, caller: Caller, first_day: Any, last_day: Any) -> dict[str, Any]:
        if not caller.is_admin:
            raise Forbidden("only company admins see usage", code="admin_only")
        days = []
        for value in (first_day, last_day):
            try:
                days.append(date.fromisoformat(str(value)))
            except ValueError:
                raise ValidationError(
                    "from and to must be dates (YYYY-MM-DD)", code="invalid_date"
                ) from None
        if days[0] > days[1] or (days[1] - days[0]).days > 366:
            raise ValidationError(
                "from must not be after to, at most a year apart", code="invalid_date"
            )
        first, last = days[0].isoformat(), days[1].isoformat()
        return {
            "items": self._repo.usage(caller.company_id, first, last),
            "from": first,
            "to": last,
        }

    # -- the outbound pipeline -------------------------------------------------

    def deliver(self, data: dict[str, Any], final_attempt: bool = False) -> str:
        """Hand one queued text to its number's provider; returns the resulting status.

        Never twice: the text is claimed (queued → sending) before the provider is
        called, and only the claimer calls it. If the provider certainly did not take
        it (429, 5xx, a busy number) the claim is released and the queue retries with
        backoff — or, on the queue's last attempt, the text fails. If it may have taken
        it (a timeout), the text is not resent: it becomes ``unknown``.
        """
        conversation_id = str(data["conversation_id"])
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
        try:
            sent = self._providers(number.provider).send(
                from_=number.e164,
                to=conversation.external_number,
                body=message.text,
                idempotency_key=message.message_id,
                media_urls=self._provider_media(number, message),
            )
        except sms.ProviderRejected as refusal:
            code = refusal.provider_code or refusal.code
            self._repo.advance_status(conversation_id, message.seq, sms.FAILED, error_code=code)
            logger.info(
                "provider refused", extra={"message_id": message.message_id, "provider_code": code}
            )
            return sms.FAILED
        except sms.ProviderRetryable as trouble:
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

    # -- carrier webhooks --------------------------------------------------------

    def inbound(self, text: sms.InboundSms) -> str | None:
        """Store an inbound text once (the provider id is the idempotency key); act on
        STOP/START/HELP. Returns the automatic reply to send back, if any."""
        number = self._repo.get_number(text.to)
        if number is None or number.state != "active":
            logger.info(
                "inbound to an unknown or inactive number",
                extra={"provider": text.provider, "provider_message_id": text.provider_message_id},
            )
            return None
        external = text.from_
        now = self._clock()
        conversation, _ = self._conversations.create(
            Conversation(
                conversation_id=sms_conversation_id(number.e164, external),
                company_id=number.company_id,
                type=SMS,
                members=list(number.users),
                created_by=external,
                created_at=now,
                updated_at=now,
                business_number=number.e164,
                external_number=external,
            )
        )
        info = sms.segments(text.body)
        assert self.messaging is not None
        existing = self._conversations.find_by_client_id(
            conversation.conversation_id, external, f"{text.provider}:{text.provider_message_id}"
        )
        if existing is not None:
            # a provider retry: already stored; the keyword action is repeated (it is
            # conditional), in case the first attempt failed before recording it
            return self._keyword_action(number, external, text, now)
        media = self._copy_inbound_media(conversation.conversation_id, text)
        stored, created = self.messaging.store_inbound(
            conversation,
            sender=external,
            client_id=f"{text.provider}:{text.provider_message_id}",
            text=text.body,
            segments=info.segments,
            encoding=info.encoding,
            media=media,
        )
        if created:
            self.record_usage(stored)
        return self._keyword_action(number, external, text, now)

    def _keyword_action(
        self, number: BusinessNumber, external: str, text: sms.InboundSms, now: str
    ) -> str | None:
        """STOP/START change the opt-out (once: repeats change nothing and get no second
        confirmation); HELP gets the company's help text."""
        keyword = sms.keyword(text.body)
        if keyword is None:
            return None
        word = text.body.strip().upper()
        source = f"{text.provider}:{text.provider_message_id}"
        if keyword in ("stop", "start"):
            stop = keyword == "stop"
            changed = self._repo.set_opt_out(number.e164, external, stop, word, source, now)
            if not changed:
                return None
            return STOP_REPLY if stop else START_REPLY
        company = self._directory.get_company(number.company_id)
        return company.help_text if company and company.help_text else DEFAULT_HELP

    def status(self, update: sms.StatusUpdate) -> bool:
        found = self._repo.find_provider_message(update.provider, update.provider_message_id)
        if found is None:
            logger.info(
                "status for an unknown message",
                extra={
                    "provider": update.provider,
                    "provider_message_id": update.provider_message_id,
                },
            )
            return False
        conversation_id, seq = found
        return self._repo.advance_status(
            conversation_id, seq, update.status, error_code=update.error_code
        )

    def reconcile(self, limit: int = 500) -> int:
        """Texts with no final status 72 hours after they were sent are marked ``unknown``."""
        cutoff = datetime.fromtimestamp(self._epoch() - RECONCILE_AFTER_SECONDS, UTC)
        stale = self._repo.stale_pending(utcnow_iso(cutoff), limit)
        for conversation_id, seq in stale:
            self._repo.advance_status(conversation_id, seq, "unknown")
        if stale:
            logger.info("reconciled", extra={"unknown": len(stale)})
        return len(stale)

    def message(self, conversation_id: str, seq: int) -> Message | None:
        return self._conversations.get_message(conversation_id, seq)
