"""The Web Push sender against a real HTTP server standing in for a push service: the
request it makes (headers, VAPID token, encrypted payload), and what it does with each
answer (a busy one tried again a little, then given up and counted; a refused token
signed again with a re-read key). Also the VAPID key: the private half from its
secret and the public half from its parameter, each kept a few minutes."""

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
    VapidKeys,
    VapidPublicKey,
    WebPushGateway,
    fitted,
    notification,
    topic_of,
)
from chalicelib.domain.errors import PushRejected, PushUnavailable
from chalicelib.domain.webpush import PushEndpoints, b64url_decode
from chalicelib.services.common import WORKER_THREADS
from tests import fakes
from tests.webpush_support import Browser, Clock, PushService, serving_push, vapid_secret

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


def gateway(
    service: PushService,
    source: Any = None,
    timeout: float = 2.0,
    slept: list[float] | None = None,
    keys: VapidKeys | None = None,
) -> WebPushGateway:
    keys = keys or VapidKeys(source or fakes.MemorySecretSource(vapid_secret(), what="VAPID"))
    endpoints = PushEndpoints(local_prefix=service.url)
    return WebPushGateway(
        keys,
        SUBJECT,
        ttl=86400,
        timeout=timeout,
        endpoints=endpoints,
        sleep=(slept if slept is not None else []).append,
    )


def counted(out: str, name: str) -> int:
    """How many figures of the metric ``name`` the Embedded Metric Format lines hold."""
    found = 0
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            emf = json.loads(line)
            metrics = emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            found += sum(1 for m in metrics if m["Name"] == name)
    return found


def signed_with(request: dict[str, Any]) -> str:
    """The VAPID public key (``k=``) a request was signed with."""
    return str(request["headers"]["Authorization"].split(", k=")[1])


def registered(sender: WebPushGateway, browser: Browser) -> str:
    return sender.register("webpush", browser.token(), "u-bob")


def test_a_push_is_encrypted_signed_and_carries_ttl_urgency_and_topic(
    service: PushService,
) -> None:
    source = fakes.MemorySecretSource(vapid_secret(), what="VAPID")
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
        "url": "#/conversations/c-1",
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
def test_a_busy_push_service_is_tried_again_a_little_then_given_up_and_counted(
    service: PushService, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    slept: list[float] = []
    sender = gateway(service, slept=slept)
    service.answers = [status] * 3
    endpoint = registered(sender, Browser(service.url + "bob"))
    capsys.readouterr()
    sender.push(endpoint, "webpush", PAYLOAD, False)  # given up: the record goes on
    assert len(service.received) == 3 and slept == [0.25, 0.5]
    out = capsys.readouterr().out
    assert counted(out, "WebPushDeferred") == 1
    assert service.url not in out  # the endpoint is a capability: never logged


def test_a_push_service_busy_for_a_moment_gets_the_push_once(service: PushService) -> None:
    slept: list[float] = []
    sender = gateway(service, slept=slept)
    browser = Browser(service.url + "bob")
    service.answers = [503, 201]
    sender.push(registered(sender, browser), "webpush", PAYLOAD, False)
    assert [browser.read(r["body"])["message_id"] for r in service.received] == ["m-1", "m-1"]
    assert slept == [0.25]
    assert service.received[0]["headers"]["Topic"] == service.received[1]["headers"]["Topic"]


def test_a_refused_connection_is_tried_again_then_given_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/_sim/push/"
    slept: list[float] = []
    sender = gateway(PushService(url), slept=slept)
    capsys.readouterr()
    sender.push(registered(sender, Browser(url + "bob")), "webpush", PAYLOAD, False)
    assert slept == [0.25, 0.5]
    assert counted(capsys.readouterr().out, "WebPushDeferred") == 1


def test_a_push_service_that_does_not_answer_in_time_is_never_sent_it_twice(
    service: PushService, capsys: pytest.CaptureFixture[str]
) -> None:
    slept: list[float] = []
    sender = gateway(service, timeout=0.3, slept=slept)
    endpoint = registered(sender, Browser(service.url + "slow"))
    capsys.readouterr()
    sender.push(endpoint, "webpush", PAYLOAD, False)  # it may have been delivered: given up
    service.hang.set()
    assert slept == []
    assert counted(capsys.readouterr().out, "WebPushDeferred") == 1


def test_the_connection_pool_holds_a_connection_for_every_fan_out_thread(
    service: PushService,
) -> None:
    pool = gateway(service)._pool()
    assert pool.connection_pool_kw["maxsize"] == WORKER_THREADS


def test_a_subscription_with_an_explicit_default_port_is_signed_for_its_origin(
    service: PushService,
) -> None:
    class Http:
        def __init__(self) -> None:
            self.requests: list[tuple[str, dict[str, str]]] = []

        def request(self, method: str, url: str, **options: Any) -> Any:
            self.requests.append((url, options["headers"]))
            return type("Answer", (), {"status": 201})()

    keys = VapidKeys(fakes.MemorySecretSource(vapid_secret(), what="VAPID"))
    http = Http()
    sender = WebPushGateway(
        keys, SUBJECT, ttl=60, timeout=1.0, endpoints=PushEndpoints(), http=http
    )
    endpoint = sender.register(
        "webpush", Browser("https://fcm.googleapis.com:443/fcm/send/abc").token(), "u-bob"
    )
    sender.push(endpoint, "webpush", PAYLOAD, False)
    ((url, headers),) = http.requests
    assert url == "https://fcm.googleapis.com/fcm/send/abc"
    token, k = headers["Authorization"].removeprefix("vapid t=").split(", k=")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(k))
    claims = jwt.decode(token, public, algorithms=["ES256"], audience="https://fcm.googleapis.com")
    assert claims["aud"] == "https://fcm.googleapis.com"


