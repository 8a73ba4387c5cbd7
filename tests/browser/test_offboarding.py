"""Offboarding, as an admin and the person offboarded see it, in real browsers on the
local stack: the admin invites a co-worker from the admin page and later disables
them; the co-worker's open session is cut off (connection closed, the next action
lands on the sign-in page) and they cannot sign in again until re-enabled."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import assert_accessible, screenshot, sign_in
from tests.browser.test_sign_in import add_person, mail, sign_in_with
from tests.e2e.clients import Stack

pytestmark = pytest.mark.e2e

PASSWORD = "Olive-chose-this-1"


def _admin_page(page: Page) -> None:
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Invite a co-worker")).to_be_visible()


def test_an_admin_invites_from_the_admin_page_and_the_invitation_arrives(
    stack: Stack, new_context: Callable[[], BrowserContext]
) -> None:
    alice = sign_in(new_context().new_page(), stack, "alice")
    _admin_page(alice)
    username = f"nina-{int(time.time() * 1000) % 10**8}"
    alice.get_by_role("textbox", name="Username").fill(username)
    alice.get_by_role("textbox", name="Email").fill(f"{username}@acme.test")
    alice.get_by_role("textbox", name="Name", exact=True).fill("Nina New")
    alice.get_by_role("button", name="Send invitation").click()
    expect(alice.get_by_role("status").filter(has_text="Invitation sent")).to_be_visible()
    users = alice.get_by_role("region", name="Users")
    expect(users.get_by_role("row").filter(has_text="Nina New")).to_contain_text("Active")
    assert_accessible(alice, "admin page with the invitation form")
    screenshot(alice, "admin-invite")
    (invitation,) = mail(stack, username, 1)
    assert "Acme Plumbing" in invitation["subject"]
    assert username in invitation["text"] and "temporary password" in invitation["text"]
    # the same username again is refused plainly, and nothing is sent twice
    alice.get_by_role("textbox", name="Username").fill(username)
    alice.get_by_role("textbox", name="Email").fill(f"{username}-2@acme.test")
    alice.get_by_role("textbox", name="Name", exact=True).fill("Nina Again")
    alice.get_by_role("button", name="Send invitation").click()
    expect(alice.get_by_role("status").filter(has_text="username is taken")).to_be_visible()
    assert len(mail(stack, username, 1)) == 1


def test_a_disabled_persons_open_session_is_cut_off_and_they_cannot_sign_in(
    stack: Stack, new_context: Callable[[], BrowserContext]
) -> None:
    # Given Olive, signed in and connected, and Alice on the admin page
    username = add_person(stack, "Olive Offboarded", PASSWORD)
    olive = new_context().new_page()
    sign_in_with(olive, stack, username, PASSWORD)
    expect(olive.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    alice = sign_in(new_context().new_page(), stack, "alice")
    _admin_page(alice)
    row = (
        alice.get_by_role("region", name="Users")
        .get_by_role("row")
        .filter(has_text="Olive Offboarded")
    )

    # When Alice disables her
    alice.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Disable Olive Offboarded").click()
    expect(row).to_contain_text("Disabled")

    # Then Olive's connection is closed, its reconnection refused, and her page ends
    # her session by itself (the pool refuses her refresh token)
    expect(olive.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(olive.get_by_text("Your session has ended")).to_be_visible()
    expect(olive.get_by_role("list", name="Conversations")).to_have_count(0)

    # ... and her password no longer signs her in (with the neutral message)
    sign_in_with(olive, stack, username, PASSWORD)
    expect(olive.get_by_role("alert")).to_contain_text("Wrong username or password.")

    # When Alice enables her again, she signs in as before
    alice.get_by_role("region", name="Users").get_by_role("row").filter(
        has_text="Olive Offboarded"
    ).get_by_role("button", name="Enable Olive Offboarded").click()
    expect(row).to_contain_text("Active")
    sign_in_with(olive, stack, username, PASSWORD)
    expect(olive.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def test_signing_out_revokes_this_browsers_refresh_token_only(
    stack: Stack, new_context: Callable[[], BrowserContext]
) -> None:
    from botocore.exceptions import ClientError

    from tests.browser.test_sign_in import cognito, sign_out

    username = add_person(stack, "Sam Signout", PASSWORD)
    pages = []
    for _ in range(2):  # a laptop and a phone: two browsers, two sessions
        page = new_context().new_page()
        sign_in_with(page, stack, username, PASSWORD)
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
        pages.append(page)
    laptop, phone = pages
    tokens = [
        p.evaluate("() => JSON.parse(localStorage.getItem('texting.session')).refreshToken")
        for p in pages
    ]
    pool = cognito(stack)

    def refresh(token: str) -> object:
        return pool.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=stack["cognito"]["client_id"],
            AuthParameters={"REFRESH_TOKEN": token},
        )

    sign_out(laptop)
    with pytest.raises(ClientError) as revoked:  # the server revoked it: no new tokens
        refresh(tokens[0])
    assert revoked.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refresh(tokens[1])  # the phone's session is its own
    expect(phone.get_by_role("status").filter(has_text="Connected")).to_be_visible()
