"""Texting a customer through the whole local stack: REST → outbox → SMS queue →
the real Twilio adapter → the carrier simulator → signed webhooks → devices."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.clients import Api, Device, Frame, Stack, user

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DeviceFactory = Callable[[str], Device]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.05)


def inbox(stack: Stack, e164: str) -> list[dict[str, Any]]:
    response = requests.get(f"{stack['simulator_url']}/phones/{e164}/inbox", timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json())


def phone_sends(stack: Stack, e164: str, to: str, text: str) -> None:
    response = requests.post(
        f"{stack['simulator_url']}/phones/{e164}/send",
        json={"to": to, "text": text, "media_urls": []},
        timeout=10,
    )
    assert response.status_code in (200, 201, 202), response.text


def message_frame(text: str, kind: str = "message.created") -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == kind and f["data"].get("text") == text


def test_a_user_texts_a_phone_and_both_devices_see_the_answer(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    alice = api("alice")
    business = user(stack, "alice")["numbers"][0]
    started = alice.post("/conversations", {"type": "sms", "to": customer[2:]})  # typed without +1
    assert started.status_code == 201, started.text
    conversation = started.json()
    assert (
        conversation["type"],
        conversation["business_number"],
        conversation["external_number"],
    ) == ("sms", business, customer)
    desk, phone = device("alice"), device("alice")

    sent = alice.post(
        f"/conversations/{conversation['id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": "Your table is ready"},
    )
    assert sent.status_code == 202, sent.text
    assert (sent.json()["status"], sent.json()["segments"], sent.json()["encoding"]) == (
        "queued",
        1,
        "GSM-7",
    )
    received = wait_for(
        lambda: [m for m in inbox(stack, customer) if m["text"] == "Your table is ready"]
    )
    assert received[0]["from"] == business
    for each in (desk, phone):  # delivery reports reach the sender's devices
        each.wait_for(
            lambda f: f.get("type") == "message.updated"
            and f["data"]["id"] == sent.json()["id"]
            and f["data"]["status"] == "delivered"
        )

    phone_sends(stack, customer, business, "Great, on my way!")
    for each in (desk, phone):
        frame = each.wait_for(message_frame("Great, on my way!"))
        assert frame["data"]["sender"] == customer
        assert frame["data"]["conversation_id"] == conversation["id"]
        assert frame["data"]["direction"] == "inbound"
    listed = alice.get("/conversations").json()["items"]
    assert next(c for c in listed if c["id"] == conversation["id"])["unread_count"] == 1


def test_a_shared_line_is_seen_by_everyone_on_it(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    shared = user(stack, "bob")["numbers"][0]
    assert shared in user(stack, "carol")["numbers"]
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    bob_desk, carol_desk = device("bob"), device("carol")
    phone_sends(stack, customer, shared, "Is the shop open on Sunday?")
    for each in (bob_desk, carol_desk):
        each.wait_for(message_frame("Is the shop open on Sunday?"))
    conversation_id = bob_desk.wait_for(message_frame("Is the shop open on Sunday?"))["data"][
        "conversation_id"
    ]
    reply = api("carol").post(
        f"/conversations/{conversation_id}/messages",
        {"client_id": str(uuid.uuid4()), "text": "Yes, 10 to 4"},
    )
    assert reply.status_code == 202, reply.text
    answered = wait_for(lambda: [m for m in inbox(stack, customer) if m["text"] == "Yes, 10 to 4"])
    assert answered[0]["from"] == shared  # the number the customer texted


def test_stop_opts_out_with_one_confirmation_and_start_opts_back_in(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    alice = api("alice")
    business = user(stack, "alice")["numbers"][0]
    conversation = alice.post("/conversations", {"type": "sms", "to": customer}).json()
    desk = device("alice")
    phone_sends(stack, customer, business, "STOP")
    desk.wait_for(message_frame("STOP"))
    confirmation = wait_for(
        lambda: [m for m in inbox(stack, customer) if "unsubscribed" in m["text"]]
    )
    assert len(confirmation) == 1
    refused = alice.post(
        f"/conversations/{conversation['id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": "Still there?"},
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "opted_out"
    phone_sends(stack, customer, business, "start")
    wait_for(lambda: [m for m in inbox(stack, customer) if "resubscribed" in m["text"]])
    allowed = alice.post(
        f"/conversations/{conversation['id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": "Welcome back"},
    )
    assert allowed.status_code == 202, allowed.text


def _twilio_keywords(stack: Stack, handling: str) -> None:
    response = requests.post(
        f"{stack['simulator_url']}/twilio/keywords", json={"handling": handling}, timeout=10
    )
    assert response.status_code == 200, response.text


def _refused_to(stack: Stack, e164: str) -> list[dict[str, Any]]:
    listed = requests.get(f"{stack['simulator_url']}/messages", timeout=10).json()
    return [r for r in listed["refused"] if r.get("to") == e164]


def test_with_the_app_in_charge_a_stop_gets_one_reply_naming_the_business(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    alice = api("alice")
    business = user(stack, "alice")["numbers"][0]
    alice.post("/conversations", {"type": "sms", "to": customer})
    desk = device("alice")
    _twilio_keywords(stack, "app")  # Twilio silent, as docs/sms.md says to set it up
    phone_sends(stack, customer, business, "Stop.")  # the webhook's answer is in by now
    desk.wait_for(message_frame("Stop."))
    [reply] = inbox(stack, customer)
    assert reply["from"] == business and "You are unsubscribed" in reply["text"]
    named, _, _ = reply["text"].partition(": You are unsubscribed")
    assert named.strip(), reply  # the app's confirmation names the business first
    assert _refused_to(stack, customer) == []


def test_an_account_left_at_twilios_default_still_sends_one_reply_twilios(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    alice = api("alice")
    business = user(stack, "alice")["numbers"][0]
    conversation = alice.post("/conversations", {"type": "sms", "to": customer}).json()
    desk = device("alice")
    _twilio_keywords(stack, "twilio_default")
    try:
        phone_sends(stack, customer, business, "STOP")
        desk.wait_for(message_frame("STOP"))
        [reply] = inbox(stack, customer)  # Twilio's own, which names no business
        assert "successfully been unsubscribed" in reply["text"]
        [refused] = _refused_to(stack, customer)  # the app's confirmation: 21610
        assert refused["mode"] == "opted_out" and "unsubscribed" in refused["text"]
        blocked = alice.post(  # the app recorded the opt-out from the inbound STOP
            f"/conversations/{conversation['id']}/messages",
            {"client_id": str(uuid.uuid4()), "text": "Still there?"},
        )
        assert blocked.status_code == 403, blocked.text
        assert blocked.json()["error"]["code"] == "opted_out"
    finally:
        _twilio_keywords(stack, "app")
