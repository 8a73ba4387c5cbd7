"""The carrier simulator on its own, over real HTTP on 127.0.0.1.

An aiohttp app holds the simulator plus a stand-in for the app's two Twilio
webhooks that records what it receives. The app side is played by the real
``TwilioClient`` (sending) and twilio-python's ``RequestValidator`` (checking
every signature), so what passes here is what Twilio and the app would accept.
The app is built like the local gateway's (catch-all routes first, simulator
after) to prove the simulator can be mounted on it as it is.

Runs standalone: it does not start the local stack.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import requests
from aiohttp import web
from twilio.request_validator import RequestValidator

from chalicelib.adapters.twilio import (
    ProviderRejected,
    ProviderRetryable,
    TwilioClient,
    parse_inbound,
    parse_status,
)
from local.simulator import CarrierSimulator, register_simulator

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "local-auth-token-0123456789abcdef"
BUSINESS = "+14155550100"
PHONE = "+14155550199"
DEADLINE = 5.0

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], seconds: float = DEADLINE, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or probe}")
        time.sleep(0.01)


@dataclass
class Hook:
    """One request the app's webhook received."""

    path: str
    url: str
    headers: dict[str, str]
    params: dict[str, list[str]]
    at: float

    def first(self, name: str) -> str:
        return self.params[name][0]

    def valid(self) -> bool:
        from multidict import MultiDict

        signed: MultiDict[str] = MultiDict()
        for key, values in self.params.items():
            for value in values:
                signed.add(key, value)
        return bool(
            RequestValidator(TOKEN).validate(
                self.url, signed, self.headers.get("X-Twilio-Signature", "")
            )
        )


