"""Company administration: business numbers and who texts from them, profile
policies, per-user and company-wide switches. Admins act on their own company only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain import phone
from chalicelib.domain.errors import (
    ConcurrentUpdate,
    Forbidden,
    NotFound,
    ValidationError,
)
from chalicelib.domain.model import BusinessNumber, Company, Policy, User
from chalicelib.services.commands import Changes
from chalicelib.services.common import Caller, IdFactory
from chalicelib.services.company import CompanySettings
from chalicelib.services.ports import ConversationRepository, DirectoryRepository
from chalicelib.services.sms.ports import SmsRepository

NUMBER_TYPES = ("local", "mobile", "toll_free", "virtual", "temporary_port_in")
PROVIDERS = ("twilio", "eum")
STATES = ("active", "inactive")
CAPABILITIES = ("sms", "mms")
MAX_HELP_TEXT = 320

if TYPE_CHECKING:  # the texting policies import the SMS services, which import this
    from chalicelib.services.compliance.policy import TextingPolicies


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code="invalid_request")
    return value


class AdminService:
    """A company admin's switches, numbers, assignments and SMS policies."""

    def __init__(
        self,
        directory: DirectoryRepository,
        conversations: ConversationRepository,
        sms: SmsRepository,
        companies: CompanySettings,
        ids: IdFactory,
        texting: TextingPolicies | None = None,
    ) -> None:
        self._texting = texting  # checks the HELP reply against CTIA's rules
        self._directory = directory
        self._conversations = conversations
        self._sms = sms
        self._companies = companies
        self._ids = ids

    @staticmethod
    def require_admin(caller: Caller) -> None:
        if not caller.is_admin:
            raise Forbidden("this needs a company admin", code="admin_only")

    def _company(self, caller: Caller) -> Company:
        company = self._directory.get_company(caller.company_id)
        if company is None:
            raise NotFound("no such company", code="not_found")
        return company

    def _co_worker(self, caller: Caller, user_id: str) -> User:
        user = self._directory.get_user(user_id)
        if user is None or user.company_id != caller.company_id:
            raise NotFound(f"no user {user_id} in your company", code="user_not_found")
        return user

    def _own_number(self, caller: Caller, raw: str) -> BusinessNumber:
        number = self._sms.get_number(phone.normalise(raw))
        if number is None or number.company_id != caller.company_id:
            raise NotFound("no such number in your company", code="number_not_found")
        return number

    # -- company ----------------------------------------------------------

    def company(self, caller: Caller) -> dict[str, Any]:
        self.require_admin(caller)
        return self._company(caller).to_dict()

    def update_company(self, caller: Caller, changes: Changes) -> dict[str, Any]:
        body = changes.values
        self.require_admin(caller)
        unknown = set(body) - {"sms_enabled", "im_enabled", "help_text"}
        if unknown or not body:
            raise ValidationError(
                "give sms_enabled, im_enabled and/or help_text", code="invalid_request"
            )
        company = self._company(caller)
        if "sms_enabled" in body:
            company.sms_enabled = _flag(body["sms_enabled"], "sms_enabled")
        if "im_enabled" in body:
            company.im_enabled = _flag(body["im_enabled"], "im_enabled")
        if "help_text" in body:
            text = body["help_text"]
            if not isinstance(text, str) or len(text) > MAX_HELP_TEXT:
                raise ValidationError(
                    f"help_text is text of at most {MAX_HELP_TEXT} characters",
                    code="invalid_help_text",
                )
            if self._texting is not None:
                self._texting.check_help_text(company, text)
            company.help_text = text.strip()
        self._directory.put_company(company)
        self._companies.forget(company.company_id)  # this container sees it at once
        return company.to_dict()

    # -- numbers ----------------------------------------------------------

    def numbers(self, caller: Caller) -> list[dict[str, Any]]:
        self.require_admin(caller)
        return [n.to_dict() for n in self._sms.numbers_of_company(caller.company_id)]

    def put_number(self, caller: Caller, raw: str, changes: Changes) -> dict[str, Any]:
        """Change a number the company owns: its type, capabilities, provider, state."""
        body = changes.values
        self.require_admin(caller)
        e164 = phone.normalise(raw)
        number = self._sms.get_number(e164)
        if number is None or number.company_id != caller.company_id:
            # numbers are provisioned by the operator (infra/admin.py); an admin manages
            # their company's own, and learns nothing about anyone else's
            raise NotFound("no such number in your company", code="number_not_found")
        checks = (("type", NUMBER_TYPES), ("provider", PROVIDERS), ("state", STATES))
        for field_name, allowed in checks:
            if field_name in body:
                if not isinstance(body[field_name], str) or body[field_name] not in allowed:
                    raise ValidationError(
                        f"{field_name} must be one of {', '.join(allowed)}",
                        code=f"invalid_{field_name}",
                    )
                setattr(number, field_name, body[field_name])
        if "capabilities" in body:
            caps = body["capabilities"]
            if not isinstance(caps, list) or not all(
                isinstance(c, str) and c in CAPABILITIES for c in caps
            ):
                raise ValidationError(
                    "capabilities is a list of sms, mms", code="invalid_capabilities"
                )
            number.capabilities = list(dict.fromkeys(caps))
        number.country = phone_country(e164)
        self._sms.put_number(number)
        return number.to_dict()

    def assign(self, caller: Caller, raw: str, user_id: str) -> dict[str, Any]:
        self.require_admin(caller)
        number = self._own_number(caller, raw)
        user = self._co_worker(caller, user_id)
        if user_id not in number.users:
            number.users.append(user_id)
            self._sms.put_number(number)
        if number.e164 not in user.numbers:
            user.numbers.append(number.e164)
            self._directory.put_user(user)
        self._sync_members(number)
        return number.to_dict()

    def unassign(self, caller: Caller, raw: str, user_id: str) -> dict[str, Any]:
        self.require_admin(caller)
        number = self._own_number(caller, raw)
        user = self._co_worker(caller, user_id)
        if user_id in number.users:
            number.users.remove(user_id)
            self._sms.put_number(number)
        if number.e164 in user.numbers:
            user.numbers.remove(number.e164)
            self._directory.put_user(user)
        self._sync_members(number)
        return number.to_dict()

    def _sync_members(self, number: BusinessNumber) -> None:
        """Everyone on a line sees its conversations: new members join, removed ones leave."""
        for conversation_id in self._sms.conversations_of_number(number.e164):
            for _ in range(5):
                conversation = self._conversations.get(conversation_id)
                if conversation is None or sorted(conversation.members) == sorted(number.users):
                    break
                try:
                    self._conversations.replace_members(
                        conversation, list(number.users), conversation.name
                    )
                    break
                except ConcurrentUpdate:
                    continue

    # -- users and policies ------------------------------------------------

    def update_user(self, caller: Caller, user_id: str, changes: Changes) -> dict[str, Any]:
        body = changes.values
        self.require_admin(caller)
        unknown = set(body) - {"sms_enabled", "policy_id", "license_type"}
        if unknown or not body:
            raise ValidationError(
                "give sms_enabled, policy_id and/or license_type", code="invalid_request"
            )
        user = self._co_worker(caller, user_id)
        if "sms_enabled" in body:
            user.sms_enabled = _flag(body["sms_enabled"], "sms_enabled")
        if "policy_id" in body:
            policy_id = body["policy_id"]
            if policy_id is not None and (
                not isinstance(policy_id, str)
                or self._sms.get_policy(caller.company_id, policy_id) is None
            ):
                raise NotFound("no such policy in your company", code="policy_not_found")
            user.policy_id = policy_id or ""
        if "license_type" in body:
            if not isinstance(body["license_type"], str) or not body["license_type"].strip():
                raise ValidationError("license_type must be text", code="invalid_license_type")
            user.license_type = body["license_type"].strip().lower()
        self._directory.put_user(user)
        return user.to_dict()

    def policies(self, caller: Caller) -> list[dict[str, Any]]:
        self.require_admin(caller)
        return [p.to_dict() for p in self._sms.policies(caller.company_id)]

    def put_policy(self, caller: Caller, policy_id: str | None, changes: Changes) -> dict[str, Any]:
        body = changes.values
        self.require_admin(caller)
        existing = self._sms.get_policy(caller.company_id, policy_id) if policy_id else None
        if policy_id and existing is None:
            raise NotFound("no such policy in your company", code="policy_not_found")
        name = body.get("name", existing.name if existing else None)
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise ValidationError(
                "name is required: text of at most 100 characters", code="invalid_name"
            )
        policy = Policy(
            policy_id=existing.policy_id if existing else self._ids("p"),
            company_id=caller.company_id,
            name=name.strip(),
            sms_enabled=_flag(
                body.get("sms_enabled", existing.sms_enabled if existing else True), "sms_enabled"
            ),
        )
        self._sms.put_policy(policy)
        return policy.to_dict()


def phone_country(e164: str) -> str:
    from chalicelib.domain.sms import classify_destination

    return classify_destination(e164).country or ""
