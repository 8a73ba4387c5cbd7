"""Issue 20's conversation screens in a real browser against the local stack:
attachments (by the `Attach` control), contacts, contact cards, conversation and
message controls, the peer-offline notice and drafts.

Each new screen and dialog is checked with axe at 1280x800 and 375x812, and
photographed at both sizes into docs/screenshots/. Every wait has a deadline.
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, screenshot
from tests.browser.test_employee_app import conversation, messages, poll, send
from tests.e2e.clients import Api, Stack, user

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def png(rgb: tuple[int, int, int] = (200, 40, 40), size: int = 24) -> bytes:
    """A small solid PNG made here (no binary file in the repository)."""
    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# A file dropped on the log, then an image pasted into the Message box (as the
# browser would dispatch them: a DataTransfer holding a File).
DROP_AND_PASTE = """
(bytes) => {
  const file = (name) => new File([new Uint8Array(bytes)], name, { type: "image/png" });
  const dropped = new DataTransfer();
  dropped.items.add(file("dropped.png"));
  const log = document.querySelector('[role="log"]');
  log.dispatchEvent(new DragEvent("dragover", { dataTransfer: dropped, bubbles: true, cancelable: true }));
  log.dispatchEvent(new DragEvent("drop", { dataTransfer: dropped, bubbles: true, cancelable: true }));
  const pasted = new DataTransfer();
  pasted.items.add(file("image.png"));
  document.getElementById("composer").dispatchEvent(
    new ClipboardEvent("paste", { clipboardData: pasted, bubbles: true, cancelable: true }));
}
"""


def attach(page: Page, name: str, data: bytes, mime: str = "image/png") -> None:
    """Choose a file through the `Attach` button, as a person would."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach").click()
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def both_sizes(page: Page, name: str, screen: str) -> None:
    """axe and a screenshot at a desktop's size and a phone's, back at the desktop's."""
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        assert_accessible(page, f"{screen} at {size['width']}x{size['height']}")
        screenshot(page, f"{name}-{suffix}")
    page.set_viewport_size(DESKTOP)


def new_conversation(page: Page, to: str) -> None:
    page.get_by_role("button", name="New conversation").click()
    page.get_by_role("textbox", name="To").fill(to)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()


def phone_texts(stack: Stack, phone: str, to: str, text: str) -> None:
    sent = requests.post(
        f"{stack['simulator_url']}/phones/{phone}/send", json={"to": to, "text": text}, timeout=30
    )
    assert sent.status_code < 300, sent.text


def alice_line(stack: Stack) -> str:
    return user(stack, "alice")["numbers"][0]


