"""The bodies a company admin sends: partial updates of the company, its numbers,
its users and its policies."""

from __future__ import annotations

from chalicelib.api.fields import (
    changes_body,
)

COMPANY_CHANGES = changes_body({"sms_enabled": "flag", "im_enabled": "flag", "help_text": "text"})
NUMBER_CHANGES = changes_body(
    {"type": "text", "provider": "text", "state": "text", "capabilities": "list"},
    max_len=32,
    closed=False,  # takes back the number as GET returned it; other fields are ignored
)
USER_CHANGES = changes_body(
    {"sms_enabled": "flag", "policy_id": "text?", "license_type": "text"}, max_len=64
)
POLICY_CHANGES = changes_body({"name": "text", "sms_enabled": "flag"}, max_len=100, closed=False)
