"""Items ↔ domain objects."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.keys import (
    USER_PREFIX,
    pending_gsi,
    pending_sort,
)
from chalicelib.adapters.dynamodb.models import (
    ConnectionItem,
    ContactItem,
    ConversationItem,
    DeviceItem,
    MembershipItem,
    MessageItem,
    MissedItem,
    NumberItem,
    UserItem,
)
from chalicelib.domain.contacts import Contact, Phone
from chalicelib.domain.model import (
    BusinessNumber,
    Connection,
    Conversation,
    Device,
    Membership,
    Message,
    Missed,
    Presence,
    User,
)
from chalicelib.domain.sms import is_final

# -- conversions ------------------------------------------------------------------


def to_user(item: UserItem) -> User:
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
        username=item.username or "",
        enabled=item.enabled is not False,
        presence=Presence(
            status=item.presence_status,
            message=item.presence_message,
            message_expires_at=item.presence_message_expires_at,
            online=bool(item.online),
            online_until=int(item.online_until or 0),
            updated_at=item.presence_updated_at or "",
        ),
    )


def to_conversation(item: ConversationItem) -> Conversation:
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
        assignee=item.assignee or None,
        labels=list(item.labels or []),
    )


def to_message(item: MessageItem) -> Message:
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


def to_membership(item: MembershipItem) -> Membership:
    activity = (item.gsi1sk or "").split("#", 1)[0]
    return Membership(
        user_id=item.user_id,
        conversation_id=item.conversation_id,
        company_id=item.company_id,
        read_seq=int(item.read_seq),
        muted=bool(item.muted),
        hidden=bool(item.hidden),
        activity_at=activity,
        cleared_seq=int(item.cleared_seq or 0),
        assignee=item.assignee or None,
        preview=dict(item.preview) if item.preview else None,
        hides=int(item.hides or 0),
    )


def to_contact(item: ContactItem) -> Contact:
    phones = [Phone(str(p["number"]), str(p.get("label") or "")) for p in item.phones or []]
    return Contact(
        contact_id=item.contact_id,
        owner_id=item.pk.removeprefix(USER_PREFIX),
        company_id=item.company_id,
        name=item.name,
        phones=phones or [Phone(item.phone)],
        created_at=item.created_at,
        updated_at=item.updated_at,
        email=item.email or "",
        company=item.company or "",
    )


def to_connection(item: ConnectionItem) -> Connection:
    return Connection(
        connection_id=item.connection_id,
        user_id=item.user_id,
        company_id=item.company_id,
        connected_at=item.connected_at,
        device_id=item.device_id or "",
        background=bool(item.background),
        deadline=int(item.deadline or 0),
    )


def to_missed(item: MissedItem) -> Missed:
    return Missed(
        conversation_id=item.conversation_id,
        count=int(item.missed),
        last_seq=int(item.last_seq),
        updated_at=item.updated_at,
    )


def to_device(user_id: str, item: DeviceItem) -> Device:
    return Device(
        user_id=user_id,
        device_id=item.device_id,
        platform=item.platform,
        token=item.token,
        endpoint=item.endpoint,
        registered_at=item.registered_at,
    )


def to_number(item: NumberItem) -> BusinessNumber:
    return BusinessNumber(
        e164=item.e164,
        company_id=item.company_id,
        type=item.type,
        country=item.country,
        capabilities=list(item.capabilities or []),
        provider=item.provider,
        state=item.state,
        users=list(item.users or []),
        registration=item.registration or "",
        registration_status=item.registration_status or "",
        registration_id=item.registration_id or "",
        registration_reason=item.registration_reason or "",
    )


def pending_index(message: Message) -> dict[str, Any]:
    if message.channel != "sms" or message.direction != "outbound" or is_final(message.status):
        return {}
    return {
        "gsi1pk": pending_gsi(message.seq),
        "gsi1sk": pending_sort(message.created_at, message.conversation_id, message.seq),
    }
