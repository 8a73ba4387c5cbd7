"""The bodies a company admin sends: partial updates of the company, its numbers,
its users and its policies."""

from __future__ import annotations

from chalicelib.api.fields import (
    LIST,
    NAME,
    NOT_BLANK,
    TEXT,
    Field,
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
