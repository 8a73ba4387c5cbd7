"""DynamoDB adapters: PynamoDB models over one table, and the repositories on them.

Single-table design (docs/architecture.md lists every access pattern):

| item                | pk               | sk                         | gsi1pk              | gsi1sk              |
|---------------------|------------------|----------------------------|---------------------|---------------------|
| company             | CO#{company}     | COMPANY                    |                     |                     |
| user profile        | USER#{user}      | PROFILE                    | CO#{company}#USERS  | {name}#{user}       |
| personal contact    | USER#{user}      | CONTACT#{contact}          |                     |                     |
| membership          | USER#{user}      | CONV#{conversation}        | USER#{user}#CONVS * | {activity}#{conv}   |
| connection (user)   | USER#{user}      | CONN#{connection}          |                     |                     |
| connection (lookup) | CONN#{connection}| CONN                       |                     |                     |
| conversation        | CONV#{conv}      | META                       |                     |                     |
| message             | CONV#{conv}      | MSG#{seq:012d}             |                     |                     |
| client key          | CONV#{conv}      | CLIENT#{sender}#{client_id}|                     |                     |

(*) absent while the member has hidden the conversation: a sparse index.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection as PynamoConnection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import ConcurrentUpdate, Conflict, ValidationError
from chalicelib.domain.model import (
    BusinessNumber,
    Company,
    Connection,
    Contact,
    Conversation,
    Device,
    Membership,
    Message,
    Missed,
    Page,
    Policy,
    Presence,
    User,
)
from chalicelib.domain.sms import status_rank

M = TypeVar("M", bound=Model)

COMPANY_SK = "COMPANY"
PROFILE_SK = "PROFILE"
META_SK = "META"
CONN_SK = "CONN"


def co_pk(company_id: str) -> str:
    return f"CO#{company_id}"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def conv_pk(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def msg_sk(seq: int) -> str:
    return f"MSG#{seq:012d}"


def client_sk(sender: str, client_id: str) -> str:
    return f"CLIENT#{sender}#{client_id}"


def users_gsi(company_id: str) -> str:
    return f"CO#{company_id}#USERS"


def convs_gsi(user_id: str) -> str:
    return f"USER#{user_id}#CONVS"


# -- cursors ------------------------------------------------------------------


def encode_cursor(key: dict[str, str], tag: str) -> str:
    raw = json.dumps({**key, "_list": tag}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, tag: str, keys: tuple[str, ...], expect: dict[str, str]
) -> dict[str, dict[str, str]] | None:
    """Turn an opaque cursor back into an ExclusiveStartKey.

    A cursor only works for the list that produced it: its tag (which list, which
    order) must match, it must carry exactly that list's key attributes, and its
    partition must be the caller's.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise ValidationError("cursor is not valid", code="invalid_cursor") from None
    if (
        not isinstance(key, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in key.items())
        or key.pop("_list", None) != tag
        or set(key) != set(keys)
        or any(key.get(name) != value for name, value in expect.items())
    ):
        raise ValidationError("cursor is not valid", code="invalid_cursor")
    return {name: {"S": value} for name, value in key.items()}


# -- models ---------------------------------------------------------------------


class Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Item(Model):
    class Meta:
        table_name = "unset"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class CompanyItem(_Item):
    name = UnicodeAttribute()
    default_region = UnicodeAttribute(default="US")
    sms_enabled = BooleanAttribute(default=True)
    im_enabled = BooleanAttribute(default=True)
    help_text = UnicodeAttribute(default="")


class PolicyItem(_Item):
    policy_id = UnicodeAttribute()
    name = UnicodeAttribute()
    sms_enabled = BooleanAttribute(default=True)


class NumberItem(_Item):
    e164 = UnicodeAttribute()
    company_id = UnicodeAttribute()
    type = UnicodeAttribute(default="local")
    country = UnicodeAttribute(default="US")
    capabilities: ListAttribute[str] = ListAttribute(default=list)
    provider = UnicodeAttribute(default="twilio")
    state = UnicodeAttribute(default="active")
    users: ListAttribute[str] = ListAttribute(default=list)
    gsi1pk = UnicodeAttribute()  # CO#{company}#NUMBERS
    gsi1sk = UnicodeAttribute()  # e164
    gsi1 = Gsi1()


class OptOutItem(_Item):
    """Whether an external number opted out of one business number (and its audit trail)."""

    opted_out = BooleanAttribute(default=False)
    keyword = UnicodeAttribute(default="")
    changed_at = UnicodeAttribute(default="")
    source = UnicodeAttribute(default="")


class ProviderMessageItem(_Item):
    """A provider's message id → our message, for status callbacks."""

    conversation_id = UnicodeAttribute()
    seq = NumberAttribute()


class UserItem(_Item):
    company_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute(default="")
    extension = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="user")
    license_type = UnicodeAttribute(default="unlimited")
    numbers: ListAttribute[str] = ListAttribute(default=list)
    photo_key = UnicodeAttribute(default="")
    sms_enabled = BooleanAttribute(default=True)
    policy_id = UnicodeAttribute(default="")
    presence_status = UnicodeAttribute(default="available")
    presence_message = UnicodeAttribute(default="")
    presence_message_expires_at = UnicodeAttribute(null=True)
    presence_updated_at = UnicodeAttribute(default="")
    online = BooleanAttribute(default=False)
    online_until = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


class ContactItem(_Item):
    company_id = UnicodeAttribute()
    contact_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class ConversationItem(_Item):
    conversation_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    type = UnicodeAttribute()
    members: ListAttribute[str] = ListAttribute()
    name = UnicodeAttribute(default="")
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_seq = NumberAttribute(default=0)
    last_message = MapAttribute(null=True)  # type: ignore[var-annotated]
    version = NumberAttribute(default=0)
    business_number = UnicodeAttribute(default="")
    external_number = UnicodeAttribute(default="")
    gsi1pk = UnicodeAttribute(null=True)  # sms: NUM#{business number}#CONVS
    gsi1sk = UnicodeAttribute(null=True)  # sms: conversation id
    gsi1 = Gsi1()


