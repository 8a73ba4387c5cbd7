"""The installable web app in Debian's Chromium against the local stack: manifest and
service worker, opening offline, Web Push as far as headless Chromium goes, the
phone layout, the app badge and the iPhone's Home Screen hint.

Headless Chromium has no push service (no internet): a subscription cannot be made
for real. The page's side is driven with ``PushManager`` answered in the page (a
subscription whose keys are real P-256/auth values), the worker's side with pushes
delivered through the DevTools Protocol (``ServiceWorker.deliverPushMessage``), and
a notification click with a ``notificationclick`` event dispatched in the worker
(a script-made event may not ``waitUntil`` nor focus a window: the focus, and
``clients.openWindow`` when no window is open, are what this cannot drive).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    Request,
    ViewportSize,
    Worker,
    expect,
)

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    DIST,
    TIMEOUT_MS,
    assert_accessible,
    screenshot,
    sign_in,
)
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1200, "height": 760}
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
OFFLINE_STATUS = "Offline — showing saved messages"


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


def im_with_message(api: Callable[[str | None], Api], stack: Stack, text: str) -> str:
    """alice's IM conversation with bob, with ``text`` from alice in it: its id."""
    bob = user(stack, "bob")["user_id"]
    created = api("alice").post("/conversations", {"type": "im", "members": [bob]})
    assert created.status_code in (200, 201), created.text
    conversation_id: str = created.json()["id"]
    sent = api("alice").post(
        f"/conversations/{conversation_id}/messages",
        {"client_id": str(uuid.uuid4()), "text": text},
    )
    assert sent.status_code in (200, 201), sent.text
    return conversation_id


def conversation_row(page: Page, name: str) -> Any:
    return (
        page.get_by_role("list", name="Conversations").get_by_role("listitem").filter(has_text=name)
    )


def no_horizontal_scroll(page: Page, screen: str) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"{screen}: scrolls sideways, widths {widths}"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def worker_of(context: BrowserContext, page: Page) -> Worker:
    """The app's service worker, once it is running and controls ``page``."""
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=TIMEOUT_MS)
    return poll(
        lambda: next((w for w in context.service_workers if w.url.endswith("/sw.js")), None),
        lambda w: w is not None,
    )


def notifications(worker: Worker) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = worker.evaluate(
        """async () => (await self.registration.getNotifications()).map((n) => ({
            title: n.title, body: n.body, tag: n.tag, silent: n.silent, data: n.data }))"""
    )
    return result


class PushDevTools:
    """Pushes delivered to the app's service worker through the DevTools Protocol."""

    def __init__(self, context: BrowserContext, page: Page, origin: str) -> None:
        self.cdp: CDPSession = context.new_cdp_session(page)
        self.origin = origin
        registrations: list[dict[str, Any]] = []
        self.cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        self.cdp.send("ServiceWorker.enable")

        def ours() -> list[dict[str, Any]]:
            page.evaluate("0")  # the sync API hands over events only while it is called
            return [r for r in registrations if r["scopeURL"].endswith("/app/")]

        found = poll(ours, bool)
        self.registration_id = found[0]["registrationId"]

    def push(self, payload: dict[str, Any]) -> None:
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": self.origin + "/",
                "registrationId": self.registration_id,
                "data": json.dumps(payload),
            },
        )


def payload(conversation_id: str, body: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "conversation_id": conversation_id,
        "message_id": str(uuid.uuid4()),
        "title": "Alice Admin",
        "body": body,
        "url": f"/#/conversations/{conversation_id}",  # as the server sends it
        "silent": False,
        "tag": f"conversation-{conversation_id}",
        **extra,
    }


def origin_of(stack: Stack) -> str:
    return re.sub(r"(https?://[^/]+).*", r"\1", stack["web_url"])


# -- installable --------------------------------------------------------------------------


