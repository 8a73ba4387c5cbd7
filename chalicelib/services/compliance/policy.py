"""A company's texting policy and its customers' consent records."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.domain import reply_rules
from chalicelib.domain.compliance import (
    MAX_REPLY,
    TOLL_FREE_RULES,
    Consent,
    ConsentChange,
    TextingPolicy,
)
from chalicelib.domain.errors import ConcurrentUpdate, Forbidden, NotFound, ValidationError
from chalicelib.domain.model import SMS, Company
from chalicelib.services.commands import Changes
from chalicelib.services.common import Caller, Clock
from chalicelib.services.company import CompanySettings
from chalicelib.services.compliance.ports import ComplianceRepository
from chalicelib.services.ports import ConversationRepository

if TYPE_CHECKING:  # the SMS services import this module (no import cycle at run time)
    from chalicelib.services.sms.ports import SmsRepository

CACHE_SECONDS = 60.0
MAX_OPT_IN_TEXT = 500
HISTORY_PAGE = 20  # consent history entries on one page (an admin asks for more by cursor)
CONSENT_ATTEMPTS = 5  # a consent write that keeps losing races gives up: 409


class TextingPolicies:
    """Each company's policy (the defaults until an admin changes it), cached per
    container for a minute like the company's switches: it is read on every send."""

    def __init__(
        self,
        repo: ComplianceRepository,
        ttl: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        companies: CompanySettings | None = None,
    ) -> None:
        self._repo = repo
        self._companies = companies
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, TextingPolicy]] = {}

    def get(self, company_id: str) -> TextingPolicy:
        now = self._monotonic()
        cached = self._cache.get(company_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        policy = self._repo.get_texting_policy(company_id) or TextingPolicy(company_id)
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[company_id] = (now, policy)
        return policy

    def quiet_hours(self, company_id: str) -> bool:
        """Whether the company holds automated texts to 8am-8pm in the recipient's time."""
        return self.get(company_id).quiet_hours

    def show(self, caller: Caller) -> dict[str, Any]:
        _admin(caller)
        return self.get(caller.company_id).to_dict()

    def update(self, caller: Caller, changes: Changes) -> dict[str, Any]:
        """An admin's change: the new policy is built on a consistent read of the stored
        one (never this container's cached copy) and checked whole (CTIA's rules for the
        replies included) before it is stored, only over the version it was read at:
        409 ``texting_policy_changed`` when another admin's change landed in between.
        A refusal changes nothing, not even this container's cache."""
        _admin(caller)
        body = changes.values
        new: dict[str, Any] = {}
        for name in ("sender_name", "stop_reply", "start_reply"):
            if name in body:
                value = str(body[name]).strip()
                if len(value) > MAX_REPLY:
                    raise ValidationError(
                        f"{name} is at most {MAX_REPLY} characters", code=f"invalid_{name}"
                    )
                new[name] = value
        if "quiet_hours" in body:
            new["quiet_hours"] = bool(body["quiet_hours"])
        if "toll_free" in body:
            if body["toll_free"] not in TOLL_FREE_RULES:
                raise ValidationError(
                    f"toll_free is one of {', '.join(TOLL_FREE_RULES)}", code="invalid_toll_free"
                )
            new["toll_free"] = str(body["toll_free"])
        if "number_countries" in body:
            raw = body["number_countries"]
            countries = [str(c).strip().upper() for c in raw] if isinstance(raw, list) else []
            if not countries or not all(len(c) == 2 and c.isalpha() for c in countries):
                raise ValidationError(
                    "number_countries lists ISO country codes such as US, CA",
                    code="invalid_number_countries",
                )
            new["number_countries"] = list(dict.fromkeys(countries))
        # read past the cache, consistently: a change is never laid over a stale copy
        stored = self._repo.get_texting_policy(caller.company_id, consistent=True)
        policy = dataclasses.replace(stored or TextingPolicy(caller.company_id), **new)
        for name in ("stop_reply", "start_reply"):
            text = getattr(policy, name)
            if text and (name in new or "sender_name" in new):
                found = reply_rules.problems(name.removesuffix("_reply"), text, self._names(policy))
                if found:
                    raise ValidationError(reply_rules.explain(name, found), code=f"invalid_{name}")
        if not self._repo.put_texting_policy(policy):  # another admin's change came first
            raise ConcurrentUpdate(
                "the texting policy was changed meanwhile; read it again and retry",
                code="texting_policy_changed",
            )
        self._cache.pop(caller.company_id, None)
        return policy.to_dict()

    def check_help_text(self, company: Company, text: str) -> None:
        """A company's HELP reply (``PATCH /admin/company`` ``help_text``; empty: the
        default) must name the business and say how to reach it: 400 otherwise."""
        if not text.strip():
            return
        policy = self.get(company.company_id)
        names = [policy.sender_name, company.name]
        found = reply_rules.problems("help", text, names)
        if found:
            raise ValidationError(reply_rules.explain("help_text", found), code="invalid_help_text")

    def _names(self, policy: TextingPolicy) -> list[str]:
        """The names that count as the business's in its replies."""
        company = self._companies.get(policy.company_id) if self._companies else None
        return [policy.sender_name, company.name if company else ""]


def _admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("this needs a company admin", code="admin_only")


class ConsentRecords:
    """How each customer opted in, and the texts a person should read because they may
    revoke consent (``chalicelib.domain.consent``: the rules were not sure)."""

    def __init__(
        self,
        repo: ComplianceRepository,
        sms: SmsRepository,
        conversations: ConversationRepository,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._sms = sms
        self._conversations = conversations
        self._clock = clock

    def flag(self, business: str, external: str, text: str, at: str, source: str) -> None:
        """Flag a text for a person. ``source`` (the provider's id of the text) and
        ``at`` (when it was stored: the same on every attempt) key its history entry, so
        a provider's retry flags nothing again, not even after a person cleared it."""

        def flagged(consent: Consent) -> ConsentChange:
            consent.review_text, consent.review_at, consent.review_source = text[:1600], at, source
            return ConsentChange("flagged", at, source, text[:1600])

        self._write(business, external, flagged)

    def record_opt_in(self, caller: Caller, business: str, external: str, how: str) -> None:
        """When a person starts a conversation: how the customer agreed to be texted."""
        how = how.strip()
        if not how:
            return
        self._write(business, external, self._opted_in_how(caller, how, self._clock()))

    def _opted_in_how(
        self, caller: Caller, how: str, now: str
    ) -> Callable[[Consent], ConsentChange]:
        def recorded(consent: Consent) -> ConsentChange:
            consent.opted_in_how = how[:MAX_OPT_IN_TEXT]
            consent.recorded_by, consent.recorded_at = caller.user_id, now
            return ConsentChange("opted_in_how", now, caller.user_id, consent.opted_in_how)

        return recorded

    def _write(
        self, business: str, external: str, change: Callable[[Consent], ConsentChange | None]
    ) -> None:
        """Read the record, apply ``change``, write it over the version read; a write
        that lost a race (a flag beside a person's change) reads again and applies the
        change again, so neither is lost."""
        for _ in range(CONSENT_ATTEMPTS):
            consent = self._repo.get_consent(business, external) or Consent(business, external)
            entry = change(consent)
            if entry is None:
                return
            try:
                self._repo.put_consent(consent, entry)  # False: this very change, written before
                return
            except ConcurrentUpdate:
                continue
        raise ConcurrentUpdate("the consent record keeps changing; retry")

    def _pair(self, caller: Caller, conversation_id: str) -> tuple[str, str]:
        conversation = self._conversations.get(conversation_id)
        if (
            conversation is None
            or conversation.company_id != caller.company_id
            or conversation.type != SMS
            or (caller.user_id not in conversation.members and not caller.is_admin)
        ):
            raise NotFound("no such SMS conversation", code="conversation_not_found")
        return conversation.business_number, conversation.external_number

    def show(
        self,
        caller: Caller,
        conversation_id: str,
        limit: int = HISTORY_PAGE,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """The consent record; for an admin also its history, newest first, a page at
        a time (``history`` and ``history_next_cursor``)."""
        business, external = self._pair(caller, conversation_id)
        consent = self._repo.get_consent(business, external) or Consent(business, external)
        view = consent.to_dict(self._sms.opted_out(business, external))
        if caller.is_admin:
            page = self._repo.consent_history(business, external, limit, cursor)
            view["history"], view["history_next_cursor"] = page.items, page.next_cursor
        return view

    def update(self, caller: Caller, conversation_id: str, changes: Changes) -> dict[str, Any]:
        """Record how the customer opted in, and/or mark a flagged text as read (each a
        history entry, written with the record)."""
        business, external = self._pair(caller, conversation_id)
        body = changes.values
        now = self._clock()
        if body.get("opted_in_how") is not None:
            how = str(body["opted_in_how"]).strip()
            self._write(business, external, self._opted_in_how(caller, how, now))
        if body.get("review_done") is True:
            seen: list[str] = []  # the flag this person cleared, as first read

            def cleared(consent: Consent) -> ConsentChange | None:
                if not consent.review_at:
                    return None
                if seen and seen[0] != consent.review_source:
                    return None  # a newer flag arrived meanwhile: nobody has read that one
                seen[:] = [consent.review_source]
                read = consent.review_text
                consent.review_text = consent.review_at = consent.review_source = ""
                return ConsentChange("review_done", now, caller.user_id, read)

            self._write(business, external, cleared)
        return self.show(caller, conversation_id)
