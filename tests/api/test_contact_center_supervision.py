"""Supervisors' routes through the real app (chalice.test.Client, DynamoDB on moto):
monitor, private notes, take-over, transfer to a named agent or a queue, an agent's
status set by a supervisor, the live list of a queue; the roles (an agent cannot
monitor, a supervisor of another queue cannot move) and the cross-tenant matrix."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.contact_center import AgentProfile, Queue
from chalicelib.domain.model import User
from chalicelib.services.contact_center import supervision
from tests.api.conftest import running_api
from tests.api.test_contact_center import Center, body, error
from tests.contact_center_support import CHANNEL, SALES, SUPPORT
from tests.fakes.contact_center import MemoryRoutingQueue


@pytest.fixture
def center(aws: Any) -> Iterator[Center]:
    """The demo-like center, plus sam (supervisor of Support) and sue (of Sales)."""
    routing = MemoryRoutingQueue()
    with running_api(adapters={"routing_queue": routing}) as api:
        made = Center(api, routing)
        directory = api.services.adapters.directory
        for name, queue in (("sam", SUPPORT), ("sue", SALES)):
            user = User(f"u-{name}", "acme", name.title(), f"{name}@acme.test")
            directory.put_user(user)
            api.people[name] = user
            # a supervisor who takes over answers from the channel, as its agents do
            numbers = api.services.adapters.sms
            line = numbers.get_number(CHANNEL)
            numbers.put_number(replace(line, users=[*line.users, user.user_id]))
            user.numbers = [CHANNEL]
            directory.put_user(user)
            made.cc.repo.put_agent(
                AgentProfile(
                    user.user_id,
                    "acme",
                    name=name.title(),
                    role="supervisor",
                    skills={"support": 1, "sales": 1},
                    queues=[queue],
                    max_concurrent=2,
                )
            )
        yield made


def active_with(center: Center, who: str = "bob") -> dict[str, Any]:
    offer = center.offered_to(who)
    assert center.call("POST", f"/interactions/{offer['id']}/accept", who).status_code == 200
    return offer


def test_a_supervisor_offers_a_live_interaction_to_a_named_agent_who_accepts(
    center: Center,
) -> None:
    offer = active_with(center)
    center.call("PUT", "/agent/status", "carol", {"status": "available"})
    moved = center.call(
        "POST", f"/interactions/{offer['id']}/transfer", "sam", {"agent_id": "u-carol"}
    )
    assert moved.status_code == 200, body(moved)
    assert body(moved)["state"] == "offered" and body(moved)["agent_id"] == "u-carol"
    assert body(center.call("GET", "/interactions"))["items"] == []  # bob's slot is free
    assert body(center.call("GET", "/agent"))["active"] == 0
    accepted = center.call("POST", f"/interactions/{offer['id']}/accept", "carol")
    assert body(accepted)["state"] == "active" and body(accepted)["agent_id"] == "u-carol"
    shown = body(center.call("GET", f"/interactions/{offer['id']}", "carol"))
    assert [(e["kind"], e["by"], e["detail"]) for e in shown["timeline"]] == [
        ("transfer", "u-sam", {"agent_id": "u-carol"})
    ]
    center.outbox()
    told = [e for e in center.api.publisher.events if e.type == "interaction.updated"]
    assert any(e.recipients == ["u-bob"] and e.data["agent_id"] == "u-carol" for e in told)


def test_a_transfer_to_an_agent_who_is_not_available_or_full_is_409_and_changes_nothing(
    center: Center,
) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}/transfer"
    assert error(center.call("POST", path, "sam", {"agent_id": "u-carol"})) == (
        409,
        "agent_unavailable",
    )
    center.cc.repo.put_agent(
        AgentProfile("u-carol", "acme", skills={"support": 2}, queues=[SUPPORT], max_concurrent=1)
    )
    center.call("PUT", "/agent/status", "carol", {"status": "available"})
    center.text(from_="+14155553999")
    center.runner.run()  # carol's one slot is taken by the next customer
    assert body(center.call("GET", "/agent", "carol"))["active"] == 1
    assert error(center.call("POST", path, "sam", {"agent_id": "u-carol"})) == (
        409,
        "agent_unavailable",
    )
    still = body(center.call("GET", f"/interactions/{offer['id']}"))
    assert still["state"] == "active" and still["agent_id"] == "u-bob" and still["timeline"] == []


def test_a_declined_named_transfer_goes_back_to_its_queue(center: Center) -> None:
    offer = active_with(center)
    center.call("PUT", "/agent/status", "carol", {"status": "available"})
    center.call("POST", f"/interactions/{offer['id']}/transfer", "bob", {"agent_id": "u-carol"})
    declined = center.call("POST", f"/interactions/{offer['id']}/reject", "carol")
    assert body(declined)["state"] == "waiting" and body(declined)["queue_id"] == SUPPORT


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"agent_id": "u-carol", "queue_id": SALES}, "invalid_transfer"),
        ({}, "invalid_queue_id"),
        ({"agent_id": ""}, "invalid_agent_id"),
        ({"agent_id": None}, "invalid_agent_id"),
        ({"agent_id": 5}, "invalid_agent_id"),
    ],
)
def test_a_bad_transfer_body_is_400(center: Center, payload: Any, code: str) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}/transfer"
    assert error(center.call("POST", path, "sam", payload)) == (400, code)


def test_roles_an_agent_cannot_monitor_and_a_supervisor_of_another_queue_cannot_move(
    center: Center,
) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}"
    for route in ("monitor", "barge"):
        assert error(center.call("POST", f"{path}/{route}", "carol")) == (403, "supervisor_only")
        assert error(center.call("POST", f"{path}/{route}", "sue")) == (403, "supervisor_only")
    assert error(center.call("POST", f"{path}/notes", "sue", {"text": "hi"})) == (
        403,
        "supervisor_only",
    )
    for payload in ({"agent_id": "u-carol"}, {"queue_id": SALES}):
        assert error(center.call("POST", f"{path}/transfer", "sue", payload)) == (
            403,
            "not_your_interaction",
        )
    assert error(center.call("GET", f"/queues/{SUPPORT}/interactions", "sue")) == (
        403,
        "supervisor_only",
    )
    assert error(center.call("GET", f"/queues/{SUPPORT}/interactions", "bob")) == (
        403,
        "supervisor_only",
    )
    assert error(center.call("PUT", "/agents/u-bob/status", "sue", {"status": "away"})) == (
        403,
        "supervisor_only",
    )
    assert error(center.call("PUT", "/agents/u-bob/status", "carol", {"status": "away"})) == (
        403,
        "supervisor_only",
    )
    assert center.call("POST", f"{path}/monitor", "alice").status_code == 200  # an admin


def test_a_supervisor_of_another_queue_cannot_read_an_interaction_or_its_notes(
    center: Center,
) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}"
    assert (
        center.call("POST", f"{path}/notes", "sam", {"text": "offer the refund"}).status_code == 201
    )
    assert error(center.call("GET", path, "sue")) == (404, "interaction_not_found")
    timeline = body(center.call("GET", path, "sam"))["timeline"]  # Support's supervisor
    assert [e["text"] for e in timeline] == ["offer the refund"]


def test_another_companys_people_and_ids_are_not_found(center: Center) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}"
    for who in ("dave", "erin"):
        for method, route, payload in (
            ("POST", "monitor", None),
            ("DELETE", "monitor", None),
            ("POST", "barge", None),
            ("POST", "notes", {"text": "hi"}),
            ("POST", "transfer", {"agent_id": "u-carol"}),
        ):
            assert error(center.call(method, f"{path}/{route}", who, payload)) == (
                404,
                "interaction_not_found",
            )
        assert center.call("PUT", "/agents/u-bob/status", who, {"status": "away"}).status_code in (
            404,
        )
        assert error(center.call("GET", f"/queues/{SUPPORT}/interactions", who)) == (
            404,
            "queue_not_found",
        )
    # an agent id of another company is not found, as any other id
    center.cc.repo.put_queue(Queue("q-g", "globex", "G"))
    center.cc.repo.put_agent(AgentProfile("u-erin", "globex", queues=["q-g"], status="available"))
    assert error(center.call("POST", f"{path}/transfer", "sam", {"agent_id": "u-erin"})) == (
        404,
        "agent_not_found",
    )
    assert error(center.call("PUT", "/agents/u-erin/status", "alice", {"status": "away"})) == (
        404,
        "agent_not_found",
    )
    assert error(center.call("POST", "/interactions/nope/monitor", "sam")) == (
        404,
        "interaction_not_found",
    )


def test_a_monitor_gets_the_transcript_then_each_text_live_and_the_customer_never_a_note(
    center: Center,
) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}"
    center.outbox()  # what was stored before monitoring went out before it
    watched = center.call("POST", f"{path}/monitor", "sam")
    assert watched.status_code == 200
    shown = body(watched)
    assert [m["text"] for m in shown["messages"]] == ["hello"] and shown["monitor_expires_at"]
    assert [e["kind"] for e in shown["timeline"]] == ["monitor"]
    center.call("POST", f"{path}/monitor", "sam")  # a renewal is not audited again
    center.call(
        "POST",
        f"/conversations/{offer['conversation_id']}/messages",
        "bob",
        {"client_id": "r1", "text": "On it!"},
    )
    whisper = center.call("POST", f"{path}/notes", "sam", {"text": "offer the refund"})
    assert whisper.status_code == 201 and body(whisper)["kind"] == "note"
    assert error(center.call("POST", f"{path}/notes", "sam", {"text": "  "})) == (
        400,
        "invalid_text",
    )
    center.outbox()
    events = center.api.publisher.events
    live = [e for e in events if e.type == "interaction.message"]
    assert [e.data["message"]["text"] for e in live] == ["On it!"]
    assert live[0].recipients == ["u-sam"] and live[0].data["interaction_id"] == offer["id"]
    notes = [e for e in events if e.type == "interaction.timeline" and e.data["kind"] == "note"]
    assert len(notes) == 1 and set(notes[0].recipients) == {"u-bob", "u-sam"}
    texts = [m["text"] for m in body(center.call("POST", f"{path}/monitor", "sam"))["messages"]]
    assert "offer the refund" not in texts  # never a message of the conversation
    assert center.call("DELETE", f"{path}/monitor", "sam").status_code == 204
    center.call(
        "POST",
        f"/conversations/{offer['conversation_id']}/messages",
        "bob",
        {"client_id": "r2", "text": "Done."},
    )
    center.outbox()
    after = [e for e in center.api.publisher.events if e.type == "interaction.message"]
    assert len(after) == 1  # not monitored any more: nothing more for sam


def test_a_supervisor_takes_over_within_their_own_capacity(center: Center) -> None:
    offer = active_with(center)
    taken = center.call("POST", f"/interactions/{offer['id']}/barge", "sam")
    assert taken.status_code == 200, body(taken)
    assert body(taken)["state"] == "active" and body(taken)["agent_id"] == "u-sam"
    assert body(center.call("GET", "/agent", "sam"))["active"] == 1
    assert body(center.call("GET", "/agent"))["active"] == 0  # bob's slot freed
    sent = center.call(
        "POST",
        f"/conversations/{offer['conversation_id']}/messages",
        "sam",
        {"client_id": "s1", "text": "Sam here"},
    )
    assert sent.status_code in (201, 202)
    assert center.call("POST", f"/interactions/{offer['id']}/barge", "sam").status_code == 200
    # sam's cap is 2: two more customers taken over, the second is refused
    center.call("PUT", "/agent/status", "bob", {"status": "available"})
    for n in range(2):
        center.text(from_=f"+1415555310{n}")
    center.runner.run()
    others = [i for i in body(center.call("GET", "/interactions"))["items"]]
    assert len(others) == 2
    assert center.call("POST", f"/interactions/{others[0]['id']}/barge", "sam").status_code == 200
    assert error(center.call("POST", f"/interactions/{others[1]['id']}/barge", "sam")) == (
        409,
        "agent_at_capacity",
    )
    timeline = body(center.call("GET", f"/interactions/{offer['id']}", "sam"))["timeline"]
    assert [(e["kind"], e["detail"]) for e in timeline] == [("barge", {"previous": "u-bob"})]


def test_a_supervisor_moves_a_live_interaction_to_another_queue(center: Center) -> None:
    offer = active_with(center)
    moved = center.call("POST", f"/interactions/{offer['id']}/transfer", "sam", {"queue_id": SALES})
    assert body(moved)["state"] == "waiting" and body(moved)["queue_id"] == SALES
    assert body(center.call("GET", "/agent"))["active"] == 0


def test_a_supervisor_sets_an_agent_away_and_their_offer_goes_back(center: Center) -> None:
    offer = center.offered_to("bob")
    changed = center.call("PUT", "/agents/u-bob/status", "sam", {"status": "away"})
    assert changed.status_code == 200 and body(changed)["status"] == "away"
    assert body(changed)["agent_id"] == "u-bob"
    shown = body(center.call("GET", f"/interactions/{offer['id']}", "sam"))
    assert shown["state"] == "waiting"
    assert [(e["kind"], e["detail"]["status"]) for e in shown["timeline"]] == [
        ("agent_status", "away")
    ]
    assert error(center.call("PUT", "/agents/u-bob/status", "sam", {"status": "busy"})) == (
        400,
        "invalid_status",
    )
    assert center.call(
        "PUT", "/agents/u-bob/status", "alice", {"status": "offline"}
    ).status_code == (200)


def test_a_queues_live_list_shows_waiting_and_held_interactions(center: Center) -> None:
    offer = active_with(center)
    center.call("PUT", "/agent/status", "bob", {"status": "away"})
    center.text(from_="+14155553200")
    center.runner.run()
    listed = body(center.call("GET", f"/queues/{SUPPORT}/interactions", "sam"))
    states = {i["id"]: i["state"] for i in listed["items"]}
    assert states[offer["id"]] == "active" and sorted(states.values()) == ["active", "waiting"]
    assert body(center.call("GET", f"/queues/{SALES}/interactions", "sue"))["items"] == []


def monitored_texts(center: Center, who: str) -> list[str]:
    center.outbox()
    return [
        e.data["message"]["text"]
        for e in center.api.publisher.events
        if e.type == "interaction.message" and who in e.recipients
    ]


def test_a_monitor_stops_with_its_interaction_and_never_follows_the_customers_next_one(
    center: Center,
) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}"
    center.outbox()  # what was stored before monitoring went out before it
    assert center.call("POST", f"{path}/monitor", "sam").status_code == 200
    center.text("still there?")
    assert monitored_texts(center, "u-sam") == ["still there?"]
    ended = center.call("POST", f"{path}/end", "bob", {"disposition": "solved"})
    assert body(ended)["state"] == "ended"
    center.text("one more thing")  # the customer's next interaction, in the same thread
    center.runner.run()
    assert monitored_texts(center, "u-sam") == ["still there?"]
    notes = [e for e in center.api.publisher.events if e.type == "interaction.timeline"]
    assert all("u-sam" not in e.recipients for e in notes if e.data["by"] != "u-sam")


def test_a_monitor_of_a_queue_stops_when_the_interaction_moves_to_another_queue(
    center: Center,
) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}"
    center.outbox()  # what was stored before monitoring went out before it
    assert center.call("POST", f"{path}/monitor", "sam").status_code == 200
    moved = center.call("POST", f"{path}/transfer", "bob", {"queue_id": SALES})
    assert body(moved)["queue_id"] == SALES
    center.text("hello sales")
    assert monitored_texts(center, "u-sam") == []  # sam supervises Support only
    assert center.call("POST", f"{path}/notes", "sue", {"text": "for sales"}).status_code == 201
    center.outbox()
    notes = [e for e in center.api.publisher.events if e.type == "interaction.timeline"]
    assert [e.recipients for e in notes if e.data["kind"] == "note"] == [["u-sue"]]


def handled_up_to(center: Center, agent_id: str, interaction_id: str) -> list[int]:
    handled = center.api.services.adapters.handled_interactions
    return [
        h.last_seq for h in handled.by_agent(agent_id, 10) if h.interaction_id == interaction_id
    ]


def reply(center: Center, offer: dict[str, Any], who: str, text: str) -> None:
    sent = center.call(
        "POST",
        f"/conversations/{offer['conversation_id']}/messages",
        who,
        {"client_id": f"{who}-{text}", "text": text},
    )
    assert sent.status_code in (201, 202), body(sent)


def test_search_keeps_what_an_agent_handled_before_a_named_transfer(center: Center) -> None:
    offer = active_with(center)
    reply(center, offer, "bob", "On it!")  # message 2, after bob's answer
    center.call("PUT", "/agent/status", "carol", {"status": "available"})
    moved = center.call(
        "POST", f"/interactions/{offer['id']}/transfer", "sam", {"agent_id": "u-carol"}
    )
    assert moved.status_code == 200, body(moved)
    assert handled_up_to(center, "u-bob", offer["id"]) == [2]


def test_search_keeps_what_an_agent_handled_before_a_take_over_and_gives_the_supervisor_theirs(
    center: Center,
) -> None:
    offer = active_with(center)
    reply(center, offer, "bob", "On it!")
    assert center.call("POST", f"/interactions/{offer['id']}/barge", "sam").status_code == 200
    reply(center, offer, "sam", "Sam here")
    assert handled_up_to(center, "u-bob", offer["id"]) == [2]
    assert handled_up_to(center, "u-sam", offer["id"]) == [2]  # from the first text on
    ended = center.call("POST", f"/interactions/{offer['id']}/end", "sam", {"disposition": "ok"})
    assert body(ended)["state"] == "ended"
    assert handled_up_to(center, "u-sam", offer["id"]) == [3]


def test_a_note_retried_with_its_client_id_is_posted_once(center: Center) -> None:
    offer = active_with(center)
    path = f"/interactions/{offer['id']}/notes"
    first = center.call("POST", path, "sam", {"text": "offer the refund", "client_id": "n-1"})
    again = center.call("POST", path, "sam", {"text": "offer the refund", "client_id": "n-1"})
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    for bad in ("", "   ", "x" * 129, 7, None):
        answer = center.call("POST", path, "sam", {"text": "again", "client_id": bad})
        assert error(answer) == (400, "invalid_client_id"), bad
    timeline = body(center.call("GET", f"/interactions/{offer['id']}", "sam"))["timeline"]
    assert [(e["kind"], e["text"]) for e in timeline] == [("note", "offer the refund")]


def test_the_live_list_shows_one_moved_to_an_agent_outside_the_queue(center: Center) -> None:
    offer = active_with(center)
    # sue supervises Sales only: an agent outside Support, with a free slot
    center.call("PUT", "/agent/status", "sue", {"status": "available"})
    moved = center.call(
        "POST", f"/interactions/{offer['id']}/transfer", "sam", {"agent_id": "u-sue"}
    )
    assert moved.status_code == 200, body(moved)
    listed = body(center.call("GET", f"/queues/{SUPPORT}/interactions", "sam"))
    assert [(i["id"], i["state"], i["agent_id"]) for i in listed["items"]] == [
        (offer["id"], "offered", "u-sue")
    ]
    assert listed["next_cursor"] is None
    bad = center.call("GET", f"/queues/{SUPPORT}/interactions?cursor=bm90LWEtY3Vyc29y", "sam")
    assert error(bad) == (400, "invalid_cursor")


def test_a_monitor_pages_back_through_the_transcript_with_its_cursor(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervision, "TRANSCRIPT_LIMIT", 2)  # a page of two texts
    offer = active_with(center)
    for n in range(1, 4):
        assert center.text(f"text {n}").status_code == 200
    path = f"/interactions/{offer['id']}/monitor"
    pages = []
    cursor = ""
    for _ in range(3):
        shown = body(center.call("POST", path + cursor, "sam"))
        pages.append([m["text"] for m in shown["messages"]])
        if shown["messages_cursor"] is None:
            break
        cursor = f"?cursor={shown['messages_cursor']}"
    # the newest page first, each page oldest first, back to the interaction's first text
    assert pages == [["text 2", "text 3"], ["hello", "text 1"]]
    assert error(center.call("POST", f"{path}?cursor=bm90LWEtY3Vyc29y", "sam")) == (
        400,
        "invalid_cursor",
    )
