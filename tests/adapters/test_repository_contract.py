"""One contract, two implementations: the DynamoDB repositories (on moto) and the fakes.

The SMS repository has its own suite (test_sms_repository_contract.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.domain.contacts import Phone
from chalicelib.domain.errors import ConcurrentUpdate, Conflict, NotFound, ValidationError
from chalicelib.domain.model import (
    Company,
    Connection,
    Contact,
    Conversation,
    Device,
    Message,
    Missed,
    Presence,
    User,
)
from tests import fakes
from tests.support import seed_people


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    if request.param == "memory":
        yield {
            "directory": fakes.MemoryDirectoryRepository(),
            "contacts": fakes.MemoryContactRepository(),
            "conversations": fakes.MemoryConversationRepository(),
            "connections": fakes.MemoryConnectionRepository(),
        }
        return
    request.getfixturevalue("tables")
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


def test_a_company_reads_back_as_stored_and_a_second_put_replaces_it(
    repos: dict[str, Any],
) -> None:
    directory = repos["directory"]
    company = Company("acme", "Acme Corp", "GB", sms_enabled=False, help_text="Call 555")
    directory.put_company(company)
    assert directory.get_company("acme") == company
    directory.put_company(Company("acme", "Acme Inc"))
    assert directory.get_company("acme") == Company("acme", "Acme Inc")
    assert directory.get_company("initech") is None


def test_a_user_reads_back_as_stored_and_a_second_put_replaces_it(repos: dict[str, Any]) -> None:
    directory = repos["directory"]
    bob = User(
        "u-bob",
        "acme",
        "Bob Brown",
        "bob@acme.test",
        "102",
        "user",
        "sms",
        ["+14155550100"],
        Presence(),
        "",
        False,
        "p1",
    )
    directory.put_user(bob)
    assert directory.get_user("u-bob") == bob
    directory.put_user(User("u-bob", "acme", "Robert Brown", "bob@acme.test"))
    assert directory.get_user("u-bob").name == "Robert Brown"
    assert directory.get_user("u-bob").numbers == []
    assert list(directory.get_users(["u-bob", "u-nobody"])) == ["u-bob"]
    assert directory.get_users([]) == {}


def test_a_cursor_from_another_list_is_refused(repos: dict[str, Any]) -> None:
    seed_people(repos["directory"])
    page = repos["directory"].list_users("acme", 1, None)
    with pytest.raises(ValidationError):
        repos["directory"].list_users("globex", 1, page.next_cursor)


def test_contacts_belong_to_their_owner(repos: dict[str, Any]) -> None:
    contact = Contact("k1", "u-alice", "acme", "Pat", [Phone("+14155552671")], "t", "t")
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


def test_get_many_returns_the_known_conversations_only(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    repo.create(conversation("g1"))
    repo.create(conversation("g2", members=["u-alice", "u-carol"]))
    found = repo.get_many(["g2", "g9", "g1"])
    assert sorted(found) == ["g1", "g2"]
    assert found["g2"].members == ["u-alice", "u-carol"]
    assert repo.get_many([]) == {}


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


def test_a_send_reads_the_conversation_and_its_client_key_at_once(
    repos: dict[str, Any],
) -> None:
    repo = repos["conversations"]
    assert repo.get_for_send("g1", "u-alice", "a") == (None, None)
    fresh, _ = repo.create(conversation())
    found, seq = repo.get_for_send("g1", "u-alice", "a")
    assert found == repo.get("g1") and seq is None
    repo.append_message(fresh, message(fresh, 1, "a"))
    found, seq = repo.get_for_send("g1", "u-alice", "a")
    assert found is not None and found.conversation_id == "g1" and seq == 1
    assert repo.get_for_send("g1", "u-bob", "a")[1] is None  # another sender's key
    assert repo.get_for_send("g2", "u-alice", "a") == (None, None)


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
    for member in older.members:
        repo.touch_member(member, "g1", "2026-01-03T00:00:00.000Z")
    page = repo.list_memberships("u-bob", 1, None)
    assert [m.conversation_id for m in page.items] == ["g1"]
    assert [
        m.conversation_id for m in repo.list_memberships("u-bob", 1, page.next_cursor).items
    ] == ["g2"]
    repo.set_flags("u-bob", "g1", hidden=True, muted=True)
    assert [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items] == ["g2"]
    assert repo.get_membership("u-bob", "g1").muted is True
    assert repo.touch_member("u-bob", "g1", "2026-01-04T00:00:00.000Z") is True
    assert repo.touch_member("u-bob", "g1", "2026-01-02T00:00:00.000Z") is False  # never back
    assert [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items] == [
        "g1",
        "g2",
    ]
    assert newer.conversation_id == "g2"


def test_sequence_numbers_come_from_a_counter_that_never_repeats(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    assert [repo.take_seq("g1") for _ in range(3)] == [1, 2, 3]
    repo.append_message(conv, message(conv, 3, "c3", at="2026-01-01T00:00:03.000Z"))
    repo.append_message(conv, message(conv, 1, "c1", at="2026-01-01T00:00:01.000Z"))
    head = repo.get("g1")  # the head follows the highest stored message, never back
    assert head.last_seq == 3 and head.last_message["seq"] == 3
    assert head.updated_at == "2026-01-01T00:00:03.000Z"
    assert repo.take_seq("g1") == 4
    with pytest.raises(NotFound):
        repo.take_seq("nope")


def test_a_placeholder_takes_a_number_and_is_never_listed(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    for _ in range(3):
        repo.take_seq("g1")
    repo.append_message(conv, message(conv, 1, "c1"))
    assert repo.fill_gap(conv, 2, "2026-01-01T00:00:01.000Z") is True
    assert repo.fill_gap(conv, 1, "2026-01-01T00:00:01.000Z") is False  # occupied
    with pytest.raises(ConcurrentUpdate):  # a late send finds its number closed
        repo.append_message(conv, message(conv, 2, "late"))
    repo.append_message(conv, message(conv, 3, "c3"))
    assert [m.seq for m in repo.list_messages("g1", 10, None).items] == [3, 1]
    assert repo.get_message("g1", 2) is None
    assert repo.find_by_client_id("g1", "u-alice", "late") is None
    page, through = repo.messages_after("g1", 0, 10, None, "2026-01-01T00:00:00.000Z")
    assert [m.seq for m in page.items] == [1, 3] and through == 3


def test_messages_are_read_in_one_batch_without_placeholders_or_missing_numbers(
    repos: dict[str, Any],
) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    other, _ = repo.create(conversation("g2"))
    for _ in range(3):
        repo.take_seq("g1")
    repo.append_message(conv, message(conv, 1, "c1"))
    repo.fill_gap(conv, 2, "2026-01-01T00:00:01.000Z")
    repo.append_message(conv, message(conv, 3, "c3"))
    repo.take_seq("g2")
    repo.append_message(other, message(other, 1, "o1"))
    repo.mark_deleted("g1", 3, "2026-01-01T00:00:02.000Z")
    found = repo.get_messages([("g1", 1), ("g1", 2), ("g1", 3), ("g1", 9), ("g2", 1), ("g1", 1)])
    assert sorted(found) == [("g1", 1), ("g1", 3), ("g2", 1)]
    assert found[("g2", 1)].text == "text 1" and found[("g1", 3)].deleted
    assert repo.get_messages([]) == {}


def test_catch_up_stops_before_a_number_in_flight_and_closes_a_dead_one(
    repos: dict[str, Any],
) -> None:
    """Message 3 is stored before 2 (its send still running): catch-up from 0 returns 1
    and stops (through 1); once 2 lands it continues exactly. A hole older than the
    settle time is a send that died: closed by a placeholder, stepped over."""
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    for _ in range(5):
        repo.take_seq("g1")
    repo.append_message(conv, message(conv, 1, "c1", at="2026-01-01T00:00:01.000Z"))
    repo.append_message(conv, message(conv, 3, "c3", at="2026-01-01T00:00:03.000Z"))
    settle = "2026-01-01T00:00:02.000Z"  # 3 is younger than the settle line
    page, through = repo.messages_after("g1", 0, 10, None, settle)
    assert [m.seq for m in page.items] == [1] and through == 1 and page.next_cursor is None
    repo.append_message(conv, message(conv, 2, "c2", at="2026-01-01T00:00:02.500Z"))
    page, through = repo.messages_after("g1", through, 10, None, settle)
    assert [m.seq for m in page.items] == [2, 3] and through == 3
    repo.append_message(conv, message(conv, 5, "c5", at="2026-01-01T00:00:05.000Z"))
    page, through = repo.messages_after("g1", 3, 10, None, "2026-01-01T00:00:09.000Z")
    assert [m.seq for m in page.items] == [5] and through == 5  # 4 died: closed
    with pytest.raises(ConcurrentUpdate):
        repo.append_message(conv, message(conv, 4, "c4"))


def test_listing_after_a_sequence_steps_over_a_hole_in_flight(repos: dict[str, Any]) -> None:
    """A transcript lists what is stored: a number whose send has not landed (or never
    will) does not cut it short, however young the later messages are."""
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    for _ in range(6):
        repo.take_seq("g1")
    for seq in (1, 3, 5, 6):  # 2 in flight, 4 closed by a placeholder
        repo.append_message(conv, message(conv, seq, f"c{seq}"))
    repo.fill_gap(conv, 4, "2026-01-01T00:00:01.000Z")
    first = repo.list_messages("g1", 2, None, after_seq=0)
    second = repo.list_messages("g1", 2, first.next_cursor, after_seq=0)
    rest = [m.seq for m in second.items]
    if second.next_cursor:  # the placeholder may fill a page slot
        rest += [m.seq for m in repo.list_messages("g1", 2, second.next_cursor, after_seq=0).items]
    assert [m.seq for m in first.items] + rest == [1, 3, 5, 6]


def test_catch_up_pages_continue_exactly(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    for seq in range(1, 8):
        repo.take_seq("g1")
        if seq == 4:
            repo.fill_gap(conv, seq, "2026-01-01T00:00:01.000Z")
        else:
            repo.append_message(conv, message(conv, seq, f"c{seq}"))
    seen: list[int] = []
    page, through = repo.messages_after("g1", 0, 2, None, "2026-01-01T00:00:00.000Z")
    seen += [m.seq for m in page.items]
    while page.next_cursor:
        page, through = repo.messages_after("g1", 0, 2, page.next_cursor, "2026-01-01")
        seen += [m.seq for m in page.items]
    assert seen == [1, 2, 3, 5, 6, 7] and through == 7
    with pytest.raises(ValidationError):
        repo.messages_after("g1", 1, 2, page.next_cursor or "bogus", "")


def test_the_senders_entry_and_read_horizon_move_together_forward_only(
    repos: dict[str, Any],
) -> None:
    repo = repos["conversations"]
    repo.create(conversation())
    repo.touch_sender("u-alice", "g1", 2, "2026-01-01T00:00:05.000Z")
    mine = repo.get_membership("u-alice", "g1")
    assert mine.read_seq == 2 and mine.activity_at == "2026-01-01T00:00:05.000Z"
    repo.touch_sender("u-alice", "g1", 1, "2026-01-01T00:00:04.000Z")  # an older one, later
    mine = repo.get_membership("u-alice", "g1")
    assert mine.read_seq == 2 and mine.activity_at == "2026-01-01T00:00:05.000Z"
    repo.touch_sender("u-alice", "g1", 3, "2026-01-01T00:00:04.500Z")  # committed out of order
    mine = repo.get_membership("u-alice", "g1")
    assert mine.read_seq == 3 and mine.activity_at == "2026-01-01T00:00:05.000Z"


def test_memberships_of_one_conversation_are_read_together(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    repo.create(conversation(members=["u-alice", "u-bob", "u-carol"]))
    repo.set_flags("u-bob", "g1", muted=True)
    found = repo.get_memberships("g1", ["u-bob", "u-carol", "u-nobody", "u-bob"])
    assert sorted(found) == ["u-bob", "u-carol"]
    assert found["u-bob"].muted is True and found["u-carol"].muted is False
    assert repo.get_memberships("g1", []) == {}


def test_one_users_memberships_of_several_conversations_are_read_hidden_included(
    repos: dict[str, Any],
) -> None:
    repo = repos["conversations"]
    repo.create(conversation(members=["u-alice", "u-bob"]))
    repo.create(conversation("g2", members=["u-alice"]))
    repo.set_flags("u-bob", "g1", hidden=True)
    found = repo.memberships_in("u-bob", ["g1", "g2", "g1"])
    assert sorted(found) == ["g1"] and found["g1"].hidden is True
    assert repo.memberships_in("u-bob", []) == {}


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
    if isinstance(repos["directory"], fakes.MemoryDirectoryRepository):
        return {
            **repos,
            "presence": fakes.MemoryPresenceRepository(repos["directory"]),
            "notifications": fakes.MemoryNotificationRepository(),
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


def test_a_profile_photo_key_is_stored_on_the_user(presence_repos: dict[str, Any]) -> None:
    presence_repos["presence"].set_photo("u-bob", "photos/u-bob/1.png")
    assert presence_repos["directory"].get_user("u-bob").photo_key == "photos/u-bob/1.png"
    assert presence_repos["directory"].get_user("u-carol").photo_key == ""


def test_an_admins_profile_update_keeps_the_photo_the_presence_and_an_offboarding(
    presence_repos: dict[str, Any],
) -> None:
    directory = presence_repos["directory"]
    presence_repos["presence"].set_photo("u-bob", "photos/u-bob/1.png")
    presence_repos["presence"].set_choice("u-bob", "busy", "presenting", None, "t")
    assert directory.set_enabled("u-bob", False).enabled is False
    stale = directory.get_user("u-bob")
    stale.enabled, stale.photo_key, stale.sms_enabled = (
        True,
        "",
        False,
    )  # read before, written after
    directory.put_user(stale)
    after = directory.get_user("u-bob")
    assert (after.enabled, after.photo_key, after.sms_enabled) == (
        False,
        "photos/u-bob/1.png",
        False,
    )
    assert directory.set_enabled("u-bob", True).enabled is True
    assert directory.get_user("u-bob").enabled is True


def test_set_enabled_on_a_missing_profile_creates_nothing(repos: dict[str, Any]) -> None:
    assert repos["directory"].set_enabled("u-nobody", False) is None
    assert repos["directory"].get_user("u-nobody") is None


def test_a_new_profile_is_enabled_unless_stored_otherwise(repos: dict[str, Any]) -> None:
    directory = repos["directory"]
    directory.put_user(User("u-new", "acme", "New Person", username="new.person"))
    assert directory.get_user("u-new").enabled is True
    assert directory.get_user("u-new").username == "new.person"


def test_a_push_token_has_one_owner_and_a_claim_names_the_previous_one(
    presence_repos: dict[str, Any],
) -> None:
    repo = presence_repos["notifications"]
    assert repo.claim_token("apns", "tok-1", "u-bob", "phone") is None
    assert repo.claim_token("apns", "tok-1", "u-bob", "phone") == ("u-bob", "phone")
    assert repo.claim_token("apns", "tok-1", "u-carol", "ipad") == ("u-bob", "phone")
    assert repo.claim_token("fcm", "tok-1", "u-dave", "pixel") is None  # per platform
    assert repo.claim_token("apns", "tok-2", "u-bob", "phone") is None


def test_missed_counters_can_be_read_without_taking_them(presence_repos: dict[str, Any]) -> None:
    repo = presence_repos["notifications"]
    assert repo.missed("u-bob") == []
    repo.add_missed("u-bob", "c1", 3, "2026-01-01T00:00:01.000Z")
    repo.add_missed("u-bob", "c1", 4, "2026-01-01T00:00:02.000Z")
    repo.add_missed("u-carol", "c1", 4, "2026-01-01T00:00:02.000Z")
    expected = [Missed("c1", 2, 4, "2026-01-01T00:00:02.000Z")]
    assert repo.missed("u-bob") == expected
    assert repo.missed("u-bob") == expected  # still there
    assert repo.claim_missed("u-bob") == expected


def test_a_missed_message_counted_late_does_not_set_the_newest_back(
    presence_repos: dict[str, Any],
) -> None:
    """Queued events arrive in any order: an older message still counts."""
    repo = presence_repos["notifications"]
    repo.add_missed("u-bob", "c1", 5, "2026-01-01T00:00:05.000Z")
    repo.add_missed("u-bob", "c1", 4, "2026-01-01T00:00:04.000Z")
    assert repo.missed("u-bob") == [Missed("c1", 2, 5, "2026-01-01T00:00:05.000Z")]


def test_restored_counters_add_to_those_that_arrived_meanwhile(
    presence_repos: dict[str, Any],
) -> None:
    repo = presence_repos["notifications"]
    repo.add_missed("u-bob", "c1", 3, "2026-01-01T00:00:01.000Z")
    repo.add_missed("u-bob", "c2", 1, "2026-01-01T00:00:02.000Z")
    claimed = repo.claim_missed("u-bob")
    repo.add_missed("u-bob", "c1", 5, "2026-01-01T00:00:09.000Z")  # arrived while delivering
    repo.restore_missed("u-bob", claimed)
    assert sorted(
        (m.conversation_id, m.count, m.last_seq, m.updated_at) for m in repo.missed("u-bob")
    ) == [
        ("c1", 2, 5, "2026-01-01T00:00:09.000Z"),
        ("c2", 1, 1, "2026-01-01T00:00:02.000Z"),
    ]


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


def test_the_push_devices_of_several_users_are_read_together(
    presence_repos: dict[str, Any],
) -> None:
    repo = presence_repos["notifications"]
    repo.put_device(Device("u-bob", "phone", "apns", "tok1", "t1", "arn:1"))
    repo.put_device(Device("u-bob", "tablet", "fcm", "tok2", "t2", "arn:2"))
    repo.put_device(Device("u-carol", "phone", "fcm", "tok3", "t3", "arn:3"))
    repo.delete_device("u-bob", "tablet")
    repo.put_device(Device("u-carol", "phone", "fcm", "tok4", "t4", "arn:4"))  # re-registered
    found = repo.devices_of(["u-bob", "u-carol", "u-dave", "u-bob"])
    assert sorted(found) == ["u-bob", "u-carol", "u-dave"]
    assert found["u-bob"] == [Device("u-bob", "phone", "apns", "tok1", "t1", "arn:1")]
    assert found["u-carol"] == [Device("u-carol", "phone", "fcm", "tok4", "t4", "arn:4")]
    assert found["u-dave"] == [] and repo.devices_of([]) == {}
    assert found["u-bob"] == repo.devices("u-bob")


def test_devices_registered_before_the_batch_item_existed_are_found(
    presence_repos: dict[str, Any],
) -> None:
    """A DEVICE item written without its mirror (an older registration) is still pushed
    to: the first batch read builds the mirror from the DEVICE items."""
    repo = presence_repos["notifications"]
    if isinstance(repo, dynamodb.DynamoNotificationRepository):
        from chalicelib.adapters.dynamodb.notifications import _device_item

        _device_item(Device("u-erin", "old", "apns", "tok", "t", "arn:old")).save()
    else:
        repo.put_device(Device("u-erin", "old", "apns", "tok", "t", "arn:old"))
    assert [d.device_id for d in repo.devices_of(["u-erin"])["u-erin"]] == ["old"]
    repo.put_device(Device("u-erin", "new", "fcm", "tok2", "t", "arn:new"))
    assert sorted(d.device_id for d in repo.devices_of(["u-erin"])["u-erin"]) == ["new", "old"]
