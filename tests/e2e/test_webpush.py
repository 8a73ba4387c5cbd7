"""Web Push through the whole local stack: a browser subscription whose endpoint is the
simulator's push service gets a co-worker's message, encrypted for it; a muted
conversation pushes nothing; a subscription the push service calls gone (410) is
forgotten. Decrypted here with the subscription's private key, as the browser would."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.clients import FRAME_SECONDS, Api, Stack
from tests.webpush_support import Browser

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DEADLINE = 15.0


def pushes(stack: Stack, name: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{stack['simulator_url']}/push/{name}", timeout=FRAME_SECONDS)
    answer.raise_for_status()
    return list(answer.json()["items"])


def pushes_in(
    stack: Stack, name: str, browser: Browser, conversation_id: str
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The pushes (item, decrypted payload) of one conversation: the demo data's own
    messages may still be on their way to Carol's devices when the test subscribes."""
    found = [(item, browser.read_item(item)) for item in pushes(stack, name)]
    return [
        (item, payload) for item, payload in found if payload["conversation_id"] == conversation_id
    ]


def wait_for(condition: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.1)
    return found


def subscribe(stack: Stack, api: Api, device_id: str) -> tuple[Browser, str]:
    name = f"carol-{uuid.uuid4().hex[:12]}"
    browser = Browser(f"{stack['simulator_url']}/push/{name}")
    key = api.get("/push/key")
    assert key.status_code == 200 and key.json()["public_key"]
    answer = api.post(
        "/devices", {"device_id": device_id, "platform": "webpush", "token": browser.token()}
    )
    assert answer.status_code == 201, answer.text
    return browser, name


def missed_in(api: Api, conversation_id: str) -> int:
    missed = api.get("/me/missed").json()["conversations"]
    return sum(int(m["count"]) for m in missed if m["conversation_id"] == conversation_id)


def send(api: Api, conversation_id: str, text: str) -> dict[str, Any]:
    answer = api.post(
        f"/conversations/{conversation_id}/messages",
        {"text": text, "client_id": uuid.uuid4().hex},
    )
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def test_a_co_workers_message_reaches_the_browser_and_mute_and_gone_are_honoured(
    stack: Stack, api: ApiFactory
) -> None:
    carol, dave = api("carol"), api("dave")
    device_id = f"carol-browser-{uuid.uuid4().hex[:8]}"
    browser, name = subscribe(stack, carol, device_id)
    carol_id = next(u for u in stack["users"] if u["username"] == "carol")["user_id"]
    conversation = dave.post("/conversations", {"type": "im", "members": [carol_id]}).json()
    try:
        sent = send(dave, conversation["id"], "Are you free at three?")
        ((item, payload),) = wait_for(lambda: pushes_in(stack, name, browser, conversation["id"]))
        assert item["headers"]["Content-Encoding"] == "aes128gcm"
        assert item["headers"]["Urgency"] == "high" and int(item["headers"]["TTL"]) > 0
        assert item["headers"]["Authorization"].startswith("vapid t=")
        assert payload["type"] == "message"
        assert payload["conversation_id"] == conversation["id"]
        assert payload["message_id"] == sent["id"]
        assert payload["body"] == "Are you free at three?"
        assert payload["title"] == "Dave Diaz" and payload["silent"] is False

        # muted: no push (a later unmuted message proves the first was not just slow)
        muted = carol.session.patch(
            f"{carol.base_url}/conversations/{conversation['id']}",
            json={"muted": True},
            timeout=FRAME_SECONDS,
        )
        assert muted.status_code == 200, muted.text
        send(dave, conversation["id"], "muted one")
        # handled once counted as missed (carol has no live connection): only then unmute
        wait_for(lambda: missed_in(carol, conversation["id"]) >= 2)
        carol.session.patch(
            f"{carol.base_url}/conversations/{conversation['id']}",
            json={"muted": False},
            timeout=FRAME_SECONDS,
        )
        send(dave, conversation["id"], "after unmute")
        ours = wait_for(
            lambda: (found := pushes_in(stack, name, browser, conversation["id"]))
            and len(found) >= 2
            and found
        )
        assert [payload["body"] for _, payload in ours] == [
            "Are you free at three?",
            "after unmute",
        ]

        # the browser unsubscribed: the push service answers 410 and the device goes
        gone = requests.post(f"{stack['simulator_url']}/push/{name}/gone", timeout=FRAME_SECONDS)
        assert gone.status_code == 200
        send(dave, conversation["id"], "anyone there?")
        wait_for(
            lambda: all(d["device_id"] != device_id for d in carol.get("/devices").json()["items"])
        )
    finally:
        carol.session.delete(f"{carol.base_url}/devices/{device_id}", timeout=FRAME_SECONDS)
