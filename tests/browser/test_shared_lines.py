"""Two people on a shared business line, in two browsers, against the local stack.

Demo data (local/demo.py): bob and carol both answer +14155550101. Bob is at a desk
(1280x800), carol on a phone (375x812). A simulated phone texts the line; both see the
conversation under ``Unassigned``; carol takes it, bob sees the owner change live and
the conversation leave his ``Unassigned`` view; carol's typing warns bob that she is
replying; bob's note reaches carol as a note and never the customer; his labels show on
carol's phone. Every wait is Playwright's auto-wait or ``expect`` with a deadline, or a
poll with one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_employee_app import poll
from tests.browser.test_installable_app import no_horizontal_scroll
from tests.e2e.clients import Api, Stack, user
from tests.e2e.test_sms import inbox, phone_sends

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 812}


def row(page: Page, customer: str) -> Locator:
    """The customer's conversation in the list (as it is filtered by the current view)."""
    return (
        page.get_by_role("list", name="Conversations")
        .get_by_role("listitem")
        .filter(has_text=customer)
    )


def show(page: Page, view: str) -> None:
    """Press one of the shared line's list views (Mine / Unassigned / All)."""
    button = page.get_by_role("group", name="Shared line views").get_by_role(
        "button", name=view, exact=True
    )
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_two_people_on_a_shared_line_see_the_owner_the_collision_warning_notes_and_labels(
    stack: Stack,
    api: ApiFactory,
    signed_in: Callable[[str], Page],
) -> None:
    line = user(stack, "bob")["numbers"][0]
    assert line in user(stack, "carol")["numbers"]  # the demo's shared line
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    question = f"Can someone look at my boiler? ({uuid.uuid4().hex[:6]})"

    # Given bob at a desk and carol on a phone, both on the line
    bob = signed_in("bob")
    bob.set_viewport_size(DESKTOP)
    carol = signed_in("carol")
    carol.set_viewport_size(PHONE)

    # When a customer texts the line, both see it under Unassigned
    phone_sends(stack, customer, line, question)
    for page in (bob, carol):
        show(page, "Unassigned")
        expect(row(page, customer)).to_be_visible()
    conversation_id = poll(
        lambda: [
            c["id"]
            for c in api("bob").get("/conversations", params={"view": "unassigned"}).json()["items"]
            if c.get("external_number") == customer
        ],
        lambda found: len(found) == 1,
    )[0]

    # Bob opens it (the list stays beside the thread on a desk)
    row(bob, customer).click()
    expect(bob.get_by_role("log").get_by_text(question)).to_be_visible()
    expect(bob.get_by_role("status").filter(has_text="Unassigned")).to_be_visible()

    # Carol takes it on her phone
    row(carol, customer).click()
    expect(carol.get_by_role("log").get_by_text(question)).to_be_visible()
    carol.get_by_role("combobox", name="Assign to").select_option(label="Me")
    expect(carol.get_by_role("status").filter(has_text="Assigned to you")).to_be_visible()

    # Bob sees the owner change live, and the conversation leave his Unassigned view
    expect(bob.get_by_role("status").filter(has_text="Assigned to Carol Chen")).to_be_visible()
    expect(bob.get_by_role("combobox", name="Assign to")).to_have_value(
        user(stack, "carol")["user_id"]
    )
    expect(row(bob, customer)).to_have_count(0)
    show(bob, "All")
    expect(row(bob, customer)).to_contain_text("Carol Chen")
    show(bob, "Unassigned")
    expect(row(bob, customer)).to_have_count(0)
    mine = api("carol").get("/conversations", params={"view": "mine"}).json()["items"]
    assert conversation_id in [c["id"] for c in mine]

    # Carol starts typing a reply: bob is warned she is replying
    reply = "Yes, a plumber can come at 3 pm."
    carol.get_by_role("textbox", name="Message").press_sequentially("Yes, a plumber")
    expect(bob.get_by_role("status").filter(has_text="⚠ Carol Chen is replying")).to_be_visible()

    # Bob adds a note: carol sees it as a note from him
    note = f"Customer had a leak last winter too ({uuid.uuid4().hex[:6]})"
    note_toggle = bob.get_by_role("button", name="Note", exact=True)
    note_toggle.click()
    expect(note_toggle).to_have_attribute("aria-pressed", "true")
    bob.get_by_role("textbox", name="Note", exact=True).fill(note)
    bob.get_by_role("button", name="Add note").click()
    expect(bob.get_by_role("textbox", name="Note", exact=True)).to_have_value("")
    for page in (bob, carol):
        shown = (
            page.get_by_role("log").get_by_role("article", name="Note from").filter(has_text=note)
        )
        expect(shown).to_be_visible()
        expect(shown).to_contain_text("Note")
    # its author sees no delivery status on it: it was never texted to anyone
    own_note = bob.get_by_role("log").get_by_role("article", name="Note from You")
    expect(own_note.filter(has_text=note)).to_contain_text("Not sent to the customer")
    expect(own_note.filter(has_text=note)).not_to_contain_text("Sent")
    expect(own_note.filter(has_text=note)).not_to_contain_text("✓")

    # Bob labels it: the labels show on carol's phone
    bob.get_by_role("textbox", name="Labels").fill("boiler, urgent")
    bob.get_by_role("button", name="Save labels").click()
    expect(bob.get_by_label("Labels: boiler, urgent")).to_be_visible()
    expect(carol.get_by_label("Labels: boiler, urgent")).to_be_visible()
    expect(carol.get_by_role("textbox", name="Labels")).to_have_value("boiler, urgent")
    assert api("carol").get(f"/conversations/{conversation_id}").json()["labels"] == [
        "boiler",
        "urgent",
    ]

    # Carol sends her reply; it reaches the phone from the line, and the note never does
    carol.get_by_role("textbox", name="Message").fill(reply)
    carol.get_by_role("button", name="Send").click()
    expect(bob.get_by_role("log").get_by_text(reply)).to_be_visible()
    got = poll(lambda: inbox(stack, customer), lambda m: any(x["text"] == reply for x in m))
    assert [m["from"] for m in got if m["text"] == reply] == [line]
    assert not [m for m in got if note in m["text"]], got

    # Both screens read well at their sizes
    no_horizontal_scroll(carol, "shared line, phone")
    screenshot(bob, "shared-line-desktop")
    assert_accessible(bob, "shared line, 1280x800")
    thread = carol.get_by_role("region", name=f"Conversation with {customer}")
    thread.evaluate("el => el.scrollTo(0, 0)")  # the head, the owner and the labels
    screenshot(carol, "shared-line-phone")
    assert_accessible(carol, "shared line, 375x812")
