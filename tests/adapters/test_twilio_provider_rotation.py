"""The Twilio provider and media fetcher across a credentials rotation, against real
HTTP servers: API key auth on the wire, and a 401 that re-reads the credentials and
sends once more (the same request, the same idempotency key), never a third time."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from chalicelib.adapters.providers import HttpMediaFetcher, TwilioProvider
from chalicelib.adapters.twilio_credentials import TwilioCredentials
from chalicelib.domain.sms import ProviderRetryable
from tests.adapters.test_twilio_client import SID, Answer, FakeTwilio, twilio  # noqa: F401
from tests.fakes import MemorySecretSource
from tests.support import settings

ACCOUNT = "AC" + "0123456789abcdef" * 2
OLD, NEW = "old-auth-token", "new-auth-token"
KEY_SID, KEY_SECRET = "SK" + "5" * 32, "api-key-secret"
UNAUTHORIZED = Answer(401, {"code": 20003, "message": "Authenticate", "status": 401})


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def provider(fake: FakeTwilio, source: MemorySecretSource) -> TwilioProvider:
    return TwilioProvider(
        settings(twilio_api_base_url=fake.url, public_api_base_url="https://hooks.test/prod"),
        TwilioCredentials(source, ttl=300, min_interval=30, window=3600),
    )


def cached(target: TwilioProvider) -> None:
    """A first text goes out, so the credentials are cached before the store changes."""
    assert send(target) == SID


def send(target: TwilioProvider) -> str:
    sent = target.send("+14155550100", "+14155550199", "Hello", idempotency_key="msg-1")
    return sent.provider_message_id


def test_an_api_key_is_sent_as_basic_auth_with_the_account_in_the_path(
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    source = MemorySecretSource(
        {
            "account_sid": ACCOUNT,
            "auth_token": OLD,
            "api_key_sid": KEY_SID,
            "api_key_secret": KEY_SECRET,
        }
    )
    assert send(provider(twilio, source)) == SID
    [request] = twilio.received
    assert request.headers["authorization"] == basic(KEY_SID, KEY_SECRET)
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def test_a_401_re_reads_the_credentials_and_sends_the_same_request_once_more(
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    source = MemorySecretSource({"account_sid": ACCOUNT, "auth_token": OLD})
    target = provider(twilio, source)
    cached(target)
    source.put({"account_sid": ACCOUNT, "auth_token": NEW, "previous_auth_token": OLD})
    twilio.answers.extend([UNAUTHORIZED, Answer()])
    assert send(target) == SID
    first, second = twilio.received[1:]
    assert first.headers["authorization"] == basic(ACCOUNT, OLD)
    assert second.headers["authorization"] == basic(ACCOUNT, NEW)
    assert first.form == second.form
    assert first.headers["i-twilio-idempotency-token"] == "msg-1"
    assert second.headers["i-twilio-idempotency-token"] == "msg-1"
    assert source.reads == 2


def test_a_rotated_api_key_is_picked_up_on_the_401(twilio: FakeTwilio) -> None:  # noqa: F811
    values = {"account_sid": ACCOUNT, "auth_token": OLD}
    source = MemorySecretSource({**values, "api_key_sid": KEY_SID, "api_key_secret": "revoked"})
    target = provider(twilio, source)
    cached(target)
    source.put({**values, "api_key_sid": "SK" + "6" * 32, "api_key_secret": KEY_SECRET})
    twilio.answers.extend([UNAUTHORIZED, Answer()])
    send(target)
    assert twilio.received[-1].headers["authorization"] == basic("SK" + "6" * 32, KEY_SECRET)


def test_a_401_with_nothing_new_in_the_secret_waits_in_the_queue(
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    source = MemorySecretSource({"account_sid": ACCOUNT, "auth_token": OLD})
    twilio.answers.append(UNAUTHORIZED)
    with pytest.raises(ProviderRetryable) as error:
        send(provider(twilio, source))
    assert not error.value.ambiguous and error.value.retry_after == 30
    assert len(twilio.received) == 1
    assert OLD not in str(error.value)


def test_new_credentials_refused_too_are_not_tried_a_third_time(
    twilio: FakeTwilio,  # noqa: F811
) -> None:
    source = MemorySecretSource({"account_sid": ACCOUNT, "auth_token": OLD})
    target = provider(twilio, source)
    cached(target)
    source.put({"account_sid": ACCOUNT, "auth_token": NEW})
    twilio.answers.extend([UNAUTHORIZED, UNAUTHORIZED, Answer()])
    with pytest.raises(ProviderRetryable):
        send(target)
    assert len(twilio.received) == 3  # the cached send, then the two refused


class MediaHost:
    """Twilio's media URLs behind basic auth: only ``allowed`` may read them."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.allowed = basic(KEY_SID, KEY_SECRET)
        self.seen: list[str] = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                given = self.headers.get("Authorization", "")
                host.seen.append(given)
                status, payload = (200, b"PNG") if given == host.allowed else (401, b"{}")
                self.send_response(status)
                self.send_header("Content-Type", "image/png" if status == 200 else "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/2010-04-01/Media/ME1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def media_host() -> Iterator[MediaHost]:
    host = MediaHost()
    yield host
    host.close()


WITH_KEY = {
    "account_sid": ACCOUNT,
    "auth_token": OLD,
    "api_key_sid": KEY_SID,
    "api_key_secret": KEY_SECRET,
}


def test_media_is_fetched_with_the_api_key(media_host: MediaHost) -> None:
    fetcher = HttpMediaFetcher(TwilioCredentials(MemorySecretSource(WITH_KEY)), timeout=5)
    assert fetcher.fetch(media_host.url, 1000) == (b"PNG", "image/png")
    assert media_host.seen == [media_host.allowed]


def test_a_media_401_re_reads_the_credentials_and_fetches_once_more(
    media_host: MediaHost,
) -> None:
    source = MemorySecretSource({"account_sid": ACCOUNT, "auth_token": OLD})
    credentials = TwilioCredentials(source, min_interval=30)
    credentials.current()  # cached: the account's token, which the host refuses
    source.put(WITH_KEY)
    fetcher = HttpMediaFetcher(credentials, timeout=5)
    assert fetcher.fetch(media_host.url, 1000) == (b"PNG", "image/png")
    assert media_host.seen == [basic(ACCOUNT, OLD), media_host.allowed]


def test_a_url_that_only_mentions_twilio_gets_no_credentials(media_host: MediaHost) -> None:
    fetcher = HttpMediaFetcher(TwilioCredentials(MemorySecretSource(WITH_KEY)), timeout=5)
    elsewhere = media_host.url.replace("127.0.0.1", "localhost") + "?from=api.twilio.com"
    with pytest.raises(Exception):  # noqa: B017  (the host refuses: no credentials were sent)
        fetcher.fetch(elsewhere, 1000)
    assert media_host.seen == [""]