class Harness:
    """The simulator and a fake app webhook on one ephemeral port, in a background loop."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.hooks: list[Hook] = []
        self.inbound_answer: tuple[int, str, str] = (200, "text/xml", "<Response/>")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.sim: CarrierSimulator | None = None
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never a proxy

    async def _hook(self, request: web.Request) -> web.Response:
        form = await request.post()
        params: dict[str, list[str]] = {}
        for key, value in form.items():
            params.setdefault(key, []).append(str(value))
        self.hooks.append(
            Hook(request.path, str(request.url), dict(request.headers), params, time.monotonic())
        )
        if request.path.endswith("/sms"):
            status, content_type, body = self.inbound_answer
            return web.Response(status=status, content_type=content_type, text=body)
        return web.Response(status=200)

    async def _start(self) -> None:
        async def gateway_placeholder(request: web.Request) -> web.Response:
            return web.json_response({"error": {"code": "not_found"}}, status=404)

        app = web.Application()
        app.router.add_post("/webhooks/twilio/sms", self._hook)
        app.router.add_post("/webhooks/twilio/status", self._hook)
        # As local.gateway builds its app: these catch-alls exist before the simulator.
        app.router.add_route("*", "/_sim{tail:.*}", gateway_placeholder)
        app.router.add_route("*", "/{tail:.*}", gateway_placeholder)
        self.sim = register_simulator(
            app,
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            webhook_base_url=self.base,
            callback_delay=0.01,
            late_delay=0.5,
        )
        self.runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(DEADLINE * 3)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    def stop(self) -> None:
        if self.runner is not None:
            self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(DEADLINE)
        self.loop.close()
        self.http.close()

    # -- conveniences -------------------------------------------------------------------

    def client(self, token: str = TOKEN, timeout: float = 5.0) -> TwilioClient:
        return TwilioClient(ACCOUNT, token, base_url=f"{self.base}/_sim/twilio", timeout=timeout)

    def send(self, text: str = "Hi there", key: str | None = None, **kwargs: Any) -> str:
        sent = self.client(**kwargs).send(
            BUSINESS, PHONE, text, [], f"{self.base}/webhooks/twilio/status", key
        )
        return sent.provider_message_id

    def callbacks(self, sid: str) -> list[Hook]:
        return [
            h for h in self.hooks if h.path.endswith("/status") and h.first("MessageSid") == sid
        ]

    def wait_callbacks(self, sid: str, count: int) -> list[Hook]:
        def enough() -> list[Hook] | None:
            found = self.callbacks(sid)
            return found if len(found) >= count else None

        return wait_for(enough, what=f"{count} callbacks for {sid}")

    def inbox(self, phone: str = PHONE) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.base}/_sim/phones/{phone}/inbox", timeout=DEADLINE)
        assert response.status_code == 200
        return list(response.json())

    def mode(self, mode: str, **extra: Any) -> None:
        response = self.http.post(
            f"{self.base}/_sim/phones/{PHONE}/mode", json={"mode": mode, **extra}, timeout=DEADLINE
        )
        assert response.status_code == 200, response.text

    def messages(self) -> dict[str, Any]:
        return dict(self.http.get(f"{self.base}/_sim/messages", timeout=DEADLINE).json())


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    harness = Harness()
    harness.start()
    yield harness
    harness.stop()


# -- Messages API -------------------------------------------------------------------------


def test_a_sent_message_reaches_the_inbox_and_signed_sent_then_delivered_follow(
    sim: Harness,
) -> None:
    sid = sim.send("Your order is ready 📦", key="msg-1")
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    [received] = wait_for(sim.inbox, what="the inbox")
    assert received["sid"] == sid
    assert (received["from"], received["text"], received["media_urls"]) == (
        BUSINESS,
        "Your order is ready 📦",
        [],
    )
    assert received["received_at"].endswith("Z")
    callbacks = sim.wait_callbacks(sid, 2)
    assert all(hook.valid() for hook in callbacks)
    assert [parse_status(h.params).status for h in callbacks] == ["sent", "delivered"]
    assert {h.first("AccountSid") for h in callbacks} == {ACCOUNT}
    assert {(h.first("From"), h.first("To")) for h in callbacks} == {(BUSINESS, PHONE)}


def test_the_api_answers_twilios_message_json(sim: Harness) -> None:
    response = sim.http.post(
        f"{sim.base}/_sim/twilio/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        data={"From": BUSINESS, "To": PHONE, "Body": "a" * 161},
        auth=(ACCOUNT, TOKEN),
        timeout=DEADLINE,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["direction"], body["num_segments"]) == (
        "queued",
        "outbound-api",
        "2",
    )
    assert (body["account_sid"], body["from"], body["to"]) == (ACCOUNT, BUSINESS, PHONE)
    again = sim.http.get(
        f"{sim.base}/_sim/twilio/2010-04-01/Accounts/{ACCOUNT}/Messages/{body['sid']}.json",
        auth=(ACCOUNT, TOKEN),
        timeout=DEADLINE,
    )
    assert again.status_code == 200 and again.json()["sid"] == body["sid"]


def test_wrong_credentials_are_401(sim: Harness) -> None:
    with pytest.raises(ProviderRejected) as error:
        sim.send(token="not-the-token")
    assert (error.value.status, error.value.provider_code) == (401, "20003")
    assert sim.inbox() == []


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": BUSINESS, "Body": "x"}, 21604),
        ({"From": BUSINESS, "To": "12345", "Body": "x"}, 21211),
        ({"To": PHONE, "Body": "x"}, 21603),
        ({"From": BUSINESS, "To": PHONE}, 21602),
        ({"From": BUSINESS, "To": PHONE, "Body": "x" * 1601}, 21617),
    ],
)
def test_an_invalid_message_is_400_with_twilios_code(
    sim: Harness, form: dict[str, str], code: int
) -> None:
    response = sim.http.post(
        f"{sim.base}/_sim/twilio/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
        data=form,
        auth=(ACCOUNT, TOKEN),
        timeout=DEADLINE,
    )
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_the_same_idempotency_token_returns_the_same_sid_and_delivers_once(sim: Harness) -> None:
    first = sim.send("once", key="client-key-1")
    second = sim.send("once", key="client-key-1")
    third = sim.send("once", key="client-key-2")
    assert first == second != third
    wait_for(lambda: len(sim.inbox()) == 2, what="two deliveries")
    assert [m["sid"] for m in sim.inbox()] == [first, third]
    assert len(sim.messages()["items"]) == 2


# -- external phones ----------------------------------------------------------------------


def test_a_phone_texting_a_business_number_posts_a_signed_inbound_webhook(sim: Harness) -> None:
    response = sim.http.post(
        f"{sim.base}/_sim/phones/{PHONE}/send",
        json={
            "to": BUSINESS,
            "text": "Are you open? ☕",
            "media_urls": ["https://m.test/menu.png"],
        },
        timeout=DEADLINE,
    )
    assert response.status_code == 201, response.text
    sid = response.json()["sid"]
    assert response.json()["webhook_status"] == 200
    [hook] = [h for h in sim.hooks if h.path == "/webhooks/twilio/sms"]
    assert hook.url == f"{sim.base}/webhooks/twilio/sms"
    assert hook.valid()
    assert hook.first("FromZip") == ""  # blank fields are sent, and signed, as Twilio does
    inbound = parse_inbound(hook.params)
    assert (inbound.provider_message_id, inbound.from_, inbound.to, inbound.body) == (
        sid,
        PHONE,
        BUSINESS,
        "Are you open? ☕",
    )
    assert [(m.url, m.content_type) for m in inbound.media] == [
        ("https://m.test/menu.png", "image/png")
    ]
    assert inbound.account_id == ACCOUNT


def test_a_twiml_reply_from_the_webhook_reaches_the_phone(sim: Harness) -> None:
    sim.inbound_answer = (
        200,
        "text/xml",
        "<Response><Message>You are unsubscribed.</Message></Response>",
    )
    sim.http.post(
        f"{sim.base}/_sim/phones/{PHONE}/send",
        json={"to": BUSINESS, "text": "STOP"},
        timeout=DEADLINE,
    )
    [reply] = sim.inbox()
    assert (reply["from"], reply["text"]) == (BUSINESS, "You are unsubscribed.")


def test_a_failing_webhook_is_reported_to_the_sender(sim: Harness) -> None:
    sim.inbound_answer = (500, "text/plain", "boom")
    response = sim.http.post(
        f"{sim.base}/_sim/phones/{PHONE}/send",
        json={"to": BUSINESS, "text": "hi"},
        timeout=DEADLINE,
    )
    assert (response.status_code, response.json()["webhook_status"]) == (201, 500)


def test_a_phone_send_without_a_business_number_is_400(sim: Harness) -> None:
    response = sim.http.post(
        f"{sim.base}/_sim/phones/{PHONE}/send", json={"text": "hi"}, timeout=DEADLINE
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_phone")


# -- failure modes ------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after_for_count_sends(sim: Harness) -> None:
    sim.mode("rate_limit", count=1)
    with pytest.raises(ProviderRetryable) as error:
        sim.send(key="k1")
    assert error.value.retry_after == 1.0
    assert sim.send(key="k1")  # the retry goes through
    assert [r["mode"] for r in sim.messages()["refused"]] == ["rate_limit"]


def test_server_error_answers_500_and_accepts_nothing(sim: Harness) -> None:
    sim.mode("server_error")
    for _ in range(2):
        with pytest.raises(ProviderRetryable):
            sim.send()
    assert sim.messages()["items"] == [] and sim.inbox() == []


def test_timeout_holds_the_call_past_the_client_timeout(sim: Harness) -> None:
    sim.mode("timeout", count=1, delay_seconds=1.0)
    with pytest.raises(ProviderRetryable):
        sim.send(key="k", timeout=0.2)
    assert sim.send(key="k")
    wait_for(sim.inbox, what="the retried message")


def test_undelivered_reports_sent_then_undelivered_with_30003(sim: Harness) -> None:
    sim.mode("undelivered")
    sid = sim.send()
    callbacks = sim.wait_callbacks(sid, 2)
    assert [(h.first("MessageStatus"), h.params.get("ErrorCode")) for h in callbacks] == [
        ("sent", None),
        ("undelivered", ["30003"]),
    ]
    assert all(h.valid() for h in callbacks)
    assert sim.inbox() == []


def test_failed_reports_failed_with_30008(sim: Harness) -> None:
    sim.mode("failed")
    sid = sim.send()
    [callback] = sim.wait_callbacks(sid, 1)
    update = parse_status(callback.params)
    assert (update.status, update.error_code) == ("failed", "30008")


def test_out_of_order_reports_delivered_before_sent(sim: Harness) -> None:
    sim.mode("out_of_order")
    sid = sim.send()
    callbacks = sim.wait_callbacks(sid, 2)
    assert [h.first("MessageStatus") for h in callbacks] == ["delivered", "sent"]


def test_duplicate_callbacks_arrive_twice_with_the_same_idempotency_token(sim: Harness) -> None:
    sim.mode("duplicate_callbacks")
    sid = sim.send()
    callbacks = sim.wait_callbacks(sid, 4)
    assert [h.first("MessageStatus") for h in callbacks] == [
        "sent",
        "sent",
        "delivered",
        "delivered",
    ]
    tokens = [h.headers["I-Twilio-Idempotency-Token"] for h in callbacks]
    assert tokens[0] == tokens[1] != tokens[2] == tokens[3]
    assert all(h.valid() for h in callbacks)


def test_late_callbacks_come_after_the_delay_but_the_phone_has_the_message(sim: Harness) -> None:
    sim.mode("late", delay_seconds=0.5)
    started = time.monotonic()
    sid = sim.send()
    wait_for(sim.inbox, what="the inbox")
    callbacks = sim.wait_callbacks(sid, 2)
    assert callbacks[0].at - started >= 0.45
    assert [h.first("MessageStatus") for h in callbacks] == ["sent", "delivered"]


def test_a_mode_with_a_count_reverts_to_delivery(sim: Harness) -> None:
    sim.mode("failed", count=1)
    failed, delivered = sim.send(key="a"), sim.send(key="b")
    assert [h.first("MessageStatus") for h in sim.wait_callbacks(failed, 1)] == ["failed"]
    assert [h.first("MessageStatus") for h in sim.wait_callbacks(delivered, 2)] == [
        "sent",
        "delivered",
    ]


def test_an_unknown_mode_is_400(sim: Harness) -> None:
    response = sim.http.post(
        f"{sim.base}/_sim/phones/{PHONE}/mode", json={"mode": "explode"}, timeout=DEADLINE
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_mode")


def test_callbacks_to_a_non_loopback_host_are_never_posted(sim: Harness) -> None:
    sent = sim.client().send(BUSINESS, PHONE, "hi", [], "http://example.com/hook", None)
    wait_for(sim.inbox, what="the inbox")
    record = wait_for(
        lambda: [w for m in sim.messages()["items"] for w in m["webhooks"]],
        what="the callback record",
    )
    assert sent.provider_message_id and record[0]["error"].startswith("refused")


def test_reset_forgets_messages_inboxes_and_modes(sim: Harness) -> None:
    sim.send()
    wait_for(sim.inbox, what="the inbox")
    sim.mode("server_error")
    assert sim.http.post(f"{sim.base}/_sim/reset", timeout=DEADLINE).status_code == 200
    assert sim.inbox() == [] and sim.messages() == {"items": [], "refused": []}
    assert sim.send()  # the mode is gone too


# -- Twilio's default keyword handling (a switch) -------------------------------------------


def _keywords(sim: Harness, handling: str) -> requests.Response:
    return sim.http.post(
        f"{sim.base}/_sim/twilio/keywords", json={"handling": handling}, timeout=DEADLINE
    )


def _phone_says(sim: Harness, text: str) -> None:
    sent = sim.http.post(
        f"{sim.base}/_sim/phones/{PHONE}/send",
        json={"to": BUSINESS, "text": text},
        timeout=DEADLINE,
    )
    assert sent.status_code == 201, sent.text


def test_by_default_twilio_leaves_keywords_to_the_app(sim: Harness) -> None:
    sim.inbound_answer = (
        200,
        "text/xml",
        "<Response><Message>Acme: unsubscribed.</Message></Response>",
    )
    _phone_says(sim, "STOP")
    assert [m["text"] for m in sim.inbox()] == ["Acme: unsubscribed."]  # the app's, alone
    assert sim.send("Still there?").startswith("SM")  # Twilio keeps no opt-out list


def test_twilios_default_handling_answers_stop_and_refuses_the_apps_texts(sim: Harness) -> None:
    assert _keywords(sim, "twilio_default").json() == {"handling": "twilio_default"}
    sim.inbound_answer = (
        200,
        "text/xml",
        "<Response><Message>Acme: unsubscribed.</Message></Response>",
    )
    _phone_says(sim, " stop ")
    [only] = sim.inbox()  # Twilio's reply; the app's TwiML reply is refused
    assert "successfully been unsubscribed" in only["text"]
    assert [h.first("Body") for h in sim.hooks] == [" stop "]  # the app still hears of it
    with pytest.raises(ProviderRejected) as refused:
        sim.send("Still there?")
    assert refused.value.provider_code == "21610"
    assert [r["mode"] for r in sim.messages()["refused"]] == ["opted_out", "opted_out"]
    _phone_says(sim, "START")  # Twilio's re-subscribe reply, and the app's too
    assert len(sim.inbox()) == 3
    assert sim.send("Welcome back").startswith("SM")


def test_the_keyword_switch_takes_only_its_two_settings(sim: Harness) -> None:
    assert _keywords(sim, "carrier").status_code == 400
    _keywords(sim, "twilio_default")
    _phone_says(sim, "STOP")
    assert _keywords(sim, "app").json() == {"handling": "app"}  # off: the list is forgotten
    assert sim.send("Hello again").startswith("SM")
