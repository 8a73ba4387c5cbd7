"""API Gateway closes a WebSocket with 1009 when a client message is over 128 KB (the
local gateway does the same): the web client reconnects and catches up
(web/src/lib/realtime.ts, which also never sends such a frame itself)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, WebSocketRoute, expect

from tests.browser.conftest import TIMEOUT_MS, sign_in
from tests.browser.test_employee_app import conversation, messages
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e

MAX_FRAME_BYTES = 128 * 1024  # web/src/lib/realtime.ts and local/gateway.py

# Every close the page's WebSockets see, by code, in window.__closes.
RECORD_CLOSES = """
(() => {
  const Native = window.WebSocket;
  window.__closes = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("close", (event) => window.__closes.push(event.code));
    }
  };
})();
"""


def test_after_a_1009_close_the_page_reconnects_and_misses_nothing(
    stack: Stack,
    new_context: Callable[[], BrowserContext],
    api: Callable[[str | None], Api],
) -> None:
    # Given erin's page reading her conversation with grace, its WebSocket passing
    # through a route that can speak for the page
    page = new_context().new_page()
    page.add_init_script(RECORD_CLOSES)
    sockets: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:
        sockets.append(route.connect_to_server())

    page.route_web_socket(re.compile(r".*"), through)
    sign_in(page, stack, "erin")
    grace = api("grace")
    made = grace.post("/conversations", {"type": "im", "members": [user(stack, "erin")["user_id"]]})
    assert made.status_code in (200, 201), made.text
    chat = made.json()["id"]

    def say(text: str) -> None:
        sent = grace.post(
            f"/conversations/{chat}/messages", {"client_id": str(uuid.uuid4()), "text": text}
        )
        assert sent.status_code in (200, 201), sent.text

    say("before the big frame")
    conversation(page, "Grace Green").click()
    expect(messages(page).get_by_text("before the big frame")).to_be_visible()

    # When a message over 128 KB goes to the gateway on the page's socket
    first = len(sockets)
    sockets[-1].send("x" * (MAX_FRAME_BYTES + 1))

    # Then the gateway closes it with 1009, and grace's text sent meanwhile arrives
    # once the page has reconnected on its own, exactly once
    page.wait_for_function("() => window.__closes.includes(1009)", timeout=TIMEOUT_MS)
    say("while reconnecting")
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(messages(page).get_by_text("while reconnecting")).to_have_count(1)
    assert len(sockets) > first, "the page did not open a new socket"

    # and live delivery works on the new socket
    say("after the reconnect")
    expect(messages(page).get_by_text("after the reconnect")).to_have_count(1)
    texts = [t.strip() for t in messages(page).locator("article .text").all_inner_texts()]
    assert texts == ["before the big frame", "while reconnecting", "after the reconnect"], texts
