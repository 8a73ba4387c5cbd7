"""The lived-in demo (local/demo_conversations.py): what a newcomer sees after signing
in to a fresh ``make dev``, and that seeding twice stores nothing twice."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import dynamodb
from local.demo_conversations import seed_conversations

BUCKET = "texting-test-media"
SHOP, SHARED = "+14155550100", "+14155550101"
USERS = [
    {"username": "alice", "user_id": "u-alice", "company_id": "acme", "numbers": [SHOP]},
    {"username": "bob", "user_id": "u-bob", "company_id": "acme", "numbers": [SHARED]},
    {"username": "carol", "user_id": "u-carol", "company_id": "acme", "numbers": [SHARED]},
    {"username": "dave", "user_id": "u-dave", "company_id": "acme", "numbers": []},
    {"username": "erin", "user_id": "u-erin", "company_id": "globex", "numbers": []},
]


def _seed(tables: Any) -> None:
    seed_conversations(USERS, BUCKET, tables.client("s3", region_name="us-east-1"))


def test_alice_signs_in_to_conversations_pictures_contacts_and_unread_messages(
    tables: Any,
) -> None:
    _seed(tables)
    repo = dynamodb.DynamoConversationRepository()
    listed = repo.list_memberships("u-alice", 25, None).items
    conversations = repo.get_many(m.conversation_id for m in listed)
    kinds = sorted((c.type, c.is_group) for c in conversations.values())
    assert kinds == [("im", False), ("im", True), ("sms", False)]
    unread = {
        c.type + ("-group" if c.is_group else ""): c.last_seq - m.read_seq
        for m in listed
        for c in [conversations[m.conversation_id]]
    }
    assert unread["im"] > 0 and unread["im-group"] == 0 and unread["sms"] == 0
    missed = dynamodb.DynamoNotificationRepository().missed("u-alice")
    assert missed and missed[0].count > 0
    sms = next(c for c in conversations.values() if c.type == "sms")
    pictures = [
        m.media[0] for m in repo.list_messages(sms.conversation_id, 25, None).items if m.media
    ]
    assert sorted(p["filename"] or "" for p in pictures) == ["", "valve.png"]
    s3 = tables.client("s3", region_name="us-east-1")
    stored = s3.get_object(Bucket=BUCKET, Key=pictures[0]["key"])["Body"].read()
    assert stored.startswith(b"\x89PNG") and len(stored) == pictures[0]["size"]
    contacts = dynamodb.DynamoContactRepository()
    pat = contacts.contacts_by_numbers("u-alice", [sms.external_number])[sms.external_number]
    assert pat["name"] == "Pat Lee"
    assert len(contacts.get_contact("u-alice", pat["id"]).phones) == 2
    assert repo.list_memberships("u-erin", 25, None).items == []  # the other company


def test_seeding_twice_stores_nothing_twice(tables: Any) -> None:
    _seed(tables)
    repo = dynamodb.DynamoConversationRepository()
    before = {
        m.conversation_id: repo.get(m.conversation_id).last_seq
        for m in repo.list_memberships("u-carol", 25, None).items
    }
    _seed(tables)
    after = {
        m.conversation_id: repo.get(m.conversation_id).last_seq
        for m in repo.list_memberships("u-carol", 25, None).items
    }
    assert after == before and len(before) == 2
    assert len(dynamodb.DynamoContactRepository().list_contacts("u-alice", 25, None).items) == 2
