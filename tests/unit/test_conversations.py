"""Conversation use cases against in-memory adapters."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import (
    Conflict,
    FeatureDisabled,
    Forbidden,
    NotFound,
    ValidationError,
)
from chalicelib.services.common import Caller
from tests.support import World, create_im, outbox, read, seed_people, send, sync


@pytest.fixture
def world() -> World:
    w = World()
    w.people = seed_people(w.directory_repo)  # type: ignore[attr-defined]
    return w


def caller(world: World, name: str) -> Caller:
    user = world.people[name]  # type: ignore[attr-defined]
    return Caller(user.user_id, user.company_id, user.role)


def test_direct_conversation_is_one_per_pair_whoever_starts_it(world: World) -> None:
    svc = world.services.conversations
    first, created = create_im(svc, caller(world, "alice"), ["u-bob"])
    again, created_again = create_im(svc, caller(world, "bob"), ["u-alice"])
    assert created and not created_again
    assert first["id"] == again["id"]
    assert sorted(first["members"]) == ["u-alice", "u-bob"]
    assert first["group"] is False


def test_group_conversation_is_created_each_time_with_a_name(world: World) -> None:
    svc = world.services.conversations
    a, _ = create_im(svc, caller(world, "alice"), ["u-bob", "u-carol"], name="Launch")
    b, _ = create_im(svc, caller(world, "alice"), ["u-bob", "u-carol"], name="Launch")
    assert a["id"] != b["id"]
    assert a["group"] is True and a["name"] == "Launch"


def test_member_from_another_company_is_not_found(world: World) -> None:
    with pytest.raises(NotFound) as err:
        create_im(world.services.conversations, caller(world, "alice"), ["u-dave"])
    assert err.value.code == "user_not_found"
    assert world.conversation_repo.conversations == {}


def test_group_larger_than_the_limit_is_refused(world: World) -> None:
    small = World(max_group_members=3)
    seed_people(small.directory_repo)
    with pytest.raises(ValidationError) as err:
        create_im(
            small.services.conversations, Caller("u-alice", "acme"), ["u-bob", "u-carol", "u-x"]
        )
    assert err.value.code == "too_many_members"


def test_send_assigns_growing_sequence_numbers(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    m1, _ = send(svc, caller(world, "alice"), conv["id"], "c1", "hello")
    m2, _ = send(svc, caller(world, "bob"), conv["id"], "c1", "hi")
    assert (m1.seq, m2.seq) == (1, 2)
    assert m1.message_id != m2.message_id


def test_same_client_id_twice_returns_the_same_message_and_stores_one(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    first, created = send(svc, caller(world, "alice"), conv["id"], "key-1", "hello")
    second, created_again = send(svc, caller(world, "alice"), conv["id"], "key-1", "hello")
    assert created and not created_again
    assert first.message_id == second.message_id
    assert len(world.conversation_repo.messages) == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_text"),
        ("   ", "empty_text"),
        (None, "invalid_text"),
        (42, "invalid_text"),
        ("x" * 4001, "text_too_long"),
    ],
)
def test_bad_text_is_refused_and_nothing_is_stored(world: World, text: object, code: str) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    with pytest.raises(ValidationError) as err:
        send(svc, caller(world, "alice"), conv["id"], "k", text)
    assert err.value.code == code
    assert world.conversation_repo.messages == {}


def test_text_of_exactly_the_limit_is_accepted(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    message, _ = send(svc, caller(world, "alice"), conv["id"], "k", "x" * 4000)
    assert len(message.text) == 4000


def test_non_member_cannot_see_or_send(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    for who in ("carol", "dave"):
        with pytest.raises(NotFound):
            send(svc, caller(world, who), conv["id"], "k", "hi")
        with pytest.raises(NotFound):
            svc.get(caller(world, who), conv["id"])


def test_unread_count_follows_read_horizon_and_own_sends(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    for n in range(3):
        send(svc, caller(world, "alice"), conv["id"], f"k{n}", f"message {n}")
    bob_view = svc.get(caller(world, "bob"), conv["id"])
    alice_view = svc.get(caller(world, "alice"), conv["id"])
    assert bob_view["unread_count"] == 3
    assert alice_view["unread_count"] == 0
    after = read(svc, caller(world, "bob"), conv["id"], 2)
    assert after["unread_count"] == 1
    # the horizon never moves back
    again = read(svc, caller(world, "bob"), conv["id"], 1)
    assert again["read_seq"] == 2


def test_read_past_the_last_message_is_refused(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    with pytest.raises(ValidationError) as err:
        read(svc, caller(world, "bob"), conv["id"], 5)
    assert err.value.code == "invalid_seq"


def test_list_is_most_recent_first_and_paginated(world: World) -> None:
    svc = world.services.conversations
    ids = []
    for n, other in enumerate(["u-bob", "u-carol"]):
        conv, _ = create_im(svc, caller(world, "alice"), [other])
        outbox(world, send(svc, caller(world, "alice"), conv["id"], f"k{n}", "hi")[0])
        ids.append(conv["id"])
    bump, _ = send(svc, caller(world, "bob"), ids[0], "k9", "bump")
    outbox(world, bump)  # bob's conversation is now newest
    first = svc.list_for(caller(world, "alice"), 1, None)
    second = svc.list_for(caller(world, "alice"), 1, first.next_cursor)
    assert [c["id"] for c in first.items + second.items] == [ids[0], ids[1]]
    assert second.next_cursor is None


def test_hidden_conversation_leaves_the_list_until_a_new_message(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    send(svc, caller(world, "alice"), conv["id"], "k1", "hi")
    svc.set_flags(caller(world, "bob"), conv["id"], hidden=True)
    assert svc.list_for(caller(world, "bob"), 10, None).items == []
    again, _ = send(svc, caller(world, "alice"), conv["id"], "k2", "are you there?")
    assert svc.list_for(caller(world, "bob"), 10, None).items == []  # not until the outbox
    outbox(world, again)
    assert [c["id"] for c in svc.list_for(caller(world, "bob"), 10, None).items] == [conv["id"]]


def test_mute_is_per_member(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    assert svc.set_flags(caller(world, "bob"), conv["id"], muted=True)["muted"] is True
    assert svc.get(caller(world, "alice"), conv["id"])["muted"] is False


def test_only_the_author_deletes_and_everyone_sees_a_tombstone(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    message, _ = send(svc, caller(world, "alice"), conv["id"], "k1", "oops")
    with pytest.raises(Forbidden):
        svc.delete_message(caller(world, "bob"), conv["id"], message.message_id)
    deleted = svc.delete_message(caller(world, "alice"), conv["id"], message.message_id)
    assert deleted.deleted and deleted.text == ""
    seen_by_bob = svc.history(caller(world, "bob"), conv["id"], 10, None).items[0]
    assert seen_by_bob.deleted and seen_by_bob.to_dict()["text"] == ""
    assert svc.get(caller(world, "bob"), conv["id"])["last_message"]["text"] == ""


def test_members_can_be_added_and_removed_in_groups_only(world: World) -> None:
    svc = world.services.conversations
    group, _ = create_im(svc, caller(world, "alice"), ["u-bob"], group=True)
    grown = svc.add_members(caller(world, "bob"), group["id"], ["u-carol"])
    assert sorted(grown["members"]) == ["u-alice", "u-bob", "u-carol"]
    svc.remove_member(caller(world, "carol"), group["id"], "u-alice")
    with pytest.raises(NotFound):
        svc.get(caller(world, "alice"), group["id"])
    direct, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    with pytest.raises(Exception) as err:
        svc.add_members(caller(world, "alice"), direct["id"], ["u-carol"])
    assert getattr(err.value, "code", None) == "not_a_group"


def test_history_is_newest_first_and_paginated(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    for n in range(5):
        send(svc, caller(world, "alice"), conv["id"], f"k{n}", f"m{n}")
    seen = []
    cursor = None
    while True:
        page = svc.history(caller(world, "bob"), conv["id"], 2, cursor)
        seen += [m.seq for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]


def test_im_switched_off_refuses_new_conversations(world: World) -> None:
    off = World(im_enabled=False)
    seed_people(off.directory_repo)
    with pytest.raises(FeatureDisabled):
        create_im(off.services.conversations, Caller("u-alice", "acme"), ["u-bob"])


def test_sent_messages_carry_their_entities(world: World) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    message, _ = send(svc, caller(world, "alice"), conv["id"], "k", "call (415) 555-2671")
    assert message.to_dict()["entities"] == [
        {"type": "phone", "start": 5, "end": 19, "e164": "+14155552671"}
    ]


def test_sync_returns_exactly_what_a_device_missed_per_conversation(world: World) -> None:
    svc = world.services.conversations
    a, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    b, _ = create_im(svc, caller(world, "carol"), ["u-bob"])
    for n in range(4):
        send(svc, caller(world, "alice"), a["id"], f"a{n}", f"a{n}")
    send(svc, caller(world, "carol"), b["id"], "b0", "b0")
    result = sync(svc, caller(world, "bob"), {a["id"]: 2, b["id"]: 1, "nope": 0}, 10)[
        "conversations"
    ]
    assert [m["seq"] for m in result[a["id"]]["messages"]] == [3, 4]
    assert result[a["id"]]["last_seq"] == 4 and result[a["id"]]["unread_count"] == 4
    assert result[b["id"]]["messages"] == []
    assert result["nope"]["error"]["code"] == "conversation_not_found"
    paged = sync(svc, caller(world, "bob"), {a["id"]: 0}, 3)["conversations"][a["id"]]
    assert [m["seq"] for m in paged["messages"]] == [1, 2, 3] and paged["next_cursor"]
    rest = svc.history(caller(world, "bob"), a["id"], 3, paged["next_cursor"], after_seq=0)
    assert [m.seq for m in rest.items] == [4] and rest.next_cursor is None


def test_sync_refuses_malformed_positions(world: World) -> None:
    for bad in (None, {}, {"c": "1"}, {"c": -1}, {f"c{n}": 0 for n in range(51)}):
        with pytest.raises(ValidationError) as err:
            sync(world.services.conversations, caller(world, "bob"), bad, 10)
        assert err.value.code == "invalid_sync"


def test_a_send_whose_number_was_closed_as_lost_takes_another(world: World) -> None:
    """A send slower than the settle time finds its number closed by a catch-up (a
    placeholder): it takes the next number, once, and is stored."""
    svc = world.services.conversations
    group, _ = create_im(svc, caller(world, "alice"), ["u-bob", "u-carol"], name="Slow")
    repo = world.conversation_repo
    real = repo.append_message
    closed: list[int] = []

    def closed_meanwhile(conversation, message):  # type: ignore[no-untyped-def]
        if not closed:
            closed.append(message.seq)
            repo.fill_gap(conversation, message.seq, message.created_at)
        return real(conversation, message)

    repo.append_message = closed_meanwhile  # type: ignore[method-assign]
    message, created = send(svc, caller(world, "alice"), group["id"], "mine", "hello all")
    assert created and closed == [1] and message.seq == 2
    page, through = svc.catch_up(caller(world, "bob"), group["id"], 0, 10, None)
    assert [m.seq for m in page.items] == [2] and through == 2


def test_a_client_id_racing_itself_stores_once_and_closes_its_number(world: World) -> None:
    """Two attempts with one client id pass the replay check together; the loser's
    number becomes a placeholder, so catch-up steps over it and no hole stays."""
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    repo = world.conversation_repo
    real_get = repo.get_for_send
    raced: list[bool] = []

    def first_look_misses(conversation_id, sender, client_id):  # type: ignore[no-untyped-def]
        if not raced:  # the other attempt stores between our check and our store
            raced.append(True)
            twin, _ = send(svc, caller(world, "alice"), conversation_id, client_id, "hi")
            assert twin.seq == 1
            return repo.get(conversation_id), None
        return real_get(conversation_id, sender, client_id)

    repo.get_for_send = first_look_misses  # type: ignore[method-assign]
    message, created = send(svc, caller(world, "alice"), conv["id"], "same", "hi")
    assert not created and message.seq == 1
    assert (conv["id"], 2) in repo.gaps
    later, _ = send(svc, caller(world, "alice"), conv["id"], "next", "after")
    page, through = svc.catch_up(caller(world, "bob"), conv["id"], 0, 10, None)
    assert [m.seq for m in page.items] == [1, 3] and through == 3 == later.seq
    assert svc.get(caller(world, "bob"), conv["id"])["last_message"]["seq"] == 3


def test_an_empty_country_list_allows_no_destination() -> None:
    from chalicelib.settings import Settings

    assert Settings.from_env({"SMS_ALLOWED_COUNTRIES": ""}).sms_allowed_countries == ()
    assert Settings.from_env({}).sms_allowed_countries == ("US", "CA")
    assert Settings.from_env({"SMS_MAX_SEGMENTS": "3"}).sms_max_segments == 3


def test_member_entries_move_in_the_outbox_forward_only(world: World) -> None:
    """The send moves only the writer's entry; the outbox's fan-out moves the others,
    and a redelivered or late older event never moves one back."""
    svc = world.services.conversations
    group, _ = create_im(svc, caller(world, "alice"), ["u-bob", "u-carol"], name="G")
    other, _ = create_im(svc, caller(world, "carol"), ["u-bob"])
    outbox(world, send(svc, caller(world, "carol"), other["id"], "k0", "elsewhere")[0])
    first, _ = send(svc, caller(world, "alice"), group["id"], "k1", "one")
    second, _ = send(svc, caller(world, "alice"), group["id"], "k2", "two")

    def bobs_list() -> list[str]:
        return [c["id"] for c in svc.list_for(caller(world, "bob"), 10, None).items]

    assert bobs_list() == [other["id"], group["id"]]  # the group's sends not fanned out yet
    mine = world.conversation_repo.get_membership("u-alice", group["id"])
    assert mine is not None and mine.activity_at == second.created_at and mine.read_seq == 2
    outbox(world, second)
    assert bobs_list() == [group["id"], other["id"]]
    outbox(world, first)  # late, and again: nothing moves back
    outbox(world, second)
    bob = world.conversation_repo.get_membership("u-bob", group["id"])
    assert bob is not None and bob.activity_at == second.created_at
    assert svc.get(caller(world, "bob"), group["id"])["unread_count"] == 2


def test_a_replayed_send_repairs_the_head_and_the_writers_entry(world: World) -> None:
    """A crash after storing, before the head and the writer's entry moved: the retry
    with the same client id finishes both (forward only) and stores nothing new."""
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    repo = world.conversation_repo
    real_touch = repo.touch_sender
    repo.touch_sender = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        send(svc, caller(world, "alice"), conv["id"], "k1", "hello")
    repo.touch_sender = real_touch  # type: ignore[method-assign]
    assert repo.get_membership("u-alice", conv["id"]).read_seq == 0  # type: ignore[union-attr]
    message, created = send(svc, caller(world, "alice"), conv["id"], "k1", "hello")
    assert not created and message.seq == 1
    assert repo.get_membership("u-alice", conv["id"]).read_seq == 1  # type: ignore[union-attr]
    assert svc.get(caller(world, "bob"), conv["id"])["last_message"]["seq"] == 1


def test_a_store_that_fails_closes_its_number_so_catch_up_never_waits_on_it(
    world: World,
) -> None:
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    repo = world.conversation_repo
    real = repo.append_message
    repo.append_message = lambda *a: (_ for _ in ()).throw(RuntimeError("throttled"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        send(svc, caller(world, "alice"), conv["id"], "k1", "lost")
    repo.append_message = real  # type: ignore[method-assign]
    assert (conv["id"], 1) in repo.gaps
    message, created = send(svc, caller(world, "alice"), conv["id"], "k1", "again")
    assert created and message.seq == 2
    page, through = svc.catch_up(caller(world, "bob"), conv["id"], 0, 10, None)
    assert [m.seq for m in page.items] == [2] and through == 2


def test_a_store_whose_answer_was_lost_is_still_created(world: World) -> None:
    """The transaction landed but its answer was lost; the SDK's retry then finds our
    own client key. That is our message, created once, not a replay of an earlier one:
    the writer's entry moves and the caller hears it was created."""
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    repo = world.conversation_repo
    real = repo.append_message

    def lands_then_conflicts(conversation, message):  # type: ignore[no-untyped-def]
        real(conversation, message)
        raise Conflict("this client_id was already used")

    repo.append_message = lands_then_conflicts  # type: ignore[method-assign]
    message, created = send(svc, caller(world, "alice"), conv["id"], "k1", "hello")
    assert created and message.seq == 1
    assert not repo.gaps  # its own number is not closed as lost
    assert repo.get_membership("u-alice", conv["id"]).read_seq == 1  # type: ignore[union-attr]


def test_the_fan_out_moves_a_head_left_behind_by_a_send_that_died(world: World) -> None:
    """A send that died after storing, before moving the head: nobody retries an
    inbound text or an automatic reply, so the message's own event moves it."""
    svc = world.services.conversations
    conv, _ = create_im(svc, caller(world, "alice"), ["u-bob"])
    repo = world.conversation_repo
    real = repo.advance_head
    repo.advance_head = lambda *a: False  # type: ignore[method-assign]  # the head stays
    message, _ = send(svc, caller(world, "alice"), conv["id"], "k1", "hello")
    repo.advance_head = real  # type: ignore[method-assign]
    assert repo.get(conv["id"]).last_seq == 0  # type: ignore[union-attr]
    outbox(world, message)
    head = repo.get(conv["id"])
    assert head is not None and head.last_seq == 1 and head.last_message["text"] == "hello"
    assert svc.get(caller(world, "bob"), conv["id"])["unread_count"] == 1
