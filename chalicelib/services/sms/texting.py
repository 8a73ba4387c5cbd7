"""Who may text, from which number, to where; starting SMS conversations; preview; usage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from chalicelib.domain import phone, sms
from chalicelib.domain.errors import FeatureDisabled, Forbidden, NotFound, ValidationError
from chalicelib.domain.model import SMS, BusinessNumber, Conversation, User, sms_conversation_id
from chalicelib.services.common import Caller, Clock
from chalicelib.services.company import CompanySettings
from chalicelib.services.compliance.policy import ConsentRecords, TextingPolicies
from chalicelib.services.ports import (
    ConversationRepository,
    DirectoryRepository,
)
from chalicelib.services.sms.ports import SmsProvider, SmsRepository
from chalicelib.settings import Settings

# Licence types that include SMS unless the operator says otherwise.
SMS_LICENSES = ("unlimited", "global", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "express")
Providers = Callable[[str], SmsProvider]


class SmsService:
    """The rules of who may text whom, from which business number."""

    def __init__(
        self,
        directory: DirectoryRepository,
        conversations: ConversationRepository,
        repo: SmsRepository,
        companies: CompanySettings,
        settings: Settings,
        clock: Clock,
        policies: TextingPolicies | None = None,
        consents: ConsentRecords | None = None,
    ) -> None:
        self._policies = policies
        self._consents = consents
        self._directory = directory
        self._repos = conversations
        self._repo = repo
        self._companies = companies
        self._settings = settings
        self._clock = clock

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
        company = self._companies.get(caller.company_id)
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
            if n.sms_capable
            and n.company_id == caller.company_id
            and caller.user_id in n.users
            and self._policy_allows(n)
        ]
        if not numbers:
            raise Forbidden("you have no SMS-capable number", code="no_sms_number")
        return numbers

    def _policy_allows(self, number: BusinessNumber) -> bool:
        """The company's seed rules: which countries' numbers text, and toll-free."""
        if self._policies is None:
            return True
        return self._policies.get(number.company_id).number_may_text(number.country, number.type)

    def preview(self, caller: Caller, text: str, to: str | None = None) -> dict[str, Any]:
        if not isinstance(text, str):
            raise ValidationError("text is required and must be a string", code="invalid_text")
        info = sms.segments(text)
        country = "US"
        if to is not None:
            country = (
                sms.classify_destination(
                    phone.normalise(to, self._companies.region(caller.company_id))
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

    def start(
        self, caller: Caller, to: str, from_: str | None = None, consent: str | None = None
    ) -> tuple[Conversation, bool]:
        """Get-or-create the conversation between one of the caller's numbers and ``to``;
        ``consent`` records how the customer opted in (shown to the next person)."""
        if isinstance(to, list):
            raise ValidationError(
                "group SMS is not supported: text one number at a time",
                code="group_sms_unsupported",
            )
        numbers = self.sending_numbers(caller)  # who may text comes first (api.md)
        if isinstance(to, str) and sms.is_short_code(to):
            raise ValidationError("texting short codes is not allowed", code="short_code")
        external = phone.normalise(to, self._companies.region(caller.company_id))
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
        if consent and self._consents is not None:
            self._consents.record_opt_in(caller, business.e164, external, consent)
        return self._repos.create(conversation)

    def _choose_number(
        self, caller: Caller, numbers: list[BusinessNumber], from_: str | None, external: str
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
        existing = self._repos.get_many(sms_conversation_id(n.e164, external) for n in numbers)
        if existing:
            latest = max(existing.values(), key=lambda c: c.updated_at or c.created_at)
            return next(n for n in numbers if n.e164 == latest.business_number)
        user = self._user(caller)
        default = next((n for n in numbers if user.numbers and n.e164 == user.numbers[0]), None)
        return default or numbers[0]

    def usage(self, caller: Caller, first_day: str, last_day: str) -> dict[str, Any]:
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