def test_the_app_is_installable_with_a_manifest_icons_and_a_service_worker(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    # Given a browser profile of its own (an incognito context is never installable)
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_FLAGS,
        viewport=DESKTOP,
    )
    try:
        page = context.new_page()
        # When the app is opened
        page.goto(stack["web_url"])
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        worker_of(context, page)

        # Then its manifest names it, opens standalone in its scope, with the icons
        href = page.locator('link[rel="manifest"]').get_attribute("href")
        assert href
        manifest = page.request.get(stack["web_url"] + href.removeprefix("./")).json()
        assert manifest["name"] == "Texting" and manifest["short_name"] == "Texting"
        assert manifest["display"] == "standalone"
        assert manifest["start_url"] == "./" and manifest["scope"] == "./"
        assert manifest["theme_color"] and manifest["background_color"]
        sizes = {}
        for icon in manifest["icons"]:
            data = page.request.get(stack["web_url"] + icon["src"]).body()
            assert png_size(data) == tuple(map(int, icon["sizes"].split("x")))
            assert len(data) < 10_000, f"{icon['src']} is {len(data)} bytes"
            sizes[(icon["sizes"], icon["purpose"])] = icon["src"]
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(sizes)

        # and Chromium finds nothing standing in the way of installing it
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest").get("errors") == []
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
        assert scope == stack["web_url"]
    finally:
        context.close()


# -- offline --------------------------------------------------------------------------------


