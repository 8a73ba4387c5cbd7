"""In-memory SMS repository and provider registry."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import (
    BusinessNumber,
    Policy,
    User,
)
from chalicelib.domain.sms import ProviderSend, is_final, status_advances
from tests.fakes.conversations import MemoryConversationRepository


class MemorySmsRepository:
    def __init__(self, conversations: MemoryConversationRepository) -> None:
        self.numbers: dict[str, BusinessNumber] = {}
        self.opt_outs: dict[tuple[str, str], bool] = {}
        # (business, external) -> (the change that owes a confirmation, claimed at)
        self.owed_replies: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.audit: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.provider_ids: dict[tuple[str, str], tuple[str, int]] = {}
        self.rates: dict[tuple[str, int], int] = {}
        self.policy_store: dict[tuple[str, str], Policy] = {}
        self.pace: dict[str, float] = {}
        self.booked: dict[tuple[str, str], float] = {}  # (number, text id) -> slot
        self.usage_rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._conversations = conversations

    def get_number(self, e164: str) -> BusinessNumber | None:
        return copy.deepcopy(self.numbers.get(e164))

    def put_number(self, number: BusinessNumber) -> None:
        self.numbers[number.e164] = copy.deepcopy(number)

    def set_number_registration(
        self,
        e164: str,
        company_id: str,
        status: str,
        reason: str,
        registration_id: str | None = None,
        kind: str | None = None,
        kind_if_unset: bool = False,
    ) -> BusinessNumber | None:
        number = self.numbers.get(e164)
        if number is None or number.company_id != company_id:
            return None
        number.registration_status, number.registration_reason = status, reason
        if registration_id is not None:
            number.registration_id = registration_id
        if kind is not None and not (kind_if_unset and number.registration):
            number.registration = kind
        return copy.deepcopy(number)

    def numbers_of_company(self, company_id: str) -> list[BusinessNumber]:
        return [
            copy.deepcopy(n)
            for n in sorted(self.numbers.values(), key=lambda n: n.e164)
            if n.company_id == company_id
        ]

    def conversations_of_number(self, e164: str) -> list[str]:
        return [
            c.conversation_id
            for c in self._conversations.conversations.values()
            if c.business_number == e164
        ]

    def put_policy(self, policy: Policy) -> None:
        self.policy_store[(policy.company_id, policy.policy_id)] = copy.deepcopy(policy)

    def get_policy(self, company_id: str, policy_id: str) -> Policy | None:
        return copy.deepcopy(self.policy_store.get((company_id, policy_id)))

    def policies(self, company_id: str) -> list[Policy]:
        return [
            copy.deepcopy(p)
            for (cid, _), p in sorted(self.policy_store.items())
            if cid == company_id
        ]

    def numbers_of(self, user: User) -> list[BusinessNumber]:
        return [copy.deepcopy(self.numbers[n]) for n in user.numbers if n in self.numbers]

    def opted_out(self, business: str, external: str) -> bool:
        return self.opt_outs.get((business, external), False)

    def set_opt_out(
        self,
        business: str,
        external: str,
        opted_out: bool,
        keyword: str,
        source: str,
        at: str,
        text: str = "",
        reply_owed: bool = False,
    ) -> bool:
        if self.opted_out(business, external) == opted_out:
            return False
        self.opt_outs[(business, external)] = opted_out
        if reply_owed:
            self.owed_replies[(business, external)] = (source, "", at)
        else:
            self.owed_replies.pop((business, external), None)
        self.audit.setdefault((business, external), []).append(
            {"opted_out": opted_out, "keyword": keyword, "at": at, "source": source, "text": text}
        )
        return True

    def claim_reply(
        self, business: str, external: str, now: str, stale_before: str
    ) -> tuple[str, bool, str] | None:
        owed = self.owed_replies.get((business, external))
        if owed is None:
            return None
        if owed[1] and owed[1] >= stale_before:
            raise ConcurrentUpdate("another attempt is sending this confirmation")
        self.owed_replies[(business, external)] = (owed[0], now, owed[2])
        return owed[0], self.opted_out(business, external), owed[2]

    def settle_reply(self, business: str, external: str, owed: str) -> None:
        if self.owed_replies.get((business, external), ("", "", ""))[0] == owed:
            del self.owed_replies[(business, external)]

    def release_reply(self, business: str, external: str, owed: str) -> None:
        current = self.owed_replies.get((business, external), ("", "", ""))
        if current[0] == owed:
            self.owed_replies[(business, external)] = (owed, "", current[2])

    def opt_out_history(self, business: str, external: str) -> list[dict[str, Any]]:
        # in the time order of the changes, not of their arrival (as the real table sorts)
        entries = self.audit.get((business, external), [])
        return [dict(e) for e in sorted(entries, key=lambda e: (e["at"], e["source"]))]

    def map_provider_message(
        self, provider: str, provider_id: str, conversation_id: str, seq: int
    ) -> None:
        self.provider_ids[(provider, provider_id)] = (conversation_id, seq)

    def find_provider_message(self, provider: str, provider_id: str) -> tuple[str, int] | None:
        return self.provider_ids.get((provider, provider_id))

    def take_rate(self, key: str, window: int, limit: int) -> bool:
        count = self.rates.get((key, window), 0)
        if count >= limit:
            return False
        self.rates[(key, window)] = count + 1
        return True

    def add_usage(
        self, company_id: str, user_id: str | None, day: str, direction: str, segments: int
    ) -> None:
        for scope in ["company"] + ([user_id] if user_id else []):
            row = self.usage_rows.setdefault(
                (company_id, day, scope),
                {
                    "day": day,
                    "scope": scope,
                    "outbound": {"messages": 0, "segments": 0},
                    "inbound": {"messages": 0, "segments": 0},
                },
            )
            row[direction]["messages"] += 1
            row[direction]["segments"] += segments

    def usage(self, company_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        # per day, the company's row first, then one per user in id order
        return [
            copy.deepcopy(row)
            for (cid, day, scope), row in sorted(
                self.usage_rows.items(), key=lambda kv: (kv[0][1], kv[0][2] != "company", kv[0][2])
            )
            if cid == company_id and first_day <= day <= last_day
        ]

    def claim_send(self, conversation_id: str, seq: int) -> bool:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is None or message.status != "queued" or message.deleted:
            return False
        message.status = "sending"
        return True

    def release_send(self, conversation_id: str, seq: int) -> None:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is not None and message.status == "sending" and not message.provider_message_id:
            message.status = "queued"

    def set_provider_id(self, conversation_id: str, seq: int, provider_message_id: str) -> None:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is not None:
            message.provider_message_id = provider_message_id

    def take_pace(
        self, e164: str, cost_seconds: float, now: float, max_wait: float, key: str | None = None
    ) -> float:
        if key is not None and (e164, key) in self.booked:
            return self.booked[e164, key] - now
        slot = max(now, self.pace.get(e164, 0.0))
        if slot - now > max_wait and key is None:
            return slot - now
        self.pace[e164] = slot + cost_seconds
        if key is not None:
            self.booked[e164, key] = slot
        return slot - now

    def stale_pending(self, before: str, limit: int) -> list[tuple[str, int]]:
        return [
            (m.conversation_id, m.seq)
            for m in self._conversations.messages.values()
            if m.channel == "sms"
            and m.direction == "outbound"
            and not is_final(m.status)
            and m.created_at < before
        ][:limit]

    def advance_status(
        self,
        conversation_id: str,
        seq: int,
        status: str,
        provider_message_id: str | None = None,
        error_code: str | None = None,
    ) -> bool:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is None or not status_advances(message.status, status):
            return False  # backwards, repeated, or not a status of the pipeline
        message.status = status
        if provider_message_id:
            message.provider_message_id = provider_message_id
        if error_code:
            message.error_code = error_code
        return True


class MemoryProviders:
    """A fake carrier: records sends; ``fail_with`` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail_with: list[Exception] = []
        self.sent_by_key: dict[str, str] = {}

    def send(
        self,
        from_: str,
        to: str,
        body: str,
        idempotency_key: str,
        media_urls: Sequence[str] = (),
    ) -> ProviderSend:
        if self.fail_with:
            raise self.fail_with.pop(0)
        if idempotency_key not in self.sent_by_key:  # the provider's own idempotency
            self.sent_by_key[idempotency_key] = f"SM{len(self.sent_by_key):032d}"
            self.sent.append(
                {
                    "from": from_,
                    "to": to,
                    "body": body,
                    "key": idempotency_key,
                    "media_urls": list(media_urls),
                }
            )
        return ProviderSend(self.sent_by_key[idempotency_key], "queued")
