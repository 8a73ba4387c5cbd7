"""The contact center's bodies, parsed into its typed commands by
``api.contact_center_requests``."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.api.fields import (
    CLIENT_ID,
    FLAG,
    LIST,
    MAP,
    MAX_ID,
    MAX_STRING,
    MAX_TEXT,
    NAME,
    NOT_BLANK,
    PAGING,
    TEXT,
    TEXT_MAP,
    WHOLE,
    Field,
    body_of,
)
from chalicelib.domain.contact_center import AGENT_ROLES
from chalicelib.domain.contact_center_config import DAYS, HOURS_PATTERN, MAX_LEVEL, MIN_LEVEL
from chalicelib.domain.contact_center_records import MAX_CANNED_SHOWN, MAX_REPLY_QUEUES
from chalicelib.domain.contact_center_supervision import MAX_NOTE
from chalicelib.services.contact_center.supervisor import MAX_DAYS

SKILL = r"^[a-z0-9][a-z0-9_-]*$"  # lowercase, at most 40 (domain.contact_center_config)
QUEUE_ID = Field(
    "queue_id",
    TEXT,
    "invalid_queue_id",
    required=True,
    min_len=1,
    max_len=MAX_ID,
    description="a queue of the caller's company",
)
PHONE = "a phone number as a person types it; libphonenumber must hold it valid"

CC_TEXT = 1600  # automatic replies, canned replies
CC_AGENT_STATUS = body_of(
    Field(
        "status",
        TEXT,
        "invalid_status",
        required=True,
        max_len=32,
        choices=("available", "away", "offline"),
    )
)
CC_OUTBOUND = body_of(
    Field(
        "channel",
        TEXT,
        "invalid_channel",
        required=True,
        max_len=64,
        description="a channel number of the caller's company",
    ),
    Field("to", TEXT, "invalid_to", required=True, max_len=64, description=PHONE),
    CLIENT_ID,
    Field(
        "text",
        TEXT,
        "invalid_text",
        required=True,
        max_len=MAX_TEXT,
        pattern=NOT_BLANK,
        description="at most the sms_max_segments setting's segments",
    ),
)
AGENT_ID = Field(
    "agent_id",
    TEXT,
    "invalid_agent_id",
    nullable=False,
    min_len=1,
    max_len=MAX_ID,
    description="an agent of the caller's company: offered to them (409 agent_unavailable "
    "unless available with a free slot)",
)
# to a queue or to a named agent: exactly one of the two
CC_TRANSFER = body_of(
    replace(QUEUE_ID, required=False, nullable=False, description="back to waiting in this queue"),
    AGENT_ID,
    rule={"oneOf": [{"required": ["queue_id"]}, {"required": ["agent_id"]}]},
)
CC_NOTE = body_of(
    Field(
        "text",
        TEXT,
        "invalid_text",
        required=True,
        max_len=MAX_NOTE,
        pattern=NOT_BLANK,
        description="a private note to the agent: never sent to the customer",
    ),
    replace(
        CLIENT_ID,
        required=False,
        nullable=False,
        description="the author's idempotency key: a retry with it returns the first note "
        "and posts nothing more",
    ),
)
CC_END = body_of(
    Field("disposition", TEXT, "invalid_disposition", max_len=100),
    Field("notes", TEXT, "invalid_notes", max_len=4000),
    Field("case_id", TEXT, "invalid_case", max_len=MAX_ID),
)
CC_QUEUE = body_of(
    Field("name", TEXT, "invalid_name", required=True, max_len=100, pattern=NAME),
    Field(
        "skills",
        MAP,
        "invalid_skills",
        max_len=40,
        pattern=SKILL,
        minimum=MIN_LEVEL,
        maximum=MAX_LEVEL,
        max_items=50,
        description="required skill -> minimum level",
    ),
    Field("priority", WHOLE, "invalid_priority", minimum=1, maximum=100),
    Field(
        "timezone",
        TEXT,
        "invalid_timezone",
        max_len=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_+/-]*$",
        description="a name of the IANA time zone database",
    ),
    Field(
        "hours",
        TEXT_MAP,
        "invalid_hours",
        max_len=11,
        pattern=HOURS_PATTERN,
        max_items=7,
        choices=DAYS,
        description="day -> opening hours HH:MM-HH:MM in timezone, opening before "
        "closing; a day left out is closed; {} (the default) is always open",
    ),
    Field("closed_message", TEXT, "invalid_closed_message", max_len=CC_TEXT),
    Field("entry_message", TEXT, "invalid_entry_message", max_len=CC_TEXT),
    Field("full_message", TEXT, "invalid_full_message", max_len=CC_TEXT),
    Field("offer_timeout_s", WHOLE, "invalid_offer_timeout_s", minimum=5, maximum=600),
    Field("auto_accept", FLAG, "invalid_auto_accept"),
    Field("idle_after_s", WHOLE, "invalid_idle_after_s", maximum=86400),
    Field("wrap_up_s", WHOLE, "invalid_wrap_up_s", maximum=900),
    Field("service_level_s", WHOLE, "invalid_service_level_s", minimum=1, maximum=86400),
    Field("abandon_after_s", WHOLE, "invalid_abandon_after_s", minimum=1, maximum=7 * 86400),
    Field("last_agent_window_s", WHOLE, "invalid_last_agent_window_s", maximum=30 * 86400),
    Field("overflow_after_s", WHOLE, "invalid_overflow_after_s", maximum=86400),
    Field("overflow_level", WHOLE, "invalid_overflow_level", minimum=1, maximum=5),
    Field(
        "overflow_queue_id",
        TEXT,
        "invalid_overflow_queue_id",
        max_len=MAX_ID,
        description="another queue of the company",
    ),
    Field("max_waiting", WHOLE, "invalid_max_waiting", maximum=1000),
)
CC_CHANNEL = body_of(QUEUE_ID)
CC_AGENT = body_of(
    Field(
        "skills",
        MAP,
        "invalid_skills",
        max_len=40,
        pattern=SKILL,
        minimum=MIN_LEVEL,
        maximum=MAX_LEVEL,
        max_items=50,
    ),
    Field("queues", LIST, "invalid_queues", max_len=MAX_ID, description="queues of the company"),
    Field("role", TEXT, "invalid_role", max_len=32, choices=AGENT_ROLES),
    Field("max_concurrent", WHOLE, "invalid_max_concurrent", minimum=1, maximum=10),
)
CC_CANNED = body_of(
    Field("shortcut", TEXT, "invalid_shortcut", max_len=40),
    Field("title", TEXT, "invalid_title", max_len=200),
    Field("text", TEXT, "invalid_text", required=True, max_len=CC_TEXT, pattern=NOT_BLANK),
    Field(
        "queues",
        LIST,
        "invalid_queues",
        max_len=MAX_ID,
        max_items=MAX_REPLY_QUEUES,
        description="queues of the company whose agents may use it; empty: every queue",
    ),
)

# -- query parameters ---------------------------------------------------------------

CC_INTERACTION_PAGING = (
    PAGING[0],
    Field(
        "cursor",
        TEXT,
        "invalid_cursor",
        max_len=MAX_ID,
        description="opaque: the next_cursor of the previous page, passed back unchanged "
        "(any other value is a 400 invalid_cursor); empty or absent: the first page",
    ),
)
CC_CANNED_SEARCH = (
    Field("q", TEXT, "invalid_q", max_len=100, description="a shortcut prefix or words"),
    Field(
        "interaction_id",
        TEXT,
        max_len=MAX_ID,
        description="fills the placeholders; the replies are those of its queue and every queue",
    ),
    Field(
        "limit",
        WHOLE,
        "invalid_limit",
        minimum=1,
        maximum=MAX_CANNED_SHOWN,
        description=f"page size: 1 to {MAX_CANNED_SHOWN} ({MAX_CANNED_SHOWN} unless given)",
    ),
    PAGING[1],
)
CC_CUSTOMER_SEARCH = (
    Field("phone", TEXT, "invalid_phone", required=True, max_len=64, description=PHONE),
)
CC_STATS = (
    Field(
        "days",
        TEXT,
        "invalid_days",
        max_len=MAX_STRING,
        pattern=r"^0*([1-9]|[12][0-9]|3[01])$",  # 1 to MAX_DAYS (31)
        description=f"the last 1 to {MAX_DAYS} days (1 unless given)",
    ),
)
