"""Personal contacts, and the index of their numbers.

A contact is one item under its owner's partition; each of its numbers is another
(``CPHONE#{e164}``: the contact's id and name), so a number finds its contact with
one GetItem, a conversation page finds every contact with one BatchGetItem, and a
number typed in part finds suggestions with one Query. The contact and its number
items change in one transaction; a number already on another of the owner's
contacts cancels it.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.keys import (
    CONTACT_PHONE_PREFIX,
    CONTACT_PREFIX,
    contact_phone_sk,
    contact_sk,
    contact_sort,
    contacts_gsi,
    user_pk,
)
from chalicelib.adapters.dynamodb.mapping import to_contact
from chalicelib.adapters.dynamodb.models import (
    GSI1_KEYS,
    TABLE_KEYS,
    ContactItem,
    ContactPhoneItem,
    get_item,
    page_of,
    shared_connection,
)
from chalicelib.domain.contacts import Contact, fold
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Page


class DynamoContactRepository:
    """A user's personal contacts, under the user's partition."""

    def list_contacts(self, owner_id: str, limit: int, cursor: str | None) -> Page[Contact]:
        start = decode_cursor(cursor, "contacts", TABLE_KEYS, {"pk": user_pk(owner_id)})
        items = list(
            ContactItem.query(
                user_pk(owner_id),
                ContactItem.sk.startswith(CONTACT_PREFIX),
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = page_of(items, limit, TABLE_KEYS, "contacts")
        return Page([to_contact(i) for i in page], next_cursor)

    def get_contact(self, owner_id: str, contact_id: str) -> Contact | None:
        item = get_item(ContactItem, user_pk(owner_id), contact_sk(contact_id), consistent=True)
        return to_contact(item) if item else None

    def put_contact(self, contact: Contact) -> None:
        """Create or replace; Conflict ``contact_number_taken`` when one of its numbers
        is on another of the owner's contacts (then nothing changes)."""
        before = self.get_contact(contact.owner_id, contact.contact_id)
        dropped = [n for n in (before.numbers if before else []) if n not in contact.numbers]
        owner = user_pk(contact.owner_id)
        item = ContactItem(
            owner,
            contact_sk(contact.contact_id),
            company_id=contact.company_id,
            contact_id=contact.contact_id,
            name=contact.name,
            phone=contact.phone,
            phones=[p.to_dict() for p in contact.phones],
            email=contact.email,
            company=contact.company,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            gsi1pk=contacts_gsi(contact.owner_id),
            gsi1sk=contact_sort(fold(contact.name), contact.contact_id),
        )
        ours = ContactPhoneItem.contact_id == contact.contact_id
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(item)
                for number in contact.numbers:
                    tx.save(
                        ContactPhoneItem(
                            owner,
                            contact_phone_sk(number),
                            contact_id=contact.contact_id,
                            name=contact.name,
                        ),
                        condition=ContactPhoneItem.pk.does_not_exist() | ours,
                    )
                for number in dropped:
                    tx.delete(ContactPhoneItem(owner, contact_phone_sk(number)), condition=ours)
        except TransactWriteError as exc:
            taken = self._taken(contact)
            if taken:
                raise Conflict(
                    f"{taken} is on another of your contacts", code="contact_number_taken"
                ) from exc
            raise

    def _taken(self, contact: Contact) -> str:
        """The first of the contact's numbers held by another contact ("" if none)."""
        found = self._phone_items(contact.owner_id, contact.numbers)
        return next(
            (n for n in contact.numbers if n in found and found[n] != contact.contact_id), ""
        )

    def delete_contact(self, owner_id: str, contact_id: str) -> bool:
        contact = self.get_contact(owner_id, contact_id)
        if contact is None:
            return False
        owner = user_pk(owner_id)
        ours = ContactPhoneItem.contact_id == contact_id
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.delete(ContactItem(owner, contact_sk(contact_id)))
                for number in contact.numbers:
                    tx.delete(ContactPhoneItem(owner, contact_phone_sk(number)), condition=ours)
        except TransactWriteError:
            if self.get_contact(owner_id, contact_id) is None:
                return False  # someone else's delete won
            raise
        return True

    def _phone_items(self, owner_id: str, numbers: Iterable[str]) -> dict[str, str]:
        keys = [(user_pk(owner_id), contact_phone_sk(n)) for n in dict.fromkeys(numbers)]
        if not keys:
            return {}
        return {
            i.sk.removeprefix(CONTACT_PHONE_PREFIX): i.contact_id
            for i in ContactPhoneItem.batch_get(keys)
        }

    def contacts_by_numbers(self, owner_id: str, numbers: list[str]) -> dict[str, dict[str, str]]:
        keys = [(user_pk(owner_id), contact_phone_sk(n)) for n in dict.fromkeys(numbers) if n]
        if not keys:
            return {}
        return {
            i.sk.removeprefix(CONTACT_PHONE_PREFIX): {"id": i.contact_id, "name": i.name}
            for i in ContactPhoneItem.batch_get(keys)
        }

    def suggest_by_name(
        self, owner_id: str, prefix: str, limit: int, cursor: str | None
    ) -> Page[Contact]:
        tag = f"contacts:name:{prefix}"
        start = decode_cursor(cursor, tag, GSI1_KEYS, {"gsi1pk": contacts_gsi(owner_id)})
        items = list(
            ContactItem.gsi1.query(
                contacts_gsi(owner_id),
                ContactItem.gsi1sk.startswith(prefix),
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = page_of(items, limit, GSI1_KEYS, tag)
        return Page([to_contact(i) for i in page], next_cursor)

    def suggest_by_number(
        self, owner_id: str, prefix: str, limit: int, cursor: str | None
    ) -> Page[Contact]:
        """Contacts with a number that starts with ``prefix`` (E.164 digits), in number
        order (once per page: a contact with two matching numbers may be on two)."""
        tag = f"contacts:number:{prefix}"
        start = decode_cursor(cursor, tag, TABLE_KEYS, {"pk": user_pk(owner_id)})
        items = list(
            ContactPhoneItem.query(
                user_pk(owner_id),
                ContactPhoneItem.sk.startswith(contact_phone_sk(prefix)),
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = page_of(items, limit, TABLE_KEYS, tag)
        ids = list(dict.fromkeys(i.contact_id for i in page))
        if not ids:
            return Page([], next_cursor)
        found = {
            i.contact_id: to_contact(i)
            for i in ContactItem.batch_get([(user_pk(owner_id), contact_sk(c)) for c in ids])
        }
        return Page([found[c] for c in ids if c in found], next_cursor)
