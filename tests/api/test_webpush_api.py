"""Web Push through the API: ``GET /push/key`` (the public key's parameter, never the
private key's secret), registration through ``POST /devices`` (refused with 400 unless
it is a real subscription on a browser push service: the SSRF attempts below change
nothing; 503 while the stage has no key), and the whole event path on moto (table
stream → outbox → SNS → SQS → fan-out) pushing to a push service on a loopback port:
a push service down does not fail the record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.aws import SnsEventPublisher
from chalicelib.adapters.idempotency import PowertoolsDeduplicator
from local.inprocess import EventPath
from tests import fakes
from tests.api.conftest import Api, running_api
from tests.support import seed_people, settings, verifier
from tests.webpush_support import FCM, Browser, PushService, serving_push, vapid_secret

SECRET = "texting/test/vapid"
PARAMETER = "/texting/test/webpush-public-key"
WITH_KEY = {"webpush_vapid_secret_name": SECRET, "webpush_public_key_parameter": PARAMETER}


def body(response: Any) -> Any:
    return json.loads(response.body)


def store_vapid(aws: Any, private: bool = True) -> dict[str, str]:
    """What ``generate-vapid-key`` stores: the key in its secret, its public key in the
    parameter (``private=False``: the parameter only, as ``api_handler`` may read)."""
    secret = vapid_secret()
    if private:
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name=SECRET, SecretString=json.dumps(secret)
        )
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=PARAMETER, Value=secret["public_key"], Type="String"
    )
    return secret


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with serving_push() as service:
        yield service


def register(api: Api, browser: Browser | str, device: str = "bob-laptop") -> Any:
    token = browser if isinstance(browser, str) else browser.token()
    return api.call(
        "POST", "/devices", "bob", {"device_id": device, "platform": "webpush", "token": token}
    )


def test_the_push_key_is_the_published_public_key_without_reading_the_private_one(
    aws: Any,
) -> None:
    secret = store_vapid(aws, private=False)  # the secret is not even there
    with running_api(**WITH_KEY) as api:
        answer = api.call("GET", "/push/key", "bob")
        assert answer.status_code == 200
        assert body(answer) == {"public_key": secret["public_key"]}
        assert secret["private_key"] not in answer.body.decode()


def test_without_a_vapid_key_the_push_key_is_unavailable(api: Api) -> None:
    answer = api.call("GET", "/push/key", "bob")
    assert answer.status_code == 503
    assert body(answer)["error"]["code"] == "push_unavailable"


def test_a_browser_subscription_registers_as_a_webpush_device(aws: Any) -> None:
    store_vapid(aws, private=False)
    with running_api(**WITH_KEY) as api:
        answer = register(api, Browser(FCM + "abc"))
        assert answer.status_code == 201
        assert body(answer)["platform"] == "webpush"
        listed = body(api.call("GET", "/devices", "bob"))["items"]
        assert [(d["device_id"], d["platform"]) for d in listed] == [("bob-laptop", "webpush")]


def test_without_a_vapid_key_a_browser_subscription_is_refused_and_nothing_stored(
    api: Api,
) -> None:
    answer = register(api, Browser(FCM + "abc"))
    assert answer.status_code == 503
    assert body(answer)["error"]["code"] == "push_unavailable"
    assert body(api.call("GET", "/devices", "bob"))["items"] == []


SSRF = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://169.254.169.254/latest/meta-data/",
    "http://localhost:8000/_sim/push/bob",
    "https://localhost/push",
    "https://127.0.0.1/push",
    "https://[::ffff:169.254.169.254]/push",
    "https://10.0.0.5/push",
    "https://fcm.googleapis.com:8443/fcm/send/abc",
    "https://fcm.googleapis.com@169.254.169.254/fcm/send/abc",
    "https://169.254.169.254#@fcm.googleapis.com/fcm/send/abc",
    "https://evil.example\\@fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://FCM.GOOGLEAPIS.COM/fcm/send/abc",
    "https://fcm.googl\u0435apis.com/fcm/send/abc",  # a Cyrillic e
    "https://xn--e1awd7f.push.apple.com.evil.example/x",
    "http://fcm.googleapis.com/fcm/send/abc",
    "file:///etc/passwd",
    "gopher://fcm.googleapis.com/x",
]


@pytest.mark.parametrize("endpoint", SSRF)
def test_an_endpoint_off_the_browsers_push_services_is_refused(api: Api, endpoint: str) -> None:
    answer = register(api, Browser(endpoint))
    assert answer.status_code == 400
    assert body(answer)["error"]["code"] == "push_endpoint_not_allowed"
    assert body(api.call("GET", "/devices", "bob"))["items"] == []


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("fcm-token-not-json", "invalid_push_subscription"),
        ('{"endpoint": "' + FCM + 'x"}', "invalid_push_subscription"),
        (
            '{"endpoint": "'
            + FCM
            + 'x", "keys": {"p256dh": "BBBB", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}',
            "invalid_push_key",
        ),
        (
            json.dumps(
                {**Browser.fixed(FCM + "x").subscription(), "keys": {"p256dh": "", "auth": ""}}
            ),
            "invalid_push_key",
        ),
    ],
)
def test_a_token_that_is_not_a_subscription_is_refused(api: Api, token: str, code: str) -> None:
    answer = register(api, token)
    assert answer.status_code == 400
    assert body(answer)["error"]["code"] == code
    assert body(api.call("GET", "/devices", "bob"))["items"] == []


# -- the whole event path --------------------------------------------------------------


@pytest.fixture
def pushing(aws: Any, push_service: PushService) -> Iterator[tuple[Api, EventPath]]:
    """The app with the real event path (as tests/api/test_event_pipeline.py runs it) and
    a push service on loopback, accepted as the local stack's simulator is."""
    from chalice.test import Client

    from app import app

    store_vapid(aws)
    config = settings(**WITH_KEY, webpush_local_endpoint=push_service.url)
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="texting-test-events")[
        "TopicArn"
    ]
    services = bootstrap.bootstrap(
        config,
        publisher=SnsEventPublisher(topic),
        sender=fakes.MemorySender(),
        verifier=verifier(),
        idempotency=PowertoolsDeduplicator(config.idempotency_table, 3600),
    )
    bootstrap.use(services)
    people = seed_people(services.adapters.directory)
    try:
        with Client(app, stage_name="local") as client:
            api = Api(client, None, None, people, None, services, None)  # type: ignore[arg-type]
            yield api, EventPath.for_prefix("texting-test")
    finally:
        bootstrap.use(None)


