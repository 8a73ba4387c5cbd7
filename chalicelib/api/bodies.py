"""The bodies the employee app sends: messages, conversations, presence, contacts,
devices, uploads. Parsed by ``api.requests``; published by ``api.openapi``."""

from __future__ import annotations

from chalicelib.api.fields import (
    CLIENT_ID,
    FLAG,
    LIST,
    MAP,
    MAX_ID,
    MAX_MEMBERS,
    MAX_SEQ,
    MAX_STRING,
    MAX_TEXT,
    TEXT,
    WHOLE,
    Field,
    body_of,
)
from chalicelib.domain.model import IM, SMS

SEND_MESSAGE = body_of(
    CLIENT_ID,
    Field("text", TEXT, "invalid_text", max_len=MAX_TEXT),
    Field("media", LIST, "invalid_media", max_items=10, max_len=MAX_ID),
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
CREATE_IM = body_of(
    Field("type", TEXT, "invalid_type", nullable=False, max_len=8, choices=(IM,)),
    Field(
        "members",
        LIST,
        "invalid_members",
        required=True,
        min_items=1,
        max_items=MAX_MEMBERS,
        max_len=MAX_ID,
    ),
    Field("name", TEXT, "invalid_name", max_len=1000),
    Field("group", FLAG),
)
CREATE_SMS = body_of(
    Field("type", TEXT, "invalid_type", required=True, max_len=8, choices=(SMS,)),
    Field("to", TEXT, "invalid_phone", required=True, max_len=64),
    Field("from", TEXT, "invalid_from", max_len=64),
    Field(
        "consent",
        TEXT,
        "invalid_consent",
        max_len=500,
        description="how the customer opted in (shown to the next person who texts them)",
    ),
)
UPDATE_CONVERSATION = body_of(
    Field("name", TEXT, "invalid_name", max_len=1000),
    Field("muted", FLAG),
    Field("hidden", FLAG),
    closed=True,
    min_fields=1,
)
MEMBERS = body_of(
    Field(
        "members",
        LIST,
        "invalid_members",
        required=True,
        min_items=1,
        max_items=MAX_MEMBERS,
        max_len=MAX_ID,
    )
)
SET_PRESENCE = body_of(
    Field("status", TEXT, "invalid_status", max_len=32),
    Field("message", TEXT, "invalid_status_message", max_len=1000),
    Field("expires_at", TEXT, "invalid_expiry", max_len=64),
    # only its type here: the range is the service's (and only when there is a message)
    Field("expires_in", WHOLE, "invalid_expiry", minimum=-(2**53), maximum=2**53),
)
UPLOAD = body_of(
    Field("content_type", TEXT, "invalid_content_type", required=True, max_len=128),
    Field(
        "size",
        WHOLE,
        "media_too_large",
        required=True,
        minimum=1,
        maximum=2**53 - 1,
        description="bytes (a bad size on POST /me/photo is photo_too_large)",
    ),
)
PHOTO_KEY = body_of(Field("key", TEXT, "invalid_key", required=True, max_len=1024))
CONTACT = body_of(
    Field("name", TEXT, "invalid_name", max_len=1000),
    Field("phone", TEXT, "invalid_phone", max_len=64),
)
DEVICE = body_of(
    Field("device_id", TEXT, "invalid_device_id", required=True, max_len=MAX_ID),
    Field("platform", TEXT, "invalid_platform", required=True, max_len=32),
    Field("token", TEXT, "invalid_push_token", required=True, max_len=MAX_STRING),
)
PREVIEW = body_of(
    Field("text", TEXT, "invalid_text", required=True, max_len=MAX_TEXT),
    Field("to", TEXT, "invalid_phone", max_len=64),
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
