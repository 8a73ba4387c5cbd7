"""Personal contacts."""

from __future__ import annotations

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.keys import (
    CONTACT_PREFIX,
    contact_sk,
    user_pk,
)
from chalicelib.adapters.dynamodb.mapping import (
    to_contact,
)
from chalicelib.adapters.dynamodb.models import (
    TABLE_KEYS,
    ContactItem,
    conditional_failed,
    get_item,
    page_of,
)
from chalicelib.domain.model import (
    Contact,
    Page,
)


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
        item = get_item(ContactItem, user_pk(owner_id), contact_sk(contact_id))
        return to_contact(item) if item else None

    def put_contact(self, contact: Contact) -> None:
        ContactItem(
            user_pk(contact.owner_id),
            contact_sk(contact.contact_id),
            company_id=contact.company_id,
            contact_id=contact.contact_id,
            name=contact.name,
            phone=contact.phone,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        ).save()

    def delete_contact(self, owner_id: str, contact_id: str) -> bool:
        item = ContactItem(user_pk(owner_id), contact_sk(contact_id))
        try:
            item.delete(condition=ContactItem.pk.exists())
        except Exception as exc:  # DeleteError wraps ConditionalCheckFailed
            if conditional_failed(exc):
                return False
            raise
        return True
