"""Supervisors' actions on in-memory adapters (issue 21): a retried private note posts
once, the conversation's members follow the interaction when a move races an accept,
a queue's live list finds every open interaction whoever holds it, a monitor starts
from the newest texts, and a take-over keeps the previous agent's handling time."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.contact_center import ACTIVE, OFFERED, AgentProfile
from chalicelib.domain.model import User
from chalicelib.services.contact_center import supervision
from chalicelib.services.contact_center.commands import (
    AddNote,
    EndInteraction,
    TransferInteraction,
)
from tests.contact_center_support import CUSTOMER, SALES, SUPPORT, available, only_open, world


def offered_to_bob(w: Any, phone: str = CUSTOMER) -> str:
    available(w, "u-bob")
    w.text(phone)
    w.runner.run()
    ix = w.cc_repo.open_interaction("+14155550180", phone)
    assert (ix.state, ix.agent_id) == (OFFERED, "u-bob")
    return str(ix.interaction_id)


def active_with_bob(w: Any, phone: str = CUSTOMER) -> str:
    ix = offered_to_bob(w, phone)
    w.cc.agents.accept(w.caller("u-bob"), ix)
    return ix


def members(w: Any, interaction_id: str) -> list[str]:
    ix = w.cc_repo.get_interaction(interaction_id)
    return list(w.conversation_repo.get(ix.conversation_id).members)


# -- private notes ---------------------------------------------------------------------


def test_a_note_retried_with_its_client_id_returns_the_first_and_posts_nothing_more() -> None:
    w = world()
    ix = active_with_bob(w)
    alice = w.caller("u-alice")
    first = w.cc.supervision.note(alice, ix, AddNote("offer the refund", client_id="n1"))
    w.now += 3
    again = w.cc.supervision.note(alice, ix, AddNote("offer the refund", client_id="n1"))
    assert again == first
    w.now += 1
    other = w.cc.supervision.note(alice, ix, AddNote("and a voucher", client_id="n2"))
    assert other["id"] != first["id"]
    w.now += 1
    bobs = w.cc.supervision.note(w.caller("u-bob"), ix, AddNote("done", client_id="n1"))
    assert bobs["id"] != first["id"]  # a client key is its author's own
    assert [e.text for e in w.cc_repo.timeline(ix, 50)] == [
        "offer the refund",
        "and a voucher",
        "done",
    ]
    whispers = [e for e in w.events("interaction.timeline", "u-bob") if e.data["kind"] == "note"]
    assert [e.data["text"] for e in whispers] == ["offer the refund", "and a voucher", "done"]


def test_notes_without_a_client_id_are_each_posted() -> None:
    w = world()
    ix = active_with_bob(w)
    for _ in range(2):
        w.cc.supervision.note(w.caller("u-alice"), ix, AddNote("check the order"))
    assert len(w.cc_repo.timeline(ix, 50)) == 2


# -- members follow the interaction ---------------------------------------------------


def test_a_move_landing_inside_an_accept_leaves_the_new_owner_alone_in_the_conversation() -> None:
    """The accepting agent's membership write is held until a supervisor's move of the
    now active interaction to carol has happened: the interaction ends offered to
    carol, and bob (no longer its agent) must not stay a member."""
    w = world()
    available(w, "u-carol")
    w.cc.agents.set_status(w.caller("u-carol"), "away")
    ix = offered_to_bob(w)
    available(w, "u-carol")
    repo = w.conversation_repo
    original = repo.replace_members
    moved: list[dict[str, Any]] = []

    def replace_members(conversation: Any, people: list[str], name: str) -> Any:
        if not moved:  # the first membership write: bob's accept
            moved.append(
                w.cc.supervision.transfer(
                    w.caller("u-alice"), ix, TransferInteraction(agent_id="u-carol")
                )
            )
        return original(conversation, people, name)

    repo.replace_members = replace_members
    w.cc.agents.accept(w.caller("u-bob"), ix)
    assert moved and moved[0]["state"] == OFFERED and moved[0]["agent_id"] == "u-carol"
    stored = w.cc_repo.get_interaction(ix)
    assert (stored.state, stored.agent_id) == (OFFERED, "u-carol")
    assert members(w, ix) == []  # offered: nobody's yet, and never bob's any more
    w.cc.agents.accept(w.caller("u-carol"), ix)
    assert members(w, ix) == ["u-carol"]


def test_a_take_over_landing_inside_an_accept_leaves_the_supervisor_the_only_member() -> None:
    w = world()
    ix = offered_to_bob(w)
    repo = w.conversation_repo
    original = repo.replace_members
    taken: list[dict[str, Any]] = []

    def replace_members(conversation: Any, people: list[str], name: str) -> Any:
        if not taken:  # once: the take-over's own membership writes pass through
            taken.append({})
            taken[0] = w.cc.supervision.barge(w.caller("u-alice"), ix)
        return original(conversation, people, name)

    repo.replace_members = replace_members
    w.cc.agents.accept(w.caller("u-bob"), ix)
    stored = w.cc_repo.get_interaction(ix)
    assert (stored.state, stored.agent_id) == (ACTIVE, "u-alice")
    assert members(w, ix) == ["u-alice"]


# -- the live list ----------------------------------------------------------------------


def test_the_live_list_finds_interactions_held_by_people_outside_the_queue() -> None:
    w = world()
    # dan is an agent of Sales only; alice (admin, no queue) takes one over
    w.directory_repo.put_user(User("u-dan", "acme", "Dan", "dan@acme.test"))
    w.cc_repo.put_agent(AgentProfile("u-dan", "acme", name="Dan", queues=[SALES]))
    available(w, "u-dan")
    moved = active_with_bob(w, "+14155557001")
    taken = active_with_bob(w, "+14155557002")
    waiting = "+14155557003"
    w.cc.agents.set_status(w.caller("u-bob"), "away")
    w.text(waiting)
    w.cc.supervision.transfer(w.caller("u-alice"), moved, TransferInteraction(agent_id="u-dan"))
    w.cc.supervision.barge(w.caller("u-alice"), taken)
    page = w.cc.supervision.live(w.caller("u-alice"), SUPPORT)
    listed = {i["id"]: (i["state"], i["agent_id"]) for i in page.items}
    assert listed == {
        moved: (OFFERED, "u-dan"),
        taken: (ACTIVE, "u-alice"),
        only_open(w, waiting).interaction_id: ("waiting", None),
    }
    assert page.next_cursor is None
    assert w.cc.supervision.live(w.caller("u-alice"), SALES).items == []


def test_the_live_list_pages_with_a_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervision, "MAX_LIVE", 2)
    w = world()
    phones = [f"+1415555710{n}" for n in range(5)]
    for phone in phones:
        w.text(phone)
        w.now += 1
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = w.cc.supervision.live(w.caller("u-alice"), SUPPORT, cursor)
        assert len(page.items) <= 2
        seen += [i["id"] for i in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [only_open(w, p).interaction_id for p in phones]  # longest in queue first


# -- monitoring ---------------------------------------------------------------------------


def test_a_monitor_starts_with_the_newest_texts_and_pages_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(supervision, "TRANSCRIPT_LIMIT", 3)
    w = world()
    ix = active_with_bob(w)
    for n in range(1, 6):
        w.text(CUSTOMER, f"text {n}")
    alice = w.caller("u-alice")
    first = w.cc.supervision.monitor(alice, ix)
    assert [m["text"] for m in first["messages"]] == ["text 3", "text 4", "text 5"]
    assert first["messages_cursor"]
    earlier = w.cc.supervision.monitor(alice, ix, first["messages_cursor"])
    assert [m["text"] for m in earlier["messages"]] == ["hello", "text 1", "text 2"]
    assert earlier["messages_cursor"] is None


def test_a_monitor_never_shows_texts_from_before_the_interaction() -> None:
    w = world()
    ix = active_with_bob(w)
    w.cc.agents.end(w.caller("u-bob"), ix)
    w.cc.agents.end(w.caller("u-bob"), ix)
    w.text(CUSTOMER, "back again")
    w.runner.run()
    again = only_open(w)
    assert again.interaction_id != ix
    shown = w.cc.supervision.monitor(w.caller("u-alice"), again.interaction_id)
    assert [m["text"] for m in shown["messages"]] == ["back again"]


# -- the live figures on a take-over ------------------------------------------------------


def test_a_take_over_keeps_the_previous_agents_handling_time_in_the_days_figures() -> None:
    w = world()
    ix = active_with_bob(w)
    w.now += 40
    w.cc.supervision.barge(w.caller("u-alice"), ix)
    w.now += 60
    w.cc.agents.end(w.caller("u-alice"), ix, EndInteraction(disposition="resolved"))
    [today] = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"]
    # answered once, handled once: bob's 40 s and alice's 60 s
    assert (today["answered"], today["average_handle_s"]) == (1, 100)


# -- the steps after a hand-over's write: a retry repairs them, each counted once -------


def fail_once_after_the_write(w: Any) -> list[str]:
    """The first membership write after here fails (as a Lambda timing out after the
    hand-over committed would leave it): the steps after the commit do not run."""
    repo = w.conversation_repo
    original = repo.replace_members
    failed: list[str] = []

    def replace_members(conversation: Any, people: list[str], name: str) -> Any:
        if not failed:
            failed.append(conversation.conversation_id)
            raise RuntimeError("the function timed out")
        return original(conversation, people, name)

    repo.replace_members = replace_members
    return failed


def today(w: Any) -> Any:
    [figures] = w.cc_repo.figures("acme", SUPPORT, [w.cc.supervision._ctx.day(w.now)])
    return figures


def kinds(w: Any, interaction_id: str) -> list[str]:
    return [e.kind for e in w.cc_repo.timeline(interaction_id, 50)]


def test_a_take_over_retried_after_a_failure_past_its_write_is_audited_once_and_repaired() -> None:
    w = world()
    ix = active_with_bob(w)
    w.now += 40
    failed = fail_once_after_the_write(w)
    alice = w.caller("u-alice")
    with pytest.raises(RuntimeError):
        w.cc.supervision.barge(alice, ix)
    assert failed
    w.now += 5
    view = w.cc.supervision.barge(alice, ix)  # the client's retry
    assert (view["state"], view["agent_id"]) == (ACTIVE, "u-alice")
    assert members(w, ix) == ["u-alice"]
    assert kinds(w, ix) == ["barge"]
    figures = today(w)
    assert (figures.answered, figures.handled, figures.handle_total_s) == (1, 0, 40)
    w.cc.supervision.barge(alice, ix)  # and again: nothing more
    assert kinds(w, ix) == ["barge"]
    assert (today(w).answered, today(w).handle_total_s) == (1, 40)


def test_a_take_over_of_a_waiting_one_retried_after_a_failure_counts_its_answer_once() -> None:
    w = world()
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w).interaction_id
    w.now += 30
    fail_once_after_the_write(w)
    alice = w.caller("u-alice")
    with pytest.raises(RuntimeError):
        w.cc.supervision.barge(alice, ix)
    w.cc.supervision.barge(alice, ix)
    w.cc.supervision.barge(alice, ix)
    assert members(w, ix) == ["u-alice"]
    assert kinds(w, ix) == ["barge"]
    figures = today(w)
    assert (figures.answered, figures.wait_total_s) == (1, 30)


def test_an_accept_retried_after_a_failure_past_its_write_makes_the_agent_a_member_once() -> None:
    w = world()
    ix = offered_to_bob(w)
    w.now += 12
    fail_once_after_the_write(w)
    bob = w.caller("u-bob")
    with pytest.raises(RuntimeError):
        w.cc.agents.accept(bob, ix)
    assert members(w, ix) == []
    w.cc.agents.accept(bob, ix)
    w.cc.agents.accept(bob, ix)
    assert members(w, ix) == ["u-bob"]
    figures = today(w)
    assert (figures.answered, figures.wait_total_s) == (1, 12)


def test_a_move_to_a_named_agent_failing_past_its_write_is_audited_and_counted_once() -> None:
    w = world()
    available(w, "u-carol")
    w.cc.agents.set_status(w.caller("u-carol"), "away")
    ix = active_with_bob(w)
    available(w, "u-carol")
    w.now += 25
    fail_once_after_the_write(w)
    with pytest.raises(RuntimeError):
        w.cc.supervision.transfer(w.caller("u-alice"), ix, TransferInteraction(agent_id="u-carol"))
    assert kinds(w, ix) == ["transfer"]
    figures = today(w)
    assert (figures.offered, figures.handled, figures.handle_total_s) == (2, 1, 25)
    w.cc.agents.accept(w.caller("u-carol"), ix)
    assert members(w, ix) == ["u-carol"]


def test_a_move_to_a_named_agent_cut_off_before_its_offer_timer_arms_it_when_retried() -> None:
    w = world()
    ix = active_with_bob(w)
    available(w, "u-carol")
    ctx = w.cc.supervision._ctx
    timer = ctx.timer
    cut: list[str] = []

    def timer_cut_off_once(message: Any, seconds: float) -> None:
        if message.KIND == "offer_timeout" and not cut:
            cut.append(message.interaction_id)
            raise RuntimeError("the function timed out")
        timer(message, seconds)

    ctx.timer = timer_cut_off_once
    move = TransferInteraction(agent_id="u-carol")
    with pytest.raises(RuntimeError):
        w.cc.supervision.transfer(w.caller("u-alice"), ix, move)
    offer_no = w.cc_repo.get_interaction(ix).offer_no  # the move's offer (bob's was 1)

    def timers_of_the_move() -> list[dict[str, Any]]:
        return [
            t
            for t in w.runner.timers("offer_timeout")
            if (t["interaction_id"], t["offer_no"]) == (ix, offer_no)
        ]

    assert offer_no == 2 and timers_of_the_move() == []
    again = w.cc.supervision.transfer(w.caller("u-alice"), ix, move)  # the client retries
    assert (again["state"], again["agent_id"]) == (OFFERED, "u-carol")
    assert len(timers_of_the_move()) == 1
    assert members(w, ix) == []  # bob left; carol joins when she accepts
    assert kinds(w, ix) == ["transfer"]  # audited once


def test_an_end_with_its_disposition_retried_after_a_failure_clears_the_members_once() -> None:
    w = world()
    ix = active_with_bob(w)
    w.now += 40
    fail_once_after_the_write(w)
    done = EndInteraction(disposition="resolved")
    with pytest.raises(RuntimeError):
        w.cc.agents.end(w.caller("u-bob"), ix, done)
    assert members(w, ix) == ["u-bob"]
    again = w.cc.agents.end(w.caller("u-bob"), ix, done)  # the client retries
    assert again["state"] == "ended"
    w.cc.agents.end(w.caller("u-bob"), ix, done)
    assert members(w, ix) == []
    figures = today(w)
    assert (figures.handled, figures.handle_total_s) == (1, 40)


def test_an_end_retried_by_its_timer_after_a_failure_clears_the_members_and_counts_once() -> None:
    w = world()
    ix = active_with_bob(w)
    w.now += 50
    w.cc.agents.end(w.caller("u-bob"), ix)  # wrap-up
    fail_once_after_the_write(w)
    with pytest.raises(RuntimeError):
        w.cc.agents.close(ix)
    assert members(w, ix) == ["u-bob"]
    assert not w.cc.agents.close(ix)  # the timer's redelivery: ended already
    assert not w.cc.agents.close(ix)
    assert members(w, ix) == []
    figures = today(w)
    assert (figures.handled, figures.handle_total_s) == (1, 50)


# -- an ended interaction's late membership write and the customer's next one -----------


def test_a_late_membership_write_of_an_ended_interaction_leaves_the_next_ones_agent() -> None:
    """Bob closes the customer's first interaction; its membership write is held until
    the customer has texted again and bob accepted the new interaction on the same
    conversation: the late write of the ended one must not take bob out."""
    w = world()
    first = active_with_bob(w)
    repo = w.conversation_repo
    original = repo.replace_members
    second: list[str] = []

    def replace_members(conversation: Any, people: list[str], name: str) -> Any:
        if people == [] and not second:  # the ended interaction's write, held
            second.append("")
            w.text(CUSTOMER, "one more thing")
            w.runner.run()
            second[0] = only_open(w).interaction_id
            w.cc.agents.accept(w.caller("u-bob"), second[0])
        return original(conversation, people, name)

    repo.replace_members = replace_members
    w.cc.agents.end(w.caller("u-bob"), first, EndInteraction(disposition="resolved"))
    assert second and second[0] != first
    assert w.cc_repo.get_interaction(second[0]).state == ACTIVE
    assert members(w, second[0]) == ["u-bob"]
    assert members(w, first) == ["u-bob"]  # the same conversation
