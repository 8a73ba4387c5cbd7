"""PynamoDB models over the one messaging table."""

from __future__ import annotations

import time
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
from pynamodb.constants import BATCH_GET_ITEM
from pynamodb.exceptions import DoesNotExist, GetError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.cursors import encode_cursor

M = TypeVar("M", bound=Model)

# -- models ---------------------------------------------------------------------


class Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):
    """A shared line's views of a member: keyed by the view, sorted as the list is."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
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
    registration = UnicodeAttribute(default="")
    registration_status = UnicodeAttribute(default="")
    registration_id = UnicodeAttribute(default="")
    registration_reason = UnicodeAttribute(default="")
    gsi1pk = UnicodeAttribute()  # CO#{company}#NUMBERS
    gsi1sk = UnicodeAttribute()  # e164
    gsi1 = Gsi1()


class OptOutItem(_Item):
    """Whether an external number opted out of one business number (and its audit trail)."""

    opted_out = BooleanAttribute(default=False)
    keyword = UnicodeAttribute(default="")
    changed_at = UnicodeAttribute(default="")
    source = UnicodeAttribute(default="")
    text = UnicodeAttribute(default="")  # what the customer wrote (the audit's evidence)
    change = UnicodeAttribute(null=True)  # AUDIT: a consent record's change (not an opt-out)
    by = UnicodeAttribute(null=True)  # AUDIT: who made that change (a user id)
    reply_owed = UnicodeAttribute(null=True)  # STATE: the text whose confirmation is owed
    reply_claimed_at = UnicodeAttribute(null=True)  # STATE: an attempt is sending it


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
    username = UnicodeAttribute(default="")
    enabled = BooleanAttribute(default=True)
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
    phone = UnicodeAttribute()  # the first number (items from before phones have only it)
    phones = JSONAttribute(null=True)  # [{number, label}]
    email = UnicodeAttribute(default="")
    company = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)  # USER#{owner}#CONTACTS: suggestions by name
    gsi1sk = UnicodeAttribute(null=True)  # {folded name}#{contact}
    gsi1 = Gsi1()


class ContactPhoneItem(_Item):
    """A number of one of a user's contacts: which contact, and its name (so an SMS
    thread shows it with one read)."""

    contact_id = UnicodeAttribute()
    name = UnicodeAttribute()


class HiddenMessageItem(_Item):
    """A message one member deleted for themselves; ``view`` is what their devices are
    told (``message.updated`` with ``hidden``)."""

    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    conversation_id = UnicodeAttribute()
    seq = NumberAttribute()
    view = JSONAttribute(null=True)


class ConversationItem(_Item):
    conversation_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    type = UnicodeAttribute()
    members: ListAttribute[str] = ListAttribute()
    name = UnicodeAttribute(default="")
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    last_seq = NumberAttribute(default=0)  # the head: the highest stored message
    # The counter sequence numbers are taken from (an atomic ADD; absent on items
    # written before it existed, where it starts from last_seq):
    seq_counter = NumberAttribute(null=True)
    last_message = MapAttribute(null=True)  # type: ignore[var-annotated]
    version = NumberAttribute(default=0)
    business_number = UnicodeAttribute(default="")
    external_number = UnicodeAttribute(default="")
    assignee = UnicodeAttribute(null=True)  # a shared line's conversation: who answers it
    labels: ListAttribute[str] = ListAttribute(null=True)
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
    # A number taken by a send that never stored its message (a placeholder: never
    # listed, never an event; catch-up steps over it):
    gap = BooleanAttribute(null=True)
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
    cleared_seq = NumberAttribute(null=True)  # "delete for me": messages up to it are gone
    assignee = UnicodeAttribute(null=True)  # the conversation's (a shared line's)
    preview = JSONAttribute(null=True)  # the member's own list preview (Membership.preview)
    hides = NumberAttribute(null=True)  # Membership.hides: hides write in turn
    view_version = NumberAttribute(null=True)  # the conversation version the copy is of
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    gsi2pk = UnicodeAttribute(null=True)  # a shared line's view: USER#{user}#MINE / #UNASSIGNED
    gsi2 = Gsi2()


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


class PushDevicesItem(_Item):
    """Every push device of a user on one item, so a message's recipients' devices are
    one BatchGetItem (the DEVICE# items stay the record; this mirrors them)."""

    devices = JSONAttribute(null=True)  # {device_id: {platform, token, endpoint, registered_at}}
    version = NumberAttribute(default=0)


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
    ContactPhoneItem,
    HiddenMessageItem,
    ConversationItem,
    MessageItem,
    ClientKeyItem,
    MembershipItem,
    ConnectionItem,
    WatchItem,
    MarkerItem,
    MissedItem,
    DeviceItem,
    PushDevicesItem,
    TokenItem,
    NumberItem,
    PolicyItem,
    OptOutItem,
    ProviderMessageItem,
    CounterItem,
    PaceItem,
)


_REGISTERED: list[type[_Item]] = []


def register(*models: type[_Item]) -> None:
    """Item types declared in other modules (the contact center's) share the table,
    its connection and ``bind_models``."""
    _REGISTERED.extend(m for m in models if m not in _REGISTERED)


def bind_models(table_name: str, region: str, host: str | None = None) -> None:
    """Point every model at the stage's table, over ONE shared connection.

    PynamoDB opens a connection (and a botocore client) per model class; on a fresh
    Lambda that is a client construction per item type a request touches. Every
    model has the same key schema and indexes, so they share the one built for the
    model that declares both indexes.
    """
    every = (_Item, *MODELS, *_REGISTERED)
    for model in every:  # type: Any
        model.Meta.table_name = table_name
        model.Meta.region = region
        model.Meta.host = host
        model._connection = None
    shared = MembershipItem._get_connection()  # declares gsi1 and gsi2: the full key schema
    for model in every:
        model._connection = shared


def warm_client() -> None:
    """Build the shared botocore client now (Lambda init) rather than on a request."""
    _ = shared_connection().client


def get_item(model: type[M], pk: str, sk: str, consistent: bool = False) -> M | None:
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


BATCH_GET_ATTEMPTS = 5


def batch_get_raw(
    keys: list[tuple[str, str]], consistent: bool = False
) -> dict[tuple[str, str], dict[str, Any]]:
    """Items of any types in one BatchGetItem (PynamoDB batches one model at a time):
    their raw attribute maps by (pk, sk), for ``Model.from_raw_data``. Keys DynamoDB
    leaves unprocessed (throttling) are asked again, a few times, then it fails."""
    table = _Item.Meta.table_name
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for attempt in range(BATCH_GET_ATTEMPTS):
        request = {"RequestItems": {table: {"Keys": pending, "ConsistentRead": consistent}}}
        response = shared_connection().dispatch(BATCH_GET_ITEM, request)
        for item in response.get("Responses", {}).get(table, []):
            found[(item["pk"]["S"], item["sk"]["S"])] = item
        pending = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if not pending:
            return found
        if attempt + 1 < BATCH_GET_ATTEMPTS:
            time.sleep(0.05 * 2**attempt)
    raise GetError(f"{len(pending)} key(s) left unprocessed by BatchGetItem")


TABLE_KEYS = ("pk", "sk")
GSI1_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def page_of(
    items: list[M], limit: int, key_names: tuple[str, ...], tag: str
) -> tuple[list[M], str | None]:
    """Queries ask for limit+1 items so the cursor is null exactly at the end."""
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], encode_cursor({k: getattr(last, k) for k in key_names}, tag)


def conditional_failed(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def shared_connection() -> PynamoConnection:
    """The low-level connection every model shares (transactions need it)."""
    return _Item._get_connection().connection
