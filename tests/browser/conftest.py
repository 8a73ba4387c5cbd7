"""Browser fixtures: the local stack (as in tests/e2e), Debian's Chromium driven by Playwright.

The browser is the machine's own ``/usr/bin/chromium`` (``apt-get install chromium``),
never one Playwright downloads; without it these tests fail, they do not skip.
The web client must be built (``make web``: ``npm ci`` and a Vite build into
``web/dist``); ``make test`` builds it first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.clients import Stack, user
from tests.e2e.conftest import api, stack, tokens  # noqa: F401  (the same local stack fixtures)

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = REPO_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DIST = REPO_ROOT / "web" / "dist" / "index.html"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
TIMEOUT_MS = 30_000  # a slow shared 2-core machine: generous, but every wait has a deadline

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it as root)"
        )
    if not DIST.exists():
        pytest.fail(f"{DIST} is missing: build the web client with `make web`")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make web` installs it (npm ci in web/)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """``new_context()``: a fresh browser profile (its own storage), closed after the test."""
    opened: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport={"width": 1200, "height": 760})
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def sign_in(page: Page, state: Stack, username: str, timeout_ms: float = TIMEOUT_MS) -> Page:
    """Open the web client and sign in with the demo user's password, as a person would."""
    page.goto(state["web_url"])
    page.get_by_role("textbox", name="Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(user(state, username)["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("list", name="Conversations")).to_be_visible(timeout=timeout_ms)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible(
        timeout=timeout_ms
    )
    return page


@pytest.fixture
def signed_in(
    stack: Stack,  # noqa: F811
    new_context: Callable[[], BrowserContext],
) -> Callable[[str], Page]:
    """``signed_in(username)``: a page of the web client in a new context, signed in."""

    def make(username: str) -> Page:
        return sign_in(new_context().new_page(), stack, username)

    return make


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def assert_accessible(page: Page, screen: str) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {screen}: {json.dumps(serious, indent=1)}"
