"""The bodies a company admin sends: partial updates of the company, its numbers,
its users and its policies; the invitation of a co-worker."""

from __future__ import annotations

from chalicelib.api.fields import (
    LIST,
    NAME,
    NOT_BLANK,
    TEXT,
    Field,
    body_of,
    changes_body,
)
from chalicelib.services.admin import CAPABILITIES, MAX_HELP_TEXT, NUMBER_TYPES, PROVIDERS, STATES

COMPANY_CHANGES = changes_body(
    {"sms_enabled": "flag", "im_enabled": "flag", "help_text": "text"}, max_len=MAX_HELP_TEXT
)
NUMBER_CHANGES = changes_body(
    {
        "type": Field("type", TEXT, "invalid_type", nullable=False, choices=NUMBER_TYPES),
        "provider": Field("provider", TEXT, "invalid_provider", nullable=False, choices=PROVIDERS),
        "state": Field("state", TEXT, "invalid_state", nullable=False, choices=STATES),
        "capabilities": Field(
            "capabilities", LIST, "invalid_capabilities", nullable=False, choices=CAPABILITIES
        ),
    },
    closed=False,  # takes back the number as GET returned it; other fields are ignored
)
USER_CHANGES = changes_body(
    {
        "sms_enabled": "flag",
        "policy_id": "text?",
        "license_type": Field(
            "license_type",
            TEXT,
            "invalid_license_type",
            nullable=False,
            max_len=64,
            pattern=NOT_BLANK,
        ),
    },
    max_len=64,
)
_POLICY_NAME = Field("name", TEXT, "invalid_name", nullable=False, max_len=100, pattern=NAME)
POLICY_CHANGES = changes_body({"name": _POLICY_NAME, "sms_enabled": "flag"}, closed=False)
POLICY_CREATE = changes_body(  # what POST /admin/policies requires (the service checks it)
    {
        "name": Field("name", TEXT, "invalid_name", required=True, max_len=100, pattern=NAME),
        "sms_enabled": "flag",
    },
    closed=False,
)

# Cognito's usernames are wider; the product keeps sign-in names to what every keyboard
# types and every log shows plainly, and never email-shaped (the pool signs in by email
# too, and refuses a username that looks like one).
USERNAME_PATTERN = r"^[A-Za-z0-9._+-]+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
INVITE_USER = body_of(
    Field(
        "username",
        TEXT,
        "invalid_username",
        required=True,
        min_len=1,
        max_len=128,
        pattern=USERNAME_PATTERN,
        description="sign-in name: letters, digits and . _ + - (unique in the stage)",
    ),
    Field(
        "email",
        TEXT,
        "invalid_email",
        required=True,
        min_len=3,
        max_len=254,
        pattern=EMAIL_PATTERN,
        description="where the invitation (with the temporary password) goes",
    ),
    Field("name", TEXT, "invalid_name", required=True, min_len=1, max_len=100, pattern=r"\S"),
    Field("role", TEXT, "invalid_role", nullable=False, max_len=16, choices=("user", "admin")),
    closed=True,
)
