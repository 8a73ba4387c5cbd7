"""The agent console and the supervisor page in a real browser against the local stack.

Demo data (local/demo.py): the channel +14155550180 feeds the Support queue; ann is a
Support agent, sam the supervisor. A simulated phone texts the channel. Every wait is
Playwright's auto-wait or ``expect`` with a deadline, or a poll with one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_employee_app import poll
from tests.e2e.clients import Api, Stack
from tests.e2e.test_sms import inbox, phone_sends

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
CANNED = "Thanks {customer_name}, a plumber is on the way."


def a_customer() -> str:
    return f"+1415555{uuid.uuid4().int % 9000 + 1000}"


def open_page(page: Page, label: str, heading: str) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()


NOW_COLUMNS = [
    "Waiting",
    "Longest wait",
    "Agents available",
    "Busy (full)",
    "Away",
    "Open interactions",
    "Offers timed out today",
    "Service level today",
]


def figure(page: Page, queue: str, label: str):
    """One live figure of a queue: its cell in the supervisor page's "Now" table."""
    table = page.get_by_role("table", name="Now")
    expect(table.get_by_role("columnheader").nth(NOW_COLUMNS.index(label) + 1)).to_have_text(label)
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=queue, exact=True))
    return row.get_by_role("cell").nth(NOW_COLUMNS.index(label))


