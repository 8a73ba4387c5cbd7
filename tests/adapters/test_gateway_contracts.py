"""AWS adapters and their fakes, one contract each: publisher, WebSocket sender,
media store, push gateway, deduplicator, and the provider media fetcher.

Each port has a small harness per implementation that observes what the outside
world would see: what a subscriber of the topic receives, what a connection
receives, what a device receives, what a download serves. The real adapters run
on in-process moto (one per module, see conftest.py); moto's API Gateway never
answers 410, so the gone cases of the real sender use a botocore Stubber.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from botocore.config import Config
from botocore.stub import ANY, Stubber

from chalicelib.adapters.aws import (
    ApiGatewayConnectionSender,
    S3MediaStore,
    SnsEventPublisher,
    SnsPushGateway,
)
from chalicelib.adapters.idempotency import PowertoolsDeduplicator
from chalicelib.domain.errors import ConnectionGone, PushRejected, ValidationError
from chalicelib.domain.model import Event
from chalicelib.services.ports import ConnectionSender, EventPublisher, MediaFetcher, MediaStore
from chalicelib.services.push_ports import PushGateway
from tests import fakes

REGION = "us-east-1"
IMPLEMENTATIONS = ["aws", "memory"]


def unique(prefix: str) -> str:
    """Names and ids unique per test: the module's moto outlives one test."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def poll(read: Callable[[], list[Any]], count: int, deadline: float = 5.0) -> list[Any]:
    """Read until ``count`` items arrived or the deadline passed; returns what arrived."""
    found: list[Any] = []
    end = time.monotonic() + deadline
    while len(found) < count and time.monotonic() < end:
        found += read()
    return found


# -- EventPublisher: what a subscriber of the topic receives ---------------------------


