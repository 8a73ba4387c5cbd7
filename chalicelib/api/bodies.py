"""The bodies the employee app sends: messages, conversations, presence, contacts,
devices, uploads. Parsed by ``api.requests``; published by ``api.openapi``."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.api.fields import (
    CLIENT_ID,
    FLAG,
    LIST,
    MAP,
    MAX_ID,
    MAX_SEQ,
    MAX_STRING,
    MAX_TEXT,
    NAME,
    NOT_BLANK,
    ONE_LINE,
    TEXT,
    WHOLE,
    Body,
    Field,
    body_of,
)
from chalicelib.domain.model import IM, SMS, STATUSES
from chalicelib.services.conversations import MAX_GROUP_NAME
from chalicelib.services.directory import MAX_CONTACT_NAME
from chalicelib.services.notifications import MAX_TOKEN, PLATFORMS
from chalicelib.services.presence import MAX_EXPIRY_SECONDS, MAX_STATUS_MESSAGE, PHOTO_TYPES
from chalicelib.services.sms.media import MAX_MEDIA, MEDIA_TYPES

PHONE = "a phone number as a person types it; libphonenumber must hold it valid"
MAX_MEMBERS = 1000  # the max_group_members setting, lower, is what the document states

SEND_MESSAGE = body_of(
    CLIENT_ID,
    Field(
        "text",
        TEXT,
        "invalid_text",
        max_len=MAX_TEXT,
        setting="max_text_length",
        description="not blank, unless media is given (then it may be empty)",
    ),
    Field("media", LIST, "invalid_media", max_items=MAX_MEDIA, max_len=MAX_ID),
    # text that is not blank, or media with text absent, null, empty or not blank
    rule={
        "anyOf": [
            {
                "required": ["text"],
                "properties": {"text": {"type": "string", "pattern": NOT_BLANK}},
            },
            {
                "required": ["media"],
                "properties": {
                    "media": {"type": "array", "minItems": 1},
                    "text": {"anyOf": [{"maxLength": 0}, {"pattern": NOT_BLANK}]},
                },
            },
        ]
    },
)
MARK_READ = body_of(Field("seq", WHOLE, "invalid_seq", required=True))
SYNC = body_of(
    Field(
        "conversations",
        MAP,
        "invalid_sync",
        required=True,
        max_len=MAX_ID,
        maximum=MAX_SEQ - 1,
        min_items=1,
        max_items=50,
        description="conversation id -> the last seq seen",
    )
)
TYPING = body_of(
    Field("conversation_id", TEXT, "conversation_not_found", required=True, max_len=MAX_ID)
)
WATCH_PRESENCE = body_of(
    Field("user_ids", LIST, "invalid_user_ids", required=True, max_items=10_000, max_len=MAX_ID)
)
CONNECTION_STATE = body_of(Field("state", TEXT, "invalid_state", max_len=32))
_MEMBERS = Field(
    "members",
    LIST,
    "invalid_members",
    required=True,
    min_items=1,
    max_items=MAX_MEMBERS,
    max_len=MAX_ID,
    setting="max_group_members",
    setting_offset=-1,
    description="co-workers' user ids (the caller is counted apart: at most max_group_members - 1)",
)
_GROUP_NAME = Field(
    "name", TEXT, "invalid_name", max_len=MAX_GROUP_NAME, pattern=ONE_LINE, description="one line"
)
CREATE_IM = body_of(
    Field("type", TEXT, "invalid_type", nullable=False, max_len=8, choices=(IM,)),
    _MEMBERS,
    _GROUP_NAME,
    Field("group", FLAG),
)
CREATE_SMS = body_of(
    Field("type", TEXT, "invalid_type", required=True, max_len=8, choices=(SMS,)),
    Field("to", TEXT, "invalid_phone", required=True, max_len=64, description=PHONE),
    Field("from", TEXT, "invalid_from", max_len=64, description="one of the caller's numbers"),
    Field(
        "consent",
        TEXT,
        "invalid_consent",
        max_len=500,
        description="how the customer opted in (shown to the next person who texts them)",
    ),
)
UPDATE_CONVERSATION = body_of(
    _GROUP_NAME,  # null clears the name
    Field("muted", FLAG, nullable=False),
    Field("hidden", FLAG, nullable=False),
    closed=True,
    min_fields=1,
)
MEMBERS = body_of(_MEMBERS)
SET_PRESENCE = body_of(
    Field("status", TEXT, "invalid_status", required=True, max_len=32, choices=STATUSES),
    Field("message", TEXT, "invalid_status_message", max_len=MAX_STATUS_MESSAGE),
    Field(
        "expires_at",
        TEXT,
        "invalid_expiry",
        max_len=64,
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})$",
        description="when the message ends: an ISO 8601 time with its offset, in the "
        "coming year (read only with a message)",
    ),
    Field(
        "expires_in",
        WHOLE,
        "invalid_expiry",
        minimum=1,
        maximum=MAX_EXPIRY_SECONDS,
        description="seconds until the message ends (read only with a message)",
    ),
)


def _upload(types: tuple[str, ...], setting: str, size_code: str) -> Body:
    return body_of(
        Field(
            "content_type", TEXT, "invalid_content_type", required=True, max_len=128, choices=types
        ),
        Field(
            "size",
            WHOLE,
            size_code,
            required=True,
            minimum=1,
            maximum=2**53 - 1,
            setting=setting,
            description="bytes",
        ),
    )


PHOTO_UPLOAD = _upload(tuple(PHOTO_TYPES), "photo_max_bytes", "photo_too_large")
MEDIA_UPLOAD = _upload(tuple(MEDIA_TYPES), "mms_max_bytes", "media_too_large")
PHOTO_KEY = body_of(
    Field(
        "key",
        TEXT,
        "invalid_key",
        required=True,
        max_len=1024,
        pattern=r"^uploads/photos/",
        description="the key POST /me/photo gave the caller",
    )
)
_CONTACT_NAME = Field("name", TEXT, "invalid_name", max_len=MAX_CONTACT_NAME, pattern=NAME)
_CONTACT_PHONE = Field("phone", TEXT, "invalid_phone", max_len=64, description=PHONE)
CONTACT = body_of(
    replace(_CONTACT_NAME, required=True),
    replace(_CONTACT_PHONE, required=True),
)
CONTACT_CHANGES = body_of(
    _CONTACT_NAME,
    _CONTACT_PHONE,
    # null or absent leaves a field as it is; at least one must change
    rule={
        "anyOf": [
            {"required": ["name"], "properties": {"name": {"type": "string"}}},
            {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
        ]
    },
)
DEVICE = body_of(
    Field("device_id", TEXT, "invalid_device_id", required=True, min_len=1, max_len=128),
    Field("platform", TEXT, "invalid_platform", required=True, max_len=32, choices=PLATFORMS),
    Field(
        "token",
        TEXT,
        "invalid_push_token",
        required=True,
        min_len=1,
        max_len=MAX_TOKEN,
        description="the APNs or FCM device token; for webpush, the browser's "
        "PushSubscription as JSON ({endpoint, keys: {p256dh, auth}}): its endpoint on a "
        "browser push service, p256dh a P-256 point and auth 16 bytes, base64url "
        "(else 400 invalid_push_subscription, invalid_push_key or push_endpoint_not_allowed)",
    ),
)
PREVIEW = body_of(
    Field("text", TEXT, "invalid_text", required=True, max_len=MAX_TEXT),
    Field("to", TEXT, "invalid_phone", max_len=64, description=PHONE),
)
SIGN_OUT = body_of(
    Field(
        "refresh_token",
        TEXT,
        "invalid_refresh_token",
        max_len=MAX_STRING,
        description="this device's Cognito refresh token, revoked",
    ),
    Field(
        "device_id",
        TEXT,
        "invalid_device_id",
        min_len=1,
        max_len=128,
        description="this device: its push registration is removed, its connections close",
    ),
    closed=True,
)
