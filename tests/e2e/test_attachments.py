"""Pictures through the whole local stack: an upload by the presigned form, an IM that
reaches a co-worker's device with its file name, and an MMS that reaches a phone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from local.demo_conversations import png
from tests.e2e.clients import Api, Device, Stack
from tests.e2e.test_sms import inbox, wait_for

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DeviceFactory = Callable[[str], Device]
PICTURE = png(16, 16, (10, 200, 120))


def upload(api: Api, filename: str) -> str:
    started = api.post(
        "/media", {"content_type": "image/png", "size": len(PICTURE), "filename": filename}
    )
    assert started.status_code == 200, started.text
    form = started.json()
    sent = requests.post(
        form["upload"]["url"],
        data=form["upload"]["fields"],
        files={"file": (filename, PICTURE, "image/png")},
        timeout=10,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return str(form["key"])


def test_an_im_picture_reaches_the_co_worker_with_its_file_name(
    stack: Stack, api: ApiFactory, device: DeviceFactory
) -> None:
    alice, bob = api("alice"), api("bob")
    bob_id = next(u["user_id"] for u in stack["users"] if u["username"] == "bob")
    conversation = alice.post("/conversations", {"type": "im", "members": [bob_id]}).json()
    bobs_desk = device("bob")
    name = f"plan {uuid.uuid4().hex[:6]} ü.png"
    sent = alice.post(
        f"/conversations/{conversation['id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": "", "media": [upload(alice, name)]},
    )
    assert sent.status_code == 201, sent.text
    frame = bobs_desk.wait_for(
        lambda f: f.get("type") == "message.created" and f["data"]["id"] == sent.json()["id"]
    )
    (media,) = frame["data"]["media"]
    assert (media["filename"], media["content_type"], media["size"]) == (
        name,
        "image/png",
        len(PICTURE),
    )
    link = bob.get(f"/conversations/{conversation['id']}/messages/{sent.json()['id']}/media/0")
    assert link.status_code == 200, link.text
    assert requests.get(link.json()["url"], timeout=10).content == PICTURE


def test_an_mms_picture_reaches_the_phone(stack: Stack, api: ApiFactory) -> None:
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    alice = api("alice")
    conversation = alice.post("/conversations", {"type": "sms", "to": customer}).json()
    text = f"Your quote {uuid.uuid4().hex[:6]}"
    sent = alice.post(
        f"/conversations/{conversation['id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": text, "media": [upload(alice, "quote.png")]},
    )
    assert sent.status_code == 202, sent.text
    received: list[dict[str, Any]] = wait_for(
        lambda: [m for m in inbox(stack, customer) if m["text"] == text], timeout=20
    )
    (url,) = received[0]["media_urls"]
    assert requests.get(url, timeout=10).content == PICTURE
