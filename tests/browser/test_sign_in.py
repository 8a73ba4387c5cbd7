"""Sign-in as people expect it, in a real browser against the real local stack: the
invitation's temporary password, a new password, an authenticator app (QR code and its
codes), "Forgot password?" with the code from the mailbox, sessions shared by tabs and
kept across restarts, sign-out everywhere in the browser, and messages that never tell
whether a username exists. Each test runs at a desktop's width and a phone's.

Mail is read where the contract puts it (``GET {simulator_url}/mail/{address}``);
authenticator codes are computed here (RFC 6238) from the secret the page shows.
Every wait is Playwright's auto-wait, ``expect`` or a poll with a deadline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import REPO_ROOT, TIMEOUT_MS, assert_accessible, screenshot
from tests.e2e.clients import Api, Stack, login

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": {"width": 1200, "height": 760}, "phone": {"width": 390, "height": 844}}
NEUTRAL_CODE_SENT = "If an account exists for that username, we sent a code"
WRONG_CREDENTIALS = "Wrong username or password."
STEP_SECONDS = 30
MARGIN_SECONDS = 8  # a code is typed with at least this long left before it changes


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(params=list(VIEWPORTS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def contexts(browser: Browser, width: str) -> Iterator[Callable[..., BrowserContext]]:
    """``contexts(**options)``: a fresh browser profile at this test's width."""
    opened: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(viewport=VIEWPORTS[width], **options)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def cognito(stack: Stack) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def add_person(stack: Stack, name: str, password: str = "") -> str:
    """A new person in the first demo company, returning the username: invited by the
    company's admin through ``POST /admin/users`` (no password: the pool makes a
    temporary one and mails it), or a member who already chose ``password``."""
    username = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}"
    if not password:
        admin = Api(stack["rest_url"], login(stack, "alice"))
        body = {"username": username, "email": f"{username}@acme.test", "name": name}
        response = admin.post("/admin/users", body)
        assert response.status_code == 201, response.text
        return username
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("AWS_SESSION_TOKEN", None)
    args = [
        stack["aws_endpoint_url"],
        stack["cognito"]["user_pool_id"],
        stack["companies"][0]["company_id"],
        username,
        name,
    ]
    subprocess.run(
        [sys.executable, "-m", "tests.browser.accounts", *args, password],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )
    return username


def mail(stack: Stack, username: str, count: int, seconds: float = 15.0) -> list[dict[str, str]]:
    """The person's mail once it holds ``count`` letters (polled, with a deadline)."""
    deadline = time.monotonic() + seconds
    while True:
        items: list[dict[str, str]] = requests.get(
            f"{stack['simulator_url']}/mail/{username}@acme.test", timeout=10
        ).json()["items"]
        if len(items) >= count:
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} letter(s) expected for {username}, found {items!r}")
        time.sleep(0.2)


def totp(secret: str, at: float) -> str:
    """RFC 6238 (HMAC-SHA1, 30 s steps, 6 digits), what an authenticator app shows."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at // STEP_SECONDS)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def current_code(secret: str) -> str:
    """The app's code, taken early enough in its 30 s step to be typed before it changes."""
    deadline = time.monotonic() + STEP_SECONDS + 1
    while STEP_SECONDS - time.time() % STEP_SECONDS < MARGIN_SECONDS:
        if time.monotonic() > deadline:
            raise AssertionError("the clock did not move to a new step")
        time.sleep(0.2)
    return totp(secret, time.time())


