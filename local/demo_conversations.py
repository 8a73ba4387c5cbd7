"""A lived-in demo: conversations, pictures, contacts and missed messages in the first
company, so a newcomer who signs in to a fresh ``make dev`` sees the product working.

Written through the app's own repositories, shaped as the app writes them (a message
takes its number from the conversation's counter, the writer's read horizon follows
their own message). Idempotent: every message has a fixed client id and every
conversation a derived or fixed id, so seeding twice stores nothing twice.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.contacts import Contact, Phone
from chalicelib.domain.model import (
    IM,
    SMS,
    Conversation,
    Message,
    direct_conversation_id,
    sms_conversation_id,
    utcnow_iso,
)

GROUP_ID = "gdemo-launch"  # a group's id is random when the app makes one; fixed here


@dataclass(frozen=True)
class Line:
    """One message of the script: who (a username, or ``phone``), what, and a picture."""

    who: str
    text: str
    picture: str = ""  # a file name: a PNG is drawn for it ("-" for one with no name)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small one-colour PNG, drawn at seed time (no binary file in the repository)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


IM_SCRIPT = (
    Line("bob", "Morning Alice! Are we still on for the Henderson job at 10?"),
    Line("alice", "Yes, I'll bring the pipe fittings."),
    Line("bob", "Great. The customer sent a photo of the leak, forwarding it.", "leak.png"),
    Line("bob", "Can you call them when you're on the way?"),
)
GROUP_SCRIPT = (
    Line("carol", "Launch checklist: vans stocked, schedule published, phones charged."),
    Line("alice", "Schedule is up. Dave, can you confirm the van inventory?"),
    Line("dave", 'Van 2 is short on 3/4" elbows, ordering now.'),
    Line("carol", "Thanks! Let's sync at 4."),
)
SMS_SCRIPT = (
    Line("phone", "Hi, my kitchen sink is leaking under the cabinet. Here's a picture.", "-"),
    Line(
        "alice",
        "Thanks Pat, we can come tomorrow at 9. This is where we'll shut the valve:",
        "valve.png",
    ),
    Line("phone", "Perfect, see you then!"),
)
SHARED_SCRIPT = (
    Line("phone", "Do you service water heaters in Oakland?"),
    Line("bob", "We do! Want us to take a look this week?"),
    Line("phone", "Yes please, Thursday works."),
)
CUSTOMER = "+14155552671"
PROSPECT = "+15105550142"
COLOURS = {"leak.png": (40, 110, 200), "valve.png": (200, 90, 40), "-": (90, 160, 90)}


class DemoWriter:
    """Writes the script through the repositories (DynamoDB adapters, bound already)."""

    def __init__(self, media_bucket: str, s3: Any, start: datetime | None = None) -> None:
        from chalicelib.adapters import dynamodb

        self.conversations = dynamodb.DynamoConversationRepository()
        self.contacts = dynamodb.DynamoContactRepository()
        self.notifications = dynamodb.DynamoNotificationRepository()
        self._bucket = media_bucket
        self._s3 = s3
        self._at = start or datetime.now(UTC) - timedelta(hours=3)

    def _tick(self) -> str:
        self._at += timedelta(minutes=7)
        return utcnow_iso(self._at)

    def _picture(self, conversation_id: str, name: str, n: int) -> dict[str, Any]:
        data = png(48, 32, COLOURS.get(name, (120, 120, 120)))
        key = f"media/{conversation_id}/demo-{n}.png"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType="image/png")
        return {
            "key": key,
            "content_type": "image/png",
            "size": len(data),
            "filename": None if name == "-" else name,
        }

    def play(
        self,
        conversation: Conversation,
        script: tuple[Line, ...],
        ids: dict[str, str],
        unread_for: tuple[str, ...] = (),
    ) -> None:
        """Each line once; ``unread_for`` users are left behind the last message (and are
        told of it when they first connect: a missed-message notice)."""
        stored, _ = self.conversations.create(conversation)
        for n, line in enumerate(script, start=1):
            sender = conversation.external_number if line.who == "phone" else ids[line.who]
            client_id = f"demo-{n}"
            if self.conversations.find_by_client_id(stored.conversation_id, sender, client_id):
                continue
            at = self._tick()
            sms = conversation.type == SMS
            message = Message(
                conversation_id=stored.conversation_id,
                company_id=stored.company_id,
                seq=self.conversations.take_seq(stored.conversation_id),
                client_id=client_id,
                sender=sender,
                text=line.text,
                created_at=at,
                status=("received" if line.who == "phone" else "delivered") if sms else "sent",
                channel=conversation.type,
                direction=("inbound" if line.who == "phone" else "outbound") if sms else "",
                segments=1 if sms else 0,
                encoding="GSM-7" if sms else "",
                media=[self._picture(stored.conversation_id, line.picture, n)]
                if line.picture
                else [],
            )
            self.conversations.append_message(stored, message)
            for member in stored.members:
                self.conversations.touch_member(member, stored.conversation_id, at)
                if member != sender and member not in unread_for:
                    self.conversations.advance_read(member, stored.conversation_id, message.seq)
            if line.who != "phone":
                self.conversations.touch_sender(sender, stored.conversation_id, message.seq, at)
            for member in unread_for:
                if member != sender:
                    self.notifications.add_missed(member, stored.conversation_id, message.seq, at)


def seed_conversations(
    users: list[dict[str, Any]], media_bucket: str, s3: Any, start: datetime | None = None
) -> None:
    """The first company's demo: a 1:1 IM with a picture, a group, two SMS threads (one
    with pictures both ways, one on the shared line), contacts with several numbers,
    and unread messages waiting for Alice and Carol."""
    company = users[0]["company_id"]
    ids = {u["username"]: u["user_id"] for u in users if u["company_id"] == company}
    writer = DemoWriter(media_bucket, s3, start)
    now = utcnow_iso(writer._at)
    alice, bob, carol = ids["alice"], ids["bob"], ids["carol"]
    shop = next(u["numbers"][0] for u in users if u["username"] == "alice")
    shared = next(u["numbers"][0] for u in users if u["username"] == "bob")

    def conv(cid: str, kind: str, members: list[str], **extra: Any) -> Conversation:
        return Conversation(cid, company, kind, members, members[0], now, updated_at=now, **extra)

    writer.play(
        conv(direct_conversation_id(company, alice, bob), IM, [bob, alice]),
        IM_SCRIPT,
        ids,
        unread_for=(alice,),
    )
    writer.play(
        conv(GROUP_ID, IM, [carol, alice, ids["dave"]], name="Launch crew"), GROUP_SCRIPT, ids
    )
    writer.play(
        conv(
            sms_conversation_id(shop, CUSTOMER),
            SMS,
            [alice],
            business_number=shop,
            external_number=CUSTOMER,
        ),
        SMS_SCRIPT,
        ids,
    )
    writer.play(
        conv(
            sms_conversation_id(shared, PROSPECT),
            SMS,
            [bob, carol],
            business_number=shared,
            external_number=PROSPECT,
        ),
        SHARED_SCRIPT,
        ids,
        unread_for=(carol,),
    )
    for owner, contact_id, name, phones, email, firm in (
        (
            alice,
            "kdemo-pat",
            "Pat Lee",
            [Phone(CUSTOMER, "mobile"), Phone("+14155550142", "home")],
            "pat@example.com",
            "Lee Roofing",
        ),
        (alice, "kdemo-jo", "Jo Rivera", [Phone("+16505550123", "work")], "", "Rivera Realty"),
        (
            bob,
            "kdemo-kim",
            "Kim Osei",
            [Phone(PROSPECT, "mobile"), Phone("+15105550199", "work")],
            "kim@example.org",
            "",
        ),
    ):
        writer.contacts.put_contact(
            Contact(contact_id, owner, company, name, phones, now, now, email, firm)
        )
