"""The contact center set up from the admin page, in a real browser against the local
stack: the admin creates a queue, makes a new business number a channel of it and gives
an agent the queue; a simulated phone's text to that number then waits in that queue and
is offered to that agent. A value the API refuses shows the API's own message beside its
field. Every wait is Playwright's auto-wait, ``expect`` with a deadline, or a poll.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import REPO_ROOT, assert_accessible, screenshot
from tests.browser.test_contact_center import a_customer, figure, open_page
from tests.browser.test_employee_app import poll
from tests.e2e.clients import Api, Stack, user
from tests.e2e.test_sms import phone_sends

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
BAD_ZONE = "Mars/Olympus_Mons"  # the pattern of a zone name, but no zone: only the API knows


def a_business_number(stack: Stack, company_id: str) -> str:
    """A new business number of the company (the operator registers numbers, not admins)."""
    e164 = f"+1415555{uuid.uuid4().int % 800 + 200:04d}"  # 0200-0999: no demo number, no customer
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("AWS_SESSION_TOKEN", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.browser.seed_number",
            stack["aws_endpoint_url"],
            company_id,
            e164,
        ],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return e164


def set_status(stack: Stack, api: ApiFactory, username: str, status: str) -> None:
    response = api(username).session.put(
        f"{stack['rest_url']}/agent/status", json={"status": status}, timeout=30
    )
    assert response.status_code == 200, response.text


def test_admin_sets_up_a_queue_and_channel_and_a_phones_text_is_routed_through_them(
    stack: Stack,
    api: ApiFactory,
    signed_in: Callable[[str], Page],
) -> None:
    admin = api("alice")
    number = a_business_number(stack, user(stack, "alice")["company_id"])
    tag = uuid.uuid4().hex[:6]
    queue_id, queue_name = f"q-night-{tag}", f"Night shift {tag}"

    alice = signed_in("alice")
    alice.set_viewport_size({"width": 1280, "height": 800})
    alice.get_by_role("link", name="Admin").click()
    setup = alice.get_by_role("region", name="Contact center")
    queues = setup.get_by_role("region", name="Queues")
    expect(queues.get_by_role("rowheader", name="Support")).to_be_visible()

    # A new queue: a value the client's own checks refuse never reaches the API ...
    queues.get_by_role("button", name="New queue").focus()  # by keyboard: the form takes the focus
    alice.keyboard.press("Enter")
    form = queues.get_by_role("form", name="New queue")
    expect(form.get_by_role("heading", name="New queue")).to_be_focused()
    form.get_by_label("Queue ID").fill(queue_id)
    form.get_by_label("Name", exact=True).fill(queue_name)
    form.get_by_role("button", name="Add skill").click()
    skills = form.get_by_role("group", name="Required skills")
    skills.get_by_label("Skill 1", exact=True).fill("night")
    skills.get_by_label("Level of skill 1").select_option("2")
    form.get_by_label("Greeting").fill("You are number {position} in line.")
    form.get_by_label("Service-level threshold (seconds)").fill("30")
    timeout = form.get_by_label("Offer timeout (seconds)")
    timeout.fill("3")
    puts: list[str] = []

    def record(request: Request) -> None:
        if request.method == "PUT":
            puts.append(request.url)

    alice.on("request", record)
    timeout.press("Enter")  # submits the form, as Save queue does
    expect(timeout).to_have_accessible_description(
        "5 to 600 seconds offer_timeout_s must be a whole number from 5 to 600"
    )
    expect(timeout).to_have_attribute("aria-invalid", "true")
    expect(timeout).to_be_focused()
    assert puts == []

    # ... and one only the API can judge (its time-zone database) shows the API's message
    timeout.fill("45")
    zone = form.get_by_label("Time zone")
    zone.fill(BAD_ZONE)
    form.get_by_role("button", name="Save queue").click()
    refused = admin.session.put(
        f"{stack['rest_url']}/admin/contact-center/queues/{queue_id}",
        json={"name": queue_name, "timezone": BAD_ZONE},
        timeout=30,
    )
    assert refused.status_code == 400, refused.text
    message = refused.json()["error"]["message"]
    expect(alice.locator("#q-timezone-error")).to_have_text(message)
    expect(zone).to_have_accessible_description(f"An IANA name such as America/New_York {message}")
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(zone).to_be_focused()
    expect(timeout).not_to_have_attribute("aria-invalid", "true")
    assert queue_id not in [q["queue_id"] for q in admin.get("/queues").json()["items"]]
    form.scroll_into_view_if_needed()
    zone.scroll_into_view_if_needed()
    screenshot(alice, "setup-queues-desktop")
    assert_accessible(alice, "set-up, a queue the API refused")

    zone.fill("America/New_York")
    form.get_by_role("button", name="Save queue").click()
    expect(queues.get_by_role("status")).to_have_text(f"Queue {queue_name} saved.")
    row = queues.get_by_role("row").filter(has=alice.get_by_role("rowheader", name=queue_name))
    expect(row).to_contain_text("night 2")
    saved = next(q for q in admin.get("/queues").json()["items"] if q["queue_id"] == queue_id)
    assert (saved["timezone"], saved["offer_timeout_s"], saved["service_level_s"]) == (
        "America/New_York",
        45,
        30,
    )
    assert (saved["skills"], saved["hours"]) == ({"night": 2}, {})

    # The new business number becomes a channel of the queue
    channels = setup.get_by_role("region", name="Channels")
    add = channels.get_by_role("form", name="Add a channel")
    add.get_by_label("Business number").select_option(number)
    add.get_by_label("Queue", exact=True).select_option(label=queue_name)
    add.get_by_role("button", name="Add channel").click()
    expect(channels.get_by_role("status")).to_have_text(f"{number} is now a channel.")
    expect(channels.get_by_role("rowheader", name=number)).to_be_visible()
    listed = admin.get("/admin/contact-center/channels").json()["items"]
    assert {"e164": number, "queue_id": queue_id} in listed

    # Cat serves the queue: skill "night" at level 2 and the queue, in her routing profile
    agents = setup.get_by_role("region", name="Agents")
    agents.get_by_role("button", name="Edit agent Cat Agent").click()
    profile = agents.get_by_role("form", name="Routing profile of Cat Agent")
    profile.get_by_role("button", name="Add skill").click()
    skills = profile.get_by_role("group", name="Skills")
    skills.get_by_label("Skill 2", exact=True).fill("night")
    skills.get_by_label("Level of skill 2").select_option("2")
    profile.get_by_role("group", name="Queues").get_by_label(queue_name).check()
    profile.get_by_role("button", name="Save routing profile").click()
    expect(agents.get_by_role("status")).to_have_text("Cat Agent's routing profile saved.")
    cat = api("cat").get("/agent").json()
    assert queue_id in cat["queues"] and cat["skills"]["night"] == 2 and "sales" in cat["skills"]

    # A canned reply, as agents will find it by its shortcut
    canned = setup.get_by_role("region", name="Canned replies")
    canned.get_by_role("button", name="New canned reply").click()
    reply = canned.get_by_role("form", name="New canned reply")
    reply.get_by_label("Reply ID").fill(f"night-{tag}")
    reply.get_by_label("Title").fill("Night hours")
    reply.get_by_label("Shortcut").fill(f"night{tag}")
    reply.get_by_label("Reply text").fill("Hi {customer_name}, the night team is on it.")
    reply.get_by_role("button", name="Save canned reply").click()
    expect(canned.get_by_role("status")).to_have_text("Canned reply Night hours saved.")
    found = admin.get("/canned-responses", params={"q": f"night{tag}"}).json()["items"]
    assert [r["id"] for r in found] == [f"night-{tag}"]
    assert_accessible(alice, "set-up, after saving")

    # The same screens at a phone's width
    alice.set_viewport_size({"width": 375, "height": 812})
    queues.get_by_role("button", name=f"Edit queue {queue_name}").click()
    editing = queues.get_by_role("form", name=f"Edit queue {queue_name}")
    expect(editing.get_by_label("Time zone")).to_have_value("America/New_York")
    editing.get_by_label("Always open").uncheck()
    expect(editing.get_by_label("Monday opens at")).to_be_disabled()
    editing.get_by_label("Open on Monday").check()
    expect(editing.get_by_label("Monday opens at")).to_be_enabled()
    box = editing.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 375  # no sideways scrolling
    screenshot(alice, "setup-queues-phone")
    assert_accessible(alice, "set-up, a queue's hours at a phone's width")
    editing.get_by_role("button", name="Cancel").click()
    alice.set_viewport_size({"width": 1280, "height": 800})

    # A phone texts the channel: the text waits in the new queue ...
    customer = a_customer()
    try:
        phone_sends(stack, customer, number, "Is anyone up tonight?")
        poll(lambda: admin.get(f"/queues/{queue_id}/stats").json()["waiting"], lambda n: n == 1)
        open_page(alice, "Queues", "Queues")
        expect(figure(alice, queue_name, "Waiting")).to_have_text("1")

        # ... and is offered to cat, its one agent, once she is available
        set_status(stack, api, "cat", "available")
        offered = poll(
            lambda: api("cat").get("/interactions").json()["items"],
            lambda items: any(i["customer"]["phone"] == customer for i in items),
        )
        mine = next(i for i in offered if i["customer"]["phone"] == customer)
        assert (mine["queue_id"], mine["state"], mine["channel"]) == (queue_id, "offered", number)
    finally:
        set_status(stack, api, "cat", "offline")
