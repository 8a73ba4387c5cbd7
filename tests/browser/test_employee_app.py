"""The employee app in a real browser against the real local stack.

Every wait is Playwright's auto-wait or ``expect`` with a deadline (conftest's
TIMEOUT_MS); nothing waits without a deadline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.e2e.clients import Stack

pytestmark = pytest.mark.e2e


def poll(fetch: Callable[[], Any], done: Callable[[Any], bool], seconds: float = 30.0) -> Any:
    """Fetch until ``done`` holds or the deadline passes (then fail with the last value)."""
    deadline = time.monotonic() + seconds
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {seconds}s: {value!r}")
        time.sleep(0.2)


def conversation(page: Page, name: str):
    return (
        page.get_by_role("list", name="Conversations").get_by_role("listitem").filter(has_text=name)
    )


def messages(page: Page):
    return page.get_by_role("log")


def send(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send").click()


def test_two_users_chat_live_with_unread_presence_typing_and_read_on_every_device(
    stack: Stack,
    new_context: Callable[[], BrowserContext],
) -> None:
    # Given alice and bob signed in, in two browser contexts (bob also on a second device)
    sign_in_page = new_context().new_page()
    sign_in_page.goto(stack["web_url"])
    expect(sign_in_page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot(sign_in_page, "sign-in")
    assert_accessible(sign_in_page, "sign-in")

    alice = sign_in(sign_in_page, stack, "alice")
    bob = sign_in(new_context().new_page(), stack, "bob")
    bob_phone = sign_in(new_context().new_page(), stack, "bob")

    # When alice starts a conversation with bob by name and sends a message
    alice.get_by_role("button", name="New conversation").click()
    alice.get_by_role("textbox", name="To").fill("Bob")
    expect(alice.get_by_role("option", name=re.compile("Bob Baker"))).to_be_visible()
    screenshot(alice, "new-conversation")
    assert_accessible(alice, "new conversation")
    alice.get_by_role("button", name="Start").click()
    expect(alice.get_by_role("textbox", name="Message")).to_be_focused()
    send(alice, "Lunch at noon? https://example.com/menu or call (415) 555-2671")

    # Then bob sees it live: bold with an unread badge, the count in the tab title
    row = conversation(bob, "Alice Admin")
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    expect(row.get_by_label("1 unread")).to_be_visible()
    expect(bob).to_have_title("(1) Texting")
    expect(conversation(bob_phone, "Alice Admin").get_by_label("1 unread")).to_be_visible()

    # and when he opens it the links are links and the number is click-to-call
    row.click()
    log = messages(bob)
    expect(log.get_by_text("Lunch at noon?")).to_be_visible()
    expect(log.get_by_role("link", name="https://example.com/menu")).to_have_attribute(
        "href", "https://example.com/menu"
    )
    expect(log.get_by_role("link", name="Call (415) 555-2671")).to_have_attribute(
        "href", "tel:+14155552671"
    )
    # reading on one device clears unread on the other
    expect(bob).to_have_title("Texting")
    expect(conversation(bob_phone, "Alice Admin").get_by_label("1 unread")).to_have_count(0)
    expect(conversation(bob_phone, "Alice Admin")).not_to_have_class(re.compile(r"\bunread\b"))

    # Presence: bob goes busy, alice sees it on his conversation
    bob.get_by_role("combobox", name="Status").select_option("busy")
    expect(
        conversation(alice, "Bob Baker").get_by_role("img", name=re.compile("Bob Baker is Busy"))
    ).to_be_visible()

    # Typing indicator, then bob's reply arrives live, delivered (ticked) on his side
    bob.get_by_role("textbox", name="Message").press_sequentially("Sure")
    expect(alice.get_by_text("Bob Baker is typing…")).to_be_visible()
    bob.get_by_role("textbox", name="Message").fill("Sure, see you there")
    bob.get_by_role("button", name="Send").click()
    expect(messages(alice).get_by_text("Sure, see you there")).to_be_visible()
    expect(messages(bob).locator("article").filter(has_text="Sure, see you there")).to_contain_text(
        "Sent"
    )
    expect(alice.get_by_text("Bob Baker is typing…")).to_have_count(0)

    # Drafts survive a reload
    alice.get_by_role("textbox", name="Message").fill("half-written thought")
    alice.reload()
    conversation(alice, "Bob Baker").click()
    expect(alice.get_by_role("textbox", name="Message")).to_have_value("half-written thought")

    # Keyboard: arrows move in the list, Enter opens and focuses the composer
    first = bob.get_by_role("list", name="Conversations").get_by_role("button").first
    first.focus()
    bob.keyboard.press("Enter")
    expect(bob.get_by_role("textbox", name="Message")).to_be_focused()

    screenshot(bob, "conversation")
    assert_accessible(bob, "conversation")

    # The profile panel: a custom status message with an expiry, seen by co-workers
    bob.get_by_role("button", name="Profile: Bob Baker").click()
    panel = bob.get_by_role("region", name="Profile")
    panel.get_by_label("Status message").fill("At lunch")
    panel.get_by_label("Clear message after").select_option("1 hour")
    panel.get_by_role("button", name="Save status").click()
    expect(
        conversation(alice, "Bob Baker").get_by_role(
            "img", name=re.compile("Bob Baker is Busy: At lunch")
        )
    ).to_be_visible()
    screenshot(bob, "profile")
    assert_accessible(bob, "profile panel")


def test_phone_texting_a_shared_line_reaches_both_users_and_the_reply_goes_back(
    stack: Stack,
    signed_in: Callable[[str], Page],
) -> None:
    import requests

    line = next(n for n in stack["numbers"] if len(n["users"]) > 1)["e164"]
    customer = "+14155553344"
    bob = signed_in("bob")
    carol = signed_in("carol")

    # When a simulated phone texts the shared line
    response = requests.post(
        f"{stack['simulator_url']}/phones/{customer}/send",
        json={"to": line, "text": "Is the plumber coming today?"},
        timeout=30,
    )
    assert response.status_code < 300, response.text

    # Then both users on the line see it, live
    for page in (bob, carol):
        expect(conversation(page, customer).get_by_label("1 unread")).to_be_visible()
    conversation(bob, customer).click()
    expect(messages(bob).get_by_text("Is the plumber coming today?")).to_be_visible()

    # The composer shows segments, encoding and cost while typing
    bob.get_by_role("textbox", name="Message").fill("Yes — between 2 and 4 pm 🙂")
    expect(bob.locator("#sms-preview")).to_contain_text("UCS-2")
    expect(bob.locator("#sms-preview")).to_contain_text(
        re.compile(r"1 segment · UCS-2 · \d+ characters left · est\. [\d.]+ USD")
    )
    bob.get_by_role("textbox", name="Message").fill("Yes, between 2 and 4 pm.")
    expect(bob.locator("#sms-preview")).to_contain_text("GSM-7")
    bob.get_by_role("button", name="Send").click()

    # The reply reaches the phone from the line it texted, and shows delivered on both desks
    reply = "Yes, between 2 and 4 pm."
    conversation(carol, customer).click()
    expect(messages(carol).get_by_text(reply)).to_be_visible()
    expect(messages(bob).locator("article").filter(has_text=reply)).to_contain_text("Delivered")
    inbox = poll(
        lambda: requests.get(
            f"{stack['simulator_url']}/phones/{customer}/inbox", timeout=30
        ).json(),
        lambda items: any(m["text"] == reply for m in items),
    )
    assert [m["from"] for m in inbox if m["text"] == reply] == [line]

    # Create a contact from the number: the list then shows the name
    bob.get_by_role("button", name="Add to contacts").click()
    bob.get_by_role("textbox", name="Contact name").fill("Pat Customer")
    bob.get_by_role("button", name="Save contact").click()
    expect(conversation(bob, "Pat Customer")).to_be_visible()

    screenshot(bob, "sms-thread")
    assert_accessible(bob, "sms thread")
