"""One contract, two implementations: the DynamoDB repositories (on moto) and the fakes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters import dynamodb, memory
from chalicelib.domain.errors import ConcurrentUpdate, Conflict, ValidationError
from chalicelib.domain.model import Connection, Contact, Conversation, Device, Message, User
from tests.support import seed_people


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    if request.param == "memory":
        yield {
            "directory": memory.MemoryDirectoryRepository(),
            "contacts": memory.MemoryContactRepository(),
            "conversations": memory.MemoryConversationRepository(),
            "connections": memory.MemoryConnectionRepository(),
        }
        return
    request.getfixturevalue("aws")
    dynamodb.bind_models("texting-test-messaging", "us-east-1")
    yield {
        "directory": dynamodb.DynamoDirectoryRepository(),
        "contacts": dynamodb.DynamoContactRepository(),
        "conversations": dynamodb.DynamoConversationRepository(),
        "connections": dynamodb.DynamoConnectionRepository(),
    }


def conversation(
    cid: str = "g1", members: list[str] | None = None, at: str = "2026-01-01T00:00:00.000Z"
) -> Conversation:
    return Conversation(
        conversation_id=cid,
        company_id="acme",
        type="im",
        members=members or ["u-alice", "u-bob"],
        created_by="u-alice",
        created_at=at,
        updated_at=at,
    )


def message(
    conv: Conversation,
    seq: int,
    client_id: str,
    at: str = "2026-01-01T00:00:01.000Z",
    sender: str = "u-alice",
) -> Message:
    return Message(
        conversation_id=conv.conversation_id,
        company_id=conv.company_id,
        seq=seq,
        client_id=client_id,
        sender=sender,
        text=f"text {seq}",
        created_at=at,
    )


def test_users_round_trip_and_list_by_company(repos: dict[str, Any]) -> None:
    seed_people(repos["directory"])
    alice = repos["directory"].get_user("u-alice")
    assert isinstance(alice, User) and alice.company_id == "acme" and alice.role == "admin"
    page = repos["directory"].list_users("globex", 2, None)
    rest = repos["directory"].list_users("globex", 2, page.next_cursor)
    assert [u.user_id for u in page.items + rest.items] == ["u-dave", "u-erin", "u-frank"]
    assert rest.next_cursor is None
    assert repos["directory"].get_user("u-nobody") is None


def test_a_cursor_from_another_list_is_refused(repos: dict[str, Any]) -> None:
    seed_people(repos["directory"])
    page = repos["directory"].list_users("acme", 1, None)
    with pytest.raises(ValidationError):
        repos["directory"].list_users("globex", 1, page.next_cursor)


def test_contacts_belong_to_their_owner(repos: dict[str, Any]) -> None:
    contact = Contact("k1", "u-alice", "acme", "Pat", "+14155552671", "t", "t")
    repos["contacts"].put_contact(contact)
    assert repos["contacts"].get_contact("u-alice", "k1").phone == "+14155552671"
    assert repos["contacts"].get_contact("u-bob", "k1") is None
    assert repos["contacts"].delete_contact("u-bob", "k1") is False
    assert repos["contacts"].delete_contact("u-alice", "k1") is True
    assert repos["contacts"].list_contacts("u-alice", 10, None).items == []


def test_create_is_get_or_create(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    _stored, created = repo.create(conversation())
    again, created_again = repo.create(conversation(members=["u-alice", "u-carol"]))
    assert created and not created_again
    assert again.members == ["u-alice", "u-bob"]
    assert repo.get_membership("u-bob", "g1").read_seq == 0


def test_append_message_is_atomic_on_sequence_and_client_id(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    stale = repo.get("g1")
    repo.append_message(conv, message(conv, 1, "a"))
    assert repo.get("g1").last_seq == 1
    with pytest.raises(ConcurrentUpdate):
        repo.append_message(stale, message(stale, 1, "b"))
    fresh = repo.get("g1")
    with pytest.raises(Conflict):
        repo.append_message(fresh, message(fresh, 2, "a"))
    assert repo.get("g1").last_seq == 1
    assert repo.find_by_client_id("g1", "u-alice", "a").seq == 1
    assert repo.find_by_client_id("g1", "u-bob", "a") is None


def test_messages_page_newest_first_and_after_a_sequence(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    for seq in range(1, 6):
        repo.append_message(conv, message(conv, seq, f"c{seq}"))
    first = repo.list_messages("g1", 3, None)
    second = repo.list_messages("g1", 3, first.next_cursor)
    assert [m.seq for m in first.items] == [5, 4, 3]
    assert [m.seq for m in second.items] == [2, 1] and second.next_cursor is None
    after = repo.list_messages("g1", 10, None, after_seq=3)
    assert [m.seq for m in after.items] == [4, 5]


def test_memberships_list_by_activity_and_hide(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    older, _ = repo.create(conversation("g1", at="2026-01-01T00:00:00.000Z"))
    newer, _ = repo.create(conversation("g2", at="2026-01-02T00:00:00.000Z"))
    assert [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items] == [
        "g2",
        "g1",
    ]
    repo.touch_members(older, "2026-01-03T00:00:00.000Z")
    page = repo.list_memberships("u-bob", 1, None)
    assert [m.conversation_id for m in page.items] == ["g1"]
    assert [
        m.conversation_id for m in repo.list_memberships("u-bob", 1, page.next_cursor).items
    ] == ["g2"]
    repo.set_flags("u-bob", "g1", hidden=True, muted=True)
    assert [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items] == ["g2"]
    assert repo.get_membership("u-bob", "g1").muted is True
    repo.touch_members(older, "2026-01-04T00:00:00.000Z")
    assert [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items] == [
        "g1",
        "g2",
    ]
    assert newer.conversation_id == "g2"


def test_read_horizon_only_moves_forward(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    repo.create(conversation())
    assert repo.advance_read("u-bob", "g1", 3) is True
    assert repo.advance_read("u-bob", "g1", 2) is False
    assert repo.get_membership("u-bob", "g1").read_seq == 3
    assert repo.advance_read("u-nobody", "g1", 5) is False


def test_replace_members_is_optimistic(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    stale = repo.get("g1")
    repo.replace_members(conv, ["u-alice", "u-bob", "u-carol"], "Team")
    assert repo.get_membership("u-carol", "g1") is not None
    with pytest.raises(ConcurrentUpdate):
        repo.replace_members(stale, ["u-alice"], "")
    updated = repo.replace_members(repo.get("g1"), ["u-alice", "u-carol"], "Team")
    assert updated.members == ["u-alice", "u-carol"]
    assert repo.get_membership("u-bob", "g1") is None


def test_mark_deleted_blanks_the_text_and_the_preview(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    repo.append_message(conv, message(conv, 1, "a"))
    deleted = repo.mark_deleted("g1", 1, "2026-01-01T00:00:02.000Z")
    assert deleted.deleted and deleted.text == ""
    assert repo.get("g1").last_message["text"] == ""
    assert repo.mark_deleted("g1", 99, "x") is None


def live(cid: str, user: str, expires_in: int = 3600, device: str = "") -> Connection:
    return Connection(
        cid,
        user,
        "acme",
        "2026-01-01T00:00:00.000Z",
        device_id=device,
        deadline=int(time.time()) + expires_in,
    )


def test_connections_are_indexed_per_user_and_removed_exactly(repos: dict[str, Any]) -> None:
    repo = repos["connections"]
    for cid, user in [("c1", "u-alice"), ("c2", "u-alice"), ("c3", "u-bob")]:
        repo.add(live(cid, user, device=f"dev-{cid}"))
    assert sorted(c.connection_id for c in repo.list_for_user("u-alice")) == ["c1", "c2"]
    assert repo.remove("c1").user_id == "u-alice"
    assert repo.remove("c1") is None
    assert [c.connection_id for c in repo.list_for_user("u-alice")] == ["c2"]
    assert repo.get("c3").device_id == "dev-c3"


def test_expired_connections_are_not_listed_and_the_sweeper_finds_them(
    repos: dict[str, Any],
) -> None:
    repo = repos["connections"]
    repo.add(live("old", "u-alice", expires_in=-5))
    repo.add(live("new", "u-alice", expires_in=600))
    assert [c.connection_id for c in repo.list_for_user("u-alice")] == ["new"]
    assert repo.get("old") is None
    assert [c.connection_id for c in repo.expired(int(time.time()), 100)] == ["old"]
    repo.touch(repo.get("new"), int(time.time()) - 1)  # idle past its deadline
    assert sorted(c.connection_id for c in repo.expired(int(time.time()), 100)) == ["new", "old"]


def test_a_heartbeat_keeps_the_connection_findable_by_id(repos: dict[str, Any]) -> None:
    repo = repos["connections"]
    repo.add(live("c1", "u-alice", expires_in=5))
    later = int(time.time()) + 600
    repo.touch(repo.get("c1"), later)
    assert repo.get("c1").deadline == later  # the lookup by id follows the heartbeat
    assert repo.list_for_user("u-alice")[0].deadline == later
    assert repo.expired(int(time.time()) + 60, 10) == []


def test_background_state_is_kept_per_connection(repos: dict[str, Any]) -> None:
    repo = repos["connections"]
    repo.add(live("c1", "u-alice"))
    repo.set_background(repo.get("c1"), True)
    assert repo.list_for_user("u-alice")[0].background is True


def test_presence_watchers_follow_their_connection(repos: dict[str, Any]) -> None:
    repo = repos["connections"]
    repo.add(live("c1", "u-alice"))
    repo.add(live("c2", "u-carol"))
    repo.watch(repo.get("c1"), ["u-bob", "u-carol"])
    repo.watch(repo.get("c2"), ["u-bob"])
    assert sorted(repo.watchers("u-bob")) == ["c1", "c2"]
    repo.watch(repo.get("c1"), ["u-carol"])  # replaces the set
    assert repo.watchers("u-bob") == ["c2"]
    repo.remove("c2")
    assert repo.watchers("u-bob") == []
    assert repo.watchers("u-carol") == ["c1"]


@pytest.fixture
def presence_repos(repos: dict[str, Any]) -> dict[str, Any]:
    seed_people(repos["directory"])
    if isinstance(repos["directory"], memory.MemoryDirectoryRepository):
        return {
            **repos,
            "presence": memory.MemoryPresenceRepository(repos["directory"]),
            "notifications": memory.MemoryNotificationRepository(),
        }
    return {
        **repos,
        "presence": dynamodb.DynamoPresenceRepository(),
        "notifications": dynamodb.DynamoNotificationRepository(),
    }


def test_online_state_reports_transitions_only(presence_repos: dict[str, Any]) -> None:
    repo, users = presence_repos["presence"], presence_repos["directory"]
    assert repo.set_online("u-bob", True, 100, "t1") is False  # was offline
    assert repo.set_online("u-bob", True, 200, "t2") is True  # already online: deadline only
    assert users.get_user("u-bob").presence.online_until == 200
    assert repo.set_online("u-bob", False, 0, "t3") is True
    assert users.get_user("u-bob").presence.online is False


def test_chosen_status_and_message_are_stored_on_the_profile(
    presence_repos: dict[str, Any],
) -> None:
    repo, users = presence_repos["presence"], presence_repos["directory"]
    repo.set_choice("u-bob", "busy", "presenting", "2030-01-01T00:00:00.000Z", "t")
    presence = users.get_user("u-bob").presence
    assert (presence.status, presence.message, presence.message_expires_at) == (
        "busy",
        "presenting",
        "2030-01-01T00:00:00.000Z",
    )
    assert users.get_users(["u-bob", "u-nobody"])["u-bob"].presence.status == "busy"


def test_missed_counters_are_claimed_once(presence_repos: dict[str, Any]) -> None:
    repo = presence_repos["notifications"]
    repo.add_missed("u-bob", "c1", 3, "2026-01-01T00:00:01.000Z")
    repo.add_missed("u-bob", "c1", 4, "2026-01-01T00:00:02.000Z")
    repo.add_missed("u-bob", "c2", 1, "2026-01-01T00:00:03.000Z")
    claimed = repo.claim_missed("u-bob")
    assert sorted((m.conversation_id, m.count, m.last_seq) for m in claimed) == [
        ("c1", 2, 4),
        ("c2", 1, 1),
    ]
    assert repo.claim_missed("u-bob") == []


def test_devices_and_the_typing_throttle(presence_repos: dict[str, Any]) -> None:
    repo = presence_repos["notifications"]
    repo.put_device(Device("u-bob", "phone", "apns", "tok", "t", "arn:endpoint"))
    assert [d.device_id for d in repo.devices("u-bob")] == ["phone"]
    assert repo.get_device("u-bob", "phone").endpoint == "arn:endpoint"
    repo.delete_device("u-bob", "phone")
    assert repo.devices("u-bob") == []
    assert repo.allow_typing("c1", "u-bob", 1000.0, 3.0) is True
    assert repo.allow_typing("c1", "u-bob", 1001.0, 3.0) is False
    assert repo.allow_typing("c1", "u-carol", 1001.0, 3.0) is True
    assert repo.allow_typing("c1", "u-bob", 1003.5, 3.0) is True


@pytest.fixture
def sms_repos(repos: dict[str, Any]) -> dict[str, Any]:
    if isinstance(repos["conversations"], memory.MemoryConversationRepository):
        return {**repos, "sms": memory.MemorySmsRepository(repos["conversations"])}
    return {**repos, "sms": dynamodb.DynamoSmsRepository()}


def queued_text(repo: Any, seq: int, at: str) -> Message:
    conv = (
        repo.get("s1")
        or repo.create(
            Conversation(
                conversation_id="s1",
                company_id="acme",
                type="sms",
                members=["u-alice"],
                created_by="u-alice",
                created_at=at,
                updated_at=at,
                business_number="+14155550100",
                external_number="+14155552671",
            )
        )[0]
    )
    message = Message(
        conversation_id="s1",
        company_id="acme",
        seq=seq,
        client_id=f"c{seq}",
        sender="u-alice",
        text="hi",
        created_at=at,
        status="queued",
        channel="sms",
        direction="outbound",
        segments=1,
        encoding="GSM-7",
    )
    return repo.append_message(conv, message)


def test_sms_statuses_move_forward_and_leave_the_pending_index_when_final(
    sms_repos: dict[str, Any],
) -> None:
    sms, conversations = sms_repos["sms"], sms_repos["conversations"]
    queued_text(conversations, 1, "2026-01-01T00:00:00.000Z")
    queued_text(conversations, 2, "2026-01-05T00:00:00.000Z")
    assert sms.stale_pending("2026-01-02T00:00:00.000Z", 10) == [("s1", 1)]
    assert sms.advance_status("s1", 1, "delivered") is True
    assert sms.advance_status("s1", 1, "sent") is False  # a late callback
    assert conversations.get_message("s1", 1).status == "delivered"
    assert sms.stale_pending("2026-01-02T00:00:00.000Z", 10) == []


def test_pacing_reserves_slots_one_after_another(sms_repos: dict[str, Any]) -> None:
    sms = sms_repos["sms"]
    assert sms.take_pace("+14155550100", 1.0, 1000.0, 10) == 0
    assert sms.take_pace("+14155550100", 1.0, 1000.0, 10) == pytest.approx(1.0)
    assert sms.take_pace("+14155550199", 1.0, 1000.0, 10) == 0  # another number, its own pace
    assert sms.take_pace("+14155550100", 20.0, 1000.0, 10) == pytest.approx(2.0)
    assert sms.take_pace("+14155550100", 1.0, 1000.0, 10) == pytest.approx(22.0)  # not reserved


def test_a_text_books_its_slot_however_far_off_and_keeps_it(sms_repos: dict[str, Any]) -> None:
    sms = sms_repos["sms"]
    number = "+14155550100"
    assert sms.take_pace(number, 30.0, 1000.0, 10) == 0  # the number is busy for 30 s
    assert sms.take_pace(number, 1.0, 1000.0, 10, key="m1") == pytest.approx(30.0)  # booked
    assert sms.take_pace(number, 1.0, 1010.0, 10, key="m1") == pytest.approx(20.0)  # the same
    assert sms.take_pace(number, 1.0, 1000.0, 10, key="m2") == pytest.approx(31.0)  # next one
    assert sms.take_pace(number, 1.0, 1000.0, 10) == pytest.approx(32.0)  # not reserved


def test_rate_windows_and_opt_out_changes(sms_repos: dict[str, Any]) -> None:
    sms = sms_repos["sms"]
    assert [sms.take_rate("user#u-alice", 60, 2) for _ in range(3)] == [True, True, False]
    assert sms.take_rate("user#u-alice", 120, 2) is True  # a new window
    assert sms.set_opt_out("+1415", "+1212", True, "STOP", "sm1", "t1") is True
    assert sms.set_opt_out("+1415", "+1212", True, "STOP", "sm2", "t2") is False
    assert sms.opted_out("+1415", "+1212") is True
    assert sms.set_opt_out("+1415", "+1212", False, "START", "sm3", "t3") is True
    assert [h["keyword"] for h in sms.opt_out_history("+1415", "+1212")] == ["STOP", "START"]
