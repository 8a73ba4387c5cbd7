"""The conversation list by keyboard, at desktop and phone width: the arrow keys move
between conversations, and the list's one tab stop stays on its conversation when a
message reorders the list, also when the message is in that very conversation (the
browser drops the focus of a row the list moves: it is given back)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_conversation_screens import DESKTOP, PHONE
from tests.browser.test_employee_app import conversation, messages
from tests.browser.test_reconnect import say
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("size", "atomic_moves"),
    [("desktop", True), ("phone", True), ("desktop", False)],
    ids=["desktop", "phone", "desktop-without-moveBefore"],
)
def test_arrow_keys_keep_their_place_when_a_message_reorders_the_list(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
    size: str,
    atomic_moves: bool,
) -> None:
    # Given carol's list with three new groups, newest first: C, B, A
    alice = api("alice")
    carol = signed_in("carol")
    carol.set_viewport_size(PHONE if size == "phone" else DESKTOP)
    if not atomic_moves:
        # as in a browser without Element.moveBefore (Safari, older Firefox): Preact then
        # moves a row with insertBefore, which takes the browser's focus off it
        carol.context.add_init_script("delete Element.prototype.moveBefore")
        carol.reload()
    assert carol.evaluate("'moveBefore' in Element.prototype") is atomic_moves
    expect(carol.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    tag = uuid.uuid4().hex[:6]
    groups: dict[str, str] = {}

    def row(name: str) -> Locator:
        return conversation(carol, f"Keys {tag} {name}").get_by_role("button")

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
        expect(row(name)).to_have_attribute("data-index", "0")

    # When she moves down from C with the arrow key
    row("C").focus()
    carol.keyboard.press("ArrowDown")
    expect(row("B")).to_be_focused()

    # and a message in A moves A to the top (A, C, B) while B has the focus
    say(alice, groups["A"], "again A")
    expect(row("A")).to_have_attribute("data-index", "0")
    expect(row("B")).to_have_attribute("data-index", "2")
    expect(row("B")).to_be_focused()

    # Then the arrow keys move from B where it is now: up is C (not A, B's old neighbour)
    carol.keyboard.press("ArrowUp")
    expect(row("C")).to_be_focused()

    # And a message in the focused conversation itself moves its row to the top (C, A, B)
    # and the focus stays on it: down from C is now A
    say(alice, groups["C"], "again C")
    expect(row("C")).to_have_attribute("data-index", "0")
    expect(row("C")).to_be_focused()
    carol.keyboard.press("ArrowDown")
    expect(row("A")).to_be_focused()

    # and Enter opens the one the focus is on
    carol.keyboard.press("Enter")
    expect(carol.get_by_role("region", name=f"Conversation with Keys {tag} A")).to_be_visible()
    expect(messages(carol).get_by_text("again A")).to_be_visible()