def test_agent_is_offered_a_text_with_screen_pop_accepts_replies_by_shortcut_ends_and_texts_out(
    stack: Stack,
    api: ApiFactory,
    signed_in: Callable[[str], Page],
) -> None:
    center = stack["contact_center"]
    channel = center["channels"][0]["e164"]
    customer = a_customer()
    admin = "alice"  # the demo company's admin
    put = api(admin).session.put(
        f"{stack['rest_url']}/admin/contact-center/canned-responses/plumber",
        json={"shortcut": "plumber", "title": "Plumber on the way", "text": CANNED},
        timeout=30,
    )
    assert put.status_code == 200, put.text
    # replies limited to one queue reach its agents only: the channel's queue, another
    own = center["channels"][0]["queue_id"]
    other = next(q["queue_id"] for q in center["queues"] if q["queue_id"] != own)
    for desk, queue_id in (("this", own), ("other", other)):
        limited = api(admin).session.put(
            f"{stack['rest_url']}/admin/contact-center/canned-responses/plumber-{desk}",
            json={
                "shortcut": f"plumb{desk}",
                "title": f"Plumber, {desk} desk",
                "text": "A plumber calls you today.",
                "queues": [queue_id],
            },
            timeout=30,
        )
        assert limited.status_code == 200, limited.text

    # Given ann in the agent console, available
    ann = signed_in("ann")
    open_page(ann, "Agent console", "Agent console")
    ann.get_by_label("Agent status").select_option("available")
    poll(lambda: api("ann").get("/agent").json()["status"], lambda s: s == "available")
    expect(ann.get_by_text("Waiting for the next customer")).to_be_visible()
    assert_accessible(ann, "agent console, waiting")

    # When a phone texts the channel, ann is offered it: a countdown and the screen pop
    phone_sends(stack, customer, channel, "My boiler is leaking")
    offer = ann.get_by_role("region", name=f"Offer from {customer}")
    expect(offer).to_be_visible()
    timer = offer.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^\d+ s$"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first)  # it counts down
    record = offer.get_by_role("group", name="Customer record")
    expect(record).to_contain_text(customer)
    expect(record).to_contain_text("Open cases (0)")
    expect(record).to_contain_text("History (0)")
    expect(offer.get_by_role("button", name="Reject")).to_be_enabled()
    screenshot(ann, "agent-offer")
    assert_accessible(ann, "agent console, offer")

    # Accept: the interaction opens with the customer's text
    offer.get_by_role("button", name="Accept").click()
    card = ann.get_by_role("region", name=f"Interaction with {customer}")
    expect(card).to_be_visible()
    expect(offer).to_have_count(0)
    expect(card.get_by_role("log")).to_contain_text("My boiler is leaking")

    # A canned reply by its shortcut (Enter takes the first match), then Enter sends
    box = card.get_by_role("textbox", name=f"Reply to {customer}")
    box.fill("/plumb")
    picker = card.get_by_role("list", name="Canned replies")
    expect(picker).to_contain_text("Plumber on the way")
    expect(picker).to_contain_text("Plumber, this desk")  # the interaction's queue
    expect(picker).not_to_contain_text("Plumber, other desk")  # another queue's
    box.press("Enter")
    reply = "Thanks there, a plumber is on the way."  # the customer has no name yet
    expect(box).to_have_value(reply)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(card.get_by_role("log")).to_contain_text(reply)
    got = poll(lambda: inbox(stack, customer), lambda m: any(x["text"] == reply for x in m))
    assert [m["from"] for m in got if m["text"] == reply] == [channel]

    # The customer answers: it shows live
    phone_sends(stack, customer, channel, "Great, thank you!")
    expect(card.get_by_role("log")).to_contain_text("Great, thank you!")

    # A second customer meanwhile: both interactions side by side, within her cap
    second = a_customer()
    phone_sends(stack, second, channel, "Is my invoice ready?")
    ann.get_by_role("region", name=f"Offer from {second}").get_by_role(
        "button", name="Accept"
    ).click()
    card2 = ann.get_by_role("region", name=f"Interaction with {second}")
    expect(card2.get_by_role("log")).to_contain_text("Is my invoice ready?")
    expect(card).to_be_visible()
    expect(ann.get_by_text(re.compile(r"^2 of \d+ interactions"))).to_be_visible()
    first_box, second_box = card.bounding_box(), card2.bounding_box()
    assert first_box and second_box and first_box["y"] == second_box["y"]  # side by side,
    assert first_box["x"] < second_box["x"]  # the earlier one first
    screenshot(ann, "agent-console")
    assert_accessible(ann, "agent console, two active interactions")
    card2.get_by_role("button", name="End interaction").click()
    expect(card2).to_have_count(0)

    # End with a disposition and notes: the customer record then shows the case
    interaction_id = next(
        i["id"]
        for i in api("ann").get("/interactions").json()["items"]
        if i["customer"]["phone"] == customer
    )
    card.get_by_label("Disposition").select_option("follow_up")
    card.get_by_label("Notes").fill("Boiler part ordered")
    card.get_by_role("button", name="End interaction").click()
    expect(card).to_have_count(0)
    expect(ann.get_by_role("status").filter(has_text="Ended the interaction")).to_be_visible()
    lookup = ann.get_by_role("region", name="Customer lookup")
    expect(lookup.get_by_role("group", name="Customer record")).to_contain_text("Open cases (1)")
    expect(lookup).to_contain_text(f"SMS on {channel}")
    expect(lookup).to_contain_text("follow_up")
    assert_accessible(ann, "agent console, customer record after the end")
    ended = api("ann").get(f"/interactions/{interaction_id}").json()
    assert (ended["state"], ended["disposition"], ended["notes"]) == (
        "ended",
        "follow_up",
        "Boiler part ordered",
    )
    found = api("ann").get("/customers", params={"phone": customer}).json()["items"][0]
    case = next(c for c in found["cases"] if c["id"] == ended["case_id"])
    assert [t["interaction_id"] for t in case["transcripts"]] == [interaction_id]

    # An outbound text: channel, estimated cost while typing; it opens an interaction
    # whose screen pop shows the case and the history just made
    outbound = ann.get_by_role("form", name="Outbound text")
    expect(outbound.get_by_label("Channel")).to_have_value(channel)
    outbound.get_by_label("Customer number").fill(customer[:5])  # still being typed
    outbound.get_by_label("Text").fill("Your part arrives tomorrow")
    cost = re.compile(r"1 segment · GSM-7 · est\. [\d.]+ USD")
    expect(outbound.locator("#ob-cost")).to_contain_text(cost)
    outbound.get_by_label("Customer number").fill(customer)
    expect(outbound.locator("#ob-cost")).to_contain_text(cost)
    outbound.get_by_role("button", name="Send text").click()
    card = ann.get_by_role("region", name=f"Interaction with {customer}")
    expect(card).to_be_visible()
    expect(card.get_by_role("group", name="Customer record")).to_contain_text("Open cases (1)")
    expect(card.get_by_role("group", name="Customer record")).to_contain_text("History (1)")
    expect(card.get_by_role("log")).to_contain_text("Your part arrives tomorrow")
    assert_accessible(ann, "agent console, outbound interaction")
    poll(
        lambda: inbox(stack, customer),
        lambda m: any(x["text"] == "Your part arrives tomorrow" for x in m),
    )

    # Transfer it to Sales: it leaves ann's console and waits in that queue
    outbound_id = next(
        i["id"]
        for i in api("ann").get("/interactions").json()["items"]
        if i["customer"]["phone"] == customer
    )
    card.get_by_label("Transfer to").select_option(label="Sales")
    card.get_by_role("button", name="Transfer").click()
    expect(card).to_have_count(0)
    moved = api(admin).get(f"/interactions/{outbound_id}").json()
    assert moved["queue_id"] == "q-sales"
    assert moved["agent_id"] != api("ann").get("/agent").json()["agent_id"]

    # Reject: another customer's offer goes back to the queue, then ann goes offline
    other = a_customer()
    phone_sends(stack, other, channel, "Do you fix taps?")
    offer = ann.get_by_role("region", name=f"Offer from {other}")
    expect(offer.get_by_role("timer")).to_be_visible()
    offer.get_by_role("button", name="Reject").click()
    expect(offer).to_have_count(0)
    mine = [i["customer"]["phone"] for i in api("ann").get("/interactions").json()["items"]]
    assert other not in mine
    ann.get_by_label("Agent status").select_option("offline")
    poll(lambda: api("ann").get("/agent").json()["status"], lambda s: s == "offline")
    mine = [i["customer"]["phone"] for i in api("ann").get("/interactions").json()["items"]]
    assert other not in mine


