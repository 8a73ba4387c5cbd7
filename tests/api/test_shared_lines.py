"""Shared lines through the real app on moto: PATCH /conversations/{id} with an
assignee or labels, the views of GET /conversations, notes, and two assigns racing."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.dynamodb import shared_lines as shared_lines_adapter
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import BusinessNumber
from tests import fakes
from tests.api.conftest import Api, running_api
from tests.api.test_sms import SHARED, SHOP, inbound, webhook
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)

OTHER = "+442079460958"  # globex's line, shared by erin and frank


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


@pytest.fixture
def line(aws: Any) -> Any:
    with running_api(adapters={"held_pushes": fakes.MemoryHeldPushes()}) as api:
        repo = api.services.adapters.sms
        repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
        repo.put_number(BusinessNumber(SHARED, "acme", users=["u-bob", "u-carol"]))
        repo.put_number(BusinessNumber(OTHER, "globex", users=["u-erin", "u-frank"]))
        directory = api.services.adapters.directory
        for who, numbers in (("alice", [SHOP]), ("bob", [SHARED]), ("carol", [SHARED])):
            user = api.people[who]
            user.numbers = numbers
            directory.put_user(user)
        yield api


def texted(api: Api, to: str = SHARED, sid: str = "SM1", who: str = "bob") -> str:
    assert webhook(api, "/webhooks/twilio/sms", inbound(sid, "hello", to=to)).status_code == 200
    listed = body(api.call("GET", "/conversations", who))["items"]
    return str(next(c["id"] for c in listed if c.get("business_number") == to))


def patch(api: Api, conversation_id: str, who: str, payload: Any) -> Any:
    return api.call("PATCH", f"/conversations/{conversation_id}", who, payload)


def view(api: Api, who: str, name: str) -> list[str]:
    response = api.call("GET", f"/conversations?view={name}", who)
    assert response.status_code == 200, response.body
    return [c["id"] for c in body(response)["items"]]


def test_assign_reassign_and_unassign_show_on_every_members_conversation(line: Api) -> None:
    conversation_id = texted(line)
    response = patch(line, conversation_id, "bob", {"assignee": "u-bob"})
    assert (response.status_code, body(response)["assignee"]) == (200, "u-bob")
    assert body(patch(line, conversation_id, "carol", {"assignee": "u-carol"}))["assignee"] == (
        "u-carol"
    )
    carol_sees = body(line.call("GET", f"/conversations/{conversation_id}", "carol"))
    assert carol_sees["assignee"] == "u-carol"
    assert body(patch(line, conversation_id, "bob", {"assignee": None}))["assignee"] is None


@pytest.mark.parametrize(
    ("who", "payload", "status", "code"),
    [
        ("alice", {"assignee": "u-alice"}, 404, "conversation_not_found"),  # not on the line
        ("erin", {"assignee": "u-erin"}, 404, "conversation_not_found"),  # another company
        ("bob", {"assignee": "u-alice"}, 400, "assignee_not_on_line"),
        ("bob", {"assignee": "u-erin"}, 400, "assignee_not_on_line"),
        ("bob", {"assignee": ""}, 400, "invalid_assignee"),
        ("bob", {"assignee": 7}, 400, "invalid_assignee"),
        ("bob", {"assignee": "x" * 257}, 400, "invalid_assignee"),
        ("bob", {"labels": "vip"}, 400, "invalid_labels"),
        ("bob", {"labels": ["x" * 33]}, 400, "invalid_labels"),
        ("bob", {"labels": [f"l{n}" for n in range(11)]}, 400, "invalid_labels"),
        ("bob", {"labels": None}, 400, "invalid_labels"),
        ("bob", {"owner": "u-bob"}, 400, "invalid_request"),
    ],
)
def test_bad_assignments_and_labels_are_refused_and_change_nothing(
    line: Api, who: str, payload: Any, status: int, code: str
) -> None:
    conversation_id = texted(line)
    response = patch(line, conversation_id, who, payload)
    assert (response.status_code, body(response)["error"]["code"]) == (status, code)
    after = body(line.call("GET", f"/conversations/{conversation_id}", "bob"))
    assert (after["assignee"], after["labels"], after["members"]) == (
        None,
        [],
        ["u-bob", "u-carol"],
    )


def test_im_and_a_line_of_one_have_no_assignee(line: Api) -> None:
    im = body(line.call("POST", "/conversations", "bob", {"type": "im", "members": ["u-carol"]}))
    response = patch(line, im["id"], "bob", {"assignee": "u-bob"})
    assert (response.status_code, body(response)["error"]["code"]) == (409, "not_a_shared_line")
    own = texted(line, to=SHOP, sid="SM2", who="alice")
    response = patch(line, own, "alice", {"assignee": "u-alice"})
    assert (response.status_code, body(response)["error"]["code"]) == (409, "not_a_shared_line")


def test_views_list_mine_and_unassigned_and_refuse_an_unknown_view(line: Api) -> None:
    first = texted(line, sid="SM1")
    assert view(line, "bob", "unassigned") == [first] == view(line, "carol", "unassigned")
    patch(line, first, "bob", {"assignee": "u-carol"})
    assert view(line, "carol", "mine") == [first]
    assert view(line, "bob", "mine") == [] == view(line, "bob", "unassigned")
    assert view(line, "bob", "all") == [first]
    response = line.call("GET", "/conversations?view=theirs", "bob")
    assert (response.status_code, body(response)["error"]["code"]) == (400, "invalid_view")
    assert view(line, "alice", "unassigned") == []  # a line of one has nothing unassigned


def test_views_page_with_an_opaque_cursor_that_only_works_for_its_own_view(line: Api) -> None:
    phones = ["+14155552671", "+14155552672", "+14155552673"]
    for n, phone in enumerate(phones):
        params = inbound(f"SM{n}", "hi", from_=phone, to=SHARED)
        assert webhook(line, "/webhooks/twilio/sms", params).status_code == 200
    first = body(line.call("GET", "/conversations?view=unassigned&limit=2", "bob"))
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = body(
        line.call("GET", f"/conversations?view=unassigned&cursor={first['next_cursor']}", "bob")
    )
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    wrong = line.call("GET", f"/conversations?view=mine&cursor={first['next_cursor']}", "bob")
    assert body(wrong)["error"]["code"] == "invalid_cursor"
    carols = line.call(
        "GET", f"/conversations?view=unassigned&cursor={first['next_cursor']}", "carol"
    )
    assert body(carols)["error"]["code"] == "invalid_cursor"


def test_labels_are_set_listed_and_removed(line: Api) -> None:
    conversation_id = texted(line)
    labelled = body(patch(line, conversation_id, "carol", {"labels": ["billing", " VIP "]}))
    assert labelled["labels"] == ["billing", "VIP"]
    listed = body(line.call("GET", "/conversations", "bob"))["items"]
    assert listed[0]["labels"] == ["billing", "VIP"]
    assert body(patch(line, conversation_id, "bob", {"labels": []}))["labels"] == []


def test_a_note_is_read_by_the_line_only_and_never_queued_for_the_provider(line: Api) -> None:
    conversation_id = texted(line)
    response = line.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        "carol",
        {"client_id": "n1", "text": "she was promised a refund", "note": True},
    )
    assert response.status_code == 201, response.body
    note = body(response)
    assert (note["channel"], note["status"]) == ("note", "sent")
    history = body(line.call("GET", f"/conversations/{conversation_id}/messages", "bob"))
    assert history["items"][0]["text"] == "she was promised a refund"
    assert line.services.sms_sender.deliver(note) == "skipped"
    assert line.providers.sent == []
    hidden = line.call("GET", f"/conversations/{conversation_id}/messages", "alice")
    assert hidden.status_code == 404
    bad = line.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        "carol",
        {"client_id": "n2", "text": "x", "note": "yes"},
    )
    assert bad.status_code == 400


@pytest.mark.usefixtures("serial_dynamodb")
def test_two_people_assigning_at_once_end_with_one_assignee_both_see(line: Api) -> None:
    conversation_id = texted(line)
    barrier = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def claim(who: str) -> None:
        barrier.wait()
        answers[who] = patch(line, conversation_id, who, {"assignee": f"u-{who}"})

    threads = [threading.Thread(target=claim, args=(who,)) for who in ("bob", "carol")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = body(line.call("GET", f"/conversations/{conversation_id}", "bob"))["assignee"]
    assert final in ("u-bob", "u-carol")
    for response in answers.values():  # a winner, or a loser told so (never a torn state)
        assert response.status_code == 200 or (
            response.status_code,
            body(response)["error"]["code"],
        ) == (409, "assignment_changed")
    owner = final.removeprefix("u-")
    other = "carol" if owner == "bob" else "bob"
    assert view(line, owner, "mine") == [conversation_id]
    assert view(line, other, "mine") == [] == view(line, other, "unassigned")


# DynamoDB applies each request atomically; in-process moto needs a lock for that
@pytest.mark.usefixtures("serial_dynamodb")
def test_assignments_from_the_same_read_race_and_exactly_one_is_written(line: Api) -> None:
    conversation_id = texted(line)
    read = line.services.adapters.conversations.get(conversation_id)
    barrier = threading.Barrier(6)
    won: list[str] = []

    def assign(user_id: str) -> None:
        barrier.wait()
        try:
            line.services.adapters.shared_lines.assign(read, user_id)
            won.append(user_id)
        except ConcurrentUpdate:
            pass

    threads = [
        threading.Thread(target=assign, args=(("u-bob", "u-carol")[n % 2],)) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1
    stored = line.services.adapters.conversations.get(conversation_id)
    assert (stored.assignee, stored.version) == (won[0], read.version + 1)
    memberships = line.services.adapters.conversations.get_memberships(
        conversation_id, ["u-bob", "u-carol"]
    )
    assert {m.assignee for m in memberships.values()} == {won[0]}


BIG_LINE = "+14155550177"


def test_a_line_of_150_people_is_assigned_reassigned_and_unassigned(line: Api) -> None:
    """Past DynamoDB's 100 items per transaction: every member's copy and view follow."""
    conversation_id, members = big_line(line)
    crowd = members[2:]
    assert len(body(line.call("GET", f"/conversations/{conversation_id}", "bob"))["members"]) == 150

    for who, assignee in (("bob", "u-carol"), ("carol", crowd[-1]), ("bob", None)):
        response = patch(line, conversation_id, who, {"assignee": assignee})
        assert (response.status_code, body(response)["assignee"]) == (200, assignee), response.body
        stored = line.services.adapters.conversations.get_memberships(conversation_id, members)
        assert len(stored) == 150
        assert {m.assignee for m in stored.values()} == {assignee}
    assert view(line, "bob", "unassigned") == [conversation_id] == view(line, "carol", "unassigned")
    patch(line, conversation_id, "carol", {"assignee": "u-carol"})
    assert view(line, "carol", "mine") == [conversation_id]
    assert view(line, "bob", "mine") == [] == view(line, "bob", "unassigned")


def big_line(api: Api) -> tuple[str, list[str]]:
    members = ["u-bob", "u-carol", *(f"u-line{n:03d}" for n in range(148))]
    api.services.adapters.sms.put_number(BusinessNumber(BIG_LINE, "acme", users=members))
    return texted(api, to=BIG_LINE, sid="SM150"), members


def test_asking_again_repairs_copies_a_cut_off_assignment_of_a_large_line_left_behind(
    line: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id, members = big_line(line)
    complete = shared_lines_adapter.spread_member_views

    def cut_off(conversation: Any, users: list[str]) -> None:
        complete(conversation, users[:90])
        raise ConnectionError("the function died midway")

    monkeypatch.setattr(shared_lines_adapter, "spread_member_views", cut_off)
    assert patch(line, conversation_id, "bob", {"assignee": "u-bob"}).status_code == 500
    monkeypatch.setattr(shared_lines_adapter, "spread_member_views", complete)
    conversations = line.services.adapters.conversations
    behind = conversations.get_memberships(conversation_id, members)
    assert {m.assignee for m in behind.values()} == {"u-bob", None}

    again = patch(line, conversation_id, "bob", {"assignee": "u-bob"})

    assert again.status_code == 200
    copies = conversations.get_memberships(conversation_id, members)
    assert {m.assignee for m in copies.values()} == {"u-bob"}
    assert view(line, "bob", "mine") == [conversation_id]
    assert view(line, "carol", "unassigned") == []


def test_a_large_lines_copies_keep_the_latest_assignment_whatever_order_they_land_in(
    line: Api,
) -> None:
    conversation_id, members = big_line(line)
    read = line.services.adapters.conversations.get(conversation_id)
    first = replace(read, assignee="u-bob", version=read.version + 1)
    second = replace(read, assignee="u-carol", version=read.version + 2)

    shared_lines_adapter.spread_member_views(second, members)
    shared_lines_adapter.spread_member_views(
        first, members
    )  # the earlier assignment's copies arrive late

    copies = line.services.adapters.conversations.get_memberships(conversation_id, members)
    assert {m.assignee for m in copies.values()} == {"u-carol"}


def test_asking_for_a_large_line_again_creates_nothing_and_resets_no_one(line: Api) -> None:
    conversation_id, members = big_line(line)
    conversations = line.services.adapters.conversations
    assert conversations.get(conversation_id) is not None
    last = members[-1]  # among those written outside the transaction
    assert conversations.advance_read(last, conversation_id, 1)
    stored = conversations.get(conversation_id)

    again, created = conversations.create(replace(stored, created_at="2030-01-01T00:00:00Z"))

    assert (created, again.created_at) == (False, stored.created_at)
    assert conversations.get_membership(last, conversation_id).read_seq == 1


def test_a_small_lines_assignment_marks_each_copy_so_an_older_spread_leaves_it(
    line: Api,
) -> None:
    conversation_id = texted(line)
    read = line.services.adapters.conversations.get(conversation_id)
    assert body(patch(line, conversation_id, "bob", {"assignee": "u-bob"}))["assignee"] == "u-bob"

    # an older assignment's copies (a line that was past 99 people then) arrive late
    older = replace(read, assignee="u-carol", version=read.version)
    shared_lines_adapter.spread_member_views(older, ["u-bob", "u-carol"])

    copies = line.services.adapters.conversations.get_memberships(
        conversation_id, ["u-bob", "u-carol"]
    )
    assert {m.assignee for m in copies.values()} == {"u-bob"}
    assert view(line, "bob", "mine") == [conversation_id]
