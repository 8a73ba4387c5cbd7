"""In-memory directory and contacts repositories."""

from __future__ import annotations

import copy

from chalicelib.domain.contacts import Contact, fold
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import (
    Company,
    Page,
    User,
)
from tests.fakes.paging import _paginate


class MemoryDirectoryRepository:
    def __init__(self) -> None:
        self.companies: dict[str, Company] = {}
        self.users: dict[str, User] = {}

    def get_company(self, company_id: str) -> Company | None:
        return copy.deepcopy(self.companies.get(company_id))

    def put_company(self, company: Company) -> None:
        self.companies[company.company_id] = copy.deepcopy(company)

    def get_user(self, user_id: str) -> User | None:
        return copy.deepcopy(self.users.get(user_id))

    def get_users(self, user_ids: list[str]) -> dict[str, User]:
        return {u: copy.deepcopy(self.users[u]) for u in user_ids if u in self.users}

    def put_user(self, user: User) -> None:
        """As the adapter: presence, photo and ``enabled`` of a stored profile are kept."""
        stored = self.users.get(user.user_id)
        fresh = copy.deepcopy(user)
        if stored is not None:
            fresh.presence, fresh.photo_key = stored.presence, stored.photo_key
            fresh.enabled = stored.enabled
        self.users[user.user_id] = fresh

    def set_enabled(self, user_id: str, enabled: bool) -> User | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        user.enabled = enabled
        return copy.deepcopy(user)

    def list_users(self, company_id: str, limit: int, cursor: str | None) -> Page[User]:
        keys = sorted(
            (f"{u.name.lower()}#{u.user_id}", u)
            for u in self.users.values()
            if u.company_id == company_id
        )
        page, next_cursor = _paginate(keys, limit, cursor, f"users:{company_id}")
        return Page([copy.deepcopy(u) for _, u in page], next_cursor)


class MemoryContactRepository:
    """As the adapter: a number is on at most one of an owner's contacts."""

    def __init__(self) -> None:
        self.contacts: dict[tuple[str, str], Contact] = {}

    def list_contacts(self, owner_id: str, limit: int, cursor: str | None) -> Page[Contact]:
        keys = sorted((cid, c) for (owner, cid), c in self.contacts.items() if owner == owner_id)
        page, next_cursor = _paginate(keys, limit, cursor, f"contacts:{owner_id}")
        return Page([copy.deepcopy(c) for _, c in page], next_cursor)

    def get_contact(self, owner_id: str, contact_id: str) -> Contact | None:
        return copy.deepcopy(self.contacts.get((owner_id, contact_id)))

    def put_contact(self, contact: Contact) -> None:
        for (owner, cid), other in self.contacts.items():
            if owner == contact.owner_id and cid != contact.contact_id:
                taken = next((n for n in contact.numbers if n in other.numbers), None)
                if taken:
                    raise Conflict(
                        f"{taken} is on another of your contacts", code="contact_number_taken"
                    )
        self.contacts[(contact.owner_id, contact.contact_id)] = copy.deepcopy(contact)

    def delete_contact(self, owner_id: str, contact_id: str) -> bool:
        return self.contacts.pop((owner_id, contact_id), None) is not None

    def contacts_by_numbers(self, owner_id: str, numbers: list[str]) -> dict[str, dict[str, str]]:
        return {
            n: c.ref()
            for (owner, _), c in self.contacts.items()
            if owner == owner_id
            for n in c.numbers
            if n in numbers
        }

    def suggest_by_name(
        self, owner_id: str, prefix: str, limit: int, cursor: str | None
    ) -> Page[Contact]:
        keys = sorted(
            (f"{fold(c.name)}#{cid}", c)
            for (owner, cid), c in self.contacts.items()
            if owner == owner_id and fold(c.name).startswith(prefix)
        )
        page, next_cursor = _paginate(keys, limit, cursor, f"contacts:{owner_id}:name:{prefix}")
        return Page([copy.deepcopy(c) for _, c in page], next_cursor)

    def suggest_by_number(
        self, owner_id: str, prefix: str, limit: int, cursor: str | None
    ) -> Page[Contact]:
        keys = sorted(
            (n, c)
            for (owner, _), c in self.contacts.items()
            if owner == owner_id
            for n in c.numbers
            if n.startswith(prefix)
        )
        page, next_cursor = _paginate(keys, limit, cursor, f"contacts:{owner_id}:number:{prefix}")
        seen: dict[str, Contact] = {}
        for _, c in page:
            seen.setdefault(c.contact_id, copy.deepcopy(c))
        return Page(list(seen.values()), next_cursor)
