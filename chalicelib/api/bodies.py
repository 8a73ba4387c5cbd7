"""The bodies the employee app sends: messages, conversations, presence, contacts,
devices, uploads. Parsed by ``api.requests``; published by ``api.openapi``."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.api.fields import (
    _SPACE,
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
    OBJECTS,
    ONE_LINE,
    TEXT,
    WHOLE,
    Body,
    Field,
    body_of,
)
from chalicelib.domain.contacts import MAX_LABEL, MAX_PHONES
from chalicelib.domain.media import MAX_FILENAME, MAX_MEDIA, MEDIA_TYPES
from chalicelib.domain.model import IM, SMS, STATUSES
from chalicelib.domain.shared_lines import MAX_LABEL_CHARS, MAX_LABELS, VIEWS
from chalicelib.services.conversations import MAX_GROUP_NAME
from chalicelib.services.directory import MAX_CONTACT_NAME
from chalicelib.services.notifications import MAX_TOKEN, PLATFORMS
from chalicelib.services.presence import MAX_EXPIRY_SECONDS, MAX_STATUS_MESSAGE, PHOTO_TYPES

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
    Field(
        "note",
        FLAG,
        description="true: a private note to the people on the shared line (SMS "
        "conversations; text only), stored with channel note and never sent to the customer",
    ),
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
    Field(
        "assignee",
        TEXT,
        "invalid_assignee",
        max_len=MAX_ID,
        min_len=1,
        description="a shared line's conversation: the user id of one of the people on the "
        "line; null unassigns",
    ),
    Field(
        "labels",
        LIST,
        "invalid_labels",
        nullable=False,
        max_items=MAX_LABELS,
        max_len=MAX_LABEL_CHARS,
        description="an SMS conversation's labels (replaces them all; [] removes them)",
    ),
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


# A file name as people see it: any script, but no path separator, no control
# character (C0, DEL, C1), no bidirectional control (a name that displays
# "gpj.exe" as "exe.jpg"), and not only spaces.
_NOT_IN_NAME = r"/\\\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
FILENAME = f"^[^{_NOT_IN_NAME}]*[^{_NOT_IN_NAME}{_SPACE}][^{_NOT_IN_NAME}]*$"
_FILENAME = Field(
    "filename",
    TEXT,
    "invalid_filename",
    min_len=1,
    max_len=MAX_FILENAME,
    pattern=FILENAME,
    description="the name people see, extension included (no / or \\, no control characters)",
)


def _upload(
    types: tuple[str, ...], setting: str, size_code: str, *extra: Field, maximum: int = 2**53 - 1
) -> Body:
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
            maximum=maximum,
            setting=setting,
            description="bytes",
        ),
        *extra,
    )


PHOTO_UPLOAD = _upload(tuple(PHOTO_TYPES), "photo_max_bytes", "photo_too_large")
MEDIA_UPLOAD = _upload(tuple(MEDIA_TYPES), "media_max_bytes", "media_too_large", _FILENAME)
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
_CONTACT_PHONE = Field(
    "phone", TEXT, "invalid_phone", max_len=64, description=PHONE + " (the first number)"
)
CONTACT_PHONE = body_of(
    Field("number", TEXT, "invalid_phones", required=True, max_len=64, description=PHONE),
    Field("label", TEXT, "invalid_phones", max_len=MAX_LABEL, pattern=ONE_LINE),
    closed=True,
)
_CONTACT_PHONES = Field(
    "phones",
    OBJECTS,
    "invalid_phones",
    min_items=1,
    max_items=MAX_PHONES,
    item=CONTACT_PHONE,
    description="every number, the first being phone; each once",
)
_CONTACT_EMAIL = Field(
    "email",
    TEXT,
    "invalid_email",
    max_len=254,
    # explicit ranges, not \s: Python's and ECMA 262's white space differ
    pattern=r"^[^@\x00-\x20\x7f]+@[^@.\x00-\x20\x7f]+(\.[^@.\x00-\x20\x7f]+)+$",
    description="an address (null clears it)",
)
_CONTACT_COMPANY = Field(
    "company", TEXT, "invalid_company", max_len=MAX_CONTACT_NAME, pattern=ONE_LINE
)
CONTACT = body_of(
    replace(_CONTACT_NAME, required=True),
    _CONTACT_PHONE,
    _CONTACT_PHONES,
    _CONTACT_EMAIL,
    _CONTACT_COMPANY,
    # a number: phone or phones, not both
    rule={
        "oneOf": [
            {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
            {"required": ["phones"], "properties": {"phones": {"type": "array"}}},
        ]
    },
)
CONTACT_CHANGES = body_of(
    _CONTACT_NAME,
    _CONTACT_PHONE,
    _CONTACT_PHONES,
    _CONTACT_EMAIL,
    _CONTACT_COMPANY,
    # null or absent leaves name, phone and phones as they are (email and company: null
    # clears); at least one must change; phone and phones not both
    rule={
        "anyOf": [
            {"required": ["name"], "properties": {"name": {"type": "string"}}},
            {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
            {"required": ["phones"], "properties": {"phones": {"type": "array"}}},
            {"required": ["email"]},
            {"required": ["company"]},
        ],
        "not": {
            "required": ["phone", "phones"],
            "properties": {"phone": {"type": "string"}, "phones": {"type": "array"}},
        },
    },
)
CONVERSATION_VIEW = (
    Field(
        "view",
        TEXT,
        "invalid_view",
        max_len=16,
        choices=VIEWS,
        description="a shared line's view: mine (assigned to the caller), unassigned (on "
        "the caller's shared lines, no one's yet) or all (the default list)",
    ),
)
CONTACT_SEARCH = (
    Field(
        "q",
        TEXT,
        "invalid_q",
        max_len=100,
        description="suggestions: a name prefix, or (two or more digits, no letters) a "
        "number prefix",
    ),
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
