"""Network drops and absences: exact catch-up after a reconnect, the missed-messages notice."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.browser.test_employee_app import conversation, messages
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e


def im(api: Api, to_user_id: str) -> str:
    response = api.post("/conversations", {"type": "im", "members": [to_user_id]})
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def say(api: Api, conversation_id: str, text: str) -> None:
    response = api.post(
        f"/conversations/{conversation_id}/messages", {"client_id": str(uuid.uuid4()), "text": text}
    )
    assert response.status_code in (200, 201), response.text


def presence(api: Api, user_id: str) -> str:
    entries = api.get("/directory", params={"limit": 100}).json()["items"]
    return str(next(e for e in entries if e["user_id"] == user_id)["presence"]["status"])


def missed_count(api: Api, conversation_id: str) -> int:
    pending = api.get("/me/missed").json()["conversations"]
    return int(next((c["count"] for c in pending if c["conversation_id"] == conversation_id), 0))


def poll(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not before the deadline: {what}")
        time.sleep(0.1)


def test_network_cut_and_restored_misses_nothing_and_duplicates_nothing(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
) -> None:
    # Given carol reading her conversation with alice
    alice = api("alice")
    chat = im(alice, user(stack, "carol")["user_id"])
    say(alice, chat, "before the cut")
    carol = signed_in("carol")
    # (her list may hold other conversations with alice: this one shows its last message)
    conversation(carol, "Alice Admin").filter(has_text="before the cut").click()
    expect(messages(carol).get_by_text("before the cut")).to_be_visible()

    # When her network drops, messages arrive meanwhile (also in a conversation she
    # has never seen), and the network comes back
    carol.context.set_offline(True)
    expect(carol.get_by_role("status").filter(has_text="Offline")).to_be_visible()
    during = [f"during the cut {n}" for n in range(1, 6)]
    for text in during:
        say(alice, chat, text)
    bob = api("bob")
    say(bob, im(bob, user(stack, "carol")["user_id"]), "a new conversation while offline")
    carol.context.set_offline(False)
    expect(carol.get_by_role("status").filter(has_text="Connected")).to_be_visible()

    # Then every message is there exactly once, in order, and the new conversation is listed
    expect(messages(carol).get_by_text(during[-1])).to_be_visible()
    texts = [t.strip() for t in messages(carol).locator("article .text").all_inner_texts()]
    assert texts == ["before the cut", *during], texts
    expect(conversation(carol, "Bob Baker").get_by_label("1 unread")).to_be_visible()

    # and live delivery works again on the new socket
    say(alice, chat, "after the cut")
    expect(messages(carol).get_by_text("after the cut")).to_be_visible()
    assert messages(carol).locator("article").count() == len(during) + 2


def test_missed_messages_notice_at_sign_in(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
) -> None:
    # Given dave signed in once and gone (the lived-in demo's missed messages, counted
    # while nobody had signed in as him, go to that first device), then messages sent to
    # him while none of his devices was connected
    bob, dave_id = api("bob"), user(stack, "dave")["user_id"]
    waiting = api("dave").get("/me/missed").json()["total"]
    first = signed_in("dave")
    expect(first.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    if waiting:
        # the notice reaches the device after its socket opens (the connection's event
        # goes through the queue): one closed before it came would leave it for the next
        expect(
            first.get_by_role("status").filter(
                has_text=re.compile(rf"^{waiting} missed messages? in ")
            )
        ).to_be_visible()
    first.context.close()
    poll(lambda: presence(bob, dave_id) == "offline", "dave is offline")
    chat = im(bob, dave_id)
    say(bob, chat, "are you in today?")
    say(bob, chat, "call me back")
    poll(lambda: missed_count(api("dave"), chat) == 2, "both messages counted as missed")

    # When he signs in, he is told what he missed, and the conversation is bold
    dave = signed_in("dave")
    expect(
        dave.get_by_role("status").filter(
            has_text=re.compile(r"2 missed messages in 1 conversation")
        )
    ).to_be_visible()
    expect(conversation(dave, "Bob Baker").get_by_label("2 unread")).to_be_visible()
    expect(dave).to_have_title("(2) Texting")
    screenshot(dave, "missed-messages")
    assert_accessible(dave, "missed-messages notice")


def test_a_late_event_with_an_older_status_does_not_undo_a_newer_one(
    stack: Stack,
    new_context: Callable[[], BrowserContext],
    api: Callable[[str | None], Api],
) -> None:
    """Two status changes in quick succession fan out side by side, so the older one
    can reach a device last (a CI run saw a reply stuck at "Sent"). The page keeps the
    newer status, as the server does."""
    # Given ben's page (two agents: no other browser test reads their conversations), its WebSocket passing through a route we can add frames to
    page = new_context().new_page()
    sockets: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:
        route.connect_to_server()  # frames flow both ways as before
        sockets.append(route)

    page.route_web_socket(re.compile(r".*"), through)
    sign_in(page, stack, "ben")
    ben = api("ben")
    chat = im(ben, user(stack, "cat")["user_id"])
    sent = ben.post(
        f"/conversations/{chat}/messages", {"client_id": str(uuid.uuid4()), "text": "in order?"}
    )
    assert sent.status_code in (200, 201), sent.text
    message = sent.json()
    conversation(page, "Cat Agent").click()
    mine = messages(page).locator("article").filter(has_text="in order?")
    expect(mine).to_be_visible()

    # When the delivery arrives first and the send's own "sent" after it
    for status in ("delivered", "sent"):
        frame = {"type": "message.updated", "data": {**message, "status": status}}
        sockets[-1].send(json.dumps(frame))

    # Then the page still says delivered once both are handled
    expect(mine).to_contain_text("Delivered")
    expect(mine).not_to_contain_text("✓ Sent")
