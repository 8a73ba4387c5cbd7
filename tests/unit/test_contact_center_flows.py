"""The contact center's flows on in-memory adapters with a hand-moved clock: routing
through the queue, offers that time out or are declined, agents leaving, idle
threads, wrap-up, transcripts and cases, transfer, outbound."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from chalicelib.domain.contact_center import ACTIVE, ENDED, OFFERED, WAITING, WRAP_UP
from chalicelib.domain.errors import Conflict, Forbidden
from chalicelib.services.contact_center.commands import EndInteraction, StartOutbound
from tests.contact_center_support import (
    CHANNEL,
    CUSTOMER,
    OTHER,
    SALES,
    SUPPORT,
    available,
    only_open,
    world,
)
from tests.contact_center_support import replies as replies_to
from tests.support import send


def test_a_wait_is_watched_from_its_admission_unless_that_offered_it() -> None:
    """``admit`` arms the waiting check only for a wait that goes on: a text offered at
    once leaves no check to deliver, and one no agent could take is watched."""
    w = world(abandon_after_s=120)
    available(w, "u-bob")
    w.text(CUSTOMER)
    assert w.runner.timers("waiting_check") == []  # the webhook arms none
    w.runner.run()
    assert only_open(w).state == OFFERED
    assert w.runner.timers("waiting_check") == []
    w = world(abandon_after_s=120)  # no agent available
    w.text(OTHER)
    w.runner.run()
    waiting = w.cc_repo.open_interaction(CHANNEL, OTHER)
    assert waiting is not None and waiting.state == WAITING
    assert [t["interaction_id"] for t in w.runner.timers("waiting_check")] == [
        waiting.interaction_id
    ]
    w.now += 200  # the customer went quiet: the check ends the wait
    w.runner.run()
    assert w.cc_repo.get_interaction(waiting.interaction_id).state == ENDED


def test_an_admit_queued_before_it_carried_its_queue_still_admits_and_routes() -> None:
    """A deploy finds ``admit`` bodies the previous code queued (no company, no queue)."""
    w = world(entry_message="You are number {position}.")
    available(w, "u-bob")
    w.runner.run()
    w.text(CUSTOMER)
    [(queued, _)] = w.runner.queue.take()
    assert queued["kind"] == "admit" and queued["queue_id"] == SUPPORT
    w.cc.handle({"kind": "admit", "interaction_id": queued["interaction_id"]})
    assert [m.text for m in replies_to(w, CUSTOMER)] == ["You are number 1."]
    assert (only_open(w).state, only_open(w).agent_id) == (OFFERED, "u-bob")


def test_an_admit_for_an_interaction_moved_meanwhile_reads_its_new_queue() -> None:
    """The queue an ``admit`` names is where the interaction opened; one moved since
    (an overflow) is admitted to the queue it is in."""
    w = world()
    available(w, "u-carol")  # serves both queues
    w.runner.run()
    w.text(CUSTOMER)
    [(queued, _)] = w.runner.queue.take()
    ix = only_open(w)
    assert w.cc_repo.transition(ix, replace(ix, queue_id=SALES, overflowed=True))
    w.cc.handle(queued)
    routed = only_open(w)
    assert (routed.state, routed.queue_id, routed.agent_id) == (OFFERED, SALES, "u-carol")


def test_an_inbound_text_waits_in_the_channels_queue_and_is_routed_only_from_the_queue() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    ix = only_open(w)
    assert (ix.state, ix.queue_id, ix.agent_id) == (WAITING, SUPPORT, None)
    conversation = w.conversation_repo.get(ix.conversation_id)
    assert conversation is not None and conversation.members == []  # not a shared line
    w.runner.run()
    ix = only_open(w)
    assert (ix.state, ix.agent_id) == (OFFERED, "u-bob")
    offered = w.events("interaction.offered", "u-bob")
    assert [e.data["id"] for e in offered] == [ix.interaction_id]
    assert offered[0].data["customer"]["phone"] == CUSTOMER


def test_accepting_gives_the_agent_the_conversation_and_later_texts_join_it() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    view = w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    assert view["state"] == ACTIVE and view["customer"]["phone"] == CUSTOMER
    assert w.conversation_repo.get(ix.conversation_id).members == ["u-bob"]
    w.text(CUSTOMER, "second text")
    assert only_open(w).interaction_id == ix.interaction_id  # no second interaction
    history = w.conversation_repo.list_messages(ix.conversation_id, 10, None)
    assert sorted(m.text for m in history.items) == ["hello", "second text"]


def test_an_unanswered_offer_times_out_and_goes_to_the_next_agent() -> None:
    w = world()
    available(w, "u-bob", "u-carol")
    w.text(CUSTOMER)
    w.runner.run()
    first = only_open(w)
    w.now += 29
    w.runner.run()
    assert only_open(w).agent_id == first.agent_id  # not yet
    w.now += 2
    w.runner.run()
    second = only_open(w)
    assert second.state == OFFERED and second.agent_id not in (None, first.agent_id)
    assert w.cc_repo.get_agent(str(first.agent_id)).load == 0
    stats = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)
    assert stats["days"][0]["timed_out"] == 1


def test_a_rejected_offer_goes_to_someone_else_and_not_straight_back() -> None:
    w = world()
    available(w, "u-bob", "u-carol")
    w.text(CUSTOMER)
    w.runner.run()
    first = only_open(w)
    w.cc.agents.reject(w.caller(str(first.agent_id)), first.interaction_id)
    w.runner.run()
    second = only_open(w)
    assert second.state == OFFERED and second.agent_id != first.agent_id
    w.cc.agents.reject(w.caller(str(second.agent_id)), second.interaction_id)
    w.runner.run()
    assert only_open(w).state == WAITING  # both declined just now: it waits
    w.now += 61
    w.runner.run()  # the waiting check offers it again
    assert only_open(w).state == OFFERED


def test_only_the_offered_agent_may_accept_or_reject() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    with pytest.raises(Forbidden):
        w.cc.agents.accept(w.caller("u-carol"), ix.interaction_id)
    with pytest.raises(Forbidden):
        w.cc.agents.reject(w.caller("u-carol"), ix.interaction_id)


def test_an_agent_going_offline_requeues_their_interactions_to_others() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.text(OTHER)
    w.runner.run()
    one, two = only_open(w), only_open(w, OTHER)
    w.cc.agents.accept(w.caller("u-bob"), one.interaction_id)
    assert two.state == OFFERED
    w.cc.agents.set_status(w.caller("u-bob"), "offline")
    assert {only_open(w).state, only_open(w, OTHER).state} == {WAITING}
    assert w.cc_repo.get_agent("u-bob").load == 0
    assert w.conversation_repo.get(one.conversation_id).members == []
    available(w, "u-carol")
    w.runner.run()
    assert {only_open(w).agent_id, only_open(w, OTHER).agent_id} == {"u-carol"}


def test_the_backlog_goes_to_an_agent_as_soon_as_they_are_available() -> None:
    w = world()
    for n in range(3):
        w.text(f"+1415555300{n}")
    w.runner.run()
    assert len(w.cc_repo.waiting("acme", SUPPORT, 10)) == 3
    available(w, "u-bob")
    w.runner.run()
    assert w.cc_repo.waiting("acme", SUPPORT, 10) == [] and w.cc_repo.get_agent("u-bob").load == 3


def test_an_idle_thread_frees_its_slot_until_the_customer_writes_again() -> None:
    w = world(idle_after_s=600)
    w.cc_repo.put_agent(
        w.cc_repo.get_agent("u-bob").__class__(
            "u-bob", "acme", name="Bob", skills={"support": 3}, queues=[SUPPORT], max_concurrent=1
        )
    )
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    first = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), first.interaction_id)
    w.text(OTHER)
    w.runner.run()
    assert only_open(w, OTHER).state == WAITING  # bob is full
    w.now += 601
    w.runner.run()
    assert only_open(w).idle and only_open(w, OTHER).agent_id == "u-bob"
    bob = w.cc_repo.get_agent("u-bob")
    assert (bob.load, bob.total) == (1, 2)
    w.text(CUSTOMER, "still there?")
    bob = w.cc_repo.get_agent("u-bob")
    assert not only_open(w).idle and (bob.load, bob.total) == (2, 2)


def test_end_goes_to_wrap_up_then_closes_with_the_transcript_filed_in_a_case() -> None:
    w = world(wrap_up_s=120)
    available(w, "u-bob")
    w.text(CUSTOMER, "my order is late")
    w.runner.run()
    ix = only_open(w)
    bob = w.caller("u-bob")
    w.cc.agents.accept(bob, ix.interaction_id)
    send(w.services.conversations, bob, ix.conversation_id, "k1", "Sorry, checking now")
    ended = w.cc.agents.end(bob, ix.interaction_id, EndInteraction(notes="late parcel"))
    assert ended["state"] == WRAP_UP and w.cc_repo.get_agent("u-bob").load == 1
    w.now += 121
    w.runner.run()
    closed = w.cc_repo.get_interaction(ix.interaction_id)
    assert closed.state == ENDED and closed.case_id
    assert w.cc_repo.get_agent("u-bob").load == 0 and w.cc_repo.get_agent("u-bob").total == 0
    transcript = json.loads(w.media.objects[closed.transcript_key]["data"])
    assert [(m["direction"], m["text"]) for m in transcript["messages"]] == [
        ("inbound", "my order is late"),
        ("outbound", "Sorry, checking now"),
    ]
    record = w.cc.records.get(bob, str(closed.customer_id))
    assert record["phone"] == CUSTOMER
    assert record["cases"][0]["transcripts"][0]["key"] == closed.transcript_key
    assert record["interactions"][0]["id"] == ix.interaction_id
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None
    assert w.conversation_repo.get(ix.conversation_id).members == []


def test_an_end_with_a_disposition_closes_at_once_into_the_chosen_open_case() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    bob = w.caller("u-bob")
    w.cc.agents.accept(bob, ix.interaction_id)
    from chalicelib.domain.contact_center_records import (
        Case,
    )

    w.cc_repo.put_case(Case("case-1", str(ix.customer_id), "acme", "Billing"))
    done = w.cc.agents.end(
        bob, ix.interaction_id, EndInteraction(disposition="solved", case_id="case-1")
    )
    assert (done["state"], done["case_id"], done["disposition"]) == (ENDED, "case-1", "solved")
    assert w.cc_repo.get_case(str(ix.customer_id), "case-1").transcripts[0]["interaction_id"] == (
        ix.interaction_id
    )


def test_a_returning_customer_goes_back_to_their_last_agent() -> None:
    w = world()
    available(w, "u-bob", "u-carol")
    w.text(CUSTOMER)
    w.runner.run()
    first = only_open(w)
    agent = w.caller(str(first.agent_id))
    w.cc.agents.accept(agent, first.interaction_id)
    w.cc.agents.end(agent, first.interaction_id, EndInteraction(disposition="solved"))
    w.text(CUSTOMER, "one more thing")
    w.runner.run()
    assert only_open(w).agent_id == first.agent_id


def test_transfer_sends_it_to_another_queue_and_its_agents() -> None:
    w = world()
    available(w, "u-bob", "u-carol")
    w.cc.agents.set_status(w.caller("u-carol"), "away")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    available(w, "u-carol")
    view = w.cc.agents.transfer(w.caller("u-bob"), ix.interaction_id, SALES)
    assert (view["state"], view["queue_id"]) == (WAITING, SALES)
    w.runner.run()
    assert only_open(w).agent_id == "u-carol"  # bob has no sales skill


def test_auto_accept_makes_it_active_without_an_offer_timer() -> None:
    w = world(auto_accept=True)
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    assert only_open(w).state == ACTIVE
    assert w.runner.timers("offer_timeout") == []
    assert w.conversation_repo.get(only_open(w).conversation_id).members == ["u-bob"]


def test_waiting_customers_are_told_their_position_and_closed_hours() -> None:
    w = world(entry_message="You are number {position}, about {wait_minutes} min.")
    assert w.text(CUSTOMER) is None  # nothing goes back in the webhook's reply
    w.now += 1
    w.text(OTHER)
    w.runner.run()
    w.text(CUSTOMER, "again")  # already waiting: no second notice
    w.runner.run()
    told = replies_to(w)
    assert [m.text for m in told] == ["You are number 1, about 5 min."]
    assert (told[0].status, told[0].channel) == ("queued", "sms")  # the SMS sender sends it
    assert [m.text for m in replies_to(w, OTHER)] == ["You are number 2, about 10 min."]
    closed = world(hours={"mon": "09:00-09:01"}, closed_message="We are closed.")
    closed.text(CUSTOMER)
    closed.runner.run()
    assert [m.text for m in replies_to(closed)] == ["We are closed."]
    assert only_open(closed).state == WAITING  # the text still waits


def test_automatic_replies_respect_the_opt_out_and_appear_in_the_transcript() -> None:
    w = world(entry_message="You are number {position}.")
    w.sms_repo.set_opt_out(CHANNEL, OTHER, True, "STOP", "test", "2026-01-01T00:00:00Z")
    w.text(OTHER)
    w.runner.run()
    assert replies_to(w, OTHER) == []  # opted out: nothing stored, nothing sent
    w.now += 1
    w.text(CUSTOMER)
    available(w, "u-bob")
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.cc.agents.end(w.caller("u-bob"), ix.interaction_id, EndInteraction(disposition="solved"))
    document = json.loads(w.media.objects[f"transcripts/acme/{ix.interaction_id}.json"]["data"])
    texts = [(m["direction"], m["text"]) for m in document["messages"]]
    assert texts == [("inbound", "hello"), ("outbound", "You are number 2.")]


def test_a_full_queue_turns_a_new_text_away_with_a_reply_and_keeps_it_on_the_record() -> None:
    w = world(max_waiting=1, full_message="We are full, text later.")
    w.text(CUSTOMER)
    w.now += 1
    w.text(OTHER)
    w.runner.run()
    assert only_open(w).state == WAITING  # the first keeps its place
    assert w.cc_repo.open_interaction(CHANNEL, OTHER) is None
    assert [m.text for m in replies_to(w, OTHER)] == ["We are full, text later."]
    customer = w.cc_repo.customer_by_phone("acme", OTHER)
    history = w.cc_repo.history(customer.customer_id, 5)
    assert [h["disposition"] for h in history] == ["queue_full"]
    case = w.cc_repo.cases(customer.customer_id)[0]
    document = json.loads(w.media.objects[case.transcripts[0]["key"]]["data"])
    assert [m["text"] for m in document["messages"]][:1] == ["hello"]  # the text is kept
    figures = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]
    assert (figures["offered"], figures["turned_away"]) == (2, 1)


def test_a_full_queue_overflows_to_its_overflow_queue_when_it_has_one() -> None:
    w = world(max_waiting=1)
    support = w.cc_repo.get_queue("acme", SUPPORT)
    w.cc_repo.put_queue(replace(support, overflow_queue_id=SALES))
    w.text(CUSTOMER)
    w.now += 1
    w.text(OTHER)
    w.runner.run()
    assert (only_open(w).queue_id, only_open(w, OTHER).queue_id) == (SUPPORT, SALES)
    assert replies_to(w, OTHER) == []
    available(w, "u-carol")
    w.runner.run()
    assert only_open(w, OTHER).agent_id == "u-carol"


def test_a_customer_quiet_past_the_abandon_time_is_counted_abandoned() -> None:
    w = world(abandon_after_s=300)
    w.text(CUSTOMER)
    w.text(OTHER)
    w.runner.run()
    w.now += 200
    w.text(OTHER, "still there?")  # not quiet: the abandon time starts again
    w.now += 150
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None  # 350 s quiet
    assert only_open(w, OTHER).state == WAITING  # 150 s quiet
    customer = w.cc_repo.customer_by_phone("acme", CUSTOMER)
    assert [h["disposition"] for h in w.cc_repo.history(customer.customer_id, 5)] == ["abandoned"]
    w.now += 200
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, OTHER) is None
    figures = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]
    assert (figures["offered"], figures["abandoned"], figures["answered"]) == (2, 2, 0)
    w.text(CUSTOMER, "back")  # a new text opens a new interaction
    assert only_open(w).state == WAITING


def test_a_declined_offer_back_in_the_queue_is_still_watched_for_abandonment() -> None:
    w = world(abandon_after_s=120)
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    w.cc.agents.reject(w.caller("u-bob"), only_open(w).interaction_id)
    w.cc.agents.set_status(w.caller("u-bob"), "away")
    w.now += 500
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None
    checks = [m for m in w.runner.handled if m["kind"] == "waiting_check"]
    assert len(checks) <= 12  # one chain of checks, not one per offer


def test_keywords_to_a_channel_do_not_open_an_interaction() -> None:
    w = world()
    w.text(CUSTOMER, "STOP")
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None


def test_outbound_makes_an_active_interaction_that_uses_a_slot_and_queues_the_text() -> None:
    w = world()
    available(w, "u-bob")
    bob = w.caller("u-bob")
    view = w.cc.agents.outbound(
        bob,
        StartOutbound(CHANNEL, "(415) 555-2671", "c1", "Your order shipped"),
    )
    assert (view["state"], view["agent_id"], view["direction"]) == (ACTIVE, "u-bob", "outbound")
    assert view["message"]["status"] == "queued"
    assert w.cc_repo.get_agent("u-bob").load == 1
    w.text(CUSTOMER, "thanks!")  # the reply joins the agent's interaction
    assert only_open(w).interaction_id == view["id"]
    with pytest.raises(Conflict) as busy:
        w.cc.agents.outbound(
            w.caller("u-carol"),
            StartOutbound(CHANNEL, CUSTOMER, "c2", "hi"),
        )
    assert busy.value.code in ("interaction_open", "agent_at_capacity")


def test_overflow_moves_a_long_wait_to_the_overflow_queue() -> None:
    w = world()
    from chalicelib.domain.contact_center import Queue

    w.cc_repo.put_queue(
        Queue(
            SUPPORT,
            "acme",
            "Support",
            skills={"support": 5},
            overflow_after_s=60,
            overflow_queue_id=SALES,
        )
    )
    available(w, "u-carol")
    w.text(CUSTOMER)
    w.runner.run()
    assert only_open(w).state == WAITING  # nobody at level 5
    w.now += 61
    w.runner.run()
    ix = only_open(w)
    assert (ix.queue_id, ix.agent_id) == (SALES, "u-carol")


def test_supervisors_hear_queue_updates_after_routing() -> None:
    w = world()
    w.text(CUSTOMER)
    w.runner.run()
    updates = w.events("queue.updated", "u-alice")
    assert updates and updates[-1].data["queue_id"] == SUPPORT
    assert updates[-1].data["waiting"] == 1
    assert w.events("queue.updated", "u-bob") == []  # agents are not supervisors


def test_going_offline_closes_wrap_ups_and_frees_every_slot() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    bob = w.caller("u-bob")
    w.cc.agents.accept(bob, ix.interaction_id)
    w.cc.agents.end(bob, ix.interaction_id, EndInteraction())
    w.cc.agents.set_status(bob, "offline")
    assert w.cc_repo.get_interaction(ix.interaction_id).state == ENDED
    agent = w.cc_repo.get_agent("u-bob")
    assert (agent.status, agent.load, agent.total) == ("offline", 0, 0)
