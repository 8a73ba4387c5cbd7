"""The admin pages: numbers and assignments, the per-user SMS switch, usage per day."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e


def test_admin_assigns_numbers_switches_sms_and_sees_usage(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
) -> None:
    alice = signed_in("alice")
    admin = api("alice")
    alices_line = user(stack, "alice")["numbers"][0]
    dave = user(stack, "dave")

    alice.get_by_role("link", name="Admin").click()
    numbers = alice.get_by_role("region", name="Numbers and assignments")
    row = numbers.get_by_role("row").filter(has=alice.get_by_role("rowheader", name=alices_line))
    expect(row.get_by_role("listitem").filter(has_text="Alice Admin")).to_have_count(1)
    shared = next(n for n in stack["numbers"] if len(n["users"]) > 1)["e164"]
    shared_row = numbers.get_by_role("row").filter(has=alice.get_by_role("rowheader", name=shared))
    expect(shared_row.get_by_role("listitem")).to_have_text(
        ["Bob Baker Unassign", "Carol Chen Unassign"]
    )

    # Assign dave to alice's line, then take him off again
    row.get_by_role("combobox", name=f"User to assign to {alices_line}").select_option(
        label="Dave Diaz"
    )
    row.get_by_role("button", name="Assign", exact=True).click()
    assignees = row.get_by_role("listitem")
    expect(assignees.filter(has_text="Dave Diaz")).to_have_count(1)

    def assigned() -> list[str]:
        items = admin.get("/admin/numbers").json()["items"]
        return next(n["users"] for n in items if n["e164"] == alices_line)

    assert dave["user_id"] in assigned()
    row.get_by_role("button", name=f"Unassign Dave Diaz from {alices_line}").click()
    expect(assignees.filter(has_text="Dave Diaz")).to_have_count(0)
    expect(assignees.filter(has_text="Alice Admin")).to_have_count(1)
    assert dave["user_id"] not in assigned()

    # The per-user SMS switch
    switch = alice.get_by_role("checkbox", name="SMS enabled for Dave Diaz")
    switch.uncheck()
    expect(alice.get_by_role("status").filter(has_text="Dave Diaz updated.")).to_be_visible()
    expect(switch).not_to_be_checked()
    sms_enabled_becomes(admin, dave["user_id"], False)
    switch.check()
    expect(alice.get_by_role("status").filter(has_text="Dave Diaz updated.")).to_be_visible()
    # the same notice was already showing: the API is what tells the change landed
    sms_enabled_becomes(admin, dave["user_id"], True)
    alice.reload()  # what the page shows comes from the server, not from the click
    expect(alice.get_by_role("checkbox", name="SMS enabled for Dave Diaz")).to_be_checked()

    # Usage per day, as a chart
    expect(
        alice.get_by_role("img", name=re.compile(r"Segments per day from \d{4}-\d\d-\d\d"))
    ).to_be_visible()
    screenshot(alice, "admin")
    assert_accessible(alice, "admin")


def sms_enabled_becomes(admin: Api, user_id: str, value: bool, seconds: float = 30.0) -> None:
    """Poll the directory until the user's SMS switch reads ``value`` (or fail)."""
    deadline = time.monotonic() + seconds
    while admin.get(f"/directory/{user_id}").json()["sms_enabled"] is not value:
        assert time.monotonic() < deadline, f"sms_enabled never became {value}"
        time.sleep(0.2)