def im_to_bob(api: Api, text: str) -> str:
    conv = body(api.call("POST", "/conversations", "alice", {"type": "im", "members": ["u-bob"]}))
    sent = api.call(
        "POST",
        f"/conversations/{conv['id']}/messages",
        "alice",
        {"text": text, "client_id": f"c-{text}"},
    )
    assert sent.status_code in (200, 201), sent.body
    return str(conv["id"])


def deliver(path: EventPath) -> None:
    path.run_outbox()
    path.run_realtime()


def test_a_message_reaches_a_browser_encrypted_and_a_gone_one_is_pruned(
    pushing: tuple[Api, EventPath], push_service: PushService
) -> None:
    api, path = pushing
    browser = Browser(push_service.url + "bob")
    assert register(api, browser).status_code == 201
    conversation_id = im_to_bob(api, "hello")
    deliver(path)
    (request,) = push_service.received
    payload = browser.read(request["body"])
    assert (payload["type"], payload["conversation_id"], payload["body"]) == (
        "message",
        conversation_id,
        "hello",
    )
    push_service.answers = [410]
    api.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        "alice",
        {"text": "again", "client_id": "c-again"},
    )
    deliver(path)
    assert len(push_service.received) == 2
    assert body(api.call("GET", "/devices", "bob"))["items"] == []


def test_a_redirecting_push_service_is_not_followed(
    pushing: tuple[Api, EventPath], push_service: PushService
) -> None:
    api, path = pushing
    assert register(api, Browser(push_service.url + "bob")).status_code == 201
    push_service.answers = [307]
    im_to_bob(api, "hello")
    deliver(path)
    assert [r["path"] for r in push_service.received] == ["/_sim/push/bob"]


def test_a_push_service_down_does_not_fail_the_record(
    pushing: tuple[Api, EventPath], push_service: PushService
) -> None:
    api, path = pushing
    browser = Browser(push_service.url + "bob")
    assert register(api, browser).status_code == 201
    push_service.answers = [503, 503, 503]
    im_to_bob(api, "hello")
    deliver(path)  # raises if the realtime record failed
    assert len(push_service.received) == 3  # tried within the record, then given up
    assert [d["device_id"] for d in body(api.call("GET", "/devices", "bob"))["items"]] == [
        "bob-laptop"
    ]