class MessageItem(_Item):
    conversation_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    seq = NumberAttribute()
    client_id = UnicodeAttribute()
    sender = UnicodeAttribute()
    text = UnicodeAttribute()
    status = UnicodeAttribute(default="sent")
    created_at = UnicodeAttribute()
    deleted = BooleanAttribute(default=False)
    deleted_at = UnicodeAttribute(null=True)
    entities = JSONAttribute(null=True)
    channel = UnicodeAttribute(default="im")
    direction = UnicodeAttribute(default="")
    segments = NumberAttribute(default=0)
    encoding = UnicodeAttribute(default="")
    provider_message_id = UnicodeAttribute(default="")
    error_code = UnicodeAttribute(default="")
    status_rank = NumberAttribute(default=0)  # statuses only move forward (domain.sms)
    media = JSONAttribute(null=True)
    # Outbound texts without a final status, for the reconciler (a sparse index):
    gsi1pk = UnicodeAttribute(null=True)  # PENDING#{shard}
    gsi1sk = UnicodeAttribute(null=True)  # {created_at}#{conversation}#{seq}
    gsi1 = Gsi1()


class ClientKeyItem(_Item):
    seq = NumberAttribute()


class MembershipItem(_Item):
    company_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    read_seq = NumberAttribute(default=0)
    muted = BooleanAttribute(default=False)
    hidden = BooleanAttribute(default=False)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


class ConnectionItem(_Item):
    connection_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    connected_at = UnicodeAttribute()
    device_id = UnicodeAttribute(default="")
    background = BooleanAttribute(default=False)
    deadline = NumberAttribute(default=0)  # liveness: past it, the connection is gone
    # TTL only, for cleaning up: fixed at connect, after API Gateway's 2-hour limit,
    # so DynamoDB never removes an item the sweeper still needs to see.
    expires_at = NumberAttribute()
    watching: ListAttribute[str] = ListAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)  # LIVE#{shard} on the per-user item: the sweeper's index
    gsi1sk = UnicodeAttribute(null=True)  # {deadline:012d}#{connection}
    gsi1 = Gsi1()


class WatchItem(_Item):
    """A connection that wants ``presence.changed`` for one co-worker."""

    connection_id = UnicodeAttribute()
    watcher_id = UnicodeAttribute()
    expires_at = NumberAttribute()


class MarkerItem(_Item):
    """A short-lived marker (typing throttle); TTL removes it."""

    until = NumberAttribute()
    expires_at = NumberAttribute()


class MissedItem(_Item):
    conversation_id = UnicodeAttribute()
    missed = NumberAttribute(default=0)
    last_seq = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(default="")


class TokenItem(_Item):
    """Who owns a push token now (by a hash of platform and token)."""

    user_id = UnicodeAttribute()
    device_id = UnicodeAttribute()


class DeviceItem(_Item):
    device_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    token = UnicodeAttribute()
    endpoint = UnicodeAttribute(default="")
    registered_at = UnicodeAttribute()


class CounterItem(_Item):
    """Rate-limit windows (with TTL) and usage counters."""

    hits = NumberAttribute(default=0)
    messages_out = NumberAttribute(default=0)
    segments_out = NumberAttribute(default=0)
    messages_in = NumberAttribute(default=0)
    segments_in = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


class PaceItem(_Item):
    next_at = NumberAttribute(default=0)  # PACE: the next free slot; SLOT#{text}: its slot
    expires_at = NumberAttribute(null=True)


MODELS: tuple[type[_Item], ...] = (
    CompanyItem,
    UserItem,
    ContactItem,
    ConversationItem,
    MessageItem,
    ClientKeyItem,
    MembershipItem,
    ConnectionItem,
    WatchItem,
    MarkerItem,
    MissedItem,
    DeviceItem,
    TokenItem,
    NumberItem,
    PolicyItem,
    OptOutItem,
    ProviderMessageItem,
    CounterItem,
    PaceItem,
)


def bind_models(table_name: str, region: str, host: str | None = None) -> None:
    """Point every model at the stage's table (called once by the composition root)."""
    for model in (_Item, *MODELS):  # type: Any
        model.Meta.table_name = table_name
        model.Meta.region = region
        model.Meta.host = host
        # PynamoDB caches its connection per class; drop it so a new table/region takes effect.
        model._connection = None


# -- conversions ------------------------------------------------------------------


def _user(item: UserItem) -> User:
    return User(
        user_id=item.user_id,
        company_id=item.company_id,
        name=item.name,
        email=item.email,
        extension=item.extension,
        role=item.role,
        license_type=item.license_type,
        numbers=list(item.numbers or []),
        photo_key=item.photo_key or "",
        sms_enabled=item.sms_enabled is not False,
        policy_id=item.policy_id or "",
        presence=Presence(
            status=item.presence_status,
            message=item.presence_message,
            message_expires_at=item.presence_message_expires_at,
            online=bool(item.online),
            online_until=int(item.online_until or 0),
            updated_at=item.presence_updated_at or "",
        ),
    )


def _conversation(item: ConversationItem) -> Conversation:
    last = item.last_message.as_dict() if item.last_message is not None else None
    return Conversation(
        conversation_id=item.conversation_id,
        company_id=item.company_id,
        type=item.type,
        members=list(item.members),
        created_by=item.created_by,
        created_at=item.created_at,
        name=item.name,
        last_seq=int(item.last_seq),
        last_message=last,
        updated_at=item.updated_at,
        version=int(item.version),
        business_number=item.business_number or "",
        external_number=item.external_number or "",
    )


def _message(item: MessageItem) -> Message:
    return Message(
        conversation_id=item.conversation_id,
        company_id=item.company_id,
        seq=int(item.seq),
        client_id=item.client_id,
        sender=item.sender,
        text=item.text,
        status=item.status,
        created_at=item.created_at,
        deleted=bool(item.deleted),
        deleted_at=item.deleted_at,
        entities=list(item.entities or []),
        channel=item.channel or "im",
        direction=item.direction or "",
        segments=int(item.segments or 0),
        encoding=item.encoding or "",
        provider_message_id=item.provider_message_id or "",
        error_code=item.error_code or "",
        media=list(item.media or []),
    )


def _membership(item: MembershipItem) -> Membership:
    activity = (item.gsi1sk or "").split("#", 1)[0]
    return Membership(
        user_id=item.user_id,
        conversation_id=item.conversation_id,
        company_id=item.company_id,
        read_seq=int(item.read_seq),
        muted=bool(item.muted),
        hidden=bool(item.hidden),
        activity_at=activity,
    )


