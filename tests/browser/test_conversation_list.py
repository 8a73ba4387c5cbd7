"""The conversation list by keyboard: the arrow keys move between conversations, and the
list's one tab stop stays on its conversation when a message elsewhere reorders the list."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_employee_app import conversation, messages
from tests.browser.test_reconnect import say
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e


def test_arrow_keys_keep_their_place_when_a_message_reorders_the_list(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
) -> None:
    # Given carol's list with three new groups, newest first: C, B, A
    alice = api("alice")
    carol = signed_in("carol")
    expect(carol.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    tag = uuid.uuid4().hex[:6]
    groups: dict[str, str] = {}
    for name in ("A", "B", "C"):
        made = alice.post(
            "/conversations",
            {
                "type": "im",
                "members": [user(stack, "carol")["user_id"]],
                "group": True,
                "name": f"Keys {tag} {name}",
            },
        )
        assert made.status_code in (200, 201), made.text
        groups[name] = str(made.json()["id"])
        say(alice, groups[name], f"hello {name}")
        expect(conversation(carol, f"Keys {tag} {name}").get_by_role("button")).to_have_attribute(
            "data-index", "0"
        )

    def row(name: str) -> Locator:
        return conversation(carol, f"Keys {tag} {name}").get_by_role("button")

    # When she moves down from C with the arrow key
    row("C").focus()
    carol.keyboard.press("ArrowDown")
    expect(row("B")).to_be_focused()

    # and a message in A moves A to the top (A, C, B) while B has the focus
    say(alice, groups["A"], "again")
    expect(row("A")).to_have_attribute("data-index", "0")
    expect(row("B")).to_have_attribute("data-index", "2")
    expect(row("B")).to_be_focused()

    # Then the arrow keys move from B where it is now: up is C (not A, B's old neighbour)
    carol.keyboard.press("ArrowUp")
    expect(row("C")).to_be_focused()
    carol.keyboard.press("Enter")
    expect(messages(carol).get_by_text("hello C")).to_be_visible()
    expect(carol.get_by_role("region", name=f"Conversation with Keys {tag} C")).to_be_visible()
