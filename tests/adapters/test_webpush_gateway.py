"""The Web Push sender against a real HTTP server standing in for a push service: the
request it makes (headers, VAPID token, encrypted payload), and what it does with each
answer. Also the VAPID key's secret, read once per container."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.adapters.webpush import (
    MAX_PAYLOAD_BYTES,
    PushByPlatform,
    PushRetryLater,
    VapidKeys,
    WebPushGateway,
    fitted,
    notification,
    topic_of,
)
from chalicelib.domain.errors import PushRejected, PushUnavailable
from chalicelib.domain.webpush import PushEndpoints, b64url_decode
from tests import fakes
from tests.webpush_support import Browser, PushService, serving_push, vapid_secret

SUBJECT = "mailto:ops@example.com"
PAYLOAD = {
    "type": "message",
    "title": "Alice Adams",
    "body": "Lunch at noon?",
    "conversation_id": "c-1",
    "message_id": "m-1",
    "seq": 3,
}


@pytest.fixture
def service() -> Iterator[PushService]:
    with serving_push() as state:
        yield state


def gateway(service: PushService, source: Any = None, timeout: float = 2.0) -> WebPushGateway:
    keys = VapidKeys(source or fakes.MemorySecretSource(vapid_secret()))
    endpoints = PushEndpoints(local_prefix=service.url)
    return WebPushGateway(keys, SUBJECT, ttl=86400, timeout=timeout, endpoints=endpoints)


def registered(sender: WebPushGateway, browser: Browser) -> str:
    return sender.register("webpush", browser.token(), "u-bob")


def test_a_push_is_encrypted_signed_and_carries_ttl_urgency_and_topic(
    service: PushService,
) -> None:
    source = fakes.MemorySecretSource(vapid_secret())
    sender = gateway(service, source)
    browser = Browser(service.url + "bob")
    sender.push(registered(sender, browser), "webpush", PAYLOAD, silent=False)
    (request,) = service.received
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert request["path"] == "/_sim/push/bob"
    assert headers["ttl"] == "86400"
    assert headers["urgency"] == "high"
    assert headers["topic"] == topic_of("c-1") and len(headers["topic"]) <= 32
    assert headers["content-encoding"] == "aes128gcm"
    token, k = headers["authorization"].removeprefix("vapid t=").split(", k=")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(k))
    assert k == sender._keys.public_key()
    origin = service.url.removesuffix("/_sim/push/")  # the audience: the endpoint's origin
    claims = jwt.decode(token, public, algorithms=["ES256"], audience=origin)
    assert claims["sub"] == SUBJECT
    assert browser.read(request["body"]) == {
        "type": "message",
        "conversation_id": "c-1",
        "message_id": "m-1",
        "title": "Alice Adams",
        "body": "Lunch at noon?",
        "url": "/#/conversations/c-1",
        "silent": False,
        "tag": "conversation-c-1",
    }


def test_a_silent_push_says_so_and_is_not_urgent(service: PushService) -> None:
    sender = gateway(service)
    browser = Browser(service.url + "bob")
    sender.push(registered(sender, browser), "webpush", PAYLOAD, silent=True)
    (request,) = service.received
    assert request["headers"]["Urgency"] == "normal"
    assert browser.read(request["body"])["silent"] is True


def test_each_conversation_has_its_own_topic() -> None:
    assert topic_of("c-1") != topic_of("c-2")
    assert all(len(topic_of("c" * n)) == 32 for n in (1, 36, 300))


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_rejected(
    service: PushService, status: int
) -> None:
    sender = gateway(service)
    service.answers = [status]
    with pytest.raises(PushRejected):
        sender.push(registered(sender, Browser(service.url + "bob")), "webpush", PAYLOAD, False)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_busy_push_service_means_try_again_later(service: PushService, status: int) -> None:
    sender = gateway(service)
    service.answers = [status]
    endpoint = registered(sender, Browser(service.url + "bob"))
    with pytest.raises(PushRetryLater) as error:
        sender.push(endpoint, "webpush", PAYLOAD, False)
    assert service.url not in str(error.value)  # the endpoint is a capability: never told


def test_a_push_service_that_does_not_answer_in_time_means_try_again_later(
    service: PushService,
) -> None:
    sender = gateway(service, timeout=0.3)
    with pytest.raises(PushRetryLater):
        sender.push(registered(sender, Browser(service.url + "slow")), "webpush", PAYLOAD, False)


def test_too_large_is_sent_once_more_without_the_preview_then_dropped(
    service: PushService,
) -> None:
    sender = gateway(service)
    browser = Browser(service.url + "bob")
    service.answers = [413, 413]
    sender.push(registered(sender, browser), "webpush", PAYLOAD, False)  # dropped: no raise
    first, second = (browser.read(r["body"]) for r in service.received)
    assert (first["body"], second["body"]) == ("Lunch at noon?", "")
    assert second["conversation_id"] == "c-1"


def test_a_redirect_is_never_followed(service: PushService) -> None:
    sender = gateway(service)
    service.answers = [307]
    sender.push(registered(sender, Browser(service.url + "bob")), "webpush", PAYLOAD, False)
    assert [r["path"] for r in service.received] == ["/_sim/push/bob"]


def test_a_stored_subscription_whose_endpoint_is_not_allowed_is_never_posted_to(
    service: PushService,
) -> None:
    sender = gateway(service)
    stored = Browser("http://169.254.169.254/latest/meta-data/x").token()
    with pytest.raises(PushRejected):
        sender.push(stored, "webpush", PAYLOAD, False)
    assert service.received == []


def test_a_device_stored_without_a_subscription_is_rejected_not_retried(
    service: PushService,
) -> None:
    sender = gateway(service)
    with pytest.raises(PushRejected):
        sender.push(
            "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/x", "webpush", PAYLOAD, False
        )
    assert service.received == []


def test_a_long_preview_is_cut_to_fit_3_kb_before_encryption() -> None:
    note = notification({**PAYLOAD, "body": "é" * 5000, "title": "T" * 200}, False)
    data = fitted(note)
    assert len(data) <= MAX_PAYLOAD_BYTES
    decoded = json.loads(data)
    assert decoded["body"].endswith("…") and decoded["body"].startswith("éé")
    assert len(data) > MAX_PAYLOAD_BYTES - 8  # cut no more than needed
    assert decoded["title"] == "T" * 200 and decoded["conversation_id"] == "c-1"
    assert (
        fitted(notification(PAYLOAD, False))
        == json.dumps(
            notification(PAYLOAD, False), ensure_ascii=False, separators=(",", ":")
        ).encode()
    )


def test_a_long_title_is_cut_too_once_the_preview_is_gone() -> None:
    data = fitted(notification({**PAYLOAD, "body": "b" * 4000, "title": "t" * 4000}, False))
    decoded = json.loads(data)
    assert len(data) <= MAX_PAYLOAD_BYTES
    assert decoded["body"] == "" and decoded["title"].endswith("…")


def test_the_vapid_key_is_read_once_per_container() -> None:
    source = fakes.MemorySecretSource(vapid_secret())
    keys = VapidKeys(source)
    assert keys.public_key() == keys.public_key()
    keys.private_key()
    assert source.reads == 1


def test_a_missing_or_unreadable_vapid_key_is_unavailable_and_never_quoted() -> None:
    with pytest.raises(PushUnavailable):
        VapidKeys(None).public_key()
    source = fakes.MemorySecretSource({"private_key": "not-a-key"})
    with pytest.raises(PushUnavailable) as error:
        VapidKeys(source).public_key()
    assert "not-a-key" not in str(error.value)
    secret = vapid_secret()
    failing = fakes.MemorySecretSource(secret)
    failing.failing = True
    keys = VapidKeys(failing)
    with pytest.raises(PushUnavailable):
        keys.public_key()
    failing.failing = False  # read again on the next use
    assert keys.public_key() == secret["public_key"]
    assert secret["private_key"] not in repr(keys)


def test_the_secret_on_secrets_manager_gives_the_key(aws: Any) -> None:
    import boto3

    secret = vapid_secret()
    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.create_secret(Name="texting/test/vapid", SecretString=json.dumps(secret))
    assert VapidKeys.named("texting/test/vapid", client).public_key() == secret["public_key"]
    with pytest.raises(PushUnavailable) as error:
        VapidKeys.named("texting/test/none", client).public_key()
    assert "texting/test/none" not in str(error.value)


def test_web_push_devices_go_to_web_push_and_phones_to_sns(service: PushService) -> None:
    mobile = fakes.MemoryPushGateway()
    push = PushByPlatform(mobile, gateway(service))
    browser = Browser(service.url + "bob")
    web_endpoint = push.register("webpush", browser.token(), "u-bob")
    phone_endpoint = push.register("apns", "tok-1", "u-bob")
    push.push(web_endpoint, "webpush", PAYLOAD, False)
    push.push(phone_endpoint, "apns", PAYLOAD, False)
    assert len(service.received) == 1
    assert [p["endpoint"] for p in mobile.pushed] == [phone_endpoint]
    push.unregister(web_endpoint)  # nothing held at the push service
    push.unregister(phone_endpoint)
    assert mobile.registered == {}
    assert base64.b64encode(service.received[0]["body"])  # encrypted bytes, not JSON
