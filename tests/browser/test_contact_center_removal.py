"""Removing set-up from the admin page, in a real browser against the local stack: a
queue a channel or a canned reply still names is refused with the API's reason in the
confirmation (and nothing changes); once those are deleted (each after a confirmation)
the queue goes too. A canned reply limited to a queue reaches only that queue's agents,
and a company with more replies than one page lists them all. Every wait is
Playwright's auto-wait or ``expect`` with a deadline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_contact_center_setup import a_business_number
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]
EXTRA = 60  # more than one page of GET /canned-responses (50)


def confirm_delete(area: Locator, page: Page, label: str) -> Locator:
    """Delete ``label`` (the row's button), then Delete in the confirmation: the dialog."""
    area.get_by_role("button", name=label).click()
    dialog = page.get_by_role("alertdialog", name=f"{label}?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    return dialog


def test_admin_deletes_a_channel_a_reply_and_then_their_queue_after_a_refusal(
    stack: Stack, api: ApiFactory, signed_in: Callable[[str], Page]
) -> None:
    admin = api("alice")
    base = f"{stack['rest_url']}/admin/contact-center"
    tag = uuid.uuid4().hex[:6]
    queue_id, queue_name = f"q-gone-{tag}", f"Closing {tag}"
    number = a_business_number(stack, user(stack, "alice")["company_id"])
    assert admin.session.put(f"{base}/queues/{queue_id}", json={"name": queue_name}).ok
    assert admin.session.put(f"{base}/channels/{quote(number)}", json={"queue_id": queue_id}).ok
    extra = [f"zz{tag}-{n:02d}" for n in range(EXTRA)]  # sorted after every demo reply
    for reply_id in extra:
        body = {"title": reply_id, "text": "Thanks for waiting."}
        assert admin.session.put(f"{base}/canned-responses/{reply_id}", json=body).ok
    try:
        alice = signed_in("alice")
        alice.set_viewport_size({"width": 1280, "height": 800})
        alice.get_by_role("link", name="Admin").click()
        setup = alice.get_by_role("region", name="Contact center")
        queues = setup.get_by_role("region", name="Queues")
        channels = setup.get_by_role("region", name="Channels")
        canned = setup.get_by_role("region", name="Canned replies")

        # every page of the replies is listed, the last one too
        expect(canned.get_by_role("rowheader", name=extra[-1], exact=True)).to_be_visible()

        # a reply limited to the new queue: only its agents find it
        canned.get_by_role("button", name="New canned reply").click()
        form = canned.get_by_role("form", name="New canned reply")
        form.get_by_label("Reply ID").fill(f"closing-{tag}")
        form.get_by_label("Title").fill(f"Closing time {tag}")
        form.get_by_label("Reply text").fill("We close soon, {customer_name}.")
        form.get_by_role("group", name="Queues").get_by_label(queue_name).check()
        form.get_by_role("button", name="Save canned reply").click()
        expect(canned.get_by_role("status")).to_have_text(f"Canned reply Closing time {tag} saved.")
        row = canned.get_by_role("row").filter(
            has=alice.get_by_role("rowheader", name=f"Closing time {tag}")
        )
        expect(row).to_contain_text(queue_name)
        found = admin.get("/canned-responses", params={"q": f"closing time {tag}"}).json()
        assert [(r["id"], r["queues"]) for r in found["items"]] == [(f"closing-{tag}", [queue_id])]
        cats = api("cat").get("/canned-responses", params={"q": f"closing time {tag}"}).json()
        assert cats["items"] == []  # cat serves no such queue

        # the queue is still named by the channel: refused, the reason in the confirmation
        dialog = confirm_delete(queues, alice, f"Delete queue {queue_name}")
        expect(dialog.get_by_role("alert")).to_contain_text(number)
        screenshot(alice, "setup-delete-refused")
        assert_accessible(alice, "set-up, a delete the API refused")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert queue_id in [q["queue_id"] for q in admin.get("/queues").json()["items"]]

        # the channel goes: its number is a plain business number again
        confirm_delete(channels, alice, f"Delete channel {number}")
        expect(channels.get_by_role("status")).to_have_text(f"Channel {number} deleted.")
        expect(channels.get_by_role("rowheader", name=number)).to_have_count(0)
        listed = admin.get("/admin/contact-center/channels").json()["items"]
        assert number not in [c["e164"] for c in listed]

        # the reply limited to it still names it; then the reply goes, then the queue
        dialog = confirm_delete(queues, alice, f"Delete queue {queue_name}")
        expect(dialog.get_by_role("alert")).to_contain_text(f"closing-{tag}")
        dialog.get_by_role("button", name="Cancel").click()
        confirm_delete(canned, alice, f"Delete canned reply Closing time {tag}")
        expect(canned.get_by_role("status")).to_have_text(
            f"Canned reply Closing time {tag} deleted."
        )
        confirm_delete(queues, alice, f"Delete queue {queue_name}")
        expect(queues.get_by_role("status")).to_have_text(f"Queue {queue_name} deleted.")
        expect(queues.get_by_role("rowheader", name=queue_name)).to_have_count(0)
        assert queue_id not in [q["queue_id"] for q in admin.get("/queues").json()["items"]]
        gone = admin.session.delete(f"{base}/queues/{queue_id}")
        assert (gone.status_code, gone.json()["error"]["code"]) == (404, "queue_not_found")
    finally:
        for reply_id in extra:
            admin.session.delete(f"{base}/canned-responses/{reply_id}")