class SnsSubscriber:
    """A queue subscribed to the events topic, with raw delivery and no filter."""

    def __init__(self, boto: Any) -> None:
        self.sns = boto.client("sns", region_name=REGION)
        self.sqs = boto.client("sqs", region_name=REGION)
        self.topic = self.sns.create_topic(Name="texting-test-events")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName=unique("subscriber"))["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=self.topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        self.publisher: EventPublisher = SnsEventPublisher(self.topic, client=self.sns)

    def _read(self) -> list[Event]:
        batch = self.sqs.receive_message(
            QueueUrl=self.queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        events = []
        for message in batch.get("Messages", []):
            attributes = {
                name: value["StringValue"]
                for name, value in message.get("MessageAttributes", {}).items()
            }
            event = Event.from_dict(json.loads(message["Body"]))
            # the subscriptions' filter policies route on these two
            assert attributes.pop("event_type") == event.type
            assert attributes.pop("company_id") == event.company_id
            event.attributes = attributes
            events.append(event)
            self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return events

    def received(self, count: int) -> list[Event]:
        return poll(self._read, count)


class MemorySubscriber:
    def __init__(self) -> None:
        self.fake = fakes.MemoryPublisher()
        self.publisher: EventPublisher = self.fake

    def received(self, count: int) -> list[Event]:
        return list(self.fake.events)


@pytest.fixture(params=IMPLEMENTATIONS)
def subscriber(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemorySubscriber()
    return SnsSubscriber(request.getfixturevalue("moto_module"))


def event(n: int, **attributes: str) -> Event:
    return Event(
        event_id=f"e{n}",
        type="message.created",
        company_id="acme",
        recipients=["u-bob", "u-carol"],
        data={"seq": n, "text": "héllo ✓", "entities": [{"type": "mention", "user": "u-bob"}]},
        conversation_id="c1",
        attributes=attributes,
    )


def test_every_published_event_reaches_a_subscriber_intact(subscriber: Any) -> None:
    events = [event(n) for n in range(11)] + [event(11, sms_outbound="true")]  # two batches
    subscriber.publisher.publish(events)
    received = subscriber.received(len(events))
    assert sorted(received, key=lambda e: e.event_id) == sorted(events, key=lambda e: e.event_id)


def test_targeted_events_keep_their_audience(subscriber: Any) -> None:
    targeted = Event(
        "e1", "presence.changed", "acme", ["u-bob"], {"status": "busy"}, None, "watchers"
    )
    direct = Event("e2", "ack", "acme", ["u-bob"], {}, None, "connection", "conn-1")
    subscriber.publisher.publish([targeted, direct])
    assert sorted(subscriber.received(2), key=lambda e: e.event_id) == [targeted, direct]


def test_publishing_nothing_delivers_nothing(subscriber: Any) -> None:
    subscriber.publisher.publish([])
    assert subscriber.received(0) == []


def test_a_subscriber_receives_the_event_as_it_was_when_published(subscriber: Any) -> None:
    published = event(1)
    subscriber.publisher.publish([published])
    published.data["text"] = "changed afterwards"
    published.recipients.append("u-mallory")
    assert subscriber.received(1) == [event(1)]


# -- ConnectionSender: what a connection receives --------------------------------------


class ApiGatewayConnections:
    """The real sender on moto, which keeps the bytes posted to each connection."""

    endpoint = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"

    def __init__(self, boto: Any) -> None:
        self.client = boto.client(
            "apigatewaymanagementapi", region_name=REGION, endpoint_url=self.endpoint
        )
        self.sender: ConnectionSender = ApiGatewayConnectionSender(self.endpoint, self.client)

    def _backend(self) -> Any:
        from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        return apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][REGION]

    def received(self, connection_id: str) -> list[Any]:
        connection = self._backend().connections.get(connection_id)
        raw = connection.data.decode() if connection is not None else ""
        frames, decoder, at = [], json.JSONDecoder(), 0
        while at < len(raw):
            frame, at = decoder.raw_decode(raw, at)
            frames.append(frame)
        return frames

    def is_open(self, connection_id: str) -> bool:
        return connection_id in self._backend().connections

    def open(self, connection_id: str) -> None:
        self._backend().get_connection(connection_id)  # moto opens one on first use

    @contextmanager
    def with_gone(self, connection_id: str) -> Iterator[ConnectionSender]:
        """A sender whose API answers 410 Gone for ``connection_id``."""
        stubbed = _fresh_management_client(self.endpoint)  # its own client: moto stays out
        with Stubber(stubbed) as stub:
            stub.add_client_error(
                "post_to_connection",
                "GoneException",
                http_status_code=410,
                expected_params={"ConnectionId": connection_id, "Data": ANY},
            )
            stub.add_client_error(
                "delete_connection",
                "GoneException",
                http_status_code=410,
                expected_params={"ConnectionId": connection_id},
            )
            yield ApiGatewayConnectionSender(self.endpoint, client=stubbed)
            stub.assert_no_pending_responses()


def _fresh_management_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("apigatewaymanagementapi", region_name=REGION, endpoint_url=endpoint)


class MemoryConnections:
    def __init__(self) -> None:
        self.fake = fakes.MemorySender()
        self.sender: ConnectionSender = self.fake

    def received(self, connection_id: str) -> list[Any]:
        return self.fake.frames.get(connection_id, [])

    def is_open(self, connection_id: str) -> bool:
        return connection_id not in self.fake.gone

    def open(self, connection_id: str) -> None:
        return None

    @contextmanager
    def with_gone(self, connection_id: str) -> Iterator[ConnectionSender]:
        self.fake.gone.add(connection_id)
        yield self.fake


@pytest.fixture(params=IMPLEMENTATIONS)
def connections(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryConnections()
    return ApiGatewayConnections(request.getfixturevalue("moto_module"))


def test_frames_reach_their_connection_in_order_as_json(connections: Any) -> None:
    first, second = unique("c"), unique("c")
    frames = [
        {"type": "message.created", "data": {"seq": 1, "text": "héllo ✓", "ids": ("a", "b")}},
        {"type": "typing", "data": {"user_id": "u-bob"}},
    ]
    connections.sender.send(first, frames[0])
    connections.sender.send(second, {"type": "ack", "data": {}})
    connections.sender.send(first, frames[1])
    assert connections.received(first) == [
        {"type": "message.created", "data": {"seq": 1, "text": "héllo ✓", "ids": ["a", "b"]}},
        {"type": "typing", "data": {"user_id": "u-bob"}},
    ]
    assert connections.received(second) == [{"type": "ack", "data": {}}]


def test_a_frame_that_cannot_travel_as_json_is_refused(connections: Any) -> None:
    target = unique("c")
    with pytest.raises(TypeError):
        connections.sender.send(target, {"type": "t", "data": {"at": object()}})
    assert connections.received(target) == []


def test_sending_to_a_gone_connection_raises_connection_gone(connections: Any) -> None:
    target = unique("c")
    with connections.with_gone(target) as sender:
        with pytest.raises(ConnectionGone):
            sender.send(target, {"type": "t", "data": {}})
        sender.close(target)  # closing a gone connection is fine
    assert connections.received(target) == []


def test_closing_a_connection_ends_it(connections: Any) -> None:
    target, other = unique("c"), unique("c")
    for cid in (target, other):
        connections.open(cid)
    connections.sender.close(target)
    assert not connections.is_open(target)
    assert connections.is_open(other)
    connections.sender.close(unique("never-opened"))  # nothing to close: no error


# -- MediaStore: what an upload stores and a download serves ---------------------------


class S3Media:
    def __init__(self, boto: Any) -> None:
        self.bucket = "texting-test-media"
        self.s3 = boto.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))
        self.store: MediaStore = S3MediaStore(self.bucket, client=self.s3)

    def upload(self, form: dict[str, Any], data: bytes) -> None:
        response = requests.post(
            form["url"], data=form["fields"], files={"file": ("upload", data)}, timeout=10
        )
        assert response.status_code in (200, 201, 204), response.text

    def download(self, url: str) -> bytes:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, response.text
        return response.content


class MemoryMedia:
    def __init__(self) -> None:
        self.fake = fakes.MemoryMediaStore()
        self.bucket = self.fake.bucket
        self.store: MediaStore = self.fake

    def upload(self, form: dict[str, Any], data: bytes) -> None:
        # what S3 does with a presigned POST: store the file under the form's key and type
        fields = form["fields"]
        self.fake.put(fields["key"], data, fields["Content-Type"])

    def download(self, url: str) -> bytes:
        key = url.removeprefix("memory://").split("?", 1)[0]
        return bytes(self.fake.objects[key]["data"])


@pytest.fixture(params=IMPLEMENTATIONS)
def media(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryMedia()
    return S3Media(request.getfixturevalue("moto_module"))


def test_a_presigned_upload_is_a_form_post_naming_the_key_and_content_type(media: Any) -> None:
    key = f"uploads/{unique('u')}/photo.png"
    form = media.store.presigned_upload(key, "image/png", 5_000_000, 300)
    assert form["method"] == "POST" and isinstance(form["url"], str)
    assert form["fields"]["key"] == key
    assert form["fields"]["Content-Type"] == "image/png"


def test_an_uploaded_object_is_described_by_its_type_and_size(media: Any) -> None:
    key = f"uploads/{unique('u')}/doc.pdf"
    assert media.store.describe(key) is None  # nothing uploaded yet
    media.upload(media.store.presigned_upload(key, "application/pdf", 1000, 300), b"%PDF-1.7 x")
    assert media.store.describe(key) == {
        "content_type": "application/pdf",
        "size": 10,
        "filename": "",
    }


def test_an_upload_keeps_its_file_name_and_so_does_its_copy(media: Any) -> None:
    source, destination = f"uploads/{unique('u')}/x", f"media/{unique('m')}/x"
    form = media.store.presigned_upload(source, "application/pdf", 1000, 300, "Grüße 1.pdf")
    media.upload(form, b"%PDF-1.7 x")
    described = {"content_type": "application/pdf", "size": 10, "filename": "Grüße 1.pdf"}
    assert media.store.describe(source) == described
    media.store.copy(source, destination)
    assert media.store.describe(destination) == described


def test_a_put_object_is_served_by_its_download_link(media: Any) -> None:
    key = f"media/{unique('m')}/a.jpg"
    media.store.put(key, b"\xff\xd8\xff jpeg bytes", "image/jpeg")
    assert media.store.describe(key) == {
        "content_type": "image/jpeg",
        "size": 14,
        "filename": "",
    }
    url = media.store.download_url(key, 120)
    assert key in url
    assert media.download(url) == b"\xff\xd8\xff jpeg bytes"


def test_a_copy_is_a_second_object_with_the_same_bytes_and_type(media: Any) -> None:
    source, destination = f"uploads/{unique('u')}/a.png", f"media/{unique('m')}/a.png"
    media.store.put(source, b"png bytes", "image/png")
    media.store.copy(source, destination)
    assert media.store.describe(destination) == {
        "content_type": "image/png",
        "size": 9,
        "filename": "",
    }
    assert media.download(media.store.download_url(destination, 60)) == b"png bytes"
    assert media.store.describe(source) == {"content_type": "image/png", "size": 9, "filename": ""}


def test_the_s3_url_names_the_bucket_and_the_key(media: Any) -> None:
    assert media.store.s3_url("media/x/a.png") == f"s3://{media.bucket}/media/x/a.png"


def test_the_s3_upload_policy_limits_the_size_and_type(moto_module: Any) -> None:
    """S3 enforces the policy (moto does not): it must carry the limits asked for."""
    import base64

    store = S3MediaStore(
        "texting-test-media",
        client=moto_module.client(
            "s3", region_name=REGION, config=Config(signature_version="s3v4")
        ),
    )
    form = store.presigned_upload("uploads/x/a.png", "image/png", 1234, 300)
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert ["content-length-range", 1, 1234] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert {"key": "uploads/x/a.png"} in policy["conditions"]


# -- PushGateway: what a device receives -----------------------------------------------


class SnsDevices:
    """SNS platform applications on moto (APNs and FCM; web push goes through FCM)."""

    def __init__(self, boto: Any, platforms: set[str]) -> None:
        self.sns = boto.client("sns", region_name=REGION)
        apps = {
            "apns": self._app("APNS"),
            "fcm": self._app("GCM"),
        }
        apps["webpush"] = apps["fcm"]
        self.gateway: PushGateway = SnsPushGateway(
            {p: arn for p, arn in apps.items() if p in platforms}, client=self.sns
        )

    def _app(self, platform: str) -> str:
        return str(
            self.sns.create_platform_application(
                Name=unique(platform.lower()),
                Platform=platform,
                Attributes={"PlatformCredential": "x"},
            )["PlatformApplicationArn"]
        )

    def _endpoint(self, arn: str) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        return sns_backends[DEFAULT_ACCOUNT_ID][REGION].platform_endpoints[arn]

    def delivered(self, endpoint: str) -> list[dict[str, Any]]:
        """What the device got: title and body (None if silent), the data, silent or not."""
        out = []
        for raw in self._endpoint(endpoint).messages.values():
            body = json.loads(raw)
            if "APNS" in body:
                apns = json.loads(body["APNS"])
                aps = apns.pop("aps")
                alert = aps.get("alert") or {}
                out.append(
                    {
                        "title": alert.get("title"),
                        "body": alert.get("body"),
                        "data": apns,
                        "silent": aps.get("content-available") == 1 and not alert,
                    }
                )
            else:
                message = json.loads(body["GCM"])["fcmV1Message"]["message"]
                notification = message.get("notification") or {}
                data = {k: v for k, v in message["data"].items() if k not in ("title", "body")}
                out.append(
                    {
                        "title": notification.get("title"),
                        "body": notification.get("body"),
                        "data": data,
                        "silent": not notification,
                    }
                )
        return out

    def disable(self, endpoint: str) -> None:
        """What SNS does when APNs or FCM reports the token invalid."""
        self.sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})


