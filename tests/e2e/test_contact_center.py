"""The contact center through the whole local stack: a simulated phone texts the
demo channel, an agent with a real WebSocket client is offered it, accepts,
replies (the phone receives it) and ends; the customer record shows the case."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.e2e.clients import Api, Device, Stack
from tests.e2e.test_sms import inbox, phone_sends, wait_for

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DeviceFactory = Callable[[str], Device]


def test_an_agent_is_offered_a_text_accepts_replies_and_ends_it_into_a_case(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    center = stack["contact_center"]
    channel = center["channels"][0]["e164"]
    agent = center["agents"][0]
    ann = api(agent)
    phone = device(agent)
    assert (
        ann.session.put(
            stack["rest_url"] + "/agent/status", json={"status": "available"}, timeout=10
        ).status_code
        == 200
    )
    me = ann.session.get(stack["rest_url"] + "/agent", timeout=10).json()
    assert channel in [c["e164"] for c in me["channels"]]  # they may text from it
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"

    phone_sends(stack, customer, channel, "my sink is leaking")
    offered = phone.wait_for(
        lambda f: f.get("type") == "interaction.offered"
        and f["data"]["customer"]["phone"] == customer,
        timeout=30,
    )["data"]
    assert offered["state"] == "offered" and offered["channel"] == channel

    accepted = ann.post(f"/interactions/{offered['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["customer"]["phone"] == customer
    reply = ann.post(
        f"/conversations/{offered['conversation_id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": "A plumber is on the way"},
    )
    assert reply.status_code in (201, 202), reply.text
    wait_for(
        lambda: any(m.get("text") == "A plumber is on the way" for m in inbox(stack, customer)),
        timeout=30,
    )
    phone_sends(stack, customer, channel, "thank you!")
    phone.wait_for(
        lambda f: f.get("type") == "message.created" and f["data"].get("text") == "thank you!",
        timeout=30,
    )

    ended = ann.post(f"/interactions/{offered['id']}/end", {"disposition": "dispatched"})
    assert ended.status_code == 200, ended.text
    assert ended.json()["state"] == "ended"
    phone.wait_for(
        lambda f: f.get("type") == "interaction.updated"
        and f["data"]["id"] == offered["id"]
        and f["data"]["state"] == "ended",
        timeout=30,
    )
    record = ann.get(f"/customers/{offered['customer']['id']}").json()
    case = next(c for c in record["cases"] if c["id"] == ended.json()["case_id"])
    assert case["transcripts"][0]["interaction_id"] == offered["id"]
    assert record["interactions"][0]["disposition"] == "dispatched"