def test_a_picture_attached_to_a_text_reaches_the_phone_and_shows_by_its_file_name(
    stack: Stack, signed_in: Callable[[str], Page]
) -> None:
    # Given alice texting a customer from her line
    customer = "+14155557010"
    alice = signed_in("alice")
    alice.set_viewport_size(DESKTOP)
    new_conversation(alice, "+1 415 555 7010")

    # A file of a type MMS does not carry, or too big, is refused before any upload
    attach(alice, "notes.txt", b"plain text", "text/plain")
    expect(alice.get_by_role("alert")).to_contain_text("only JPEG, PNG, GIF, PDF files")
    attach(alice, "huge.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10))
    expect(alice.get_by_role("alert")).to_contain_text("the limit is")
    expect(alice.get_by_role("list", name="Attachments to send")).to_have_count(0)

    # When she attaches a picture with the Attach control and sends it with a text
    attach(alice, "storefront.png", png())
    chips = alice.get_by_role("list", name="Attachments to send")
    expect(chips.get_by_role("listitem")).to_contain_text(re.compile(r"storefront\.png.*ready"))
    both_sizes(alice, "attachment-chip", "a picture ready to send")
    alice.get_by_role("textbox", name="Message").fill("Here is the shop front")
    alice.get_by_role("button", name="Send").click()
    expect(chips).to_have_count(0)

    # Then the phone receives the text with one picture, from her line
    inbox = poll(
        lambda: requests.get(
            f"{stack['simulator_url']}/phones/{customer}/inbox", timeout=30
        ).json(),
        lambda items: any(m["text"] == "Here is the shop front" for m in items),
    )
    received = [m for m in inbox if m["text"] == "Here is the shop front"]
    assert [(m["from"], len(m["media_urls"])) for m in received] == [(alice_line(stack), 1)]

    # and the log shows it as a picture named by its file name, full size when its link
    # is activated (by keyboard here: a mouse click, aimed where the picture was a moment
    # earlier, missed it once in about a dozen full runs, for a reason not found)
    picture = messages(alice).get_by_role("img", name="storefront.png", exact=True)
    expect(picture).to_be_visible()
    # the picture's own bytes, decoded (24 px wide), from the first frame it shows
    expect(picture).to_have_js_property("naturalWidth", 24)
    messages(alice).get_by_role("link", name="storefront.png").press("Enter")
    viewer = alice.get_by_role("dialog", name="storefront.png")
    expect(viewer).to_be_visible()
    expect(viewer.get_by_role("img", name="storefront.png")).to_be_visible()
    both_sizes(alice, "attachment-viewer", "the picture viewer")
    alice.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    both_sizes(alice, "attachment-sms", "an SMS thread with a picture")

    # A file dropped on the thread and an image pasted into the box are attached too
    alice.evaluate(DROP_AND_PASTE, list(png()))
    pending = alice.get_by_role("list", name="Attachments to send").get_by_role("listitem")
    expect(pending.filter(has_text="dropped.png")).to_contain_text("ready")
    expect(pending.filter(has_text=re.compile(r"pasted-.*\.png"))).to_contain_text("ready")
    alice.get_by_role("button", name="Remove dropped.png").click()
    expect(pending).to_have_count(1)


def test_a_picture_and_a_pdf_attached_to_an_im_reach_the_co_worker(
    stack: Stack, signed_in: Callable[[str], Page]
) -> None:
    # Given alice opening an IM with dave while dave is signed in nowhere
    alice = signed_in("alice")
    alice.set_viewport_size(DESKTOP)
    alice.get_by_role("button", name="New conversation").click()
    alice.get_by_role("textbox", name="To").fill("Dave")
    expect(alice.get_by_role("option", name=re.compile("Dave Diaz"))).to_be_visible()
    alice.get_by_role("textbox", name="To").press("ArrowDown")
    alice.get_by_role("textbox", name="To").press("Enter")

    # The compose box says he is offline, until he signs in
    notice = alice.get_by_text("Dave Diaz is offline")
    expect(notice).to_be_visible()
    expect(alice.get_by_role("textbox", name="Message")).to_have_attribute(
        "aria-describedby", re.compile("peer-offline")
    )
    both_sizes(alice, "peer-offline", "the compose box with the co-worker offline")
    dave = signed_in("dave")
    expect(notice).to_have_count(0)

    # When she attaches a picture and a PDF by the Attach control and sends them
    attach(alice, "floor-plan.png", png((40, 90, 200)))
    attach(alice, "quote.pdf", PDF, "application/pdf")
    chips = alice.get_by_role("list", name="Attachments to send").get_by_role("listitem")
    expect(chips).to_have_count(2)
    expect(chips.filter(has_text="quote.pdf")).to_contain_text("ready")
    expect(chips.filter(has_text="floor-plan.png")).to_contain_text("ready")
    alice.get_by_role("button", name="Send").click()

    # Then dave sees the picture by its file name and the PDF as a download link
    conversation(dave, "Alice Admin").click()
    expect(messages(dave).get_by_role("img", name="floor-plan.png", exact=True)).to_be_visible()
    expect(
        messages(dave).get_by_role("link", name=re.compile(r"quote\.pdf \(\d+ KB\)"))
    ).to_be_visible()
    both_sizes(dave, "attachment-im", "an IM with a picture and a PDF")


def test_a_contact_with_several_numbers_is_created_suggested_and_opened(
    stack: Stack, signed_in: Callable[[str], Page]
) -> None:
    alice = signed_in("alice")
    alice.set_viewport_size(DESKTOP)
    # Given the contacts page
    alice.get_by_role("navigation", name="Pages").get_by_role("link", name="Contacts").click()
    expect(alice.get_by_role("heading", name="Contacts")).to_be_visible()

    # When alice creates a contact with two labelled numbers, an email and a company
    alice.get_by_role("button", name="New contact").click()
    form = alice.get_by_role("dialog", name="New contact")
    form.get_by_role("textbox", name="Name").fill("Quinn Roofer")
    form.get_by_role("textbox", name="Number 1").fill("+1 415 555 7020")
    form.get_by_role("combobox", name="Label for number 1").select_option("mobile")
    form.get_by_role("button", name="Add a number").click()
    form.get_by_role("textbox", name="Number 2").fill("+1 415 555 7021")
    form.get_by_role("combobox", name="Label for number 2").select_option("work")
    form.get_by_role("textbox", name="Email").fill("quinn@roofing.example")
    form.get_by_role("textbox", name="Company").fill("Quinn Roofing")
    both_sizes(alice, "contact-form", "the new contact form")
    form.get_by_role("button", name="Save contact").click()
    expect(form).to_have_count(0)

    # Then the list shows it with both numbers, and the filter finds it by company
    card = (
        alice.get_by_role("list", name="Contacts")
        .get_by_role("listitem")
        .filter(has=alice.get_by_role("heading", name="Quinn Roofer"))
    )
    expect(card.get_by_role("button", name="Text +14155557020")).to_be_visible()
    alice.get_by_role("searchbox", name="Filter contacts").fill("roofing")
    expect(card).to_be_visible()
    expect(card).to_contain_text("quinn@roofing.example")
    expect(card.get_by_role("button", name="Text +14155557021")).to_be_visible()
    both_sizes(alice, "contacts", "the contacts page")

    # New conversation suggests it by name, one option per number, keyboard first
    alice.get_by_role("navigation", name="Pages").get_by_role("link", name="Messages").click()
    alice.get_by_role("button", name="New conversation").click()
    to = alice.get_by_role("textbox", name="To")
    to.fill("quinn")
    options = alice.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(options.filter(has_text="+14155557020")).to_be_visible()
    both_sizes(alice, "new-conversation-suggestions", "suggestions")
    to.press("ArrowDown")
    expect(to).to_have_attribute("aria-activedescendant", re.compile("suggestion-c-"))
    to.press("Enter")
    expect(alice.get_by_role("heading", name="Quinn Roofer")).to_be_visible()
    expect(conversation(alice, "Quinn Roofer")).to_be_visible()

    # Clicking the title opens the contact card: numbers with labels, email, company, Text
    alice.get_by_role("heading", name="Quinn Roofer").get_by_role("button").click()
    contact_card = alice.get_by_role("dialog", name="Quinn Roofer")
    expect(contact_card).to_contain_text("Quinn Roofing")
    expect(contact_card.get_by_role("link", name="quinn@roofing.example")).to_be_visible()
    both_sizes(alice, "contact-card", "a contact's card")
    contact_card.get_by_role("button", name="Text +14155557021").click()
    expect(contact_card).to_have_count(0)
    expect(alice.locator(".thread-title .sub")).to_contain_text("SMS +14155557021")


def test_a_co_workers_card_and_add_to_contacts_from_a_thread(
    stack: Stack, signed_in: Callable[[str], Page], api: Callable[[str | None], Api]
) -> None:
    # Given a customer who texts alice's line, and a message from bob to alice
    customer = "+14155557040"
    alice = signed_in("alice")
    alice.set_viewport_size(DESKTOP)
    phone_texts(stack, customer, alice_line(stack), "Do you fix gutters?")
    made = api("bob").post(
        "/conversations", {"type": "im", "members": [user(stack, "alice")["user_id"]]}
    )
    assert made.status_code in (200, 201), made.text
    said = api("bob").post(
        f"/conversations/{made.json()['id']}/messages",
        {"client_id": str(uuid.uuid4()), "text": "Card test"},
    )
    assert said.status_code in (200, 201), said.text

    # The sender's name opens the co-worker's card: presence, extension, number
    conversation(alice, "Bob Baker").click()
    bubble = messages(alice).locator("article").filter(has_text="Card test")
    bubble.get_by_role("button", name="Bob Baker").click()
    card = alice.get_by_role("dialog", name="Bob Baker")
    expect(card).to_contain_text("Extension")
    expect(card).to_contain_text("102")
    expect(card.get_by_role("img", name=re.compile("Bob Baker is"))).to_be_visible()
    both_sizes(alice, "coworker-card", "a co-worker's card")
    alice.keyboard.press("Escape")
    expect(card).to_have_count(0)

    # "Add to contacts" from the number of an SMS thread names the conversation
    conversation(alice, customer).click()
    expect(messages(alice).get_by_text("Do you fix gutters?")).to_be_visible()
    alice.get_by_role("button", name="Add to contacts").click()
    alice.get_by_role("textbox", name="Contact name").fill("Gus Gutter")
    alice.get_by_role("button", name="Save contact").click()
    expect(conversation(alice, "Gus Gutter")).to_be_visible()
    messages(alice).get_by_role("button", name="Gus Gutter").first.click()
    expect(alice.get_by_role("dialog", name="Gus Gutter")).to_contain_text(customer)


def test_mute_and_hide_a_conversation(
    stack: Stack, signed_in: Callable[[str], Page], api: Callable[[str | None], Api]
) -> None:
    customer = "+14155557030"
    alice = signed_in("alice")
    alice.set_viewport_size(DESKTOP)
    phone_texts(stack, customer, alice_line(stack), "First question")
    row = conversation(alice, customer)
    row.click()
    expect(messages(alice).get_by_text("First question")).to_be_visible()

    # Mute: marked in the list and the header, left out of the unread total
    alice.get_by_role("button", name="Options").click()
    both_sizes(alice, "conversation-options", "the conversation's options")
    alice.get_by_role("button", name="Mute", exact=True).click()
    expect(row.get_by_role("img", name="Muted")).to_be_visible()
    # (on another page, so the open conversation does not read it)
    alice.get_by_role("navigation", name="Pages").get_by_role("link", name="Contacts").click()
    title = alice.title()  # other conversations' unread (the demo's) count as they do
    phone_texts(stack, customer, alice_line(stack), "Second question")
    poll(
        lambda: [
            c["unread_count"]
            for c in api("alice").get("/conversations?limit=100").json()["items"]
            if c.get("external_number") == customer
        ],
        lambda counts: counts == [1],
    )
    expect(alice).to_have_title(title)  # the muted conversation's new message is not counted
    alice.get_by_role("navigation", name="Pages").get_by_role("link", name="Messages").click()
    alice.get_by_role("button", name="Options").click()
    alice.get_by_role("button", name="Unmute").click()
    expect(row.get_by_role("img", name="Muted")).to_have_count(0)

    # Hide: out of the list until the next message
    alice.get_by_role("button", name="Options").click()
    alice.get_by_role("button", name="Hide").click()
    expect(row).to_have_count(0)
    phone_texts(stack, customer, alice_line(stack), "Third question")
    # back in the list with the new message (read at once or not, as the thread is shown)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Third question")


def test_delete_a_conversation_and_a_received_message_for_me(
    stack: Stack, signed_in: Callable[[str], Page], api: Callable[[str | None], Api]
) -> None:
    customer = "+14155557050"
    alice = signed_in("alice")
    alice.set_viewport_size(DESKTOP)
    phone_texts(stack, customer, alice_line(stack), "Keep this one")
    phone_texts(stack, customer, alice_line(stack), "Delete this one for me")
    row = conversation(alice, customer)
    row.click()
    log = messages(alice)
    expect(log.get_by_text("Delete this one for me")).to_be_visible()

    # A received message: delete for me; one's own: delete for everyone
    log.locator("article").filter(has_text="Delete this one for me").get_by_role(
        "button", name="Delete for me"
    ).click()
    expect(log.get_by_text("Delete this one for me")).to_have_count(0)
    send(alice, "Mine, to delete for everyone")
    own = log.locator("article").filter(has_text="Mine, to delete for everyone")
    own.get_by_role("button", name="Delete for everyone").click()
    expect(log.get_by_text("This message was deleted")).to_be_visible()
    alice.reload()
    row.click()
    expect(log.get_by_text("Keep this one")).to_be_visible()
    expect(log.get_by_text("Delete this one for me")).to_have_count(0)

    # The conversation: delete for me, after a confirmation
    alice.get_by_role("button", name="Options").click()
    options = alice.get_by_role("group", name="Conversation options")
    options.get_by_role("button", name="Delete for me").click()
    confirm = alice.get_by_role("alertdialog", name="Delete this conversation for you?")
    expect(confirm).to_be_visible()
    both_sizes(alice, "delete-for-me", "the delete-for-me confirmation")
    confirm.get_by_role("button", name="Delete for me").click()
    expect(row).to_have_count(0)
    alice.reload()
    expect(alice.get_by_role("list", name="Conversations")).to_be_visible()
    expect(row).to_have_count(0)

    # A new message brings it back with only what follows
    phone_texts(stack, customer, alice_line(stack), "Are you there?")
    row.click()
    expect(log.get_by_text("Are you there?")).to_be_visible()
    expect(log.get_by_text("Keep this one")).to_have_count(0)


def test_a_draft_survives_a_reload_and_goes_on_send_and_on_sign_out(
    stack: Stack, signed_in: Callable[[str], Page]
) -> None:
    customer = "+14155557060"
    alice = signed_in("alice")
    phone_texts(stack, customer, alice_line(stack), "Drafts please")
    row = conversation(alice, customer)
    row.click()
    box = alice.get_by_role("textbox", name="Message")
    box.fill("half a reply")
    alice.reload()
    row.click()
    expect(box).to_have_value("half a reply")

    # Sent: the draft is gone, after a reload too
    alice.get_by_role("button", name="Send").click()
    expect(messages(alice).get_by_text("half a reply")).to_be_visible()
    expect(box).to_have_value("")
    alice.reload()
    row.click()
    expect(box).to_have_value("")

    # Signing out forgets every draft on this browser
    box.fill("a secret draft")
    alice.get_by_role("button", name=re.compile("^Profile:")).click()
    alice.get_by_role("button", name="Sign out").click()
    expect(alice.get_by_role("button", name="Sign in")).to_be_visible()
    drafts = alice.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('texting.draft.'))"
    )
    assert drafts == []
