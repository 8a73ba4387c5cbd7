"""Stream records of the messaging table → the changes the search index must make."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.keys import kind_of
from chalicelib.adapters.dynamodb.mapping import to_message
from chalicelib.adapters.dynamodb.models import MessageItem
from chalicelib.domain.model import Message
from chalicelib.services.search import IndexChange


def _message(raw: dict[str, Any] | None) -> Message | None:
    if not raw:
        return None
    item = MessageItem.from_raw_data(raw)
    return None if item.gap else to_message(item)


def search_change(record: dict[str, Any]) -> tuple[IndexChange, Message | None] | None:
    """The message a record changes and its state now (None: remove it), or None when
    the record changes nothing a search sees (another kind of item, a status update)."""
    ddb = record.get("dynamodb", {})
    keys = ddb.get("Keys", {})
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if kind_of(pk, sk) != "message":
        return None
    name = record.get("eventName")
    if name == "REMOVE":
        old = _message(ddb.get("OldImage"))
        return (IndexChange(old.conversation_id, old.seq), None) if old else None
    new = _message(ddb.get("NewImage"))
    if new is None:
        return None  # a placeholder for a lost sequence number
    if name == "MODIFY":
        old = _message(ddb.get("OldImage"))
        if old is not None and (old.text, old.deleted) == (new.text, new.deleted):
            return None  # a delivery status moved: the document is the same
    return IndexChange(new.conversation_id, new.seq), new
