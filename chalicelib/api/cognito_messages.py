"""Cognito's CustomMessage trigger: the words of the invitation and reset emails.

Cognito calls this function before it sends an account email and sends what it
returns; it substitutes ``codeParameter`` (the temporary password or the code)
and ``usernameParameter`` itself, so both placeholders must appear verbatim and
no secret ever passes through here. The invitation names the company (the API
passes ``company_name`` in ``ClientMetadata`` of ``AdminCreateUser``) and the web
client's address (``WEB_CLIENT_URL`` of the stage). The local stack composes the
mail of its simulated mailbox with this same function.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from typing import Any

from chalice import Blueprint

cognito_messages_bp = Blueprint(__name__)

PRODUCT = "Texting"
MAX_NAME = 100  # a company's name as it appears in a subject line


def _clean(value: object, limit: int = MAX_NAME) -> str:
    """A short single-line text: control characters dropped, length bounded."""
    text = "".join(ch for ch in str(value or "") if ch.isprintable())
    return text.strip()[:limit]


def compose(
    trigger: str,
    code: str,
    username: str,
    user_attributes: Mapping[str, str],
    client_metadata: Mapping[str, str],
    web_url: str,
) -> tuple[str, str] | None:
    """(subject, HTML body) for one trigger source; None keeps Cognito's default."""
    company = _clean(client_metadata.get("company_name")) or PRODUCT
    name = _clean(user_attributes.get("name")) or _clean(username)
    link = html.escape(web_url, quote=True)
    where = f'<a href="{link}">{link}</a>' if web_url else "the Texting web client"
    if trigger == "CustomMessage_AdminCreateUser":  # a resent invitation comes this way too
        invited_by = _clean(client_metadata.get("invited_by"))
        by = f" by {html.escape(invited_by)}" if invited_by else ""
        return (
            f"You are invited to text for {company}",
            f"<p>Hello {html.escape(name)},</p>"
            f"<p>You have been invited{by} to text for {html.escape(company)} with {PRODUCT}.</p>"
            f"<p>Sign in at {where} with the username <b>{html.escape(username)}</b> and the "
            f"temporary password <b>{html.escape(code)}</b>. You will choose your own password when you sign in; "
            "the temporary password expires in 7 days.</p>",
        )
    if trigger == "CustomMessage_ForgotPassword":
        return (
            f"Your {PRODUCT} password reset code",
            f"<p>Hello {html.escape(name)},</p>"
            f"<p>Your code to set a new {PRODUCT} password is <b>{html.escape(code)}</b>. "
            f"Enter it at {where}. If you did not ask for it, ignore this email: "
            "your password has not changed.</p>",
        )
    return None


def custom_message(event: dict[str, Any], web_url: str | None = None) -> dict[str, Any]:
    """The trigger's whole work: fill ``response.emailSubject``/``emailMessage``."""
    request = event.get("request") or {}
    composed = compose(
        str(event.get("triggerSource", "")),
        str(request.get("codeParameter", "{####}")),
        str(request.get("usernameParameter") or event.get("userName", "")),
        request.get("userAttributes") or {},
        request.get("clientMetadata") or {},
        os.environ.get("WEB_CLIENT_URL", "") if web_url is None else web_url,
    )
    if composed is not None:
        response = event.setdefault("response", {})
        response["emailSubject"], response["emailMessage"] = composed
    return event


@cognito_messages_bp.lambda_function(name="cognito_messages")
def cognito_messages(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return custom_message(event)
