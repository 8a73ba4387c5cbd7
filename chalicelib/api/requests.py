"""The edge: JSON bodies and frames parsed once into typed commands.

Every string is checked for type, length and valid Unicode (a lone surrogate
cannot be stored or sent: it is refused here with a 400, before anything is
written); numbers are whole and bounded; lists are bounded. REST routes and
WebSocket actions share these parsers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from chalicelib.domain.errors import NotFound, ValidationError
from chalicelib.services.commands import (
    Changes,
    ContactInput,
    CreateIm,
    CreateSms,
    DayRange,
    DeviceInput,
    MarkRead,
    PreviewText,
    SendMessage,
    SetConnectionState,
    SetPresence,
    SyncRequest,
    Typing,
    UpdateConversation,
    UploadRequest,
    WatchPresence,
)

MAX_STRING = 4096  # any string field not bounded more tightly below
MAX_TEXT = 10 * 1024 * 1024  # API Gateway's payload limit; MAX_TEXT_LENGTH is the service's
MAX_ID = 256
MAX_LIST = 100
MAX_MEMBERS = 1000  # the group limit (a setting, lower) answers too_many_members
MAX_SEQ = 10**11
T = TypeVar("T")

Json = Mapping[str, object]


def valid_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def string(
    body: Json, name: str, code: str, *, max_len: int = MAX_STRING, required: bool = True
) -> str | None:
    """A string field: absent or null is None (or an error when required)."""
    value = body.get(name)
    if value is None:
        if required:
            raise ValidationError(f"{name} is required", code=code)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ValidationError(f"{name} must be text of at most {max_len} characters", code=code)
    if not valid_unicode(value):
        raise ValidationError(f"{name} is not valid Unicode text", code=code)
    return value


def required_string(body: Json, name: str, code: str, *, max_len: int = MAX_STRING) -> str:
    value = string(body, name, code, max_len=max_len)
    assert value is not None
    return value


def whole(
    body: Json, name: str, code: str, *, minimum: int = 0, maximum: int = MAX_SEQ
) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationError(
            f"{name} must be a whole number from {minimum} to {maximum}", code=code
        )
    return value


def flag(body: Json, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code="invalid_request")
    return value


def strings(
    body: Json, name: str, code: str, *, max_items: int = MAX_LIST, max_len: int = MAX_ID
) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(v, str) and len(v) <= max_len and valid_unicode(v) for v in value)
    ):
        raise ValidationError(f"{name} must be a list of at most {max_items} strings", code=code)
    return tuple(value)


def path_id(value: str, code: str = "not_found") -> str:
    """An id from the URL path: bounded and valid Unicode, else nothing matches it."""
    if len(value) > MAX_ID or not valid_unicode(value):
        raise NotFound("no such item", code=code)
    return value


def checked(value: object, depth: int = 0) -> object:
    """A JSON value whose every string is valid Unicode and bounded, nested at most
    16 deep (for bodies a route hands on whole, field by field checked later)."""
    if depth > 16:
        raise ValidationError("the body nests too deep", code="invalid_body")
    if isinstance(value, str):
        if len(value) > MAX_STRING or not valid_unicode(value):
            raise ValidationError(
                f"text must be valid Unicode of at most {MAX_STRING} characters",
                code="invalid_body",
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            checked(key, depth + 1)
            checked(item, depth + 1)
    elif isinstance(value, list):
        if len(value) > 1000:
            raise ValidationError("a list of at most 1000 items", code="invalid_body")
        for item in value:
            checked(item, depth + 1)
    return value


# -- messages (REST and WebSocket) -------------------------------------------------


def send_message(body: Json, conversation_id: str) -> SendMessage:
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 128:
        raise ValidationError(
            "client_id is required: a string of 1 to 128 characters", code="invalid_client_id"
        )
    client_id = required_string(body, "client_id", "invalid_client_id", max_len=128)
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise ValidationError("text is required and must be a string", code="invalid_text")
    text = string(body, "text", "invalid_text", max_len=MAX_TEXT, required=False)
    media = strings(body, "media", "invalid_media", max_items=10)
    return SendMessage(
        conversation_id=path_id(conversation_id, "conversation_not_found"),
        client_id=client_id,
        text=text,
        media=media or (),
    )


def mark_read(body: Json, conversation_id: str) -> MarkRead:
    seq = whole(body, "seq", "invalid_seq")
    if seq is None:
        raise ValidationError("seq must be a non-negative whole number", code="invalid_seq")
    return MarkRead(path_id(conversation_id, "conversation_not_found"), seq)


def sync(body: Json, limit: int) -> SyncRequest:
    positions = body.get("conversations")
    if not isinstance(positions, dict) or not positions:
        raise ValidationError(
            "conversations must map conversation ids to the last seq seen", code="invalid_sync"
        )
    if len(positions) > 50:
        raise ValidationError("sync at most 50 conversations per call", code="invalid_sync")
    clean: dict[str, int] = {}
    for conversation_id, seen in positions.items():
        if not (isinstance(conversation_id, str) and len(conversation_id) <= MAX_ID) or not (
            valid_unicode(conversation_id)
        ):
            raise ValidationError("conversation ids must be ids", code="invalid_sync")
        if isinstance(seen, bool) or not isinstance(seen, int) or not 0 <= seen < MAX_SEQ:
            raise ValidationError(
                f"the seq for {conversation_id} must be a whole number", code="invalid_sync"
            )
        clean[conversation_id] = seen
    return SyncRequest(clean, limit)


def typing(body: Json) -> Typing:
    return Typing(
        required_string(body, "conversation_id", "conversation_not_found", max_len=MAX_ID)
    )


def watch_presence(body: Json) -> WatchPresence:
    user_ids = strings(body, "user_ids", "invalid_user_ids", max_items=10_000)
    if user_ids is None:
        raise ValidationError("user_ids must be a list of user ids", code="invalid_user_ids")
    return WatchPresence(user_ids)


def connection_state(body: Json) -> SetConnectionState:
    return SetConnectionState(
        string(body, "state", "invalid_state", max_len=32, required=False) or ""
    )


# -- conversations ---------------------------------------------------------------------


def create_im(body: Json) -> CreateIm:
    members = strings(body, "members", "invalid_members", max_items=MAX_MEMBERS)
    if not members:
        raise ValidationError(
            "members must be a non-empty list of user ids", code="invalid_members"
        )
    return CreateIm(
        members=members,
        name=string(body, "name", "invalid_name", max_len=1000, required=False),
        group=flag(body, "group"),
    )


def create_sms(body: Json) -> CreateSms:
    if isinstance(body.get("to"), list):
        raise ValidationError(
            "group SMS is not supported: text one number at a time", code="group_sms_unsupported"
        )
    return CreateSms(
        to=required_string(body, "to", "invalid_phone", max_len=64),
        from_=string(body, "from", "invalid_from", max_len=64, required=False),
    )


def update_conversation(body: Json) -> UpdateConversation:
    given = frozenset(body)
    if given - {"name", "muted", "hidden"} or not given:
        raise ValidationError("give name, muted and/or hidden", code="invalid_request")
    return UpdateConversation(
        name=string(body, "name", "invalid_name", max_len=1000, required=False),
        muted=flag(body, "muted"),
        hidden=flag(body, "hidden"),
        fields=given,
    )


def members(body: Json) -> tuple[str, ...]:
    found = strings(body, "members", "invalid_members", max_items=MAX_MEMBERS)
    if not found:
        raise ValidationError(
            "members must be a non-empty list of user ids", code="invalid_members"
        )
    return found


# -- me, contacts, devices, media ----------------------------------------------------------


def set_presence(body: Json) -> SetPresence:
    status = string(body, "status", "invalid_status", max_len=32, required=False)
    return SetPresence(
        status=status or "",
        message=string(body, "message", "invalid_status_message", max_len=1000, required=False)
        or "",
        expires_at=string(body, "expires_at", "invalid_expiry", max_len=64, required=False),
        expires_in=_expires_in(body),
    )


def _expires_in(body: Json) -> int | None:
    """Its type only: the range is the service's (and only when there is a message)."""
    value = body.get("expires_in")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError("expires_in must be a whole number of seconds", code="invalid_expiry")
    return value


