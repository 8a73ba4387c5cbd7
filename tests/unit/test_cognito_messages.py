"""The CustomMessage trigger: what an invited person and a person resetting their
password read, with Cognito's placeholders left for Cognito to fill."""

from __future__ import annotations

from typing import Any

from chalicelib.api.cognito_messages import custom_message


def _event(trigger: str, **request: Any) -> dict[str, Any]:
    base = {"codeParameter": "{####}", "userAttributes": {"name": "Dana <b>", "email": "d@x.test"}}
    base.update(request)
    return {"triggerSource": trigger, "userName": "dana", "request": base, "response": {}}


def test_the_invitation_names_the_company_the_address_and_keeps_both_placeholders() -> None:
    event = _event(
        "CustomMessage_AdminCreateUser",
        usernameParameter="{username}",
        clientMetadata={"company_name": "Acme Plumbing", "invited_by": "Ada"},
    )
    response = custom_message(event, web_url="https://texting.acme.test/")["response"]
    assert response["emailSubject"] == "You are invited to text for Acme Plumbing"
    body = response["emailMessage"]
    assert "{username}" in body and "{####}" in body
    assert "Acme Plumbing" in body and "https://texting.acme.test/" in body and "Ada" in body
    assert "Dana &lt;b&gt;" in body  # a name is text, never markup


def test_the_reset_email_carries_the_code_placeholder_and_no_company_guess() -> None:
    event = _event("CustomMessage_ForgotPassword", clientMetadata={})
    response = custom_message(event, web_url="https://texting.acme.test/")["response"]
    assert "{####}" in response["emailMessage"]
    assert "reset code" in response["emailSubject"]


def test_other_trigger_sources_keep_cognitos_default_message() -> None:
    event = _event("CustomMessage_VerifyUserAttribute")
    assert custom_message(event, web_url="")["response"] == {}


def test_a_control_character_in_the_company_name_never_reaches_the_subject() -> None:
    event = _event(
        "CustomMessage_AdminCreateUser",
        usernameParameter="{username}",
        clientMetadata={"company_name": "Acme\r\nBcc: x@evil.test"},
    )
    subject = custom_message(event, web_url="")["response"]["emailSubject"]
    assert "\n" not in subject and "\r" not in subject