class MemoryDevices:
    def __init__(self, platforms: set[str]) -> None:
        self.fake = fakes.MemoryPushGateway(platforms)
        self.gateway: PushGateway = self.fake

    def delivered(self, endpoint: str) -> list[dict[str, Any]]:
        out = []
        for push in self.fake.pushed:
            if push["endpoint"] != endpoint:
                continue
            payload = {k: v for k, v in push.items() if k not in ("endpoint", "platform", "silent")}
            data = {k: v for k, v in payload.items() if k not in ("title", "body")}
            if push["platform"] != "apns":  # FCM data values are strings
                data = {k: str(v) for k, v in data.items()}
            silent = bool(push["silent"])
            out.append(
                {
                    "title": None if silent else payload["title"],
                    "body": None if silent else payload["body"],
                    "data": data,
                    "silent": silent,
                }
            )
        return out

    def disable(self, endpoint: str) -> None:
        self.fake.dead.add(endpoint)


def devices_for(request: pytest.FixtureRequest, platforms: set[str]) -> Any:
    if request.param == "memory":
        return MemoryDevices(platforms)
    return SnsDevices(request.getfixturevalue("moto_module"), platforms)


@pytest.fixture(params=IMPLEMENTATIONS)
def devices(request: pytest.FixtureRequest) -> Any:
    return devices_for(request, {"apns", "fcm", "webpush"})


