"""Search on the local stack: a message sent over REST is found through GET /search
within 5 seconds (stream → search_indexer → the local OpenSearch-protocol engine),
only by the people in its conversation, and a deleted one is gone within 5 seconds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
WITHIN_S = 5.0


def _texts(api: Api, q: str) -> list[str]:
    response = api.get(f"/search?q={q}")
    assert response.status_code == 200, response.text
    return [item["message"]["text"] for item in response.json()["items"]]


def _until(check: Callable[[], bool], seconds: float = WITHIN_S) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not true within {seconds} s")


def test_a_sent_message_is_searchable_within_5_s_and_gone_when_deleted(
    stack: Stack, api: ApiFactory
) -> None:
    bob = user(stack, "bob")
    alice_api, bob_api = api("alice"), api("bob")
    word = f"zebra{uuid.uuid4().hex[:8]}"
    conv = alice_api.post("/conversations", {"type": "im", "members": [bob["user_id"]]}).json()
    sent = alice_api.post(
        f"/conversations/{conv['id']}/messages",
        {"client_id": f"e2e-{uuid.uuid4()}", "text": f"the {word} report"},
    )
    assert sent.status_code in (200, 201), sent.text
    _until(lambda: _texts(bob_api, f"{word} ") == [f"the {word} report"])
    found: dict[str, Any] = bob_api.get(f"/search?q={word[:7]}").json()
    assert "<mark>" in found["items"][0]["highlight"]  # the prefix as a person types

    path = f"/conversations/{conv['id']}/messages/{sent.json()['id']}"
    deleted = alice_api.session.delete(alice_api.base_url + path, timeout=WITHIN_S)
    assert deleted.status_code == 200, deleted.text
    _until(lambda: _texts(bob_api, f"{word} ") == [])
