"""The Twilio Messages API client against a real HTTP server on 127.0.0.1.

The server records what it received and answers what each test scripts, so the
tests assert the request on the wire and how each kind of answer is mapped.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.adapters.twilio import ProviderRejected, ProviderRetryable, TwilioClient

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
TOKEN = "s3cr3t-auth-token-value"
SID = "SM" + "ab" * 16


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]


@dataclass
class Answer:
    status: int = 201
    body: Any = field(default_factory=lambda: {"sid": SID, "status": "queued"})
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # hold the request until the test ends (a timeout)


class FakeTwilio:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: deque[Answer] = deque()
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                fake.received.append(
                    Received(
                        "POST",
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        urllib.parse.parse_qs(body, keep_blank_values=True),
                    )
                )
                answer = fake.answers.popleft() if fake.answers else Answer()
                if answer.hang:
                    fake.release.wait(10)
                    return
                payload = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def client(self, timeout: float = 5.0, base_path: str = "") -> TwilioClient:
        return TwilioClient(ACCOUNT, TOKEN, base_url=self.url + base_path, timeout=timeout)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.thread.start()
    yield fake
    fake.release.set()
    fake.server.shutdown()
    fake.server.server_close()


def test_send_posts_the_message_form_with_basic_auth_and_idempotency_token(
    twilio: FakeTwilio,
) -> None:
    sent = twilio.client().send(
        "+14155550100",
        "+14155550199",
        "Hello 👋",
        ["https://m.test/a.png", "https://m.test/b.png"],
        "https://hooks.test/prod/webhooks/twilio/status",
        "msg-123",
    )
    assert (sent.provider_message_id, sent.status) == (SID, "queued")
    [request] = twilio.received
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    )
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert request.headers["i-twilio-idempotency-token"] == "msg-123"
    assert request.form == {
        "From": ["+14155550100"],
        "To": ["+14155550199"],
        "Body": ["Hello 👋"],
        "MediaUrl": ["https://m.test/a.png", "https://m.test/b.png"],
        "StatusCallback": ["https://hooks.test/prod/webhooks/twilio/status"],
    }


def test_a_media_only_message_has_no_body_and_no_key_sends_no_token(twilio: FakeTwilio) -> None:
    twilio.client().send("+14155550100", "+14155550199", "", ["https://m.test/a.png"], "", None)
    [request] = twilio.received
    assert "Body" not in request.form and "StatusCallback" not in request.form
    assert "i-twilio-idempotency-token" not in request.headers


def test_a_messaging_service_sid_is_sent_as_the_sender(twilio: FakeTwilio) -> None:
    twilio.client().send("MG" + "0" * 32, "+14155550199", "hi", [], "", None)
    assert twilio.received[0].form["MessagingServiceSid"] == ["MG" + "0" * 32]
    assert "From" not in twilio.received[0].form


def test_a_base_url_with_a_path_prefix_is_kept(twilio: FakeTwilio) -> None:
    twilio.client(base_path="/_sim/twilio/").send(
        "+14155550100", "+14155550199", "hi", [], "", None
    )
    assert twilio.received[0].path == f"/_sim/twilio/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def test_the_status_twilio_answers_is_mapped_to_ours(twilio: FakeTwilio) -> None:
    twilio.answers.append(Answer(body={"sid": SID, "status": "accepted"}))
    assert twilio.client().send("+1", "+2", "hi", [], "", None).status == "queued"


def test_429_is_retryable_with_the_retry_after_seconds(twilio: FakeTwilio) -> None:
    twilio.answers.append(
        Answer(429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "7"})
    )
    with pytest.raises(ProviderRetryable) as error:
        twilio.client().send("+1", "+2", "hi", [], "", "k")
    assert error.value.retry_after == 7.0
    assert error.value.code == "provider_unavailable"


def test_a_retry_after_date_becomes_seconds_from_now(twilio: FakeTwilio) -> None:
    import time

    later = formatdate(time.time() + 120, usegmt=True)
    twilio.answers.append(Answer(503, {}, {"Retry-After": later}))
    with pytest.raises(ProviderRetryable) as error:
        twilio.client().send("+1", "+2", "hi", [], "", "k")
    assert error.value.retry_after is not None and 100 < error.value.retry_after <= 120


def test_500_is_retryable_without_a_hint(twilio: FakeTwilio) -> None:
    twilio.answers.append(Answer(500, {"message": "oops"}))
    with pytest.raises(ProviderRetryable) as error:
        twilio.client().send("+1", "+2", "hi", [], "", "k")
    assert error.value.retry_after is None


def test_400_is_rejected_with_twilios_error_code_and_message(twilio: FakeTwilio) -> None:
    twilio.answers.append(
        Answer(
            400,
            {
                "code": 21610,
                "message": "Attempt to send to unsubscribed recipient",
                "more_info": "https://www.twilio.com/docs/errors/21610",
                "status": 400,
            },
        )
    )
    with pytest.raises(ProviderRejected) as error:
        twilio.client().send("+1", "+2", "hi", [], "", "k")
    assert (error.value.provider_code, error.value.status) == ("21610", 400)
    assert error.value.message == "Attempt to send to unsubscribed recipient"
    assert error.value.code == "provider_rejected"


def test_401_without_a_json_body_is_rejected(twilio: FakeTwilio) -> None:
    twilio.answers.append(Answer(401, "not json at all"))
    with pytest.raises(ProviderRejected) as error:
        twilio.client().send("+1", "+2", "hi", [], "", "k")
    assert (error.value.provider_code, error.value.status) == (None, 401)
    assert TOKEN not in str(error.value)


def test_a_request_that_outlives_the_timeout_is_retryable(twilio: FakeTwilio) -> None:
    twilio.answers.append(Answer(hang=True))
    with pytest.raises(ProviderRetryable) as error:
        twilio.client(timeout=0.3).send("+1", "+2", "hi", [], "", "k")
    assert TOKEN not in str(error.value)


def test_a_refused_connection_is_retryable() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    client = TwilioClient(ACCOUNT, TOKEN, base_url=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(ProviderRetryable):
        client.send("+1", "+2", "hi", [], "", "k")


def test_a_2xx_without_a_sid_is_treated_as_ambiguous_and_retryable(twilio: FakeTwilio) -> None:
    twilio.answers.append(Answer(201, {"status": "queued"}))
    with pytest.raises(ProviderRetryable):
        twilio.client().send("+1", "+2", "hi", [], "", "k")


def test_more_than_ten_media_are_rejected_before_any_request(twilio: FakeTwilio) -> None:
    with pytest.raises(ProviderRejected) as error:
        twilio.client().send("+1", "+2", "", [f"https://m.test/{n}" for n in range(11)], "", None)
    assert error.value.provider_code == "too_many_media"
    assert twilio.received == []


def test_an_injected_transport_replaces_the_network() -> None:
    from chalicelib.adapters.twilio import HttpResult

    seen: list[str] = []

    def transport(request: Any, timeout: float) -> HttpResult:
        seen.append(request.full_url)
        return HttpResult(201, {}, json.dumps({"sid": SID, "status": "queued"}).encode())

    client = TwilioClient(ACCOUNT, TOKEN, base_url="https://api.twilio.test", transport=transport)
    assert client.send("+1", "+2", "hi", [], "", None).provider_message_id == SID
    assert seen == [f"https://api.twilio.test/2010-04-01/Accounts/{ACCOUNT}/Messages.json"]


def test_only_http_base_urls_are_accepted() -> None:
    with pytest.raises(ValueError):
        TwilioClient(ACCOUNT, TOKEN, base_url="file:///etc/passwd")