@pytest.fixture(params=IMPLEMENTATIONS)
def apns_only(request: pytest.FixtureRequest) -> Any:
    return devices_for(request, {"apns"})


def test_a_token_has_one_endpoint_whoever_registers_it(devices: Any) -> None:
    token = unique("token")
    endpoint = devices.gateway.register("apns", token, "u-bob")
    assert endpoint and endpoint == devices.gateway.register("apns", token, "u-dave")
    assert devices.gateway.register("apns", unique("token"), "u-bob") != endpoint


@pytest.mark.parametrize("platform", ["apns", "fcm", "webpush"])
def test_a_visible_push_carries_title_body_and_data(devices: Any, platform: str) -> None:
    endpoint = devices.gateway.register(platform, unique("token"), "u-bob")
    devices.gateway.push(
        endpoint,
        platform,
        {"title": "Alice", "body": "lunch?", "conversation_id": "c1", "seq": 7},
        silent=False,
    )
    seq: Any = 7 if platform == "apns" else "7"  # FCM data values travel as strings
    assert devices.delivered(endpoint) == [
        {
            "title": "Alice",
            "body": "lunch?",
            "data": {"conversation_id": "c1", "seq": seq},
            "silent": False,
        }
    ]


@pytest.mark.parametrize("platform", ["apns", "fcm"])
def test_a_silent_push_shows_nothing_but_carries_the_data(devices: Any, platform: str) -> None:
    endpoint = devices.gateway.register(platform, unique("token"), "u-bob")
    devices.gateway.push(endpoint, platform, {"title": "", "body": "", "badge": "3"}, silent=True)
    assert devices.delivered(endpoint) == [
        {"title": None, "body": None, "data": {"badge": "3"}, "silent": True}
    ]


