"""Carrier webhooks: inbound texts (stored once through the message log), the
opt-out/opt-in/help keywords and plain-language revocations, delivery status callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain import consent, sms
from chalicelib.domain.compliance import RECIPIENT_OPTED_OUT, UNREGISTERED_ERRORS
from chalicelib.domain.contact_center_reads import ChannelText
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import (
    SMS,
    BusinessNumber,
    Conversation,
    Message,
    parse_message_id,
    sms_conversation_id,
    utcnow_iso,
)
from chalicelib.observability import correlate, count, logger
from chalicelib.services.common import Clock
from chalicelib.services.company import CompanySettings
from chalicelib.services.compliance.policy import ConsentRecords, TextingPolicies
from chalicelib.services.messages import ClientSeq, Draft, MessageLog
from chalicelib.services.ports import ConversationRepository
from chalicelib.services.sms.media import SmsMedia
from chalicelib.services.sms.policy import InboundSmsPolicy
from chalicelib.services.sms.ports import SmsProvider, SmsRepository

# An attempt holds an owed confirmation this long (past a Lambda's 60-second timeout);
# a claim older than that was left by an attempt that ended without settling it.
REPLY_CLAIM = timedelta(seconds=90)
# CTIA: one confirmation within 5 minutes of the opt-out; a later one is not sent.
REPLY_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class Received:
    """What an inbound text asks of the caller: ``reply``, an automatic answer to send
    back now (HELP, the contact center's), and ``reply_owed``, whether this text
    changed consent with a confirmation recorded as owed (now, or on an earlier attempt
    of this same text): only then is there a confirmation to claim."""

    reply: str | None = None
    reply_owed: bool = False


class NumberStanding(Protocol):
    """Where the carrier's word on a number's registration goes (the registrations)."""

    def carrier_refused(self, e164: str, provider_code: str) -> None: ...


class ChannelRouter(Protocol):
    """The contact center, as the carrier webhooks see it: which numbers are its
    channels, and where a customer's stored text goes (queued for routing)."""

    def channel(self, number: BusinessNumber, phone: str) -> ChannelText | None:
        """None when ``number`` is not a channel; else the channel with what a text
        from ``phone`` needs, read at once (handed back to ``on_inbound``)."""
        ...

    def on_inbound(
        self, text: ChannelText, conversation: Conversation, message: Message
    ) -> str | None: ...


class CarrierWebhooks:
    """What carriers tell us: texts from phones, keywords, delivery statuses."""

    def __init__(
        self,
        conversations: ConversationRepository,
        repo: SmsRepository,
        log: MessageLog,
        media: SmsMedia,
        companies: CompanySettings,
        clock: Clock,
        policies: TextingPolicies,
        consents: ConsentRecords,
        channels: ChannelRouter | None = None,
        standing: NumberStanding | None = None,
        reply_max_age: timedelta = REPLY_MAX_AGE,
    ) -> None:
        self._reply_max_age = reply_max_age
        self._conversations = conversations
        self._repo = repo
        self._log = log
        self._media = media
        self._companies = companies
        self._clock = clock
        self._channels = channels
        self._policies = policies
        self._consents = consents
        self._standing = standing

    def inbound(self, text: sms.InboundSms, reply_owed: bool = False) -> str | None:
        """Store an inbound text once (the provider id is the idempotency key); act on
        STOP/START/HELP. Returns the automatic reply to send back, if any; with
        ``reply_owed`` an opt-out's or opt-in's confirmation is recorded as owed with
        the change instead (see ``receive``)."""
        return self.receive(text, reply_owed).reply

    def receive(self, text: sms.InboundSms, reply_owed: bool = False) -> Received:
        """``inbound``, also saying whether a confirmation is owed for this text
        (``send_owed_reply`` sends it, exactly once): an ordinary text owes none, so
        nothing is claimed for it."""
        correlate(provider_message_id=text.provider_message_id)
        number = self._repo.get_number(text.to)
        if number is None or number.state != "active":
            logger.info(
                "inbound to an unknown or inactive number",
                extra={"provider": text.provider, "provider_message_id": text.provider_message_id},
            )
            return Received()
        external = text.from_
        now = self._clock()
        # A channel number is not a shared line: the contact center gives the
        # conversation to the agent who takes the interaction.
        channel = self._channels.channel(number, external) if self._channels else None
        members = [] if channel else list(number.users)
        draft = Draft(
            sender=external,
            client_id=f"{text.provider}:{text.provider_message_id}",
            text=text.body,
        )
        conversation, client_seq = self._conversation(number, external, now, members, draft)
        if channel is None and sorted(conversation.members) != sorted(members):
            # a line's conversation with another line's members: the number was a channel
            # (its members were the agent, or nobody) and is a plain number again
            conversation = self._rejoin(conversation, members)
        # A provider retry finds the text stored; the keyword action below is repeated
        # (it is conditional) in case the first attempt failed before recording it. It
        # is dated by the stored text, so every attempt writes the same history keys.
        stored, created = self._log.append(
            conversation, draft, InboundSmsPolicy(self._repo, self._media, text), client_seq
        )
        at = stored.created_at or now
        reply, changed = self._keyword_action(number, external, text, at, reply_owed)
        # a retry of a text that changed consent may find its confirmation still owed
        owed = reply_owed and (changed or (not created and _changes_consent(text.body)))
        if channel is not None and self._channels and sms.keyword(text.body) is None:
            # joins or opens an interaction (queued for routing, never routed here);
            # repeated safely on a provider retry
            reply = self._channels.on_inbound(channel, conversation, stored) or reply
        return Received(reply, owed)

    def _conversation(
        self, number: BusinessNumber, external: str, now: str, members: list[str], draft: Draft
    ) -> tuple[Conversation, ClientSeq | None]:
        """The conversation of this business number with this phone: read (with the
        text's client key, in one request), and created only the first time (not a
        cancelled create transaction on every text). One this request created holds
        no client key yet; one a concurrent request created is asked again (None)."""
        conversation_id = sms_conversation_id(number.e164, external)
        existing, seq = self._conversations.get_for_send(
            conversation_id, draft.sender, draft.client_id
        )
        if existing is not None:
            return existing, ClientSeq(seq)
        conversation, made = self._conversations.create(
            Conversation(
                conversation_id=conversation_id,
                company_id=number.company_id,
                type=SMS,
                members=members,
                created_by=external,
                created_at=now,
                updated_at=now,
                business_number=number.e164,
                external_number=external,
            )
        )
        return conversation, ClientSeq(None) if made else None

    def _rejoin(self, conversation: Conversation, members: list[str]) -> Conversation:
        """The conversation's members become the number's users (a shared line's rule).
        Only when they differ, so an ordinary text writes nothing more; a change that
        keeps racing is left to the next text (the text itself is stored regardless)."""
        for _ in range(3):
            try:
                return self._conversations.replace_members(
                    conversation, list(members), conversation.name
                )
            except ConcurrentUpdate:
                fresh = self._conversations.get(conversation.conversation_id)
                if fresh is None or sorted(fresh.members) == sorted(members):
                    return fresh or conversation
                conversation = fresh
        logger.warning(
            "a conversation's members could not follow its number's users",
            extra={"conversation_id": conversation.conversation_id},
        )
        return conversation

    def _keyword_action(
        self,
        number: BusinessNumber,
        external: str,
        text: sms.InboundSms,
        now: str,
        reply_owed: bool = False,
    ) -> tuple[str | None, bool]:
        """Keywords and plain-language revocations (``chalicelib.domain.consent``):
        ``(the reply to send now, whether the opt-out changed)``.

        STOP/START (or a revocation the rules are sure of) change the opt-out once:
        a repeat changes nothing and gets no second confirmation. A text the rules are
        unsure of is flagged for a person and answered by no one. HELP gets the
        company's help text. Every reply names the business (its texting policy)."""
        word = consent.keyword(text.body)
        plain = None if word else consent.revocation(text.body)
        if word is None and plain is None:
            return None, False
        source = f"{text.provider}:{text.provider_message_id}"
        if plain == "unsure":
            self._consents.flag(number.e164, external, text.body, now, source)
            logger.info("possible opt-out flagged for a person", extra={"source": source})
            return None, False
        company = self._companies.get(number.company_id)
        name = company.name if company else ""
        policy = self._policies.get(number.company_id)
        if word == "help":
            help_text = company.help_text if company else ""
            return policy.reply("help", name, help_text, number.e164), False
        stop = word != "start"
        label = (
            consent.normalise_keyword(text.body)
            if word
            else f"plain language: {consent.matched_rule(text.body)}"
        )
        changed = self._repo.set_opt_out(
            number.e164,
            external,
            stop,
            label,
            source,
            now,
            text=text.body[:1600],
            reply_owed=reply_owed,
        )
        if not changed or reply_owed:
            return None, changed
        return policy.reply("stop" if stop else "start", name), changed

    def send_owed_reply(self, business: str, external: str, provider: SmsProvider) -> bool:
        """Send the opt-out's or opt-in's confirmation owed to ``external``, once.

        The change recorded it as owed in the same write. This claims it, sends it
        (the idempotency key names the change, so every attempt sends the same text),
        and settles it once the provider took it. A provider that certainly did not
        take it releases the claim and raises: a retry of the event sends it. A
        refusal that retrying cannot help, or an ambiguous failure (the provider may
        have sent it), settles it: never two. One owed for longer than the maximum age
        (CTIA's 5 minutes) is settled unsent and counted (``KeywordReplyExpired``).
        True when this call sent it."""
        now = self._clock()
        stale = utcnow_iso(datetime.fromisoformat(now.replace("Z", "+00:00")) - REPLY_CLAIM)
        claimed = self._repo.claim_reply(business, external, now, stale)
        if claimed is None:
            return False
        owed, opted_out, since = claimed
        if since and _age(now, since) > self._reply_max_age:
            # CTIA: within 5 minutes or not at all (a confirmation days late confuses)
            self._repo.settle_reply(business, external, owed)
            count("KeywordReplyExpired")
            logger.warning(
                "a keyword confirmation was owed too long; not sent", extra={"owed": owed}
            )
            return False
        number = self._repo.get_number(business)
        company = self._companies.get(number.company_id) if number else None
        policy = self._policies.get(number.company_id if number else "")
        body = policy.reply("stop" if opted_out else "start", company.name if company else "")
        try:
            provider.send(from_=business, to=external, body=body, idempotency_key=f"reply-{owed}")
        except sms.ProviderRetryable as trouble:
            if not trouble.ambiguous:
                self._repo.release_reply(business, external, owed)
                raise
            self._repo.settle_reply(business, external, owed)
            count("KeywordReplyUncertain")
            logger.warning("a keyword confirmation may not have been sent", extra={"owed": owed})
            return False
        except sms.ProviderRejected as refused:
            self._repo.settle_reply(business, external, owed)
            logger.warning(
                "a keyword confirmation was refused",
                extra={"owed": owed, "provider_code": refused.provider_code},
            )
            return False
        except Exception:
            self._repo.release_reply(business, external, owed)
            raise
        self._repo.settle_reply(business, external, owed)
        return True

    def recipient_refused(
        self, business: str, external: str, provider: str, provider_code: str, now: str
    ) -> None:
        """The provider says the recipient opted out (Twilio 21610) or carriers block the
        number for want of registration (30032/30034/30035): record it."""
        if provider_code == RECIPIENT_OPTED_OUT:
            self._repo.set_opt_out(
                business, external, True, provider_code, f"{provider}:{provider_code}", now
            )
        elif provider_code in UNREGISTERED_ERRORS and self._standing is not None:
            self._standing.carrier_refused(business, provider_code)

    def status(self, update: sms.StatusUpdate, message_id: str | None = None) -> bool:
        """Move a text's status forward. ``message_id`` (our id, carried in the signed
        callback URL) finds a text whose provider id is not recorded yet: a callback
        may arrive before the sender has written it down."""
        found = self._repo.find_provider_message(update.provider, update.provider_message_id)
        # End User Messaging echoes the send's Context: our message id rides in it
        message_id = message_id or update.context.get("idempotency_key")
        if found is None and message_id:
            found = self._own_text(update, message_id)
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
        if update.error_code and (update.to and update.from_):
            self.recipient_refused(
                update.from_, update.to, update.provider, update.error_code, self._clock()
            )
        moved = self._repo.advance_status(
            conversation_id, seq, update.status, error_code=update.error_code
        )
        if moved and sms.is_final(update.status):  # once per text: finals never move again
            count("SmsFinalStatus", provider=update.provider, status=update.status)
        return moved

    def _own_text(self, update: sms.StatusUpdate, message_id: str) -> tuple[str, int] | None:
        """Our outbound text named in the callback URL, if the provider's id is (or may
        become) its id; then the provider's id is recorded, as the sender would."""
        conversation_id, _, _ = message_id.rpartition(".")
        seq = parse_message_id(conversation_id, message_id)
        message = self._conversations.get_message(conversation_id, seq) if seq else None
        if (
            message is None
            or message.channel != SMS
            or message.direction != "outbound"
            or message.provider_message_id not in ("", update.provider_message_id)
        ):
            return None
        self._repo.map_provider_message(
            update.provider, update.provider_message_id, conversation_id, message.seq
        )
        self._repo.set_provider_id(conversation_id, message.seq, update.provider_message_id)
        return conversation_id, message.seq


def _changes_consent(body: str) -> bool:
    """A STOP/START keyword, or a revocation the rules are sure of."""
    word = consent.keyword(body)
    return word in ("stop", "start") or (word is None and consent.revocation(body) == "sure")


def _age(now: str, since: str) -> timedelta:
    def parsed(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return parsed(now) - parsed(since)