def _contact(item: ContactItem) -> Contact:
    return Contact(
        contact_id=item.contact_id,
        owner_id=item.pk.removeprefix("USER#"),
        company_id=item.company_id,
        name=item.name,
        phone=item.phone,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _get(model: type[M], pk: str, sk: str, consistent: bool = False) -> M | None:
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


TABLE_KEYS = ("pk", "sk")
GSI1_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _page(
    items: list[M], limit: int, key_names: tuple[str, ...], tag: str
) -> tuple[list[M], str | None]:
    """Queries ask for limit+1 items so the cursor is null exactly at the end."""
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], encode_cursor({k: getattr(last, k) for k in key_names}, tag)


# -- repositories -----------------------------------------------------------------


class DynamoDirectoryRepository:
    """Companies and users in the messaging table."""

    def get_company(self, company_id: str) -> Company | None:
        item = _get(CompanyItem, co_pk(company_id), COMPANY_SK)
        if item is None:
            return None
        return Company(
            company_id=company_id,
            name=item.name,
            default_region=item.default_region,
            sms_enabled=item.sms_enabled is not False,
            im_enabled=item.im_enabled is not False,
            help_text=item.help_text or "",
        )

    def put_company(self, company: Company) -> None:
        CompanyItem(
            co_pk(company.company_id),
            COMPANY_SK,
            name=company.name,
            default_region=company.default_region,
            sms_enabled=company.sms_enabled,
            im_enabled=company.im_enabled,
            help_text=company.help_text,
        ).save()

    def get_user(self, user_id: str) -> User | None:
        item = _get(UserItem, user_pk(user_id), PROFILE_SK)
        return _user(item) if item else None

    def get_users(self, user_ids: list[str]) -> dict[str, User]:
        keys = [(user_pk(u), PROFILE_SK) for u in dict.fromkeys(user_ids)]
        if not keys:
            return {}
        return {i.user_id: _user(i) for i in UserItem.batch_get(keys)}

    def put_user(self, user: User) -> None:
        UserItem(
            user_pk(user.user_id),
            PROFILE_SK,
            company_id=user.company_id,
            user_id=user.user_id,
            name=user.name,
            email=user.email,
            extension=user.extension,
            role=user.role,
            license_type=user.license_type,
            numbers=list(user.numbers),
            sms_enabled=user.sms_enabled,
            policy_id=user.policy_id,
            gsi1pk=users_gsi(user.company_id),
            gsi1sk=f"{user.name.lower()}#{user.user_id}",
        ).save()

    def list_users(self, company_id: str, limit: int, cursor: str | None) -> Page[User]:
        start = decode_cursor(cursor, "users", GSI1_KEYS, {"gsi1pk": users_gsi(company_id)})
        items = list(
            UserItem.gsi1.query(users_gsi(company_id), limit=limit + 1, last_evaluated_key=start)
        )
        page, next_cursor = _page(items, limit, GSI1_KEYS, "users")
        return Page([_user(i) for i in page], next_cursor)