def test_after_a_first_visit_the_app_opens_offline_with_the_saved_messages(
    stack: Stack,
    api: Callable[[str | None], Api],
    new_context: Callable[[], BrowserContext],
) -> None:
    # Given bob read alice's message in the app once
    text = f"Offline lunch plan {uuid.uuid4().hex[:6]}"
    im_with_message(api, stack, text)
    context = new_context()
    bob = sign_in(context.new_page(), stack, "bob")
    conversation_row(bob, "Alice Admin").first.click()
    expect(bob.get_by_role("log").get_by_text(text)).to_be_visible()
    worker_of(context, bob)
    bob.wait_for_function(
        "(text) => (localStorage.getItem('texting.saved') || '').includes(text)", arg=text
    )

    # When the network is gone and the app is opened again
    context.set_offline(True)
    bob.reload()

    # Then it shows what it had, marked as offline, and says sending waits
    expect(bob.get_by_role("status").filter(has_text=OFFLINE_STATUS)).to_be_visible()
    expect(conversation_row(bob, "Alice Admin").first).to_be_visible()
    expect(bob.get_by_role("log").get_by_text(text)).to_be_visible()
    expect(bob.get_by_text("sending waits for the connection")).to_be_visible()
    bob.get_by_role("textbox", name="Message").fill("written offline")
    expect(bob.get_by_role("button", name="Send")).to_be_disabled()
    screenshot(bob, "desktop-offline")
    assert_accessible(bob, "offline, desktop")
    bob.set_viewport_size(PHONE)
    no_horizontal_scroll(bob, "offline, phone")
    screenshot(bob, "phone-offline")
    assert_accessible(bob, "offline, phone")
    bob.set_viewport_size(DESKTOP)

    # When the network is back, the app is live again, the draft kept
    context.set_offline(False)
    expect(bob.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(bob.get_by_role("textbox", name="Message")).to_have_value("written offline")

    # and signing out forgets the saved messages
    bob.get_by_role("button", name="Profile: Bob Baker").click()
    bob.get_by_role("button", name="Sign out").click()
    expect(bob.get_by_role("button", name="Sign in")).to_be_visible()
    assert bob.evaluate("() => localStorage.getItem('texting.saved')") is None


# -- Web Push -------------------------------------------------------------------------------

# PushManager answered in the page: headless Chromium reaches no push service. The
# subscription's keys are real (a P-256 point, 16 random bytes), as the server checks them.
FAKE_PUSH_SERVICE = """
(endpoint) => {
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  let current = null;
  window.__push = { subscribed: 0, unsubscribed: 0 };
  PushManager.prototype.getSubscription = async () => current;
  PushManager.prototype.subscribe = async (options) => {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const p256dh = b64url(await crypto.subtle.exportKey("raw", pair.publicKey));
    const auth = b64url(crypto.getRandomValues(new Uint8Array(16)));
    window.__push.subscribed += 1;
    current = {
      endpoint,
      options,
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => { window.__push.unsubscribed += 1; current = null; return true; },
    };
    return current;
  };
}
"""
# A valid P-256 public key (uncompressed point), base64url: the stage's VAPID key here.
VAPID_PUBLIC_KEY = (
    "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
)


def test_allowing_notifications_registers_this_browser_for_web_push_until_sign_out(
    stack: Stack,
    api: Callable[[str | None], Api],
    new_context: Callable[[], BrowserContext],
) -> None:
    # Given bob's browser, where the push service answers in the page
    context = new_context()
    context.grant_permissions(["notifications"], origin=origin_of(stack))
    endpoint = f"{stack['simulator_url']}/push/bob-{uuid.uuid4().hex[:8]}"
    context.add_init_script(f"({FAKE_PUSH_SERVICE})({json.dumps(endpoint)})")
    keys: list[str] = []

    def push_key(route: Any) -> None:
        keys.append(route.request.headers.get("authorization", ""))
        route.fulfill(json={"public_key": VAPID_PUBLIC_KEY})

    context.route(re.compile(r".*/push/key$"), push_key)

    registered: list[dict[str, Any]] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/devices"):
            registered.append(request.post_data_json or {})

    context.on("request", on_request)

    # When he signs in with notifications allowed
    bob = sign_in(context.new_page(), stack, "bob")
    device_id = bob.evaluate("() => localStorage.getItem('texting.device')")

    # Then the browser is subscribed with the stage's key and registered as his device
    def webpush_devices() -> list[str]:
        items = api("bob").get("/devices").json()["items"]
        return [d["device_id"] for d in items if d["platform"] == "webpush"]

    poll(webpush_devices, lambda ids: device_id in ids)
    assert keys and keys[0].startswith("Bearer ")
    assert bob.evaluate("() => window.__push.subscribed") == 1
    body = registered[-1]
    assert body["device_id"] == device_id and body["platform"] == "webpush"
    token = json.loads(body["token"])
    assert token["endpoint"] == endpoint
    assert set(token["keys"]) == {"p256dh", "auth"}

    # When he signs out, the device is gone and the subscription forgotten
    bob.get_by_role("button", name="Profile: Bob Baker").click()
    bob.get_by_role("button", name="Sign out").click()
    expect(bob.get_by_role("button", name="Sign in")).to_be_visible()
    poll(webpush_devices, lambda ids: device_id not in ids)
    bob.wait_for_function("() => window.__push.unsubscribed === 1")


def test_a_sign_out_while_the_browser_subscribes_leaves_no_push_registration(
    stack: Stack,
    api: Callable[[str | None], Api],
    new_context: Callable[[], BrowserContext],
) -> None:
    # Given bob signing in with notifications allowed, the stage's push key slow to come
    context = new_context()
    context.grant_permissions(["notifications"], origin=origin_of(stack))
    endpoint = f"{stack['simulator_url']}/push/bob-{uuid.uuid4().hex[:8]}"
    context.add_init_script(f"({FAKE_PUSH_SERVICE})({json.dumps(endpoint)})")
    held: list[Any] = []

    def push_key(route: Any) -> None:
        if not held:
            held.append(route)  # the first answer waits until the test gives it
        else:
            route.fulfill(json={"public_key": VAPID_PUBLIC_KEY})

    context.route(re.compile(r".*/push/key$"), push_key)
    registered: list[str] = []
    context.on(
        "request",
        lambda r: registered.append(r.headers.get("authorization", ""))
        if r.method == "POST" and r.url.endswith("/devices")
        else None,
    )
    bob = sign_in(context.new_page(), stack, "bob")

    def routed() -> int:
        bob.wait_for_timeout(50)  # Playwright runs route handlers only while it is called
        return len(held)

    poll(routed, lambda n: n == 1)

    # When he signs out while the browser is still subscribing, then the key arrives
    bob.get_by_role("button", name="Profile: Bob Baker").click()
    bob.get_by_role("button", name="Sign out").click()
    expect(bob.get_by_role("button", name="Sign in")).to_be_visible()
    held[0].fulfill(json={"public_key": VAPID_PUBLIC_KEY})

    # Then the sign-in that follows (on the same page: the first subscribe's code still
    # runs) registers the browser once: the subscribe begun before the sign-out, nothing
    bob.get_by_role("textbox", name="Username").fill("bob")
    bob.get_by_role("textbox", name="Password").fill(user(stack, "bob")["password"])
    bob.get_by_role("button", name="Sign in").click()
    expect(bob.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    device_id = bob.evaluate("() => localStorage.getItem('texting.device')")
    poll(
        lambda: [d["device_id"] for d in api("bob").get("/devices").json()["items"]],
        lambda ids: device_id in ids,
    )
    assert len(registered) == 1, registered
    assert bob.evaluate("() => window.__push.subscribed - window.__push.unsubscribed") == 1


def test_a_push_shows_one_notification_per_conversation_unless_it_is_on_screen_and_a_click_opens_it(
    stack: Stack,
    api: Callable[[str | None], Api],
    new_context: Callable[[], BrowserContext],
) -> None:
    # Given bob's app, notifications allowed, with the app badge recorded
    first = im_with_message(api, stack, f"Push one {uuid.uuid4().hex[:6]}")
    carol = user(stack, "carol")["user_id"]
    created = api("alice").post(
        "/conversations", {"type": "im", "members": [user(stack, "bob")["user_id"], carol]}
    )
    assert created.status_code in (200, 201), created.text
    group = created.json()["id"]
    context = new_context()
    context.grant_permissions(["notifications"], origin=origin_of(stack))
    context.add_init_script(
        "window.__badges = []; navigator.setAppBadge = async (n) => { window.__badges.push(n); };"
        "navigator.clearAppBadge = async () => { window.__badges.push(0); };"
    )
    bob = sign_in(context.new_page(), stack, "bob")
    worker = worker_of(context, bob)
    devtools = PushDevTools(context, bob, origin_of(stack))

    # The app badge follows the unread count
    unread = bob.evaluate("() => window.__badges.at(-1)")
    api("alice").post(
        f"/conversations/{first}/messages", {"client_id": str(uuid.uuid4()), "text": "badge me"}
    )
    bob.wait_for_function("(before) => window.__badges.at(-1) === before + 1", arg=unread)

    # When bob has the first conversation open and pushes arrive for it and for the group
    conversation_row(bob, "Alice Admin").first.click()
    expect(bob.get_by_role("log").get_by_text("badge me")).to_be_visible()
    devtools.push(payload(first, "on screen already"))
    devtools.push(payload(group, "first in the group"))
    devtools.push(payload(group, "second in the group", silent=True))

    # Then one notification shows, the group's latest (its tag, silent as pushed);
    # none for the conversation on screen
    shown = poll(
        lambda: notifications(worker),
        lambda ns: any(n["body"] == "second in the group" for n in ns),
    )
    assert [n["body"] for n in shown] == ["second in the group"], shown
    assert shown[0]["tag"] == f"conversation-{group}"
    assert shown[0]["silent"] is True
    assert shown[0]["data"]["conversation_id"] == group
    # the server's root-relative url opens in the app's own scope (here /app/)
    assert shown[0]["data"]["url"] == f"{stack['web_url']}#/conversations/{group}"

    # When the notification is clicked (the worker's own click handler, event made here)
    worker.evaluate(
        """async (tag) => {
            const [notification] = await self.registration.getNotifications({ tag });
            try {
              self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
            } catch (error) { /* a made-up event may not waitUntil: the handler has run */ }
        }""",
        f"conversation-{group}",
    )

    # Then the open window shows that conversation, and the notification is gone
    expect(bob.get_by_role("region", name=re.compile("^Conversation with"))).to_contain_text(
        "Carol"
    )
    poll(lambda: notifications(worker), lambda ns: ns == [])

    # When a message leaves a notification shown and an unread count, and bob signs out
    devtools.push(payload(first, "still shown at sign-out"))  # (the group is on screen)
    poll(lambda: notifications(worker), lambda ns: len(ns) == 1)
    api("alice").post(
        f"/conversations/{first}/messages", {"client_id": str(uuid.uuid4()), "text": "unread"}
    )
    expect(bob).to_have_title(re.compile(r"^\(\d+\) Texting$"))
    bob.get_by_role("button", name="Profile: Bob Baker").click()
    bob.get_by_role("button", name="Sign out").click()
    expect(bob.get_by_role("button", name="Sign in")).to_be_visible()

    # Then nothing of his stays: no notification, no count in the title or on the icon
    poll(lambda: notifications(worker), lambda ns: ns == [])
    expect(bob).to_have_title("Texting")
    bob.wait_for_function("() => window.__badges.at(-1) === 0")

    # and a push still on its way is dropped: signed in again, only the next one shows
    devtools.push(payload(first, "after sign-out"))
    sign_in(bob, stack, "bob")
    devtools.push(payload(group, "signed in again"))
    shown = poll(
        lambda: notifications(worker),
        lambda ns: any(n["body"] == "signed in again" for n in ns),
    )
    assert [n["body"] for n in shown] == ["signed in again"], shown


def test_on_an_iphone_the_home_screen_hint_shows_until_dismissed(
    stack: Stack, browser: Browser
) -> None:
    # Given Safari on an iPhone (not from the Home Screen)
    context = browser.new_context(
        viewport=PHONE, user_agent=IPHONE_UA, is_mobile=True, has_touch=True
    )
    try:
        page = sign_in(context.new_page(), stack, "bob")

        # Then the app says how to get notifications, instead of offering them
        hint = page.get_by_role("complementary", name="Notifications on this device")
        expect(hint).to_contain_text("Add to Home Screen")
        expect(page.get_by_role("button", name="Enable notifications")).to_have_count(0)
        no_horizontal_scroll(page, "Home Screen hint")
        screenshot(page, "phone-home-screen-hint")
        assert_accessible(page, "Home Screen hint")

        # When it is dismissed, it stays dismissed
        hint.get_by_role("button", name="Dismiss").click()
        expect(hint).to_have_count(0)
        page.reload()
        expect(page.get_by_role("list", name="Conversations")).to_be_visible()
        expect(
            page.get_by_role("complementary", name="Notifications on this device")
        ).to_have_count(0)
    finally:
        context.close()


# -- the phone layout -----------------------------------------------------------------------


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_screen_fits_the_width_and_passes_axe(
    size: str,
    stack: Stack,
    api: Callable[[str | None], Api],
    browser: Browser,
) -> None:
    viewport = PHONE if size == "phone" else DESKTOP
    text = f"Layout check {uuid.uuid4().hex[:6]}"
    im_with_message(api, stack, text)
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()

        def check(screen: str) -> None:
            no_horizontal_scroll(page, f"{screen} ({size})")
            screenshot(page, f"{size}-{screen}")
            assert_accessible(page, f"{screen} ({size})")

        page.goto(stack["web_url"])
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        check("sign-in")
        sign_in(page, stack, "bob")

        # the conversation list
        expect(conversation_row(page, "Alice Admin").first).to_be_visible()
        check("conversations")

        # a conversation: on a phone the list gives way to it, with a way back
        conversation_row(page, "Alice Admin").first.click()
        expect(page.get_by_role("log").get_by_text(text)).to_be_visible()
        back = page.get_by_role("button", name="Back to conversations")
        if size == "phone":
            expect(page.get_by_role("list", name="Conversations")).to_be_hidden()
            expect(back).to_be_visible()
        else:
            expect(page.get_by_role("list", name="Conversations")).to_be_visible()
            expect(back).to_be_hidden()
        check("conversation")
        if size == "phone":
            back.click()
            expect(page.get_by_role("list", name="Conversations")).to_be_visible()
            expect(page.get_by_role("log")).to_have_count(0)
            # the browser's Back does the same
            conversation_row(page, "Alice Admin").first.click()
            expect(page.get_by_role("log")).to_be_visible()
            page.go_back()
            expect(page.get_by_role("list", name="Conversations")).to_be_visible()

        # a new conversation
        page.get_by_role("button", name="New conversation", exact=True).click()
        page.get_by_role("textbox", name="To").fill("Carol")
        check("new-conversation")

        # the search box stays reachable
        search = page.get_by_role("searchbox", name="Search")
        expect(search).to_be_in_viewport()
        search.fill("Layout check")
        expect(page.get_by_role("list", name="Search results")).to_be_visible()
        check("search")
        search.press("Escape")

        # the profile panel
        page.get_by_role("button", name="Profile: Bob Baker").click()
        expect(page.get_by_role("region", name="Profile")).to_be_visible()
        check("profile")
    finally:
        context.close()


def test_on_a_phone_the_header_and_the_missed_notice_leave_the_conversation_the_screen(
    stack: Stack, api: Callable[[str | None], Api], browser: Browser
) -> None:
    # Given messages to frank while none of his devices was connected
    grace = api("grace")
    created = grace.post(
        "/conversations", {"type": "im", "members": [user(stack, "frank")["user_id"]]}
    )
    assert created.status_code in (200, 201), created.text
    text = f"Phone layout {uuid.uuid4().hex[:6]}"
    for body in ("Are you in today?", text):
        sent = grace.post(
            f"/conversations/{created.json()['id']}/messages",
            {"client_id": str(uuid.uuid4()), "text": body},
        )
        assert sent.status_code in (200, 201), sent.text

    # When he signs in on a phone and opens the conversation
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = sign_in(context.new_page(), stack, "frank")
        notice = page.get_by_role("status").filter(has_text=re.compile(r"\d+ missed messages?"))
        expect(notice).to_be_visible()
        conversation_row(page, "Grace Green").first.click()
        expect(page.get_by_role("log").get_by_text(text)).to_be_visible()

        # Then the header and the notice, one line each, take at most a fifth of the height
        header = page.locator("header.topbar").bounding_box()
        banner = notice.bounding_box()
        assert header and banner
        assert banner["height"] <= 40, f"the notice is not one line: {banner}"
        share = (header["height"] + banner["height"]) / PHONE["height"]
        assert share <= 0.20, (
            f"header {header['height']}px + notice {banner['height']}px = {share:.0%}"
        )
        no_horizontal_scroll(page, "conversation with the missed notice (phone)")
        # the notice puts its counts first (a large text cuts only its end) and keeps the
        # whole sentence as its title
        expect(notice.locator(".missed-text")).to_have_attribute(
            "title", re.compile(r"^2 missed messages in 1 conversation while you were away\.$")
        )
        # connecting and connected differ by the mark's shape, not its colour alone
        marks = page.evaluate(
            """() => ["connecting", "online"].map((state) => {
                const mark = document.createElement("span");
                mark.className = `connection ${state}`;
                document.querySelector("header.topbar").append(mark);
                const shape = getComputedStyle(mark, "::before").content;
                mark.remove();
                return shape;
            })"""
        )
        assert marks[0] != marks[1], f"connecting and connected look alike but for colour: {marks}"
        # every control of the header is there by its name, and the search box opens in place
        for role, name in (("combobox", "Status"), ("button", "Profile: Frank Fox")):
            expect(page.get_by_role(role, name=name)).to_be_in_viewport()  # type: ignore[arg-type]
        expect(page.get_by_role("button", name="Back to conversations")).to_be_in_viewport()
        screenshot(page, "phone-missed-messages")
        assert_accessible(page, "conversation with the missed notice, phone")
        search = page.get_by_role("searchbox", name="Search")
        expect(search).to_be_in_viewport()
        search.fill("Phone layout")
        box = search.bounding_box()
        assert box and box["width"] >= PHONE["width"] / 2, f"the search box stays folded: {box}"
        no_horizontal_scroll(page, "search open (phone)")
        # a tap on a result opens it: the box keeps the focus while the finger is down
        # (Safari never focuses a tapped button, and the folded search would close first)
        hit = page.get_by_role("list", name="Search results").get_by_role("button").first
        expect(hit).to_be_visible()
        spot = hit.bounding_box()
        assert spot
        page.mouse.move(spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2)
        page.mouse.down()
        assert page.evaluate("document.activeElement?.type") == "search"
        page.mouse.up()
        expect(page.get_by_role("list", name="Search results")).to_have_count(0)
        expect(page.get_by_role("log").get_by_text(text)).to_be_visible()
        search.press("Escape")
        page.get_by_role("log").click()

        # and the notice goes when dismissed
        notice.get_by_role("button", name="Dismiss").click()
        expect(notice).to_have_count(0)
    finally:
        context.close()


# -- a new build ------------------------------------------------------------------------------


@contextlib.contextmanager
def serving(dist: Path) -> Iterator[str]:
    """``dist`` served as the local stack serves the client (``local.web``), on a port of
    its own: the app's URL. The API is not there; the sign-in page needs none."""
    from aiohttp import web

    from local.web import client_config, register_web

    loop = asyncio.new_event_loop()
    app = web.Application()
    config = client_config(
        rest_url="http://127.0.0.1:9",
        ws_url="ws://127.0.0.1:9/ws",
        region="us-east-1",
        cognito={"user_pool_id": "us-east-1_x", "client_id": "x"},
        cognito_endpoint="http://127.0.0.1:9",
    )
    path = register_web(app, config, dist)
    runner = web.AppRunner(app)
    # its own loop in its own thread: Playwright's sync API runs one in this thread
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


def test_a_new_build_is_offered_and_replaces_the_old_shell_and_its_cache(
    browser: Browser, tmp_path: Path
) -> None:
    # Given the app opened once: its worker controls the page, its shell cached
    dist = tmp_path / "dist"
    shutil.copytree(DIST.parent, dist)
    with serving(dist) as url:
        context = browser.new_context(viewport=DESKTOP)
        try:
            page = context.new_page()
            page.goto(url)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            page.wait_for_function("() => !!navigator.serviceWorker.controller")
            # and a second window of the app, on the same build
            other = context.new_page()
            other.goto(url)
            other.wait_for_function("() => !!navigator.serviceWorker.controller")
            other.evaluate("() => { window.__oldBuild = true; }")
            (old,) = page.evaluate("caches.keys()")
            assert old.startswith("shell-")

            # When a new build is deployed (a new worker version) and the browser checks
            worker = dist / "sw.js"
            source = worker.read_text()
            newer = re.sub(r'const VERSION = "[^"]+"', 'const VERSION = "next-build"', source)
            assert newer != source
            worker.write_text(newer)
            page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")

            # Then the page offers it, and taking it reloads into the new build
            update = page.get_by_role("button", name="Reload to update")
            expect(update).to_be_visible()
            assert old in page.evaluate("caches.keys()")  # the running build keeps its shell
            with page.expect_navigation():
                update.click()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible()
            expect(update).to_have_count(0)
            # the other window reloads into it too (its old build's chunks are gone)
            other.wait_for_function("() => window.__oldBuild === undefined")
            expect(other.get_by_role("button", name="Sign in")).to_be_visible()
            # and only the new build's cache is left
            poll(lambda: page.evaluate("caches.keys()"), lambda keys: keys == ["shell-next-build"])
        finally:
            context.close()
