"""Lawful texting on the web client: the admin page's texting policy, registrations and
End User Messaging account; the consent a co-worker recorded, shown in the conversation."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import REPO_ROOT, assert_accessible, screenshot
from tests.browser.test_reconnect import poll
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e


def test_an_admin_sets_the_texting_policy_and_sees_registrations_and_the_account(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
) -> None:
    admin = api("alice")
    alices_line = user(stack, "alice")["numbers"][0]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("AWS_SESSION_TOKEN", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.browser.seed_registration",
            stack["aws_endpoint_url"],
            user(stack, "alice")["company_id"],
            alices_line,
        ],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    alice = signed_in("alice")
    alice.get_by_role("link", name="Admin").click()

    policy = alice.get_by_role("region", name="Texting policy")
    policy.get_by_role("textbox", name="Business name in replies").fill("Acme Plumbing")
    policy.get_by_role("checkbox", name="Quiet hours").check()
    policy.get_by_role("combobox", name="Toll-free numbers").select_option(label="Never text")
    policy.get_by_role("button", name="Save texting policy").click()
    expect(policy.get_by_role("status")).to_have_text("Texting policy saved.")
    saved = admin.get("/admin/texting-policy").json()
    assert (saved["sender_name"], saved["quiet_hours"], saved["toll_free"]) == (
        "Acme Plumbing",
        True,
        "never",
    )
    expect(policy.get_by_text("HELP reply:")).to_be_visible()

    # A HELP reply saved in the Company section shows in the texting policy's HELP line
    help_before = admin.get("/admin/company").json()["help_text"]
    help_text = f"Acme Plumbing help ({uuid.uuid4().hex[:6]}): call {{number}}"
    company = alice.get_by_role("region", name="Company")
    try:
        company.get_by_role("textbox", name="HELP reply").fill(help_text)
        company.get_by_role("button", name="Save").click()
        expect(policy.get_by_text("HELP reply:")).to_contain_text(help_text)
        assert admin.get("/admin/company").json()["help_text"] == help_text
    finally:
        restored_help = admin.session.patch(
            f"{stack['rest_url']}/admin/company", json={"help_text": help_before}, timeout=30
        )
        assert restored_help.status_code == 200, restored_help.text

    # The countries are typed key by key ("ca, " on the way to "ca, us, gb" stays as
    # typed), saved, and the box then shows them as stored
    before = saved["number_countries"]
    assert before != ["CA", "US", "GB"]
    countries = policy.get_by_role("textbox", name="Countries whose business numbers may text")
    try:
        countries.fill("")
        countries.press_sequentially("ca, us, gb")
        expect(countries).to_have_value("ca, us, gb")
        policy.get_by_role("button", name="Save texting policy").click()
        poll(
            lambda: admin.get("/admin/texting-policy").json()["number_countries"]
            == ["CA", "US", "GB"],
            "the countries saved as typed",
        )
        expect(countries).to_have_value("CA, US, GB")
    finally:
        restored = admin.session.put(
            f"{stack['rest_url']}/admin/texting-policy",
            json={"number_countries": before},
            timeout=30,
        )
        assert restored.status_code == 200, restored.text

    registrations = alice.get_by_role("region", name="Registrations")
    row = registrations.get_by_role("row").filter(
        has=alice.get_by_role("rowheader", name="acme-support-campaign")
    )
    expect(row).to_contain_text("10DLC campaign")
    expect(row).to_contain_text("Needs updates")
    expect(row).to_contain_text("The opt-in flow does not say how customers agree to texts")
    numbers = alice.get_by_role("region", name="Numbers and assignments")
    line = numbers.get_by_role("row").filter(has=alice.get_by_role("rowheader", name=alices_line))
    expect(line).to_contain_text("10dlc needs updates")

    account = alice.get_by_role("region", name="End User Messaging account")
    expect(account).to_contain_text("does not text through End User Messaging")  # the simulator
    screenshot(alice, "admin-texting")
    assert_accessible(alice, "admin-texting")
    restored = admin.session.put(  # the shared stack's other tests expect the defaults
        admin.base_url + "/admin/texting-policy",
        json={"sender_name": "", "quiet_hours": False, "toll_free": "verified"},
        timeout=30,
    )
    assert restored.status_code == 200, restored.text


def test_the_next_person_to_text_a_customer_sees_how_they_opted_in(
    stack: Stack,
    signed_in: Callable[[str], Page],
    api: Callable[[str | None], Api],
) -> None:
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    shared = next(n for n in stack["numbers"] if len(n["users"]) > 1)
    people = [p for p in ("bob", "carol") if user(stack, p)["user_id"] in shared["users"]]
    first, second = people[0], people[1]
    started = api(first).post(
        "/conversations",
        {
            "type": "sms",
            "to": customer,
            "from": shared["e164"],
            "consent": "signed up at the counter",
        },
    )
    assert started.status_code == 201, started.text
    page = signed_in(second)
    page.get_by_role("list", name="Conversations").get_by_text(customer).first.click()
    consent = page.get_by_role("complementary", name="Consent")
    expect(consent).to_contain_text("Opted in: signed up at the counter")
    assert_accessible(page, "consent")
