"""The edge: JSON bodies and frames parsed once into typed commands.

Every field is read through the field table of ``chalicelib.api.fields`` (type,
bounds, valid Unicode: a lone surrogate is refused here with a 400, before
anything is written). REST routes and WebSocket actions share these parsers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.api.bodies import (
    CONNECTION_STATE,
    CONTACT,
    CONTACT_CHANGES,
    CONTACT_SEARCH,
    CONVERSATION_VIEW,
    CREATE_IM,
    CREATE_SMS,
    DEVICE,
    MARK_READ,
    MEDIA_UPLOAD,
    MEMBERS,
    PHOTO_KEY,
    PHOTO_UPLOAD,
    PREVIEW,
    SEND_MESSAGE,
    SET_PRESENCE,
    SYNC,
    TYPING,
    UPDATE_CONVERSATION,
    WATCH_PRESENCE,
)
from chalicelib.api.fields import (
    FLAG,
    LIST,
    MAX_KEYS,
    MAX_STRING,
    NOT_BLANK,
    Body,
    Json,
    as_whole,
    matches,
    path_id,
    valid_unicode,
)
from chalicelib.domain.errors import ValidationError
from chalicelib.services.commands import (
    Changes,
    ContactInput,
    CreateIm,
    CreateSms,
    DayRange,
    DeviceInput,
    MarkRead,
    PhoneInput,
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


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """One JSON object of a body: a key given twice is ambiguous (which one counts
    differs between parsers) and an object has at most ``MAX_KEYS`` keys."""
    if len(pairs) > MAX_KEYS:
        raise ValidationError(f"an object has at most {MAX_KEYS} keys", code="invalid_body")
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValidationError("a key is given twice", code="invalid_json")
    return found


def _not_a_number(constant: str) -> Any:
    raise ValidationError(f"{constant} is not JSON", code="invalid_json")


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON: no NaN or Infinity (Python's parser takes them), no key twice in an
    object, at most ``MAX_KEYS`` keys in each."""
    try:
        return json.loads(raw, object_pairs_hook=_object, parse_constant=_not_a_number)
    except ValidationError:
        raise
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        raise ValidationError("the body is not valid JSON", code="invalid_json") from None


def json_object(request: Any, optional: bool = False) -> dict[str, Any]:
    """A request's body as a JSON object (``{}`` for no body when ``optional``)."""
    if not request.raw_body:
        if optional:
            return {}
        raise ValidationError("a JSON object body is required", code="invalid_body")
    body = parse_json(request.raw_body)
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", code="invalid_body")
    return body


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
    client_id_field = SEND_MESSAGE["client_id"]
    client_id = body.get("client_id")
    if (
        not isinstance(client_id, str)
        or not client_id.strip()
        or len(client_id) > client_id_field.max_len
    ):
        raise ValidationError(
            "client_id is required: a string of 1 to 128 characters", code="invalid_client_id"
        )
    client_id = client_id_field.required_text(body)
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise ValidationError("text is required and must be a string", code="invalid_text")
    text = SEND_MESSAGE["text"].text(body)
    media = SEND_MESSAGE["media"].strings(body)
    if text is None and not media:
        raise ValidationError("text is required and must be a string", code="invalid_text")
    if (text or not media) and not matches(NOT_BLANK, text or ""):
        raise ValidationError("text must not be empty", code="empty_text")
    return SendMessage(
        conversation_id=path_id(conversation_id, "conversation_not_found"),
        client_id=client_id,
        text=text,
        media=media or (),
        note=bool(SEND_MESSAGE["note"].flag(body)),
    )


def mark_read(body: Json, conversation_id: str) -> MarkRead:
    seq = MARK_READ["seq"].whole(body)
    if seq is None:
        raise ValidationError("seq must be a non-negative whole number", code="invalid_seq")
    return MarkRead(path_id(conversation_id, "conversation_not_found"), seq)