def upload(body: Json, size_code: str) -> UploadRequest:
    content_type = string(body, "content_type", "invalid_content_type", max_len=128)
    size = body.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size < 2**53:
        raise ValidationError("size must be a whole number of bytes", code=size_code)
    assert content_type is not None
    return UploadRequest(content_type, size)


def contact(body: Json) -> ContactInput:
    return ContactInput(
        name=string(body, "name", "invalid_name", max_len=1000, required=False),
        phone=string(body, "phone", "invalid_phone", max_len=64, required=False),
    )


def device(body: Json) -> DeviceInput:
    return DeviceInput(
        device_id=required_string(body, "device_id", "invalid_device_id", max_len=MAX_ID),
        platform=required_string(body, "platform", "invalid_platform", max_len=32),
        token=required_string(body, "token", "invalid_push_token", max_len=MAX_STRING),
    )


def preview(body: Json) -> PreviewText:
    text = body.get("text")
    if not isinstance(text, str):
        raise ValidationError("text is required and must be a string", code="invalid_text")
    return PreviewText(
        text=required_string(body, "text", "invalid_text", max_len=MAX_TEXT),
        to=string(body, "to", "invalid_phone", max_len=64, required=False),
    )


def day_range(query: Mapping[str, str]) -> DayRange:
    first, last = query.get("from", ""), query.get("to", "")
    return DayRange(first[:32], last[:32])


# -- admin -----------------------------------------------------------------------------------


def changes(
    body: Json, allowed: Mapping[str, str], *, max_len: int = 320, strict: bool = True
) -> Changes:
    """A partial update of ``allowed`` fields, each of its kind: ``text``, ``text?``
    (text or null), ``flag`` or ``list`` (of short strings). A wrong type is a 400;
    so is an unknown field or an empty update, unless ``strict`` is off (the route
    takes back the object it returned, and ignores what it does not change)."""
    unknown = set(body) - set(allowed)
    if strict and (unknown or not body):
        raise ValidationError(f"give {', '.join(sorted(allowed))}", code="invalid_request")
    values: dict[str, str | bool | list[str] | None] = {}
    for name, kind in allowed.items():
        if name not in body:
            continue
        if kind == "flag":
            value = flag(body, name)
            if value is None:
                raise ValidationError(f"{name} must be true or false", code="invalid_request")
            values[name] = value
        elif kind == "list":
            items = strings(body, name, f"invalid_{name}", max_len=64)
            if items is None:
                raise ValidationError(f"{name} must be a list", code=f"invalid_{name}")
            values[name] = list(items)
        else:
            values[name] = string(
                body, name, f"invalid_{name}", max_len=max_len, required=kind == "text"
            )
    return Changes(values)