def test_a_push_to_a_disabled_endpoint_is_rejected(devices: Any) -> None:
    endpoint = devices.gateway.register("apns", unique("token"), "u-bob")
    devices.disable(endpoint)
    with pytest.raises(PushRejected):
        devices.gateway.push(endpoint, "apns", {"title": "t", "body": "b"}, silent=False)
    assert devices.delivered(endpoint) == []


def test_a_push_to_an_unregistered_endpoint_is_rejected(devices: Any) -> None:
    endpoint = devices.gateway.register("fcm", unique("token"), "u-bob")
    devices.gateway.unregister(endpoint)
    with pytest.raises(PushRejected):
        devices.gateway.push(endpoint, "fcm", {"title": "t", "body": "b"}, silent=False)
    devices.gateway.unregister(endpoint)  # twice: no error


def test_a_platform_without_an_application_is_registered_but_never_pushed(
    apns_only: Any,
) -> None:
    assert apns_only.gateway.register("fcm", unique("token"), "u-bob") == ""
    apns_only.gateway.push("", "fcm", {"title": "t", "body": "b"}, silent=False)  # no error
    apns_only.gateway.unregister("")
    assert apns_only.delivered(apns_only.gateway.register("apns", unique("t"), "u-bob")) == []


# -- the deduplicator: work runs once per key ------------------------------------------