class DynamoContactRepository:
    """A user's personal contacts, under the user's partition."""

    def list_contacts(self, owner_id: str, limit: int, cursor: str | None) -> Page[Contact]:
        start = decode_cursor(cursor, "contacts", TABLE_KEYS, {"pk": user_pk(owner_id)})
        items = list(
            ContactItem.query(
                user_pk(owner_id),
                ContactItem.sk.startswith("CONTACT#"),
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = _page(items, limit, TABLE_KEYS, "contacts")
        return Page([_contact(i) for i in page], next_cursor)

    def get_contact(self, owner_id: str, contact_id: str) -> Contact | None:
        item = _get(ContactItem, user_pk(owner_id), f"CONTACT#{contact_id}")
        return _contact(item) if item else None

    def put_contact(self, contact: Contact) -> None:
        ContactItem(
            user_pk(contact.owner_id),
            f"CONTACT#{contact.contact_id}",
            company_id=contact.company_id,
            contact_id=contact.contact_id,
            name=contact.name,
            phone=contact.phone,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
        ).save()

    def delete_contact(self, owner_id: str, contact_id: str) -> bool:
        item = ContactItem(user_pk(owner_id), f"CONTACT#{contact_id}")
        try:
            item.delete(condition=ContactItem.pk.exists())
        except Exception as exc:  # DeleteError wraps ConditionalCheckFailed
            if _conditional_failed(exc):
                return False
            raise
        return True


def _conditional_failed(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


class DynamoConversationRepository:
    """Conversations, messages and memberships in the messaging table."""

    def _membership_item(self, conversation: Conversation, user_id: str) -> MembershipItem:
        return MembershipItem(
            user_pk(user_id),
            f"CONV#{conversation.conversation_id}",
            company_id=conversation.company_id,
            conversation_id=conversation.conversation_id,
            user_id=user_id,
            read_seq=conversation.last_seq,
            muted=False,
            hidden=False,
            gsi1pk=convs_gsi(user_id),
            gsi1sk=f"{conversation.updated_at or conversation.created_at}#{conversation.conversation_id}",
        )

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        item = ConversationItem(
            conv_pk(conversation.conversation_id),
            META_SK,
            conversation_id=conversation.conversation_id,
            company_id=conversation.company_id,
            type=conversation.type,
            members=list(conversation.members),
            name=conversation.name,
            created_by=conversation.created_by,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at or conversation.created_at,
            last_seq=0,
            last_message=None,
            version=0,
            business_number=conversation.business_number,
            external_number=conversation.external_number,
            gsi1pk=f"NUM#{conversation.business_number}#CONVS"
            if conversation.business_number
            else None,
            gsi1sk=conversation.conversation_id if conversation.business_number else None,
        )
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(item, condition=ConversationItem.pk.does_not_exist())
                for user_id in conversation.members:
                    tx.save(self._membership_item(conversation, user_id))
        except TransactWriteError as exc:
            # It exists already (the usual get-or-create), or two people opened the same
            # conversation at the same instant and the other transaction won.
            existing = self.get(conversation.conversation_id)
            if existing is not None:
                return existing, False
            raise ConcurrentUpdate("the conversation is being created; try again") from exc
        return conversation, True

    def get(self, conversation_id: str) -> Conversation | None:
        item = _get(ConversationItem, conv_pk(conversation_id), META_SK, consistent=True)
        return _conversation(item) if item else None

    def get_many(self, conversation_ids: Iterable[str]) -> dict[str, Conversation]:
        keys = [(conv_pk(cid), META_SK) for cid in dict.fromkeys(conversation_ids)]
        if not keys:
            return {}
        return {i.conversation_id: _conversation(i) for i in ConversationItem.batch_get(keys)}

    def replace_members(
        self, conversation: Conversation, members: list[str], name: str
    ) -> Conversation:
        added = [m for m in members if m not in conversation.members]
        removed = [m for m in conversation.members if m not in members]
        now_version = conversation.version + 1
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    ConversationItem(conv_pk(conversation.conversation_id), META_SK),
                    actions=[
                        ConversationItem.members.set(members),
                        ConversationItem.name.set(name),
                        ConversationItem.version.set(now_version),
                    ],
                    condition=ConversationItem.version == conversation.version,
                )
                for user_id in added:
                    tx.save(self._membership_item(conversation, user_id))
                for user_id in removed:
                    tx.delete(
                        MembershipItem(user_pk(user_id), f"CONV#{conversation.conversation_id}")
                    )
        except TransactWriteError as exc:
            raise ConcurrentUpdate("the conversation changed meanwhile") from exc
        conversation.members = list(members)
        conversation.name = name
        conversation.version = now_version
        return conversation

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        preview = message.preview()
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    ConversationItem(conv_pk(conversation.conversation_id), META_SK),
                    actions=[
                        ConversationItem.last_seq.set(message.seq),
                        ConversationItem.last_message.set(preview),
                        ConversationItem.updated_at.set(message.created_at),
                    ],
                    condition=ConversationItem.last_seq == conversation.last_seq,
                )
                tx.save(
                    MessageItem(
                        conv_pk(message.conversation_id),
                        msg_sk(message.seq),
                        conversation_id=message.conversation_id,
                        company_id=message.company_id,
                        seq=message.seq,
                        client_id=message.client_id,
                        sender=message.sender,
                        text=message.text,
                        status=message.status,
                        created_at=message.created_at,
                        deleted=False,
                        entities=message.entities or None,
                        channel=message.channel,
                        direction=message.direction,
                        segments=message.segments,
                        encoding=message.encoding,
                        status_rank=status_rank(message.status),
                        media=message.media or None,
                        **_pending_index(message),
                    ),
                    condition=MessageItem.pk.does_not_exist(),
                )
                tx.save(
                    ClientKeyItem(
                        conv_pk(message.conversation_id),
                        client_sk(message.sender, message.client_id),
                        seq=message.seq,
                    ),
                    condition=ClientKeyItem.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            # Ask the table rather than trusting the order of cancellation reasons
            # (emulators disagree on it): is it our key, or just a lost race?
            if (
                self.find_by_client_id(message.conversation_id, message.sender, message.client_id)
                is not None
            ):
                raise Conflict("this client_id was already used") from exc
            raise ConcurrentUpdate("another message took this sequence number") from exc
        conversation.last_seq = message.seq
        conversation.last_message = preview
        conversation.updated_at = message.created_at
        return message

    def get_message(self, conversation_id: str, seq: int) -> Message | None:
        item = _get(MessageItem, conv_pk(conversation_id), msg_sk(seq), consistent=True)
        return _message(item) if item else None

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None:
        key = _get(
            ClientKeyItem, conv_pk(conversation_id), client_sk(sender, client_id), consistent=True
        )
        return self.get_message(conversation_id, int(key.seq)) if key else None

    def list_messages(
        self, conversation_id: str, limit: int, cursor: str | None, after_seq: int | None = None
    ) -> Page[Message]:
        pk = conv_pk(conversation_id)
        tag = "messages:newest-first" if after_seq is None else f"messages:after:{after_seq}"
        start = decode_cursor(cursor, tag, TABLE_KEYS, {"pk": pk})
        condition: Any
        if after_seq is None:
            condition = MessageItem.sk.startswith("MSG#")
            forward = False
        else:
            condition = MessageItem.sk.between(msg_sk(after_seq + 1), msg_sk(10**12 - 1))
            forward = True
        items = list(
            MessageItem.query(
                pk, condition, scan_index_forward=forward, limit=limit + 1, last_evaluated_key=start
            )
        )
        page, next_cursor = _page(items, limit, TABLE_KEYS, tag)
        return Page([_message(i) for i in page], next_cursor)

    def mark_deleted(self, conversation_id: str, seq: int, deleted_at: str) -> Message | None:
        item = MessageItem(conv_pk(conversation_id), msg_sk(seq))
        try:
            item.update(
                actions=[
                    MessageItem.deleted.set(True),
                    MessageItem.deleted_at.set(deleted_at),
                    MessageItem.text.set(""),
                    MessageItem.entities.remove(),
                    MessageItem.media.remove(),
                ],
                condition=MessageItem.pk.exists() & (MessageItem.deleted == False),  # noqa: E712
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return self.get_message(conversation_id, seq)
            raise
        message = _message(item)
        self._refresh_preview(conversation_id, message)
        return message

    def _refresh_preview(self, conversation_id: str, message: Message) -> None:
        """A deleted last message must not linger in the conversation list preview."""
        try:
            ConversationItem(conv_pk(conversation_id), META_SK).update(
                actions=[ConversationItem.last_message.set(message.preview())],
                condition=ConversationItem.last_seq == message.seq,
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    def get_membership(self, user_id: str, conversation_id: str) -> Membership | None:
        item = _get(MembershipItem, user_pk(user_id), f"CONV#{conversation_id}", consistent=True)
        return _membership(item) if item else None

    def list_memberships(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        start = decode_cursor(cursor, "conversations", GSI1_KEYS, {"gsi1pk": convs_gsi(user_id)})
        items = list(
            MembershipItem.gsi1.query(
                convs_gsi(user_id),
                scan_index_forward=False,
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = _page(items, limit, GSI1_KEYS, "conversations")
        return Page([_membership(i) for i in page], next_cursor)

    def touch_members(
        self, conversation: Conversation, activity_at: str, sender: str | None = None
    ) -> None:
        sort_key = f"{activity_at}#{conversation.conversation_id}"
        for user_id in conversation.members:
            item = MembershipItem(user_pk(user_id), f"CONV#{conversation.conversation_id}")
            actions: list[Any] = [
                MembershipItem.gsi1pk.set(convs_gsi(user_id)),
                MembershipItem.gsi1sk.set(sort_key),
                MembershipItem.hidden.set(False),
            ]
            newer = MembershipItem.gsi1sk.does_not_exist() | (MembershipItem.gsi1sk <= sort_key)
            if user_id == sender:
                # Sending reads everything up to one's own message: one write, not two,
                # and the outbox sees it is a send, not a read receipt.
                read = MembershipItem.read_seq < conversation.last_seq
                try:
                    item.update(
                        actions=[*actions, MembershipItem.read_seq.set(conversation.last_seq)],
                        condition=MembershipItem.pk.exists() & newer & read,
                    )
                    continue
                except UpdateError as exc:
                    if not _conditional_failed(exc):
                        raise
            try:
                item.update(actions=actions, condition=MembershipItem.pk.exists() & newer)
            except UpdateError as exc:
                if not _conditional_failed(exc):
                    raise

    def advance_read(self, user_id: str, conversation_id: str, seq: int) -> bool:
        item = MembershipItem(user_pk(user_id), f"CONV#{conversation_id}")
        try:
            item.update(
                actions=[MembershipItem.read_seq.set(seq)],
                condition=MembershipItem.pk.exists() & (MembershipItem.read_seq < seq),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def set_flags(
        self,
        user_id: str,
        conversation_id: str,
        *,
        muted: bool | None = None,
        hidden: bool | None = None,
    ) -> None:
        item = MembershipItem(user_pk(user_id), f"CONV#{conversation_id}")
        actions: list[Any] = []
        if muted is not None:
            actions.append(MembershipItem.muted.set(muted))
        if hidden is True:
            actions += [MembershipItem.hidden.set(True), MembershipItem.gsi1pk.remove()]
        elif hidden is False:
            actions += [
                MembershipItem.hidden.set(False),
                MembershipItem.gsi1pk.set(convs_gsi(user_id)),
            ]
        if actions:
            item.update(actions=actions, condition=MembershipItem.pk.exists())


LIVE_SHARDS = 4  # the sweeper's index is spread over a few partitions
CONNECTION_TTL_SECONDS = 3 * 60 * 60  # API Gateway's 2-hour limit, plus an hour to sweep


def live_shard(connection_id: str) -> str:
    return f"LIVE#{sum(connection_id.encode()) % LIVE_SHARDS}"


class DynamoConnectionRepository:
    """WebSocket connections: per-user items (listed per recipient, and indexed by expiry
    for the sweeper) plus a lookup item per connection id."""

    def _items(self, connection: Connection) -> tuple[ConnectionItem, ConnectionItem]:
        attrs: dict[str, Any] = dict(
            connection_id=connection.connection_id,
            user_id=connection.user_id,
            company_id=connection.company_id,
            connected_at=connection.connected_at,
            device_id=connection.device_id,
            background=connection.background,
            deadline=connection.deadline,
            expires_at=int(time.time()) + CONNECTION_TTL_SECONDS,
        )
        per_user = ConnectionItem(
            user_pk(connection.user_id),
            f"CONN#{connection.connection_id}",
            gsi1pk=live_shard(connection.connection_id),
            gsi1sk=f"{connection.deadline:012d}#{connection.connection_id}",
            **attrs,
        )
        return per_user, ConnectionItem(f"CONN#{connection.connection_id}", CONN_SK, **attrs)

    def add(self, connection: Connection) -> None:
        per_user, lookup = self._items(connection)
        with TransactWrite(connection=_connection()) as tx:
            tx.save(per_user)
            tx.save(lookup)

    def touch(self, connection: Connection, deadline: int) -> None:
        """Push the liveness deadline out on both items, together."""
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.update(
                    ConnectionItem(user_pk(connection.user_id), f"CONN#{connection.connection_id}"),
                    actions=[
                        ConnectionItem.deadline.set(deadline),
                        ConnectionItem.gsi1sk.set(f"{deadline:012d}#{connection.connection_id}"),
                    ],
                    condition=ConnectionItem.pk.exists(),
                )
                tx.update(
                    ConnectionItem(f"CONN#{connection.connection_id}", CONN_SK),
                    actions=[ConnectionItem.deadline.set(deadline)],
                    condition=ConnectionItem.pk.exists(),
                )
        except TransactWriteError:
            pass  # the connection was closed meanwhile: nothing to keep alive

    def set_background(self, connection: Connection, background: bool) -> None:
        for pk, sk in (
            (user_pk(connection.user_id), f"CONN#{connection.connection_id}"),
            (f"CONN#{connection.connection_id}", CONN_SK),
        ):
            try:
                ConnectionItem(pk, sk).update(
                    actions=[ConnectionItem.background.set(background)],
                    condition=ConnectionItem.pk.exists(),
                )
            except UpdateError as exc:
                if not _conditional_failed(exc):
                    raise

    def get(self, connection_id: str) -> Connection | None:
        item = _get(ConnectionItem, f"CONN#{connection_id}", CONN_SK)
        if item is None or item.user_id is None or item.deadline < time.time():
            return None
        return _connection_of(item)

    def remove(self, connection_id: str) -> Connection | None:
        item = _get(ConnectionItem, f"CONN#{connection_id}", CONN_SK, consistent=True)
        if item is None:
            return None
        with TransactWrite(connection=_connection()) as tx:
            tx.delete(ConnectionItem(user_pk(item.user_id), f"CONN#{connection_id}"))
            tx.delete(ConnectionItem(f"CONN#{connection_id}", CONN_SK))
        for watched in item.watching or []:
            WatchItem(f"WATCH#{watched}", f"CONN#{connection_id}").delete()
        return _connection_of(item)

    def list_for_user(self, user_id: str) -> list[Connection]:
        now = time.time()
        return [
            _connection_of(i)
            for i in ConnectionItem.query(
                user_pk(user_id), ConnectionItem.sk.startswith("CONN#"), consistent_read=True
            )
            if i.deadline >= now  # past its deadline, it is gone (the sweeper removes it)
        ]

    def expired(self, now: int, limit: int) -> list[Connection]:
        """Connections whose deadline passed without a $disconnect (the sweeper's work)."""
        found: list[Connection] = []
        for shard in range(LIVE_SHARDS):
            found += [
                _connection_of(i)
                for i in ConnectionItem.gsi1.query(
                    f"LIVE#{shard}", ConnectionItem.gsi1sk < f"{now:012d}#", limit=limit
                )
            ]
        return found

    def watch(self, connection: Connection, user_ids: list[str]) -> None:
        """Replace what this connection watches (presence subscriptions)."""
        lookup = _get(ConnectionItem, f"CONN#{connection.connection_id}", CONN_SK, consistent=True)
        if lookup is None:
            return
        before = set(lookup.watching or [])
        for watched in before - set(user_ids):
            WatchItem(f"WATCH#{watched}", f"CONN#{connection.connection_id}").delete()
        with WatchItem.batch_write() as batch:
            for watched in user_ids:
                batch.save(
                    WatchItem(
                        f"WATCH#{watched}",
                        f"CONN#{connection.connection_id}",
                        connection_id=connection.connection_id,
                        watcher_id=connection.user_id,
                        expires_at=int(time.time()) + 2 * 60 * 60,
                    )
                )
        try:
            lookup.update(
                actions=[ConnectionItem.watching.set(list(user_ids))],
                condition=ConnectionItem.pk.exists(),
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    def watchers(self, user_id: str) -> list[str]:
        now = time.time()
        return [
            w.connection_id
            for w in WatchItem.query(f"WATCH#{user_id}", WatchItem.sk.startswith("CONN#"))
            if w.expires_at >= now
        ]


def _connection_of(item: ConnectionItem) -> Connection:
    return Connection(
        connection_id=item.connection_id,
        user_id=item.user_id,
        company_id=item.company_id,
        connected_at=item.connected_at,
        device_id=item.device_id or "",
        background=bool(item.background),
        deadline=int(item.deadline or 0),
    )


class DynamoPresenceRepository:
    """Presence lives on the profile item, so the directory shows it with no extra reads."""

    def set_choice(
        self, user_id: str, status: str, message: str, expires_at: str | None, now: str
    ) -> None:
        UserItem(user_pk(user_id), PROFILE_SK).update(
            actions=[
                UserItem.presence_status.set(status),
                UserItem.presence_message.set(message),
                UserItem.presence_message_expires_at.set(expires_at)
                if expires_at
                else UserItem.presence_message_expires_at.remove(),
                UserItem.presence_updated_at.set(now),
            ],
            condition=UserItem.pk.exists(),
        )

    def set_online(self, user_id: str, online: bool, online_until: int, now: str) -> bool:
        """Store liveness; returns whether the user was online before."""
        item = UserItem(user_pk(user_id), PROFILE_SK)
        actions: list[Any] = [
            UserItem.online.set(online),
            UserItem.online_until.set(online_until),
            UserItem.presence_updated_at.set(now),
        ]
        was_other = (
            UserItem.online.does_not_exist() | (UserItem.online == False)  # noqa: E712
            if online
            else UserItem.online == True  # noqa: E712
        )
        try:
            item.update(actions=actions, condition=UserItem.pk.exists() & was_other)
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise
            # no change of state: only move the deadline, with no presence event
            try:
                item.update(
                    actions=[UserItem.online_until.set(online_until)],
                    condition=UserItem.pk.exists(),
                )
            except UpdateError as inner:
                if not _conditional_failed(inner):
                    raise
            return online
        return not online

    def set_photo(self, user_id: str, key: str) -> None:
        UserItem(user_pk(user_id), PROFILE_SK).update(
            actions=[UserItem.photo_key.set(key)], condition=UserItem.pk.exists()
        )


class DynamoNotificationRepository:
    """Push registrations, missed-message counters and the typing throttle."""

    def put_device(self, device: Device) -> None:
        DeviceItem(
            user_pk(device.user_id),
            f"DEVICE#{device.device_id}",
            device_id=device.device_id,
            platform=device.platform,
            token=device.token,
            endpoint=device.endpoint,
            registered_at=device.registered_at,
        ).save()

    def get_device(self, user_id: str, device_id: str) -> Device | None:
        item = _get(DeviceItem, user_pk(user_id), f"DEVICE#{device_id}")
        return _device(user_id, item) if item else None

    def delete_device(self, user_id: str, device_id: str) -> None:
        DeviceItem(user_pk(user_id), f"DEVICE#{device_id}").delete()

    def devices(self, user_id: str) -> list[Device]:
        return [
            _device(user_id, i)
            for i in DeviceItem.query(user_pk(user_id), DeviceItem.sk.startswith("DEVICE#"))
        ]

    def claim_token(
        self, platform: str, token: str, user_id: str, device_id: str
    ) -> tuple[str, str] | None:
        """Make (user, device) the one owner of a push token; returns the previous owner.

        A phone passed from one person to another keeps its token: the new owner's
        registration must take the token away from the old one, or the old owner's
        previews would land on the new owner's screen.
        """
        digest = hashlib.sha256(f"{platform}|{token}".encode()).hexdigest()
        item = _get(TokenItem, f"PUSHTOKEN#{digest}", "OWNER", consistent=True)
        previous = (item.user_id, item.device_id) if item else None
        TokenItem(f"PUSHTOKEN#{digest}", "OWNER", user_id=user_id, device_id=device_id).save()
        return previous

    def add_missed(self, user_id: str, conversation_id: str, seq: int, at: str) -> None:
        MissedItem(user_pk(user_id), f"MISSED#{conversation_id}").update(
            actions=[
                MissedItem.conversation_id.set(conversation_id),
                MissedItem.missed.add(1),
                MissedItem.last_seq.set(seq),
                MissedItem.updated_at.set(at),
            ]
        )

    def missed(self, user_id: str) -> list[Missed]:
        return [
            _missed(i)
            for i in MissedItem.query(
                user_pk(user_id), MissedItem.sk.startswith("MISSED#"), consistent_read=True
            )
        ]

    def claim_missed(self, user_id: str) -> list[Missed] | None:
        """Take every missed counter at once; None if another device took them first."""
        items = list(
            MissedItem.query(
                user_pk(user_id), MissedItem.sk.startswith("MISSED#"), consistent_read=True
            )
        )
        if not items:
            return []
        try:
            with TransactWrite(connection=_connection()) as tx:
                for item in items[:100]:
                    tx.delete(item, condition=MissedItem.missed == item.missed)
        except TransactWriteError as exc:
            reasons = [r.code for r in exc.cancellation_reasons if r is not None]
            if "ConditionalCheckFailed" in reasons:
                return None  # another device claimed them, or a new one arrived: lost race
            raise  # throttled or conflicting: the queue retries
        return [_missed(i) for i in items[:100]]

    def restore_missed(self, user_id: str, missed: list[Missed]) -> None:
        for entry in missed:
            MissedItem(user_pk(user_id), f"MISSED#{entry.conversation_id}").update(
                actions=[
                    MissedItem.conversation_id.set(entry.conversation_id),
                    MissedItem.missed.add(entry.count),
                    MissedItem.last_seq.set(MissedItem.last_seq | entry.last_seq),
                    MissedItem.updated_at.set(MissedItem.updated_at | entry.updated_at),
                ]
            )

    def allow_typing(self, conversation_id: str, user_id: str, now: float, every: float) -> bool:
        marker = MarkerItem(
            conv_pk(conversation_id),
            f"TYPING#{user_id}",
            until=now + every,
            expires_at=int(now + every) + 60,
        )
        try:
            marker.save(condition=MarkerItem.pk.does_not_exist() | (MarkerItem.until <= now))
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True


def _missed(item: MissedItem) -> Missed:
    return Missed(
        conversation_id=item.conversation_id,
        count=int(item.missed),
        last_seq=int(item.last_seq),
        updated_at=item.updated_at,
    )


def _device(user_id: str, item: DeviceItem) -> Device:
    return Device(
        user_id=user_id,
        device_id=item.device_id,
        platform=item.platform,
        token=item.token,
        endpoint=item.endpoint,
        registered_at=item.registered_at,
    )


class DynamoSmsRepository:
    """Business numbers, opt-outs (with their audit trail) and provider message ids."""

    def get_number(self, e164: str) -> BusinessNumber | None:
        item = _get(NumberItem, f"NUM#{e164}", "NUMBER")
        return _number(item) if item else None

    def put_number(self, number: BusinessNumber) -> None:
        NumberItem(
            f"NUM#{number.e164}",
            "NUMBER",
            e164=number.e164,
            company_id=number.company_id,
            type=number.type,
            country=number.country,
            capabilities=list(number.capabilities),
            provider=number.provider,
            state=number.state,
            users=list(number.users),
            gsi1pk=f"CO#{number.company_id}#NUMBERS",
            gsi1sk=number.e164,
        ).save()

    def numbers_of_company(self, company_id: str) -> list[BusinessNumber]:
        return [_number(i) for i in NumberItem.gsi1.query(f"CO#{company_id}#NUMBERS")]

    def conversations_of_number(self, e164: str) -> list[str]:
        return [i.conversation_id for i in ConversationItem.gsi1.query(f"NUM#{e164}#CONVS")]

    def put_policy(self, policy: Policy) -> None:
        PolicyItem(
            co_pk(policy.company_id),
            f"POLICY#{policy.policy_id}",
            policy_id=policy.policy_id,
            name=policy.name,
            sms_enabled=policy.sms_enabled,
        ).save()

    def get_policy(self, company_id: str, policy_id: str) -> Policy | None:
        item = _get(PolicyItem, co_pk(company_id), f"POLICY#{policy_id}")
        return (
            Policy(
                policy_id=item.policy_id,
                company_id=company_id,
                name=item.name,
                sms_enabled=item.sms_enabled is not False,
            )
            if item
            else None
        )

    def policies(self, company_id: str) -> list[Policy]:
        return [
            Policy(
                policy_id=i.policy_id,
                company_id=company_id,
                name=i.name,
                sms_enabled=i.sms_enabled is not False,
            )
            for i in PolicyItem.query(co_pk(company_id), PolicyItem.sk.startswith("POLICY#"))
        ]

    def numbers_of(self, user: User) -> list[BusinessNumber]:
        keys = [(f"NUM#{e164}", "NUMBER") for e164 in dict.fromkeys(user.numbers)]
        return [_number(i) for i in NumberItem.batch_get(keys)] if keys else []

    def opted_out(self, business: str, external: str) -> bool:
        item = _get(OptOutItem, f"OPTOUT#{business}#{external}", "STATE", consistent=True)
        return bool(item and item.opted_out)

    def set_opt_out(
        self, business: str, external: str, opted_out: bool, keyword: str, source: str, at: str
    ) -> bool:
        """Record the change and its audit entry; False if it was already so."""
        pk = f"OPTOUT#{business}#{external}"
        state = OptOutItem(
            pk, "STATE", opted_out=opted_out, keyword=keyword, changed_at=at, source=source
        )
        audit = OptOutItem(
            pk,
            f"AUDIT#{at}#{source}",
            opted_out=opted_out,
            keyword=keyword,
            changed_at=at,
            source=source,
        )
        changed = (
            OptOutItem.opted_out.does_not_exist() | (OptOutItem.opted_out == (not opted_out))
            if opted_out
            else OptOutItem.opted_out == True  # noqa: E712
        )
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(state, condition=changed)
                tx.save(audit)
        except TransactWriteError:
            return False
        return True

    def opt_out_history(self, business: str, external: str) -> list[dict[str, Any]]:
        return [
            {
                "opted_out": bool(i.opted_out),
                "keyword": i.keyword,
                "at": i.changed_at,
                "source": i.source,
            }
            for i in OptOutItem.query(
                f"OPTOUT#{business}#{external}", OptOutItem.sk.startswith("AUDIT#")
            )
        ]

    def map_provider_message(
        self, provider: str, provider_id: str, conversation_id: str, seq: int
    ) -> None:
        ProviderMessageItem(
            f"PMSG#{provider}#{provider_id}", "PMSG", conversation_id=conversation_id, seq=seq
        ).save()

    def find_provider_message(self, provider: str, provider_id: str) -> tuple[str, int] | None:
        item = _get(ProviderMessageItem, f"PMSG#{provider}#{provider_id}", "PMSG", consistent=True)
        return (item.conversation_id, int(item.seq)) if item else None

    def take_rate(self, key: str, window: int, limit: int) -> bool:
        """Count one request in ``key``'s window; False once ``limit`` is reached."""
        item = CounterItem(f"RATE#{key}", f"W#{window}")
        try:
            item.update(
                actions=[CounterItem.hits.add(1), CounterItem.expires_at.set(window + 3600)],
                condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def add_usage(
        self, company_id: str, user_id: str | None, day: str, direction: str, segments: int
    ) -> None:
        messages, segs = (
            (CounterItem.messages_out, CounterItem.segments_out)
            if direction == "outbound"
            else (CounterItem.messages_in, CounterItem.segments_in)
        )
        scopes = [f"{day}#company"] + ([f"{day}#user#{user_id}"] if user_id else [])
        for sk in scopes:
            CounterItem(f"USAGE#{company_id}", sk).update(
                actions=[messages.add(1), segs.add(segments)]
            )

    def usage(self, company_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        rows = []
        for item in CounterItem.query(
            f"USAGE#{company_id}", CounterItem.sk.between(first_day, f"{last_day}#~")
        ):
            day, _, scope = item.sk.partition("#")
            rows.append(
                {
                    "day": day,
                    "scope": "company" if scope == "company" else scope.removeprefix("user#"),
                    "outbound": {
                        "messages": int(item.messages_out),
                        "segments": int(item.segments_out),
                    },
                    "inbound": {
                        "messages": int(item.messages_in),
                        "segments": int(item.segments_in),
                    },
                }
            )
        return rows

    def claim_send(self, conversation_id: str, seq: int) -> bool:
        """queued → sending, once: only the claimer may call the provider."""
        try:
            MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
                actions=[MessageItem.status.set("sending"), MessageItem.status_rank.set(1)],
                condition=(MessageItem.status == "queued") & (MessageItem.deleted == False),  # noqa: E712
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def release_send(self, conversation_id: str, seq: int) -> None:
        """sending → queued, when the provider certainly did not take the text."""
        try:
            MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
                actions=[MessageItem.status.set("queued"), MessageItem.status_rank.set(0)],
                condition=(MessageItem.status == "sending")
                & (MessageItem.provider_message_id == ""),
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise

    def set_provider_id(self, conversation_id: str, seq: int, provider_message_id: str) -> None:
        MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
            actions=[MessageItem.provider_message_id.set(provider_message_id)],
            condition=MessageItem.pk.exists(),
        )

    def take_pace(
        self, e164: str, cost_seconds: float, now: float, max_wait: float, key: str | None = None
    ) -> float:
        """Reserve the number's next send slot; returns how long to wait for it (a wait
        over ``max_wait`` reserves nothing). With ``key`` the slot is booked however far
        off and remembered (``SLOT#{key}``, kept a day): asking again returns it."""
        if key is not None:
            booked = _get(PaceItem, f"PACE#{e164}", f"SLOT#{key}", consistent=True)
            if booked is not None:
                return float(booked.next_at) - now
        for _ in range(10):
            item = _get(PaceItem, f"PACE#{e164}", "PACE", consistent=True)
            previous = float(item.next_at) if item else None
            slot = max(now, previous or 0.0)
            if slot - now > max_wait and key is None:
                return slot - now
            condition = (
                PaceItem.pk.does_not_exist() if previous is None else PaceItem.next_at == previous
            )
            try:
                PaceItem(f"PACE#{e164}", "PACE", next_at=slot + cost_seconds).save(
                    condition=condition
                )
            except PutError as exc:
                if _conditional_failed(exc):
                    continue  # another sender took the slot: look again
                raise
            if key is not None:
                PaceItem(
                    f"PACE#{e164}", f"SLOT#{key}", next_at=slot, expires_at=int(slot) + 86400
                ).save()
            return slot - now
        raise ConcurrentUpdate("the number is busy; try again")

    def stale_pending(self, before: str, limit: int) -> list[tuple[str, int]]:
        """Outbound texts created before ``before`` still without a final status."""
        found: list[tuple[str, int]] = []
        for shard in range(PENDING_SHARDS):
            for item in MessageItem.gsi1.query(
                f"PENDING#{shard}", MessageItem.gsi1sk < before, limit=limit
            ):
                found.append((item.conversation_id, int(item.seq)))
        return found

    def advance_status(
        self,
        conversation_id: str,
        seq: int,
        status: str,
        provider_message_id: str | None = None,
        error_code: str | None = None,
    ) -> bool:
        """Move a message's status forward only (late, repeated, out-of-order callbacks)."""
        rank = status_rank(status)
        actions: list[Any] = [MessageItem.status.set(status), MessageItem.status_rank.set(rank)]
        if rank >= 3:
            actions.append(MessageItem.gsi1pk.remove())  # final: off the reconciler's index
        if provider_message_id:
            actions.append(MessageItem.provider_message_id.set(provider_message_id))
        if error_code:
            actions.append(MessageItem.error_code.set(error_code))
        try:
            MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
                actions=actions,
                condition=MessageItem.pk.exists() & (MessageItem.status_rank < rank),
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True


PENDING_SHARDS = 4


def _pending_index(message: Message) -> dict[str, Any]:
    if (
        message.channel != "sms"
        or message.direction != "outbound"
        or status_rank(message.status) >= 3
    ):
        return {}
    shard = message.seq % PENDING_SHARDS
    return {
        "gsi1pk": f"PENDING#{shard}",
        "gsi1sk": f"{message.created_at}#{message.conversation_id}#{message.seq}",
    }


def _number(item: NumberItem) -> BusinessNumber:
    return BusinessNumber(
        e164=item.e164,
        company_id=item.company_id,
        type=item.type,
        country=item.country,
        capabilities=list(item.capabilities or []),
        provider=item.provider,
        state=item.state,
        users=list(item.users or []),
    )


def _connection() -> PynamoConnection:
    """The low-level connection transactions need: the models' own, so one client is reused."""
    return _Item._get_connection().connection


__all__ = ["PutError", "bind_models"]