def sign_in_with(page: Page, stack: Stack, username: str, password: str) -> None:
    page.goto(stack["web_url"])
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def expect_app(page: Page) -> None:
    expect(page.get_by_role("list", name="Conversations")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def open_profile(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^Profile:")).click()


def sign_out(page: Page) -> None:
    open_profile(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("list", name="Conversations")).to_have_count(0)


# -- the tests ---------------------------------------------------------------------------


def test_an_invited_person_sets_a_password_sets_up_an_authenticator_and_signs_in_with_its_code(
    stack: Stack, contexts: Callable[..., BrowserContext], width: str
) -> None:
    pool = cognito(stack)
    pool_id = stack["cognito"]["user_pool_id"]
    # Given a stage that asks everyone for a second factor, and ivy invited to it
    pool.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    try:
        username = add_person(stack, "Ivy Invited")
        (invitation,) = mail(stack, username, 1)
        assert invitation["subject"] == "You are invited to text for Acme Plumbing"
        found = re.search(r"temporary password (\S+?)\. ", invitation["text"])
        assert found, invitation["text"]

        # When she signs in with the temporary password from her invitation
        page = contexts().new_page()
        sign_in_with(page, stack, username, found.group(1))

        # Then she chooses her own password (a weak one is explained, not taken)
        page.get_by_role("textbox", name="New password").fill("Too-short-1")
        page.get_by_role("button", name="Set password").click()
        expect(page.get_by_role("alert")).to_contain_text("That password is not allowed")
        page.get_by_role("textbox", name="New password").fill("Ivy-chose-this-1")
        page.get_by_role("button", name="Set password").click()

        # ... and sets up an authenticator app from the QR code (or its key)
        qr = page.get_by_role("img", name="QR code for your authenticator app")
        expect(qr).to_be_visible()
        expect(qr.locator("path")).to_have_count(1)  # drawn, in the page
        screenshot(page, f"sign-in-mfa-setup-{width}")
        assert_accessible(page, "authenticator set-up")
        secret = page.get_by_role("textbox", name="secret key").input_value()
        assert re.fullmatch(r"[A-Za-z2-7]+=*", secret), secret  # base32
        page.get_by_role("textbox", name="Authentication code").fill(current_code(secret))
        page.get_by_role("button", name="Verify").click()
        expect_app(page)
    finally:
        pool.set_user_pool_mfa_config(
            UserPoolId=pool_id,
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="OPTIONAL",
        )

    # When she signs out and in again, the app asks for her code (a wrong one is refused)
    sign_out(page)
    sign_in_with(page, stack, username, "Ivy-chose-this-1")
    code_box = page.get_by_role("textbox", name="Authentication code")
    right = current_code(secret)
    code_box.fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    code_box.fill(current_code(secret))
    page.get_by_role("button", name="Verify").click()
    expect_app(page)


def test_forgot_password_with_the_mailed_code_then_sign_in_with_the_new_one(
    stack: Stack, contexts: Callable[..., BrowserContext], width: str
) -> None:
    # Given fay, who forgot her password
    username = add_person(stack, "Fay Forgetful", "Fay-old-password-1")
    page = contexts().new_page()
    page.goto(stack["web_url"])

    # When she asks for a code
    page.get_by_role("button", name="Forgot password?").click()
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("status")).to_contain_text(NEUTRAL_CODE_SENT)
    (letter,) = mail(stack, username, 1)
    found = re.search(r"\b(\d{6})\b", letter["text"])
    assert found, letter["text"]
    screenshot(page, f"sign-in-reset-{width}")
    assert_accessible(page, "password reset")

    # Then a wrong code is refused and changes nothing...
    wrong = "000000" if found.group(1) != "000000" else "111111"
    page.get_by_role("textbox", name="Code").fill(wrong)
    page.get_by_role("textbox", name="New password").fill("Fay-new-password-2")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("code")

    # ... and the mailed one sets her new password, with which she signs in
    page.get_by_role("textbox", name="Code").fill(found.group(1))
    page.get_by_role("textbox", name="New password").fill("Fay-new-password-2")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")
    sign_in_with(page, stack, username, "Fay-old-password-1")
    expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
    sign_in_with(page, stack, username, "Fay-new-password-2")
    expect_app(page)


def test_a_session_survives_new_tabs_and_a_restart_and_signing_out_in_one_tab_signs_out_all(
    stack: Stack, contexts: Callable[..., BrowserContext]
) -> None:
    # Given tess signed in in one tab
    username = add_person(stack, "Tess Tabs", "Tess-password-1")
    context = contexts()
    first = context.new_page()
    sign_in_with(first, stack, username, "Tess-password-1")
    expect_app(first)

    # When she opens the app in a new tab, and in a browser restarted with the same profile
    second = context.new_page()
    second.goto(stack["web_url"])
    restarted = contexts(storage_state=context.storage_state()).new_page()
    restarted.goto(stack["web_url"])

    # Then she is signed in in both, without typing anything
    expect_app(second)
    expect_app(restarted)

    # When she signs out in the first tab, the second one is signed out too
    sign_out(first)
    expect_signed_out(second)
    expect(second.get_by_role("status")).to_contain_text("You signed out in another tab")
    second.reload()
    expect_signed_out(second)


def test_a_refused_refresh_token_lands_on_the_sign_in_page_with_a_plain_message(
    stack: Stack, contexts: Callable[..., BrowserContext]
) -> None:
    # Given rita signed in, whose refresh token is then revoked (as a sign-out elsewhere
    # or an administrator would), with her short-lived tokens due for renewal
    username = add_person(stack, "Rita Revoked", "Rita-password-1")
    page = contexts().new_page()
    sign_in_with(page, stack, username, "Rita-password-1")
    expect_app(page)
    cognito(stack).admin_user_global_sign_out(
        UserPoolId=stack["cognito"]["user_pool_id"], Username=username
    )
    page.evaluate(
        """() => {
          const s = JSON.parse(localStorage.getItem("texting.session"));
          s.expiresAt = 0;
          localStorage.setItem("texting.session", JSON.stringify(s));
        }"""
    )

    # When the app next needs a token
    page.reload()

    # Then she is on the sign-in page, told why
    expect_signed_out(page)
    expect(page.get_by_role("status")).to_contain_text("Your session has ended")
    assert page.evaluate("() => localStorage.getItem('texting.session')") is None


def test_turning_on_two_step_sign_in_in_the_profile_asks_for_a_code_at_the_next_sign_in(
    stack: Stack, contexts: Callable[..., BrowserContext]
) -> None:
    # Given otto signed in, with two-step sign-in off
    username = add_person(stack, "Otto Optional", "Otto-password-1")
    page = contexts().new_page()
    sign_in_with(page, stack, username, "Otto-password-1")
    expect_app(page)
    open_profile(page)
    panel = page.get_by_role("region", name="Profile")
    expect(panel.get_by_role("status").filter(has_text="Off")).to_be_visible()

    # When he turns it on with his authenticator app
    panel.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(panel.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = panel.get_by_role("textbox", name="secret key").input_value()
    panel.get_by_role("textbox", name="Authentication code").fill(current_code(secret))
    panel.get_by_role("button", name="Verify").click()

    # Then the profile says it is on, and his next sign-in asks for the code
    expect(panel.get_by_role("status").filter(has_text="On:")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect_signed_out(page)
    sign_in_with(page, stack, username, "Otto-password-1")
    page.get_by_role("textbox", name="Authentication code").fill(current_code(secret))
    page.get_by_role("button", name="Verify").click()
    expect_app(page)


def test_an_unknown_username_and_a_wrong_password_read_the_same(
    stack: Stack, contexts: Callable[..., BrowserContext]
) -> None:
    username = add_person(stack, "Nina Neutral", "Nina-password-1")
    page = contexts().new_page()

    sign_in_with(page, stack, f"nobody-{uuid.uuid4().hex[:8]}", "Whatever-password-1")
    unknown = page.get_by_role("alert").inner_text()
    sign_in_with(page, stack, username, "Not-her-password-1")
    expect(page.get_by_role("alert")).to_have_text(unknown)
    assert unknown == WRONG_CREDENTIALS

    # and a reset for someone who does not exist reads as one for someone who does
    for name in (f"nobody-{uuid.uuid4().hex[:8]}", username):
        page.goto(stack["web_url"])
        page.get_by_role("button", name="Forgot password?").click()
        page.get_by_role("textbox", name="Username").fill(name)
        page.get_by_role("button", name="Send code").click()
        expect(page.get_by_role("status")).to_have_text(
            "If an account exists for that username, we sent a code to its email address."
        )
        expect(page.get_by_role("textbox", name="Code")).to_be_visible()
