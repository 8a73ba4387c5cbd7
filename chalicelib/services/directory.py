"""Use cases for the company directory and a user's personal contacts."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import phone
from chalicelib.domain.contacts import MAX_PHONES, Contact, Phone, fold, number_prefix
from chalicelib.domain.errors import NotFound, Unauthorized, ValidationError
from chalicelib.domain.model import Page, User
from chalicelib.services.commands import ContactInput, PhoneInput
from chalicelib.services.common import Caller, Clock, IdFactory
from chalicelib.services.ports import ContactRepository, DirectoryRepository
from chalicelib.services.presence import PresenceService

MAX_CONTACT_NAME = 200


class DirectoryService:
    """Who the caller is, who their co-workers are, and their personal contacts."""

    def __init__(
        self,
        directory: DirectoryRepository,
        contacts: ContactRepository,
        clock: Clock,
        ids: IdFactory,
        presence: PresenceService,
    ) -> None:
        self._directory = directory
        self._contacts = contacts
        self._clock = clock
        self._ids = ids
        self._presence = presence

    def user(self, user_id: str) -> User:
        user = self._directory.get_user(user_id)
        if user is None:
            raise NotFound("no such user", code="user_not_found")
        return user

    def active_user(self, user_id: str) -> User:
        """A signed-in person's profile, refused when an admin has disabled them."""
        user = self.user(user_id)
        if not user.enabled:
            raise Unauthorized("this account is disabled", code="account_disabled")
        return user

    def me(self, caller: Caller) -> dict[str, Any]:
        user = self.user(caller.user_id)
        company = self._directory.get_company(user.company_id)
        body = self._presence.entry(user)
        body["company"] = company.to_dict() if company else None
        return body

    def co_worker(self, caller: Caller, user_id: str) -> dict[str, Any]:
        user = self._directory.get_user(user_id)
        if user is None or user.company_id != caller.company_id:
            raise NotFound(f"no user {user_id} in your company", code="user_not_found")
        return self._presence.entry(user)

    def list_directory(
        self, caller: Caller, limit: int, cursor: str | None
    ) -> Page[dict[str, Any]]:
        page = self._directory.list_users(caller.company_id, limit, cursor)
        return Page(self._presence.entries(list(page.items)), page.next_cursor)

    # -- personal contacts -------------------------------------------------

    def _region(self, caller: Caller) -> str:
        company = self._directory.get_company(caller.company_id)
        return company.default_region if company else "US"

    @staticmethod
    def _name(raw: str | None) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationError("name is required and must be text", code="invalid_name")
        name = raw.strip()
        if len(name) > MAX_CONTACT_NAME:
            raise ValidationError(
                f"name is longer than {MAX_CONTACT_NAME} characters", code="invalid_name"
            )
        return name

    def _phones(self, caller: Caller, given: tuple[PhoneInput, ...]) -> list[Phone]:
        """Each number normalised (as typed, in the company's region) and once."""
        if not 1 <= len(given) <= MAX_PHONES:
            raise ValidationError(f"give 1 to {MAX_PHONES} numbers", code="invalid_phones")
        region = self._region(caller)
        phones: list[Phone] = []
        for entry in given:
            try:
                number = phone.normalise(entry.number, region)
            except ValidationError as error:
                raise ValidationError(error.message, code="invalid_phones") from None
            if any(p.number == number for p in phones):
                raise ValidationError(f"{number} is given twice", code="invalid_phones")
            phones.append(Phone(number, (entry.label or "").strip()))
        return phones

    def create_contact(self, caller: Caller, command: ContactInput) -> Contact:
        clean_name = self._name(command.name)
        if command.phones is not None:
            phones = self._phones(caller, command.phones)
        else:
            phones = [Phone(phone.normalise(command.phone, self._region(caller)))]
        now = self._clock()
        contact = Contact(
            contact_id=self._ids("k"),
            owner_id=caller.user_id,
            company_id=caller.company_id,
            name=clean_name,
            phones=phones,
            created_at=now,
            updated_at=now,
            email=(command.email or "").strip(),
            company=(command.company or "").strip(),
        )
        self._contacts.put_contact(contact)
        return contact

    def get_contact(self, caller: Caller, contact_id: str) -> Contact:
        contact = self._contacts.get_contact(caller.user_id, contact_id)
        if contact is None:
            raise NotFound("no such contact", code="contact_not_found")
        return contact

    def update_contact(self, caller: Caller, contact_id: str, command: ContactInput) -> Contact:
        """Only what is given changes: ``phone`` the first number (its label kept),
        ``phones`` all of them; an empty ``email``/``company`` clears it."""
        given = (command.name, command.phone, command.phones, command.email, command.company)
        if all(v is None for v in given):
            raise ValidationError("give a field to change", code="invalid_request")
        contact = self.get_contact(caller, contact_id)
        if command.name is not None:
            contact.name = self._name(command.name)
        if command.phones is not None:
            contact.phones = self._phones(caller, command.phones)
        elif command.phone is not None:
            first = Phone(phone.normalise(command.phone, self._region(caller)))
            rest = [p for p in contact.phones[1:] if p.number != first.number]
            label = contact.phones[0].label if contact.phones else ""
            contact.phones = [Phone(first.number, label), *rest]
        if command.email is not None:
            contact.email = command.email.strip()
        if command.company is not None:
            contact.company = command.company.strip()
        contact.updated_at = self._clock()
        self._contacts.put_contact(contact)
        return contact

    def delete_contact(self, caller: Caller, contact_id: str) -> None:
        if not self._contacts.delete_contact(caller.user_id, contact_id):
            raise NotFound("no such contact", code="contact_not_found")

    def list_contacts(
        self, caller: Caller, limit: int, cursor: str | None, query: str | None = None
    ) -> Page[Contact]:
        """Every contact; with ``query``, suggestions: a number prefix when it has two or
        more digits and no letters, else a name prefix."""
        if query is None or not query.strip():
            return self._contacts.list_contacts(caller.user_id, limit, cursor)
        prefix = number_prefix(query, self._region(caller))
        if prefix is not None:
            return self._contacts.suggest_by_number(caller.user_id, prefix, limit, cursor)
        return self._contacts.suggest_by_name(caller.user_id, fold(query), limit, cursor)
