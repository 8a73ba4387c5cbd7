"""The bodies a company admin sends: partial updates of the company, its numbers,
its users and its policies; the invitation of a co-worker."""

from __future__ import annotations

from chalicelib.api.fields import TEXT, Field, body_of, changes_body

COMPANY_CHANGES = changes_body({"sms_enabled": "flag", "im_enabled": "flag", "help_text": "text"})
NUMBER_CHANGES = changes_body(
    {"type": "text", "provider": "text", "state": "text", "capabilities": "list"},
    max_len=32,
    closed=False,  # takes back the number as GET returned it; other fields are ignored
)
USER_CHANGES = changes_body(
    {"sms_enabled": "flag", "policy_id": "text?", "license_type": "text"}, max_len=64
)
TEXTING_POLICY_CHANGES = changes_body(
    {
        "sender_name": "text",
        "stop_reply": "text",
        "start_reply": "text",
        "quiet_hours": "flag",
        "number_countries": "list",
        "toll_free": "text",
    }
)
CONSENT_CHANGES = changes_body({"opted_in_how": "text", "review_done": "flag"}, max_len=500)
POLICY_CHANGES = changes_body({"name": "text", "sms_enabled": "flag"}, max_len=100, closed=False)

# Cognito's usernames are wider; the product keeps sign-in names to what every keyboard
# types and every log shows plainly.
USERNAME_PATTERN = r"^[A-Za-z0-9._@+-]+$"
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
        description="sign-in name: letters, digits and . _ @ + - (unique in the stage)",
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
