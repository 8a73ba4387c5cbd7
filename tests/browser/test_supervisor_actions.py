"""A supervisor's actions on a live interaction in a real browser against the local stack.

Demo data (local/demo.py): the channel +14155550180 feeds the Support queue, whose
agents are ann and ben; sam supervises every queue. A simulated phone texts the
channel; ann takes the text, sam monitors it from the Queues page, whispers to ann
(the first answer lost on its way back: sending again posts it once), moves it to
ben and sets ann away. Every wait is Playwright's auto-wait or ``expect``
with a deadline, or a poll with one.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_contact_center import a_customer, open_page
from tests.browser.test_employee_app import poll
from tests.e2e.clients import Api, Stack
from tests.e2e.test_sms import inbox, phone_sends

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def set_status(stack: Stack, api: ApiFactory, agent: str, status: str) -> None:
    """The agent's own status change (PUT /agent/status), as their console makes it."""
    response = api(agent).session.put(
        f"{stack['rest_url']}/agent/status", json={"status": status}, timeout=30
    )
    assert response.status_code == 200, response.text


def status_of(api: ApiFactory, agent: str) -> str:
    return str(api(agent).get("/agent").json()["status"])


def open_console(page: Page) -> None:
    open_page(page, "Agent console", "Agent console")


def accept_offer(page: Page, customer: str):
    """Accept the offer of ``customer``'s text in the agent console; its card."""
    offer = page.get_by_role("region", name=f"Offer from {customer}")
    offer.get_by_role("button", name="Accept").click()
    card = page.get_by_role("region", name=f"Interaction with {customer}")
    expect(card).to_be_visible()
    expect(offer).to_have_count(0)
    return card


