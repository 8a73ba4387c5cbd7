"""Twilio webhook signatures and webhook parsing, checked against twilio-python's validator.

Expected signatures always come from ``twilio.request_validator.RequestValidator``
(a development dependency), never from hand-written constants.
"""

from __future__ import annotations

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from chalicelib.adapters.twilio import (
    parse_form,
    parse_inbound,
    parse_status,
    public_url,
    twilio_signature,
    valid_twilio_signature,
)
from chalicelib.domain.errors import ValidationError

TOKEN = "12345678901234567890123456789012"
STAGE_URL = "https://abc.execute-api.us-east-1.amazonaws.com/prod/webhooks/twilio/sms"

INBOUND = {
    "ToCountry": "US",
    "SmsMessageSid": "SM0123456789abcdef0123456789abcdef",
    "NumMedia": "0",
    "FromZip": "",  # Twilio sends blank parameters; they are signed too
    "SmsSid": "SM0123456789abcdef0123456789abcdef",
    "Body": "Hello there",
    "To": "+14155550100",
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+14155550199",
    "ApiVersion": "2010-04-01",
}


def twilio_says(url: str, params: object) -> str:
    return str(RequestValidator(TOKEN).compute_signature(url, params))


def test_our_signature_is_twilios_for_a_url_behind_an_api_gateway_stage() -> None:
    assert twilio_signature(STAGE_URL, INBOUND, TOKEN) == twilio_says(STAGE_URL, INBOUND)
    assert valid_twilio_signature(STAGE_URL, INBOUND, twilio_says(STAGE_URL, INBOUND), TOKEN)


def test_a_query_string_is_part_of_the_signed_url() -> None:
    url = STAGE_URL + "?company=acme&x=1"
    signature = twilio_says(url, INBOUND)
    assert twilio_signature(url, INBOUND, TOKEN) == signature
    assert not valid_twilio_signature(STAGE_URL, INBOUND, signature, TOKEN)


def test_unicode_bodies_sign_as_utf8() -> None:
    params = {**INBOUND, "Body": "Grüße 👋 — ça va? 你好"}
    signature = twilio_says(STAGE_URL, params)
    assert twilio_signature(STAGE_URL, params, TOKEN) == signature
    assert valid_twilio_signature(STAGE_URL, params, signature, TOKEN)


def test_repeated_parameters_sign_all_their_values_sorted() -> None:
    ours = {**INBOUND, "MediaUrl": ["https://m.test/b.png", "https://m.test/a.png"]}
    theirs = MultiDict(INBOUND)
    theirs.add("MediaUrl", "https://m.test/b.png")
    theirs.add("MediaUrl", "https://m.test/a.png")
    signature = twilio_says(STAGE_URL, theirs)
    assert twilio_signature(STAGE_URL, ours, TOKEN) == signature
    assert twilio_signature(STAGE_URL, theirs, TOKEN) == signature  # a MultiDict works too


def test_a_repeated_identical_value_signs_as_twilios_validator_does() -> None:
    theirs = MultiDict(INBOUND)
    theirs.add("Tag", "same")
    theirs.add("Tag", "same")
    ours = {**INBOUND, "Tag": ["same", "same"]}
    assert twilio_signature(STAGE_URL, ours, TOKEN) == twilio_says(STAGE_URL, theirs)


@pytest.mark.parametrize(
    ("field", "value"), [("Body", "Hello therf"), ("From", "+14155550198"), ("Extra", "1")]
)
def test_a_tampered_parameter_fails(field: str, value: str) -> None:
    signature = twilio_says(STAGE_URL, INBOUND)
    assert not valid_twilio_signature(STAGE_URL, {**INBOUND, field: value}, signature, TOKEN)


def test_a_dropped_blank_parameter_fails() -> None:
    signature = twilio_says(STAGE_URL, INBOUND)
    without_blank = {k: v for k, v in INBOUND.items() if v}
    assert not valid_twilio_signature(STAGE_URL, without_blank, signature, TOKEN)


def test_the_wrong_token_empty_signature_or_other_url_fails() -> None:
    signature = twilio_says(STAGE_URL, INBOUND)
    assert not valid_twilio_signature(STAGE_URL, INBOUND, signature, "another-token")
    assert not valid_twilio_signature(STAGE_URL, INBOUND, "", TOKEN)
    assert not valid_twilio_signature(STAGE_URL, INBOUND, signature, "")
    assert not valid_twilio_signature(
        STAGE_URL.replace("/prod/", "/dev/"), INBOUND, signature, TOKEN
    )
    assert not valid_twilio_signature(STAGE_URL, INBOUND, "not base64 ✓", TOKEN)


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("https://example.com:443/webhooks/twilio/sms", "https://example.com/webhooks/twilio/sms"),
        ("https://example.com/webhooks/twilio/sms", "https://example.com:443/webhooks/twilio/sms"),
        ("http://example.com:80/webhooks/twilio/sms", "http://example.com/webhooks/twilio/sms"),
        ("http://127.0.0.1/webhooks/twilio/sms", "http://127.0.0.1:8000/webhooks/twilio/sms"),
    ],
)
def test_url_forms_twilios_validator_accepts_are_accepted(signed: str, received: str) -> None:
    signature = twilio_says(signed, INBOUND)
    assert RequestValidator(TOKEN).validate(received, INBOUND, signature)
    assert valid_twilio_signature(received, INBOUND, signature, TOKEN)