def sync(body: Json, limit: int) -> SyncRequest:
    spec = SYNC["conversations"]
    positions = body.get("conversations")
    if not isinstance(positions, dict) or not positions:
        raise ValidationError(
            "conversations must map conversation ids to the last seq seen", code="invalid_sync"
        )
    if len(positions) > spec.max_items:
        raise ValidationError("sync at most 50 conversations per call", code="invalid_sync")
    clean: dict[str, int] = {}
    for conversation_id, seen in positions.items():
        if not (isinstance(conversation_id, str) and len(conversation_id) <= spec.max_len) or not (
            valid_unicode(conversation_id)
        ):
            raise ValidationError("conversation ids must be ids", code="invalid_sync")
        seq = as_whole(seen)
        if seq is None or not spec.minimum <= seq <= spec.maximum:
            raise ValidationError(
                f"the seq for {conversation_id} must be a whole number", code="invalid_sync"
            )
        clean[conversation_id] = seq
    return SyncRequest(clean, limit)


def typing(body: Json) -> Typing:
    return Typing(TYPING["conversation_id"].required_text(body))


def watch_presence(body: Json) -> WatchPresence:
    user_ids = WATCH_PRESENCE["user_ids"].strings(body)
    if user_ids is None:
        raise ValidationError("user_ids must be a list of user ids", code="invalid_user_ids")
    return WatchPresence(user_ids)


def connection_state(body: Json) -> SetConnectionState:
    return SetConnectionState(CONNECTION_STATE["state"].text(body) or "")


# -- conversations ---------------------------------------------------------------------


def create_im(body: Json) -> CreateIm:
    members = CREATE_IM["members"].strings(body)
    if not members:
        raise ValidationError(
            "members must be a non-empty list of user ids", code="invalid_members"
        )
    return CreateIm(
        members=members,
        name=CREATE_IM["name"].text(body),
        group=CREATE_IM["group"].flag(body),
    )


def create_sms(body: Json) -> CreateSms:
    if isinstance(body.get("to"), list):
        raise ValidationError(
            "group SMS is not supported: text one number at a time", code="group_sms_unsupported"
        )
    return CreateSms(
        to=CREATE_SMS["to"].required_text(body),
        from_=CREATE_SMS["from"].text(body),
        consent=CREATE_SMS["consent"].text(body),
    )


def update_conversation(body: Json) -> UpdateConversation:
    given = frozenset(body)
    if given - set(UPDATE_CONVERSATION.by_name) or not given:
        raise ValidationError(
            "give name, muted, hidden, assignee and/or labels", code="invalid_request"
        )
    return UpdateConversation(
        name=UPDATE_CONVERSATION["name"].text(body),
        muted=UPDATE_CONVERSATION["muted"].flag(body),
        hidden=UPDATE_CONVERSATION["hidden"].flag(body),
        assignee=UPDATE_CONVERSATION["assignee"].text(body),
        labels=UPDATE_CONVERSATION["labels"].strings(body),
        fields=given,
    )


def members(body: Json) -> tuple[str, ...]:
    found = MEMBERS["members"].strings(body)
    if not found:
        raise ValidationError(
            "members must be a non-empty list of user ids", code="invalid_members"
        )
    return found


# -- me, contacts, devices, media ----------------------------------------------------------


def set_presence(body: Json) -> SetPresence:
    return SetPresence(
        status=SET_PRESENCE["status"].text(body) or "",
        message=SET_PRESENCE["message"].text(body) or "",
        expires_at=SET_PRESENCE["expires_at"].text(body),
        expires_in=SET_PRESENCE["expires_in"].whole(body),
    )


_UPLOADS = {"photo_too_large": PHOTO_UPLOAD, "media_too_large": MEDIA_UPLOAD}