def test_supervisor_monitors_whispers_moves_to_a_named_agent_and_sets_an_agent_away(
    stack: Stack,
    api: ApiFactory,
    signed_in: Callable[[str], Page],
) -> None:
    center = stack["contact_center"]
    channel = center["channels"][0]["e164"]
    supervisor = center["supervisors"][0]
    ann, ben = "ann", "ben"  # both Support agents (local/demo.py)
    assert {ann, ben} <= set(center["agents"])
    customer = a_customer()
    note = "Offer the customer a free follow-up visit"
    try:
        # Given only ann takes Support's customers, in her console
        for agent in center["agents"]:
            set_status(stack, api, agent, "offline")
        ann_page = signed_in(ann)
        open_console(ann_page)
        ann_page.get_by_label("Agent status").select_option("available")
        poll(lambda: status_of(api, ann), lambda s: s == "available")

        # And a customer's text offered to her and accepted
        phone_sends(stack, customer, channel, "My sink is blocked")
        card = accept_offer(ann_page, customer)
        expect(card.get_by_role("log")).to_contain_text("My sink is blocked")
        interaction_id = next(
            i["id"]
            for i in api(ann).get("/interactions").json()["items"]
            if i["customer"]["phone"] == customer
        )

        # And ben in his console, available (after the offer, so the text went to ann)
        ben_page = signed_in(ben)
        open_console(ben_page)
        ben_page.get_by_label("Agent status").select_option("available")
        poll(lambda: status_of(api, ben), lambda s: s == "available")
        ben_id = api(ben).get("/agent").json()["agent_id"]

        # When sam, on the Queues page, monitors it
        sam = signed_in(supervisor)
        sam.set_viewport_size(DESKTOP)
        open_page(sam, "Queues", "Queues")
        live = sam.get_by_role("region", name="Live interactions in Support")
        live.get_by_role("button", name=f"Monitor {customer}").click()
        monitor = sam.get_by_role("region", name=f"Monitoring {customer}")
        transcript = monitor.get_by_role("log", name=f"Transcript with {customer}")
        expect(transcript).to_contain_text("My sink is blocked")

        # Then the transcript updates live when the customer texts again
        phone_sends(stack, customer, channel, "Water is coming up the drain")
        expect(transcript).to_contain_text("Water is coming up the drain")
        expect(card.get_by_role("log")).to_contain_text("Water is coming up the drain")

        # When sam sends ann a private note and its answer is lost on the way back
        # (stored, but the page sees a 503): the page says so and keeps the note
        sent: list[str] = []

        def lose_the_first_answer(route: Route) -> None:
            sent.append(json.loads(route.request.post_data or "{}").get("client_id", ""))
            answer = route.fetch()
            if len(sent) == 1:
                route.fulfill(
                    status=503, json={"error": {"code": "unavailable", "message": "lost"}}
                )
            else:
                route.fulfill(response=answer)

        sam.route("**/interactions/*/notes", lose_the_first_answer)
        monitor.get_by_role("textbox", name="Private note to the agent").fill(note)
        monitor.get_by_role("button", name="Send note").click()
        expect(monitor.get_by_role("alert")).to_be_visible()
        expect(monitor.get_by_role("textbox", name="Private note to the agent")).to_have_value(note)
        # Then sending it again posts it once: the same client_id, the first note back
        monitor.get_by_role("button", name="Send note").click()
        expect(monitor.get_by_role("textbox", name="Private note to the agent")).to_have_value("")
        sam.unroute("**/interactions/*/notes")
        assert len(sent) == 2 and sent[0] and sent[0] == sent[1], sent
        # (counted: a duplicate entry would still "contain" the text)
        notes_listed = monitor.get_by_role("list", name="Timeline").get_by_role("listitem")
        expect(notes_listed.filter(has_text=note)).to_have_count(1)
        whispers = card.get_by_role("list", name=f"Private notes on {customer}")
        expect(whispers.get_by_role("listitem").filter(has_text=note)).to_have_count(1)
        timeline = api(supervisor).get(f"/interactions/{interaction_id}").json()["timeline"]
        assert [e["text"] for e in timeline if e["kind"] == "note"] == [note]

        # And it never reaches the customer: ann's reply, sent after it, arrives alone
        reply = "A plumber is on the way."
        box = card.get_by_role("textbox", name=f"Reply to {customer}")
        box.fill(reply)
        box.press("Enter")
        expect(transcript).to_contain_text(reply)  # the monitor sees the agent's text too
        got = poll(lambda: inbox(stack, customer), lambda m: any(x["text"] == reply for x in m))
        assert all(note not in m["text"] for m in got), got
        # and by now every frame sent before the reply has arrived: still one entry each
        expect(notes_listed.filter(has_text=note)).to_have_count(1)
        expect(whispers.get_by_role("listitem").filter(has_text=note)).to_have_count(1)

        # The supervisor page with the live part passes axe at a desktop's and a phone's width
        monitor.scroll_into_view_if_needed()
        screenshot(sam, "supervisor-live-desktop")
        assert_accessible(sam, "supervisor page, monitoring, 1280x800")
        sam.set_viewport_size(PHONE)
        monitor.scroll_into_view_if_needed()
        box = monitor.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box  # fits
        screenshot(sam, "supervisor-live-phone")
        assert_accessible(sam, "supervisor page, monitoring, 375x812")
        sam.set_viewport_size(DESKTOP)

        # When sam moves it to ben by name: it leaves ann's console, ben is offered it
        row = live.get_by_role("listitem").filter(
            has=sam.get_by_role("button", name=f"Monitor {customer}")
        )  # other tests' customers may be listed too
        row.get_by_label(f"Move {customer} to").select_option(value=f"agent:{ben_id}")
        row.get_by_role("button", name="Move", exact=True).click()
        expect(card).to_have_count(0)
        ben_card = accept_offer(ben_page, customer)
        expect(ben_card.get_by_role("log")).to_contain_text("Water is coming up the drain")
        moved = api(supervisor).get(f"/interactions/{interaction_id}").json()
        assert (moved["state"], moved["agent_id"]) == ("active", ben_id)
        kinds = [e["kind"] for e in moved["timeline"]]
        assert "transfer" in kinds, kinds

        # When sam sets ann away with her status select: the API says so
        sam.get_by_label(f"Status of {ann}").select_option("away")
        poll(lambda: status_of(api, ann), lambda s: s == "away")
        expect(ann_page.get_by_label("Agent status")).to_have_value("away")
    finally:
        # Other tests share the stack: every agent touched goes back offline
        for agent in (ann, ben):
            set_status(stack, api, agent, "offline")