def test_the_public_url_is_rebuilt_from_the_base_url_and_the_stageless_path() -> None:
    base = "https://abc.execute-api.us-east-1.amazonaws.com/prod"
    assert public_url(base, "/webhooks/twilio/sms", None) == STAGE_URL
    assert public_url(base + "/", "webhooks/twilio/sms", "") == STAGE_URL
    assert public_url(base, "/webhooks/twilio/sms", "a=1&b=2") == STAGE_URL + "?a=1&b=2"
    assert (
        public_url("https://sms.example.com/api", "/webhooks/twilio/status", None)
        == "https://sms.example.com/api/webhooks/twilio/status"
    )


def test_a_form_body_parses_with_blank_values_kept_and_verifies() -> None:
    body = "Body=Caf%C3%A9+%F0%9F%91%8B&FromZip=&MediaUrl=b&MediaUrl=a&To=%2B14155550100"
    params = parse_form(body.encode())
    assert params == {
        "Body": ["Café 👋"],
        "FromZip": [""],
        "MediaUrl": ["b", "a"],
        "To": ["+14155550100"],
    }
    theirs: MultiDict[str] = MultiDict()
    for key, values in params.items():
        for value in values:
            theirs.add(key, value)
    assert valid_twilio_signature(STAGE_URL, params, twilio_says(STAGE_URL, theirs), TOKEN)


# -- parsing ------------------------------------------------------------------------------


def test_an_inbound_mms_webhook_parses_with_its_media() -> None:
    params = parse_form(
        "MessageSid=MM1&AccountSid=AC1&From=%2B14155550199&To=%2B14155550100&Body=look"
        "&NumMedia=2&MediaUrl0=https%3A%2F%2Fm.test%2F0&MediaContentType0=image%2Fjpeg"
        "&MediaUrl1=https%3A%2F%2Fm.test%2F1&MediaContentType1=image%2Fpng"
        "&MessagingServiceSid=MG1"
    )
    inbound = parse_inbound(params)
    assert (inbound.provider, inbound.provider_message_id, inbound.from_, inbound.to) == (
        "twilio",
        "MM1",
        "+14155550199",
        "+14155550100",
    )
    assert (inbound.body, inbound.account_id, inbound.messaging_service_id) == (
        "look",
        "AC1",
        "MG1",
    )
    assert [(m.url, m.content_type) for m in inbound.media] == [
        ("https://m.test/0", "image/jpeg"),
        ("https://m.test/1", "image/png"),
    ]


def test_an_inbound_webhook_without_a_sender_is_invalid() -> None:
    with pytest.raises(ValidationError) as error:
        parse_inbound({"MessageSid": "SM1", "To": "+14155550100", "Body": "x"})
    assert error.value.code == "invalid_webhook"


@pytest.mark.parametrize(
    ("twilio", "ours", "final"),
    [
        ("accepted", "queued", False),
        ("queued", "queued", False),
        ("scheduled", "queued", False),
        ("sending", "sending", False),
        ("sent", "sent", False),
        ("delivered", "delivered", True),
        ("read", "delivered", True),
        ("undelivered", "undelivered", True),
        ("failed", "failed", True),
        ("canceled", "failed", True),
    ],
)
def test_twilio_statuses_map_to_ours(twilio: str, ours: str, final: bool) -> None:
    update = parse_status({"MessageSid": "SM1", "MessageStatus": twilio, "To": "+1", "From": "+2"})
    assert (update.status, update.provider_status, update.final) == (ours, twilio, final)


def test_a_failed_status_callback_carries_its_error_code() -> None:
    update = parse_status(
        parse_form("MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003&To=%2B1&From=%2B2")
    )
    assert (update.error_code, update.to, update.from_) == ("30003", "+1", "+2")
    assert (
        parse_status({"MessageSid": "SM1", "MessageStatus": "sent", "ErrorCode": ""}).error_code
        is None
    )


def test_an_unknown_status_is_reported_as_such() -> None:
    with pytest.raises(ValidationError) as error:
        parse_status({"MessageSid": "SM1", "MessageStatus": "teleported"})
    assert error.value.code == "unknown_status"
