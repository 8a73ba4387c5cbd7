"""Presence, missed messages, catch-up and typing through the whole local stack,
with real WebSocket clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.clients import Api, Device, Frame, Stack, user

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DeviceFactory = Callable[[str], Device]


def presence_of(username: str, status: str, stack: Stack) -> Callable[[Frame], bool]:
    user_id = user(stack, username)["user_id"]
    return lambda f: (
        f.get("type") == "presence.changed"
        and f["data"]["user_id"] == user_id
        and f["data"]["presence"]["status"] == status
    )


def directory_status(api: Api, user_id: str) -> str:
    entries = api.get("/directory", params={"limit": 100}).json()["items"]
    return str(next(e for e in entries if e["user_id"] == user_id)["presence"]["status"])


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.05)


def test_presence_follows_the_user_not_the_device(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    frank = user(stack, "frank")
    watcher = device("erin")
    watcher.send(
        {"action": "presence.subscribe", "request_id": "w", "user_ids": [frank["user_id"]]}
    )
    snapshot = watcher.wait_for(lambda f: f.get("type") == "presence.snapshot")
    assert snapshot["data"]["users"][frank["user_id"]]["status"] == "offline"

    phone = device("frank")
    watcher.wait_for(presence_of("frank", "available", stack))
    desk = device("frank")
    desk.send({"action": "ping"})
    desk.wait_for(lambda f: f.get("type") == "pong")
    phone.socket.close()
    erin = api("erin")
    # the phone is gone, the desk is still there: frank stays available
    wait_until(lambda: directory_status(erin, frank["user_id"]) == "available")
    assert watcher.matching(presence_of("frank", "offline", stack)) == []
    desk.socket.close()
    watcher.wait_for(presence_of("frank", "offline", stack))
    wait_until(lambda: directory_status(erin, frank["user_id"]) == "offline")


def test_status_and_message_reach_watchers(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    frank = user(stack, "frank")
    watcher = device("erin")
    watcher.send({"action": "presence.subscribe", "user_ids": [frank["user_id"]]})
    watcher.wait_for(lambda f: f.get("type") == "presence.snapshot")
    device("frank")
    response = api("frank").session.put(
        stack["rest_url"] + "/me/presence",
        json={"status": "dnd", "message": "Presenting"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    changed = watcher.wait_for(presence_of("frank", "dnd", stack))
    assert changed["data"]["presence"]["message"] == "Presenting"
    api("frank").session.put(
        stack["rest_url"] + "/me/presence", json={"status": "available"}, timeout=10
    )


def test_missed_messages_are_summarised_once_to_the_first_device(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    carol = user(stack, "carol")
    dave, carols_api = api("dave"), api("carol")
    conversation = dave.post(
        "/conversations", {"type": "im", "members": [carol["user_id"]], "group": True}
    ).json()
    for n in range(2):
        sent = dave.post(
            f"/conversations/{conversation['id']}/messages",
            {"client_id": str(uuid.uuid4()), "text": f"while you were out {n}"},
        )
        assert sent.status_code == 201, sent.text

    def pending() -> dict[str, Any]:
        missed = carols_api.get("/me/missed").json()["conversations"]
        return next((c for c in missed if c["conversation_id"] == conversation["id"]), {})

    wait_until(lambda: pending().get("count") == 2)  # counted while carol had no device

    def missed_here(frame: Frame) -> bool:
        return frame.get("type") == "notification.missed" and any(
            c["conversation_id"] == conversation["id"] for c in frame["data"]["conversations"]
        )

    first = device("carol")
    summary = first.wait_for(missed_here)
    entry = next(
        c for c in summary["data"]["conversations"] if c["conversation_id"] == conversation["id"]
    )
    assert entry["count"] == 2 and entry["last_seq"] == sent.json()["seq"]
    assert pending() == {}  # claimed by the first device
    second = device("carol")
    second.send({"action": "ping"})
    second.wait_for(lambda f: f.get("type") == "pong")
    assert second.matching(lambda f: f.get("type") == "notification.missed") == []


def test_a_reconnecting_device_catches_up_with_no_gap_and_no_duplicate(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    bob = user(stack, "bob")
    alice = api("alice")
    conversation = alice.post(
        "/conversations", {"type": "im", "members": [bob["user_id"]], "group": True}
    ).json()
    path = f"/conversations/{conversation['id']}/messages"
    first = device("bob")
    sent = alice.post(path, {"client_id": str(uuid.uuid4()), "text": "before"}).json()
    seen = first.wait_for(
        lambda f: f.get("type") == "message.created" and f["data"]["id"] == sent["id"]
    )["data"]["seq"]
    first.socket.close()
    later = [
        alice.post(path, {"client_id": str(uuid.uuid4()), "text": f"after {n}"}).json()
        for n in range(3)
    ]
    again = device("bob")
    again.send({"action": "sync", "request_id": "s", "conversations": {conversation["id"]: seen}})
    result = again.wait_for(lambda f: f.get("type") == "sync.result")
    caught_up = result["data"]["conversations"][conversation["id"]]["messages"]
    assert [m["id"] for m in caught_up] == [m["id"] for m in later]
    assert [m["seq"] for m in caught_up] == list(range(seen + 1, seen + 4))


def test_typing_reaches_the_other_member_and_is_not_stored(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    alice, dave = user(stack, "alice"), user(stack, "dave")
    conversation = (
        api("alice").post("/conversations", {"type": "im", "members": [dave["user_id"]]}).json()
    )
    path = f"/conversations/{conversation['id']}"
    before = api("dave").get(path).json()["last_seq"]
    typist, reader = device("alice"), device("dave")
    typist.send({"action": "typing", "conversation_id": conversation["id"]})
    frame = reader.wait_for(lambda f: f.get("type") == "typing")
    assert frame["data"]["user_id"] == alice["user_id"]
    assert frame["data"]["conversation_id"] == conversation["id"]
    assert typist.matching(lambda f: f.get("type") == "typing") == []
    assert api("dave").get(path).json()["last_seq"] == before  # nothing was stored