@pytest.fixture(params=IMPLEMENTATIONS)
def dedup(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return fakes.MemoryDeduplicator()
    request.getfixturevalue("tables")  # an empty idempotency table
    return PowertoolsDeduplicator("texting-test-idempotency", 3600)


def test_work_runs_once_per_key_and_a_repeat_returns_the_first_result(dedup: Any) -> None:
    runs: list[str] = []

    def work(name: str, result: Any) -> Callable[[], Any]:
        def run() -> Any:
            runs.append(name)
            return result

        return run

    assert dedup.run_once("fanout:e1", work("first", {"delivered": 2})) == {"delivered": 2}
    assert dedup.run_once("fanout:e1", work("again", {"delivered": 5})) == {"delivered": 2}
    assert dedup.run_once("fanout:e2", work("other", 0)) == 0
    assert runs == ["first", "other"]


def test_a_repeat_returns_the_result_as_json_carries_it(dedup: Any) -> None:
    assert dedup.run_once("k", lambda: {"ids": ("a", "b")}) == {"ids": ("a", "b")}
    assert dedup.run_once("k", lambda: None) == {"ids": ["a", "b"]}


def test_work_that_fails_leaves_no_record_so_a_retry_runs_it(dedup: Any) -> None:
    def fail() -> None:
        raise ValueError("downstream refused")

    with pytest.raises(ValueError):
        dedup.run_once("push:u-bob:c1:5", fail)
    assert dedup.run_once("push:u-bob:c1:5", lambda: "sent") == "sent"
    assert dedup.run_once("push:u-bob:c1:5", lambda: "twice") == "sent"


def test_a_key_whose_work_is_still_running_refuses_a_second_caller(dedup: Any) -> None:
    seen: list[str] = []

    def outer() -> str:
        with pytest.raises(IdempotencyAlreadyInProgressError):
            dedup.run_once("fanout:e1", lambda: seen.append("inner"))
        return "outer"

    assert dedup.run_once("fanout:e1", outer) == "outer"
    assert seen == []
    assert dedup.run_once("fanout:e1", lambda: "again") == "outer"


def test_with_a_lambda_context_registered_work_still_runs_once(dedup: Any) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 30_000

    dedup.register_lambda_context(Context())
    dedup.register_lambda_context(None)  # an event without a context is not an error
    assert dedup.run_once("k", lambda: 1) == 1
    assert dedup.run_once("k", lambda: 2) == 1


# -- MediaFetcher: what a provider's media URL gives -----------------------------------


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict[str, tuple[bytes, str]] = {}
    authorizations: list[str] = []

    def do_GET(self) -> None:
        self.authorizations.append(self.headers.get("Authorization", ""))
        found = self.files.get(self.path)
        if found is None:
            self.send_error(404)
            return
        data, content_type = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class HttpMediaHost:
    """The real fetcher against a local HTTP server (the provider's media host)."""

    def __init__(self, server: http.server.ThreadingHTTPServer, handler: type[_Files]) -> None:
        from chalicelib.adapters.providers import HttpMediaFetcher, TwilioCredentials
        from tests.support import settings

        self._base = f"http://127.0.0.1:{server.server_address[1]}"
        self._handler = handler
        credentials = TwilioCredentials.from_settings(
            settings(twilio_account_sid="AC" + "1" * 32, twilio_auth_token="media-test-token")
        )
        self.fetcher: MediaFetcher = HttpMediaFetcher(credentials, timeout=5)

    def serve(self, path: str, data: bytes, content_type: str) -> str:
        self._handler.files[path] = (data, content_type)
        return self._base + path

    def missing(self, path: str) -> str:
        return self._base + path

    def plain_http(self, data: bytes) -> str:
        return "http://media.example.com/a.png"  # refused before any request is made


class MemoryMediaHost:
    def __init__(self) -> None:
        self.fake = fakes.MemoryFetcher()
        self.fetcher: MediaFetcher = self.fake

    def serve(self, path: str, data: bytes, content_type: str) -> str:
        url = f"https://api.twilio.test{path}"
        self.fake.files[url] = (data, content_type)
        return url

    def missing(self, path: str) -> str:
        return f"https://api.twilio.test{path}"

    def plain_http(self, data: bytes) -> str:
        url = "http://media.example.com/a.png"
        self.fake.files[url] = (data, "image/png")
        return url


@pytest.fixture(scope="module")
def media_host() -> Iterator[tuple[http.server.ThreadingHTTPServer, type[_Files]]]:
    handler = type("Files", (_Files,), {"files": {}, "authorizations": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(params=IMPLEMENTATIONS)
def host(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryMediaHost()
    return HttpMediaHost(*request.getfixturevalue("media_host"))


def test_fetched_media_comes_with_its_bare_content_type(host: Any) -> None:
    url = host.serve(f"/{unique('m')}/a.png", b"\x89PNG bytes", "Image/PNG; charset=binary")
    assert host.fetcher.fetch(url, 1000) == (b"\x89PNG bytes", "image/png")


def test_media_of_exactly_the_limit_is_fetched_and_one_byte_more_is_refused(host: Any) -> None:
    exact = host.serve(f"/{unique('m')}/a.jpg", b"x" * 10, "image/jpeg")
    over = host.serve(f"/{unique('m')}/b.jpg", b"x" * 11, "image/jpeg")
    assert host.fetcher.fetch(exact, 10) == (b"x" * 10, "image/jpeg")
    with pytest.raises(ValidationError) as refused:
        host.fetcher.fetch(over, 10)
    assert refused.value.code == "media_too_large"


def test_media_that_is_not_there_is_unavailable(host: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        host.fetcher.fetch(host.missing(f"/{unique('m')}/gone.png"), 1000)
    assert refused.value.code == "media_unavailable"


def test_media_over_plain_http_from_elsewhere_is_refused(host: Any) -> None:
    url = host.plain_http(b"png")
    with pytest.raises(ValidationError) as refused:
        host.fetcher.fetch(url, 1000)
    assert refused.value.code == "media_unavailable"


def test_the_provider_host_is_asked_with_the_accounts_credentials(
    media_host: tuple[http.server.ThreadingHTTPServer, type[_Files]],
) -> None:
    """Twilio serves media only to the account (the local simulator stands in for it)."""
    import base64

    real = HttpMediaHost(*media_host)
    url = real.serve(f"/{unique('m')}/a.png", b"png", "image/png")
    real.fetcher.fetch(url, 100)
    expected = base64.b64encode(("AC" + "1" * 32 + ":media-test-token").encode()).decode()
    assert media_host[1].authorizations[-1] == f"Basic {expected}"


# -- RetryScheduler: when a queued message comes back ----------------------------------


def test_a_delayed_message_stays_hidden_and_a_zero_delay_brings_it_back(
    moto_module: Any,
) -> None:
    """No fake: services never call it; the consumers' backoff goes straight to SQS."""
    from chalicelib.adapters.aws import SqsRetryScheduler

    sqs = moto_module.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=unique("retry"), Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message(QueueUrl=url, MessageBody="work")
    scheduler = SqsRetryScheduler(client=sqs)

    def receive() -> list[Any]:
        return list(sqs.receive_message(QueueUrl=url).get("Messages", []))

    (first,) = poll(receive, 1)
    scheduler.delay(arn, first["ReceiptHandle"], 300)
    assert receive() == []  # hidden for five minutes, not redelivered at once
    scheduler.delay(arn, first["ReceiptHandle"], 0)
    assert [m["Body"] for m in poll(receive, 1)] == ["work"]