def upload(body: Json, size_code: str) -> UploadRequest:
    """A photo's (``photo_too_large``) or a message's media (``media_too_large``)."""
    spec = _UPLOADS[size_code]
    size_field = spec["size"]
    size = as_whole(body.get("size"))
    if size is None or not size_field.minimum <= size <= size_field.maximum:
        raise ValidationError("size must be a whole number of bytes", code=size_code)
    content_type = spec["content_type"].required_text(body)
    filename = spec["filename"].text(body) if "filename" in spec.by_name else None
    return UploadRequest(content_type, size, filename)


def photo_key(body: Json) -> str:
    return PHOTO_KEY["key"].required_text(body)


def contact(body: Json, new: bool = False) -> ContactInput:
    """A new contact (``new``) or a change: null or absent is not given, except that a
    change's null ``email`` or ``company`` clears it."""
    spec = CONTACT if new else CONTACT_CHANGES
    found = spec["phones"].objects(body)
    phones = None
    if found is not None:
        phones = tuple(PhoneInput(str(p["number"]), _text_or_none(p["label"])) for p in found)
    phone = spec["phone"].text(body)
    if phone is not None and phones is not None:
        raise ValidationError("give phone or phones, not both", code="invalid_phones")
    clears = "" if not new else None
    return ContactInput(
        name=spec["name"].text(body),
        phone=phone,
        phones=phones,
        email=spec["email"].text(body)
        if body.get("email") is not None
        else _given(body, "email", clears),
        company=spec["company"].text(body)
        if body.get("company") is not None
        else _given(body, "company", clears),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _given(body: Json, name: str, null_means: str | None) -> str | None:
    """A field given as null: what null means for it; absent: None (not given)."""
    return null_means if name in body else None


def conversation_view(query: Mapping[str, str]) -> str | None:
    """``GET /conversations?view=``: a shared line's view, None for the plain list."""
    value = query.get("view")
    return None if value is None else CONVERSATION_VIEW[0].text({"view": value})


def contact_search(query: Mapping[str, str]) -> str | None:
    """``GET /contacts?q=``: the text to suggest for, None for the plain list."""
    value = query.get("q")
    if value is None or value == "":
        return None
    return CONTACT_SEARCH[0].text({"q": value})


def device(body: Json) -> DeviceInput:
    return DeviceInput(
        device_id=DEVICE["device_id"].required_text(body),
        platform=DEVICE["platform"].required_text(body),
        token=DEVICE["token"].required_text(body),
    )


def preview(body: Json) -> PreviewText:
    text = body.get("text")
    if not isinstance(text, str):
        raise ValidationError("text is required and must be a string", code="invalid_text")
    return PreviewText(text=PREVIEW["text"].required_text(body), to=PREVIEW["to"].text(body))


def day_range(query: Mapping[str, str]) -> DayRange:
    first, last = query.get("from", ""), query.get("to", "")
    return DayRange(first[:32], last[:32])


# -- admin -----------------------------------------------------------------------------------


def changes(body: Json, spec: Body) -> Changes:
    """A partial update (``changes_body``): a wrong type is a 400; so is an unknown
    field or an empty update, unless the body is open (the route takes back the object
    it returned and ignores what it does not change)."""
    unknown = set(body) - set(spec.by_name)
    if spec.closed and (unknown or not body):
        raise ValidationError(f"give {', '.join(sorted(spec.by_name))}", code="invalid_request")
    values: dict[str, str | bool | list[str] | None] = {}
    for spec_field in spec.fields:
        name = spec_field.name
        if name not in body:
            if spec_field.required:
                raise ValidationError(f"{name} is required", code=spec_field.code)
            continue
        if spec_field.kind == FLAG:
            value = spec_field.flag(body)
            if value is None:
                raise ValidationError(f"{name} must be true or false", code="invalid_request")
            values[name] = value
        elif spec_field.kind == LIST:
            items = spec_field.strings(body)
            if items is None:
                raise ValidationError(f"{name} must be a list", code=spec_field.code)
            values[name] = list(items)
        elif body[name] is None and spec_field.accepts_null:
            values[name] = None
        else:
            values[name] = spec_field.required_text(body)
    return Changes(values)
