"""Instant messages in real time, through the whole local stack.

REST → DynamoDB → stream → outbox → SNS → SQS → fan-out → API Gateway
Management API → WebSocket: every hop is the deployed code or its local
stand-in, and the assertions are what a client sees (contract.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.clients import Api, Device, Frame, Stack, user

pytestmark = pytest.mark.e2e

MESSAGE_FIELDS = {
    "id",
    "conversation_id",
    "seq",
    "client_id",
    "sender",
    "text",
    "status",
    "created_at",
}

ApiFactory = Callable[[str | None], Api]
DeviceFactory = Callable[[str], Device]


def created(message_id: str) -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == "message.created" and f["data"].get("id") == message_id


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def open_im(api: Api, other: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/conversations", {"type": "im", "members": [other["user_id"]]})
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def conversation_in_list(api: Api, conversation_id: str) -> dict[str, Any]:
    response = api.get("/conversations")
    assert response.status_code == 200, response.text
    return next(c for c in response.json()["items"] if c["id"] == conversation_id)


def test_im_reaches_every_device_once_and_reads_propagate(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    alice, bob = user(stack, "alice"), user(stack, "bob")
    alice_api, bob_api = api("alice"), api("bob")
    devices = [device("alice"), device("alice"), device("bob")]

    # a new conversation of the two (a group: their 1:1 is get-or-create, and the demo
    # data has one), so its first message is seq 1
    response = alice_api.post(
        "/conversations", {"type": "im", "members": [bob["user_id"]], "group": True}
    )
    assert response.status_code == 201, response.text
    conversation = response.json()
    assert response.headers["Content-Type"].startswith("application/json")
    assert conversation["type"] == "im"
    assert set(conversation["members"]) == {alice["user_id"], bob["user_id"]}

    client_id = f"e2e-{uuid.uuid4()}"
    body = {"client_id": client_id, "text": "hello from alice"}
    response = alice_api.post(f"/conversations/{conversation['id']}/messages", body)
    assert response.status_code == 201, response.text
    message = response.json()
    assert set(message) >= MESSAGE_FIELDS
    assert (message["seq"], message["text"], message["sender"]) == (
        1,
        body["text"],
        alice["user_id"],
    )

    for each in devices:
        frame = each.wait_for(created(message["id"]))
        assert set(frame) == {"type", "data"}
        assert set(frame["data"]) >= MESSAGE_FIELDS
        assert frame["data"]["seq"] == 1 and frame["data"]["text"] == body["text"]

    again = alice_api.post(f"/conversations/{conversation['id']}/messages", body)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == message["id"]
    history = alice_api.get(f"/conversations/{conversation['id']}/messages")
    assert history.status_code == 200, history.text
    assert [m["id"] for m in history.json()["items"]] == [message["id"]]
    assert history.json()["next_cursor"] is None

    assert conversation_in_list(bob_api, conversation["id"])["unread_count"] == 1
    response = bob_api.post(f"/conversations/{conversation['id']}/read", {"seq": 1})
    assert response.status_code == 200, response.text
    for each in devices[:2]:
        frame = each.wait_for(
            lambda f: f.get("type") == "conversation.read"
            and f["data"].get("user_id") == bob["user_id"]
        )
        assert frame["data"]["seq"] == 1
        assert frame["data"]["conversation_id"] == conversation["id"]
    assert conversation_in_list(bob_api, conversation["id"])["unread_count"] == 0
    # Every device saw the message exactly once, the resend included.
    for each in devices:
        assert len(each.matching(created(message["id"]))) == 1


def test_a_fanout_killed_mid_batch_still_reaches_every_device_once(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    """The consumers run in a process of their own: the fault reaches it (it answers
    only once armed there), fires (a batch dies half-way and comes back whole), and
    every device still gets every message once."""
    alice_api, bob = api("alice"), user(stack, "bob")
    devices = [device("alice"), device("bob"), device("bob")]
    conversation = open_im(alice_api, bob)
    path = f"/conversations/{conversation['id']}/messages"
    armed = requests.post(
        f"{stack['rest_url']}/_faults/consumers/realtime_consumer/kill", timeout=30
    )
    assert armed.status_code == 200 and armed.json() == {"armed": "realtime_consumer"}
    ids = []
    for n in range(4):
        sent = alice_api.post(path, {"client_id": f"kill-{uuid.uuid4()}", "text": f"k{n}"})
        assert sent.status_code == 201, sent.text
        ids.append(sent.json()["id"])
    for each in devices:
        for message_id in ids:
            each.wait_for(created(message_id))
    fault = requests.get(f"{stack['rest_url']}/_faults/consumers/realtime_consumer", timeout=30)
    assert fault.json() == {"function": "realtime_consumer", "armed": False}  # it fired
    marker = alice_api.post(path, {"client_id": f"kill-{uuid.uuid4()}", "text": "after"})
    for each in devices:
        each.wait_for(created(marker.json()["id"]))
        for message_id in ids:
            assert len(each.matching(created(message_id))) == 1


def test_websocket_ping_gets_pong(device: DeviceFactory) -> None:
    alice = device("alice")
    alice.send({"action": "ping", "request_id": "r-1"})
    pong = alice.wait_for(lambda f: f.get("type") == "pong")
    assert pong["data"]["request_id"] == "r-1"


def test_message_sent_over_websocket_reaches_the_other_member(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    carol, dave = user(stack, "carol"), user(stack, "dave")
    conversation = open_im(api("carol"), dave)
    carol_device, dave_device = device("carol"), device("dave")

    carol_device.send(
        {
            "action": "send",
            "request_id": "r-2",
            "conversation_id": conversation["id"],
            "client_id": f"e2e-{uuid.uuid4()}",
            "text": "sent over the socket",
        }
    )
    ack = carol_device.wait_for(lambda f: f.get("type") == "message.ack")
    assert ack["data"]["request_id"] == "r-2"
    message = ack["data"]["message"]
    frame = dave_device.wait_for(created(message["id"]))
    assert frame["data"]["text"] == "sent over the socket"
    assert frame["data"]["sender"] == carol["user_id"]
    history = api("dave").get(f"/conversations/{conversation['id']}/messages")
    assert message["id"] in [m["id"] for m in history.json()["items"]]


@pytest.mark.parametrize("query", ["?token=not-a-jwt", ""])
def test_websocket_without_a_valid_token_is_refused(stack: Stack, query: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(stack["ws_url"] + query, proxy=None, open_timeout=10).close()
    assert refused.value.response.status_code == 401


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic abc"])
def test_rest_without_a_valid_token_is_401(stack: Stack, authorization: str | None) -> None:
    client = Api(stack["rest_url"], None)
    headers = {"Authorization": authorization} if authorization else {}
    error = assert_error(client.get("/conversations", headers=headers), 401)
    assert error["code"] == "unauthorized"


def test_unknown_route_is_404(api: ApiFactory) -> None:
    assert assert_error(api("alice").get("/no/such/route"), 404)["code"] == "not_found"
    assert assert_error(api(None).get("/no/such/route"), 404)["code"] == "not_found"


def test_other_company_cannot_see_a_conversation(stack: Stack, api: ApiFactory) -> None:
    conversation = open_im(api("alice"), user(stack, "bob"))
    erin = api("erin")
    assert_error(erin.get(f"/conversations/{conversation['id']}"), 404)
    assert_error(erin.get(f"/conversations/{conversation['id']}/messages"), 404)
    assert conversation["id"] not in [c["id"] for c in erin.get("/conversations").json()["items"]]
