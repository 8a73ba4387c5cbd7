"""The header's search box in a real browser on the local stack (search on).

By the contract's accessible names: a ``searchbox`` named Search, its results in a
``list`` named Search results; choosing one opens its conversation at that message.
Every wait is ``expect`` or a poll with a deadline.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
FILLER = 30  # later messages, so the one found is scrolled out of view when opened


def _searchable(api: Api, word: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        found = api.get(f"/search?q={word}").json().get("items", [])
        if found:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{word!r} not searchable within {seconds} s")
        time.sleep(0.2)


def _conversation_with_a_found_message(stack: Stack, api: Callable[[str | None], Api]) -> str:
    """frank → grace: a message with a fresh word, markup in its text, then FILLER more.
    (Two people no other browser test has talk to each other, so their lists stay as
    those tests expect whatever the order.)"""
    frank = api("frank")
    word = f"quokka{uuid.uuid4().hex[:6]}"
    grace = user(stack, "grace")
    conv = frank.post("/conversations", {"type": "im", "members": [grace["user_id"]]}).json()
    texts = [f'the <b>{word}</b> plan & <img src=x onerror="alert(1)"> "quoted"']
    texts += [f"filler {i}" for i in range(FILLER)]
    for text in texts:
        sent = frank.post(
            f"/conversations/{conv['id']}/messages",
            {"client_id": f"b-{uuid.uuid4()}", "text": text},
        )
        assert sent.status_code in (200, 201), sent.text
    _searchable(api("grace"), word)
    return word


def _results(page: Page) -> Any:
    return page.get_by_role("list", name="Search results")


def test_slash_search_arrows_and_enter_open_the_conversation_at_the_message(
    stack: Stack, api: Callable[[str | None], Api], new_context: Callable[[], BrowserContext]
) -> None:
    word = _conversation_with_a_found_message(stack, api)
    grace = sign_in(new_context().new_page(), stack, "grace")

    # When grace presses / and types the word's start, as a person types
    grace.keyboard.press("/")
    box = grace.get_by_role("searchbox", name="Search")
    expect(box).to_be_focused()
    box.press_sequentially(word[:8])

    # Then the result shows the match marked, the conversation and the sender, and the
    # message's markup as text (nothing of it became an element)
    hit = _results(grace).get_by_role("listitem")
    expect(hit).to_have_count(1)
    expect(hit.locator("mark")).to_have_text(re.compile(word[:8], re.IGNORECASE))
    expect(hit).to_contain_text(f'the <b>{word}</b> plan & <img src=x onerror="alert(1)">')
    expect(hit).to_contain_text("Frank Fox")
    expect(hit.locator("b, img, script")).to_have_count(0)
    screenshot(grace, "search-results")
    assert_accessible(grace, "search results")

    # A space after the letters finishes the word: only whole words match it now
    box.press("Space")
    expect(grace.get_by_role("status").filter(has_text="No messages match.")).to_be_visible()
    box.press("Backspace")
    expect(hit).to_have_count(1)

    # When he moves to it with ↓ and opens it with Enter
    box.press("ArrowDown")
    expect(hit.get_by_role("button")).to_be_focused()
    grace.keyboard.press("Enter")

    # Then the conversation is open, scrolled to that message, which has the focus
    expect(grace.get_by_role("region", name="Conversation with Frank Fox")).to_be_visible()
    found = grace.get_by_role("log").locator("article").filter(has_text=f"the <b>{word}</b> plan")
    expect(found).to_be_focused()
    expect(found).to_be_in_viewport()
    expect(_results(grace)).to_have_count(0)


def test_on_a_phone_a_tapped_result_opens_its_conversation(
    stack: Stack, api: Callable[[str | None], Api], new_context: Callable[[], BrowserContext]
) -> None:
    word = _conversation_with_a_found_message(stack, api)
    page = new_context().new_page()
    page.set_viewport_size(PHONE)
    grace = sign_in(page, stack, "grace")

    box = grace.get_by_role("searchbox", name="Search")
    expect(box).to_be_in_viewport()
    box.fill(word)
    hit = _results(grace).get_by_role("listitem")
    expect(hit).to_have_count(1)
    expect(hit).to_be_in_viewport()
    screenshot(grace, "search-phone")
    hit.get_by_role("button").click()

    found = grace.get_by_role("log").locator("article").filter(has_text=f"the <b>{word}</b> plan")
    expect(found).to_be_in_viewport()


def test_the_box_is_hidden_on_a_stage_without_search(
    stack: Stack, new_context: Callable[[], BrowserContext]
) -> None:
    context = new_context()

    def without_search(route: Route) -> None:
        config = route.fetch().json()
        route.fulfill(json={**config, "search": False})

    context.route(re.compile(r".*/config\.json$"), without_search)
    page = sign_in(context.new_page(), stack, "grace")
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_have_count(0)
