"""The outbox: DynamoDB stream records of the messaging table become domain events.

Every change that devices must hear about is first a write to the table; the
table's stream carries it to ``outbox_stream``, which publishes the events this
module derives. A crash after the write cannot lose the event: the stream keeps
the record until the consumer succeeds.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from pynamodb.models import Model

from chalicelib.adapters.dynamodb.keys import kind_of
from chalicelib.adapters.dynamodb.mapping import (
    to_connection,
    to_conversation,
    to_membership,
    to_message,
    to_user,
)
from chalicelib.adapters.dynamodb.models import (
    ConnectionItem,
    ConversationItem,
    HiddenMessageItem,
    MembershipItem,
    MessageItem,
    UserItem,
)
from chalicelib.domain.membership import member_view, own_preview
from chalicelib.domain.model import Conversation, Event, utcnow_iso

MembersLookup = Callable[[str], "Conversation | None"]


def _image(model: type[Model], raw: dict[str, Any] | None) -> Any:
    if not raw:
        return None
    return model.from_raw_data(raw)


def _kind(keys: dict[str, Any]) -> str:
    return kind_of(keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", ""))


def events_from_record(record: dict[str, Any], lookup: MembersLookup) -> list[Event]:
    """Translate one stream record (Lambda's DynamoDB event shape) into events.

    ``lookup`` returns the conversation (for its current members) by id.
    """
    ddb = record.get("dynamodb", {})
    name = record.get("eventName")
    kind = _kind(ddb.get("Keys", {}))
    if kind == "message" and name in ("INSERT", "MODIFY"):
        return _message_events(name, ddb, lookup)
    if kind == "conversation" and name in ("INSERT", "MODIFY"):
        return _conversation_events(name, ddb)
    if kind == "membership" and name == "MODIFY":
        return _read_events(ddb, lookup) + _member_events(ddb, lookup)
    if kind == "hidden_message" and name == "INSERT":
        return _hidden_message_events(ddb)
    if kind == "profile" and name == "MODIFY":
        return _presence_events(ddb)
    if kind == "connection" and name == "INSERT":
        return _connection_events(ddb)
    return []


def _presence_events(ddb: dict[str, Any]) -> list[Event]:
    new = to_user(_image(UserItem, ddb.get("NewImage")))
    old = to_user(_image(UserItem, ddb.get("OldImage")))
    before, after = old.presence, new.presence
    watched = ("online", "status", "message", "message_expires_at")
    if all(getattr(before, f) == getattr(after, f) for f in watched):
        return []  # only a deadline moved, or another profile field changed
    now = time.time()
    view = after.view(now, utcnow_iso())
    return [
        Event(
            event_id=f"presence.changed:{new.user_id}:{after.updated_at}:{after.online}:{after.status}",
            type="presence.changed",
            company_id=new.company_id,
            recipients=[new.user_id],
            audience="watchers",
            data={"user_id": new.user_id, "presence": view},
        )
    ]


def _connection_events(ddb: dict[str, Any]) -> list[Event]:
    connection = to_connection(_image(ConnectionItem, ddb.get("NewImage")))
    return [
        Event(
            event_id=f"connection.opened:{connection.connection_id}",
            type="connection.opened",
            company_id=connection.company_id,
            recipients=[connection.user_id],
            audience="connection",
            connection_id=connection.connection_id,
            data={"user_id": connection.user_id},
        )
    ]


def _message_events(name: str, ddb: dict[str, Any], lookup: MembersLookup) -> list[Event]:
    item = _image(MessageItem, ddb.get("NewImage"))
    if item.gap:
        return []  # a placeholder for a lost number: nothing happened
    new = to_message(item)
    if name == "MODIFY":
        old = to_message(_image(MessageItem, ddb.get("OldImage")))
        if (old.deleted, old.status, old.text) == (new.deleted, new.status, new.text):
            return []
    conversation = lookup(new.conversation_id)
    if conversation is None:
        return []
    event_type = "message.created" if name == "INSERT" else "message.updated"
    text_version = hashlib.sha256(new.text.encode()).hexdigest()[:8]
    version = "created" if name == "INSERT" else f"{new.status}.{new.deleted}.{text_version}"
    queued_text = (
        name == "INSERT"
        and new.channel == "sms"
        and new.direction == "outbound"
        and new.status == "queued"
    )
    return [
        Event(
            attributes={"sms_outbound": "true"} if queued_text else {},
            event_id=f"{event_type}:{new.message_id}:{version}",
            type=event_type,
            company_id=new.company_id,
            conversation_id=new.conversation_id,
            recipients=list(conversation.members),
            data=new.to_dict(),
            head_seq=conversation.last_seq,
        )
    ]


def _conversation_events(name: str, ddb: dict[str, Any]) -> list[Event]:
    new = to_conversation(_image(ConversationItem, ddb.get("NewImage")))
    recipients = list(new.members)
    if name == "MODIFY":
        old = to_conversation(_image(ConversationItem, ddb.get("OldImage")))
        if old.version == new.version:
            return []  # a message changed last_seq/preview: message.created says it already
        recipients += [m for m in old.members if m not in recipients]
        removed = [m for m in old.members if m not in new.members]
    else:
        removed = []
    data = new.to_dict()
    data["removed"] = removed
    return [
        Event(
            event_id=f"conversation.updated:{new.conversation_id}:{new.version}",
            type="conversation.updated",
            company_id=new.company_id,
            conversation_id=new.conversation_id,
            recipients=recipients,
            data=data,
        )
    ]


def _read_events(ddb: dict[str, Any], lookup: MembersLookup) -> list[Event]:
    new = to_membership(_image(MembershipItem, ddb.get("NewImage")))
    old = to_membership(_image(MembershipItem, ddb.get("OldImage")))
    if new.read_seq <= old.read_seq:
        return []
    if new.activity_at != old.activity_at:
        return []  # the member sent a message: message.created already says so
    conversation = lookup(new.conversation_id)
    if conversation is None:
        return []
    return [
        Event(
            event_id=f"conversation.read:{new.conversation_id}:{new.user_id}:{new.read_seq}",
            type="conversation.read",
            company_id=new.company_id,
            conversation_id=new.conversation_id,
            recipients=list(conversation.members),
            data={
                "conversation_id": new.conversation_id,
                "user_id": new.user_id,
                "seq": new.read_seq,
                "unread_count": max(0, conversation.last_seq - new.read_seq),
            },
        )
    ]


_OWN_FIELDS = ("muted", "hidden", "cleared_seq")


def _member_events(ddb: dict[str, Any], lookup: MembersLookup) -> list[Event]:
    """A member's own change (mute, hide, unhide, delete for me) reaches that member's
    other devices: ``conversation.updated`` with their own fields, to them only."""
    new = to_membership(_image(MembershipItem, ddb.get("NewImage")))
    old = to_membership(_image(MembershipItem, ddb.get("OldImage")))
    if all(getattr(new, f) == getattr(old, f) for f in _OWN_FIELDS):
        return []
    conversation = lookup(new.conversation_id)
    if conversation is None:
        return []
    data = member_view(conversation, new)
    if own_preview(conversation, new) is not None:
        del data["last_message"]  # the member's own preview: their devices keep theirs
    data["removed"] = []
    change = ddb.get("SequenceNumber") or f"{new.muted}.{new.hidden}.{new.cleared_seq}"
    return [
        Event(
            event_id=f"conversation.updated:{new.conversation_id}:{new.user_id}:{change}",
            type="conversation.updated",
            company_id=new.company_id,
            conversation_id=new.conversation_id,
            recipients=[new.user_id],
            data=data,
        )
    ]


def _hidden_message_events(ddb: dict[str, Any]) -> list[Event]:
    """A message deleted for one member: ``message.updated`` (``hidden``) to them only."""
    item = _image(HiddenMessageItem, ddb.get("NewImage"))
    if item is None or not item.view:
        return []
    data = dict(item.view)
    return [
        Event(
            event_id=f"message.hidden:{item.user_id}:{data.get('id')}",
            type="message.updated",
            company_id=item.company_id,
            conversation_id=item.conversation_id,
            recipients=[item.user_id],
            data=data,
        )
    ]
