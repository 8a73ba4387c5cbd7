"""Use cases for the company directory and a user's personal contacts."""

from __future__ import annotations

from typing import Any

from chalicelib.domain import phone
from chalicelib.domain.errors import NotFound, Unauthorized, ValidationError
from chalicelib.domain.model import Contact, Page, User
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

    def create_contact(self, caller: Caller, name: str | None, number: str | None) -> Contact:
        clean_name = self._name(name)
        e164 = phone.normalise(number, self._region(caller))
        now = self._clock()
        contact = Contact(
            contact_id=self._ids("k"),
            owner_id=caller.user_id,
            company_id=caller.company_id,
            name=clean_name,
            phone=e164,
            created_at=now,
            updated_at=now,
        )
        self._contacts.put_contact(contact)
        return contact

    def get_contact(self, caller: Caller, contact_id: str) -> Contact:
        contact = self._contacts.get_contact(caller.user_id, contact_id)
        if contact is None:
            raise NotFound("no such contact", code="contact_not_found")
        return contact

    def update_contact(
        self, caller: Caller, contact_id: str, name: str | None = None, number: str | None = None
    ) -> Contact:
        if name is None and number is None:
            raise ValidationError("give a name or a phone to change", code="invalid_request")
        contact = self.get_contact(caller, contact_id)
        if name is not None:
            contact.name = self._name(name)
        if number is not None:
            contact.phone = phone.normalise(number, self._region(caller))
        contact.updated_at = self._clock()
        self._contacts.put_contact(contact)
        return contact

    def delete_contact(self, caller: Caller, contact_id: str) -> None:
        if not self._contacts.delete_contact(caller.user_id, contact_id):
            raise NotFound("no such contact", code="contact_not_found")

    def list_contacts(self, caller: Caller, limit: int, cursor: str | None) -> Page[Contact]:
        return self._contacts.list_contacts(caller.user_id, limit, cursor)