# -- a key replaced (generate-vapid-key --replace) ------------------------------------


def test_a_token_refused_after_the_key_was_replaced_is_signed_again_with_the_new_key(
    service: PushService,
) -> None:
    old, new = vapid_secret(), vapid_secret()
    source = fakes.MemorySecretSource(old, what="VAPID")
    sender = gateway(service, source)
    endpoint = registered(sender, Browser(service.url + "bob"))
    sender.push(endpoint, "webpush", PAYLOAD, False)
    source.put(new)  # replaced; this container still holds the old key (its TTL)
    service.answers = [403]
    sender.push(endpoint, "webpush", PAYLOAD, False)
    assert [signed_with(r) for r in service.received] == [
        old["public_key"],
        old["public_key"],
        new["public_key"],
    ]
    assert source.reads == 2


def test_a_403_with_the_current_key_rejects_the_subscription(service: PushService) -> None:
    source = fakes.MemorySecretSource(vapid_secret(), what="VAPID")
    sender = gateway(service, source)
    endpoint = registered(sender, Browser(service.url + "bob"))
    service.answers = [403]
    with pytest.raises(PushRejected):
        sender.push(endpoint, "webpush", PAYLOAD, False)
    assert len(service.received) == 1 and source.reads == 2  # read again: still this key


def test_a_401_with_the_current_key_is_dropped_not_pruned(service: PushService) -> None:
    sender = gateway(service)
    service.answers = [401]
    sender.push(registered(sender, Browser(service.url + "bob")), "webpush", PAYLOAD, False)
    assert len(service.received) == 1


def test_refused_tokens_re_read_the_key_at_most_once_per_interval(service: PushService) -> None:
    clock = Clock()
    source = fakes.MemorySecretSource(vapid_secret(), what="VAPID")
    keys = VapidKeys(source, ttl=300, min_interval=30, clock=clock)
    sender = gateway(service, keys=keys)
    service.answers = [403, 403, 403]
    for name in ("a", "b"):
        with pytest.raises(PushRejected):
            sender.push(registered(sender, Browser(service.url + name)), "webpush", PAYLOAD, False)
    assert source.reads == 2
    clock.now += 31
    with pytest.raises(PushRejected):
        sender.push(registered(sender, Browser(service.url + "c")), "webpush", PAYLOAD, False)
    assert source.reads == 3


def test_a_refused_token_whose_key_cannot_be_read_again_is_unavailable_not_pruned(
    service: PushService,
) -> None:
    source = fakes.MemorySecretSource(vapid_secret(), what="VAPID")
    sender = gateway(service, source)
    endpoint = registered(sender, Browser(service.url + "bob"))
    sender.push(endpoint, "webpush", PAYLOAD, False)
    source.failing = True
    service.answers = [403]
    with pytest.raises(PushUnavailable):
        sender.push(endpoint, "webpush", PAYLOAD, False)


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


def test_the_vapid_key_is_kept_for_its_ttl_then_read_again() -> None:
    clock = Clock()
    old, new = vapid_secret(), vapid_secret()
    source = fakes.MemorySecretSource(old, what="VAPID")
    keys = VapidKeys(source, ttl=300, clock=clock)
    assert keys.public_key() == keys.public_key() == old["public_key"]
    source.put(new)
    clock.now += 299
    assert keys.public_key() == old["public_key"] and source.reads == 1
    clock.now += 1
    assert keys.public_key() == new["public_key"] and source.reads == 2


def test_a_key_that_cannot_be_read_again_is_kept_until_it_can() -> None:
    clock = Clock()
    secret = vapid_secret()
    source = fakes.MemorySecretSource(secret, what="VAPID")
    keys = VapidKeys(source, ttl=300, min_interval=30, clock=clock)
    keys.private_key()
    source.failing = True
    clock.now += 300
    assert keys.public_key() == secret["public_key"]
    assert keys.public_key() == secret["public_key"] and source.reads == 2  # not every use


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


# -- the public key, from its parameter (GET /push/key, registration) ---------------------

PARAMETER = "/texting/test/webpush-public-key"


def test_the_public_key_comes_from_its_parameter_and_is_kept_for_its_ttl(aws: Any) -> None:
    ssm = aws.client("ssm", region_name="us-east-1")
    clock = Clock()
    old, new = vapid_secret(), vapid_secret()
    ssm.put_parameter(Name=PARAMETER, Value=old["public_key"], Type="String")
    key = VapidPublicKey(PARAMETER, ssm, ttl=300, clock=clock)
    assert key.public_key() == old["public_key"]
    ssm.put_parameter(Name=PARAMETER, Value=new["public_key"], Type="String", Overwrite=True)
    clock.now += 299
    assert key.public_key() == old["public_key"]
    clock.now += 1
    assert key.public_key() == new["public_key"]


@pytest.mark.parametrize("value", [None, "none", "AAAA", "not base64!"])
def test_no_public_key_published_is_unavailable(aws: Any, value: str | None) -> None:
    ssm = aws.client("ssm", region_name="us-east-1")
    if value is not None:
        ssm.put_parameter(Name=PARAMETER, Value=value, Type="String")
    with pytest.raises(PushUnavailable):
        VapidPublicKey(PARAMETER, ssm).public_key()
    with pytest.raises(PushUnavailable):
        VapidPublicKey("").public_key()
