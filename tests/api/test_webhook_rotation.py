"""Twilio webhooks through the real app while the auth token rotates: the credentials
come from a Secrets Manager secret (moto) the test changes as an operator would."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from chalicelib.domain.model import BusinessNumber
from tests.api.conftest import PUBLIC_BASE, Api, running_api

SECRET = "texting/test/twilio"
ACCOUNT = "AC" + "0" * 32
OLD, NEW = "old-auth-token-0123456789abcdef", "new-auth-token-0123456789abcdef"
SHOP, CUSTOMER = "+14155550100", "+14155552671"


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def put_secret(aws: Any, values: dict[str, str]) -> None:
    client = aws.client("secretsmanager", region_name="us-east-1")
    try:
        client.put_secret_value(SecretId=SECRET, SecretString=json.dumps(values))
    except client.exceptions.ResourceNotFoundException:
        client.create_secret(Name=SECRET, SecretString=json.dumps(values))


@contextmanager
def app_on_the_secret(aws: Any, **settings: Any) -> Iterator[Api]:
    with running_api(twilio_secret_name=SECRET, **settings) as api:
        api.services.adapters.sms.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
        alice = api.people["alice"]
        alice.numbers = [SHOP]
        api.services.adapters.directory.put_user(alice)
        yield api


@pytest.fixture
def rotating(aws: Any) -> Iterator[Api]:
    put_secret(aws, {"account_sid": ACCOUNT, "auth_token": OLD})
    with app_on_the_secret(aws) as api:
        yield api


PATH = "/webhooks/twilio/sms"


def inbound(sid: str, text: str) -> dict[str, str]:
    params = {"MessageSid": sid, "AccountSid": ACCOUNT, "From": CUSTOMER, "To": SHOP}
    return params | {"Body": text, "NumMedia": "0"}


def signed(token: str, params: dict[str, str]) -> str:
    return str(RequestValidator(token).compute_signature(PUBLIC_BASE + PATH, params))


def text_in(api: Api, sid: str, text: str, token: str) -> Any:
    """Twilio's inbound webhook for one text, signed with ``token``."""
    params = inbound(sid, text)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signed(token, params),
    }
    return api.client.http.post(PATH, headers=headers, body=urllib.parse.urlencode(params))


def texts(api: Api) -> list[str]:
    conversations = body(api.call("GET", "/conversations", "alice"))["items"]
    return sorted(
        m["text"]
        for c in conversations
        for m in body(api.call("GET", f"/conversations/{c['id']}/messages", "alice"))["items"]
    )


def sid(n: int) -> str:
    return f"SM{n:032d}"


def test_webhooks_signed_with_either_token_during_a_rotation_are_all_stored_once(
    rotating: Api, aws: Any
) -> None:
    assert text_in(rotating, sid(1), "before", OLD).status_code == 200  # OLD is cached
    put_secret(aws, {"account_sid": ACCOUNT, "auth_token": NEW, "previous_auth_token": OLD})
    # Twilio promoted NEW: this container has not re-read the secret yet.
    assert text_in(rotating, sid(2), "signed with the new token", NEW).status_code == 200
    assert text_in(rotating, sid(3), "in flight, signed before", OLD).status_code == 200
    assert text_in(rotating, sid(2), "signed with the new token", NEW).status_code == 200
    assert texts(rotating) == ["before", "in flight, signed before", "signed with the new token"]


def test_the_previous_token_is_refused_once_its_window_has_passed(aws: Any) -> None:
    put_secret(aws, {"account_sid": ACCOUNT, "auth_token": OLD})
    with app_on_the_secret(aws, twilio_previous_token_window_seconds=0) as api:
        put_secret(aws, {"account_sid": ACCOUNT, "auth_token": NEW, "previous_auth_token": OLD})
        assert text_in(api, sid(1), "new", NEW).status_code == 200
        refused = text_in(api, sid(2), "old", OLD)
        assert refused.status_code == 403
        assert body(refused)["error"]["code"] == "invalid_signature"
        assert texts(api) == ["new"]


def counted(out: str, name: str) -> list[dict[str, str]]:
    """The dimensions of each figure of ``name`` in the Embedded Metric Format lines."""
    found = []
    for line in out.splitlines():
        if not (line.startswith("{") and '"_aws"' in line):
            continue
        emf = json.loads(line)
        [directive] = emf["_aws"]["CloudWatchMetrics"]
        if [m["Name"] for m in directive["Metrics"]] == [name]:
            assert emf[name] in (1, [1], 1.0, [1.0])
            found.append({d: emf[d] for d in directive["Dimensions"][0]})
    return found


def test_a_bad_signature_is_logged_at_warning_and_counted_without_secrets(
    rotating: Api, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    capsys.readouterr()
    tokens = ("forged-token", "another-forged-token")
    for token in tokens:
        assert text_in(rotating, sid(9), "forged", token).status_code == 403
    signatures = [signed(token, inbound(sid(9), "forged")) for token in tokens]
    out = capsys.readouterr().out
    warnings = [r for r in caplog.records if "signature" in r.getMessage()]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]
    everything = out + caplog.text
    assert not [s for s in (OLD, "forged-token", *signatures) if s in everything]
    assert counted(out, "WebhookSignatureFailures") == [
        {"service": "texting", "provider": "twilio"},
        {"service": "texting", "provider": "twilio"},
    ]
    assert texts(rotating) == []


def test_unreadable_credentials_answer_503_and_store_nothing(rotating: Api, aws: Any) -> None:
    client = aws.client("secretsmanager", region_name="us-east-1")
    client.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    response = text_in(rotating, sid(1), "hello", OLD)
    assert response.status_code == 503
    assert body(response)["error"]["code"] == "provider_unavailable"
    put_secret(aws, {"account_sid": ACCOUNT, "auth_token": OLD})
    assert texts(rotating) == []