def test_supervisor_sees_the_waiting_count_change_live_when_a_phone_texts(
    stack: Stack,
    api: ApiFactory,
    signed_in: Callable[[str], Page],
) -> None:
    center = stack["contact_center"]
    channel = center["channels"][0]["e164"]
    # Nobody takes Support's customers, so a new text waits
    for agent in center["agents"]:
        response = api(agent).session.put(
            f"{stack['rest_url']}/agent/status", json={"status": "offline"}, timeout=30
        )
        assert response.status_code == 200, response.text

    sam = signed_in(center["supervisors"][0])
    open_page(sam, "Queues", "Queues")
    waiting = figure(sam, "Support", "Waiting")
    expect(waiting).to_have_text(re.compile(r"^\d+$"))
    expect(figure(sam, "Support", "Agents available")).to_have_text("0")
    before = int(waiting.inner_text())
    # From here on the page may only learn through the WebSocket (queue.updated)
    sam.route("**/stats*", lambda route: route.abort())

    phone_sends(stack, a_customer(), channel, "Anyone there?")
    expect(waiting).to_have_text(str(before + 1))
    expect(figure(sam, "Support", "Longest wait")).not_to_have_text("0 s")
    expect(sam.get_by_role("region", name="Queue Sales")).to_be_visible()
    screenshot(sam, "supervisor")
    assert_accessible(sam, "supervisor")

    # An agent becoming available shows too, and the new customer is offered to her
    ann = center["agents"][0]
    status = {"status": "available"}
    response = api(ann).session.put(f"{stack['rest_url']}/agent/status", json=status, timeout=30)
    assert response.status_code == 200, response.text
    expect(figure(sam, "Support", "Agents available")).to_have_text("1")
    # (a customer she rejected a moment ago may stay waiting: not re-offered to her so soon)
    expect(waiting).not_to_have_text(str(before + 1))
    status = {"status": "offline"}
    response = api(ann).session.put(f"{stack['rest_url']}/agent/status", json=status, timeout=30)
    assert response.status_code == 200, response.text
