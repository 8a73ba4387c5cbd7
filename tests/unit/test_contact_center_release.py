"""Giving an interaction back to its queue and the per-day figures: who is skipped
after a reject or a timed-out offer (and for how long), what a transfer or an
agent going away does, how a full queue ends a text before telling the customer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.contact_center import OFFERED, QUEUE_FULL, WAITING, Interaction
from chalicelib.services.contact_center.commands import EndInteraction
from tests.contact_center_support import (
    CHANNEL,
    CUSTOMER,
    OTHER,
    SALES,
    SUPPORT,
    CenterWorld,
    available,
    only_open,
    world,
)
from tests.contact_center_support import reply_texts as replies_to


def test_a_full_queue_does_not_tell_a_customer_an_agent_took_meanwhile() -> None:
    w = world(max_waiting=1, full_message="We are full, text later.")
    w.text(CUSTOMER)
    w.now += 1
    w.text(OTHER)
    late = only_open(w, OTHER)
    original = w.cc_repo.transition

    def offered_meanwhile(before: Interaction, after: Interaction, **kw: Any) -> bool:
        if after.interaction_id == late.interaction_id and after.disposition == QUEUE_FULL:
            stored = w.cc_repo.get_interaction(late.interaction_id)
            assert stored is not None and stored.state == WAITING
            offer = replace(stored, state=OFFERED, agent_id="u-bob", offer_no=1)
            assert original(stored, offer, agent_id="u-bob", load=1, total=1)
        return original(before, after, **kw)

    w.cc_repo.transition = offered_meanwhile  # type: ignore[method-assign]
    w.runner.run()
    assert only_open(w, OTHER).state == OFFERED  # another router's offer stands
    assert replies_to(w, OTHER) == []  # so nobody tells them the queue is full
    figures = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]
    assert figures["turned_away"] == 0


def test_a_turned_away_text_gets_the_full_reply_once_even_when_admit_repeats() -> None:
    w = world(max_waiting=1, full_message="We are full, text later.")
    w.text(CUSTOMER)
    w.now += 1
    w.text(OTHER)
    late = only_open(w, OTHER)
    sent = w.cc.admission._replies.send
    calls: list[str] = []

    def crash_once(interaction: Interaction, kind: str, text: str) -> Any:
        if kind == "full" and not calls:
            calls.append(kind)
            raise RuntimeError("crashed after the end")
        return sent(interaction, kind, text)

    w.cc.admission._replies.send = crash_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        w.cc.admission.admit(late.interaction_id)
    assert replies_to(w, OTHER) == []
    w.cc.admission.admit(late.interaction_id)  # the redelivered message
    w.cc.admission.admit(late.interaction_id)
    assert replies_to(w, OTHER) == ["We are full, text later."]


def test_the_only_agent_who_rejected_gets_it_again_when_the_skip_ends() -> None:
    w = world()  # offer timeout 30 s
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    w.cc.agents.reject(w.caller("u-bob"), only_open(w).interaction_id)
    w.runner.run()
    assert only_open(w).state == WAITING  # skipped: nobody else can take it
    w.now += 29
    w.runner.run()
    assert only_open(w).state == WAITING
    w.now += 2  # the skip ended: a timer routes it again (not a minute later)
    w.runner.run()
    assert (only_open(w).state, only_open(w).agent_id) == (OFFERED, "u-bob")


def test_a_timed_out_offer_goes_to_the_next_agent_first_then_back_to_the_only_one() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    w.now += 31
    w.runner.run()  # timed out: bob is skipped for 30 s
    assert only_open(w).state == WAITING
    available(w, "u-carol")
    w.runner.run()
    assert only_open(w).agent_id == "u-carol"  # the next agent first
    w.cc.agents.set_status(w.caller("u-carol"), "away")
    w.runner.run()
    assert only_open(w).state == WAITING  # carol went away; bob is still skipped
    w.now += 31
    w.runner.run()
    assert (only_open(w).state, only_open(w).agent_id) == (OFFERED, "u-bob")


def test_going_away_does_not_block_the_agent_from_the_same_customer() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    w.cc.agents.set_status(w.caller("u-bob"), "away")
    w.runner.run()
    assert only_open(w).state == WAITING
    available(w, "u-bob")  # back at once
    w.runner.run()
    assert (only_open(w).state, only_open(w).agent_id) == (OFFERED, "u-bob")


def test_going_offline_does_not_block_the_agent_from_the_same_customer() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    w.cc.agents.accept(w.caller("u-bob"), only_open(w).interaction_id)
    w.cc.agents.set_status(w.caller("u-bob"), "offline")
    available(w, "u-bob")
    w.runner.run()
    assert (only_open(w).state, only_open(w).agent_id) == (OFFERED, "u-bob")


def test_a_transfer_does_not_block_the_agent_in_the_destination_queue() -> None:
    w = world()
    available(w, "u-carol")  # carol serves Support and Sales
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-carol"), ix.interaction_id)
    w.cc.agents.transfer(w.caller("u-carol"), ix.interaction_id, SALES)
    w.runner.run()
    assert (only_open(w).state, only_open(w).queue_id, only_open(w).agent_id) == (
        OFFERED,
        SALES,
        "u-carol",
    )


def day(w: CenterWorld, queue_id: str) -> dict[str, Any]:
    return w.cc.supervisor.stats(w.caller("u-alice"), queue_id)["days"][0]  # type: ignore[no-any-return]


def test_a_transfer_ends_the_handling_in_the_source_and_is_a_new_wait_in_the_destination() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.now += 10
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)  # waited 10 s in Support
    w.now += 50
    w.cc.agents.transfer(w.caller("u-bob"), ix.interaction_id, SALES)  # handled 50 s
    w.now += 5
    available(w, "u-carol")
    w.runner.run()
    w.cc.agents.accept(w.caller("u-carol"), ix.interaction_id)  # waited 5 s in Sales
    w.now += 20
    w.cc.agents.end(w.caller("u-carol"), ix.interaction_id, EndInteraction(disposition="sold"))
    support, sales = day(w, SUPPORT), day(w, SALES)
    assert (support["offered"], support["answered"], support["average_wait_s"]) == (1, 1, 10)
    assert support["average_handle_s"] == 50
    assert (sales["offered"], sales["answered"], sales["average_wait_s"]) == (1, 1, 5)
    assert sales["average_handle_s"] == 20


def test_a_requeue_after_the_agent_went_offline_is_a_new_wait_of_the_same_queue() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.now += 40
    w.cc.agents.set_status(w.caller("u-bob"), "offline")
    w.now += 6
    available(w, "u-carol")
    w.runner.run()
    w.cc.agents.accept(w.caller("u-carol"), ix.interaction_id)
    figures = day(w, SUPPORT)
    assert (figures["offered"], figures["answered"]) == (2, 2)
    assert figures["average_wait_s"] == 3  # (0 + 6) / 2: the second wait from the requeue
    assert figures["average_handle_s"] == 40  # bob's handling ended when he left
    assert w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["longest_wait_s"] == 0


def test_a_declined_offer_is_the_same_wait_and_not_offered_again() -> None:
    w = world()
    available(w, "u-bob", "u-carol")
    w.text(CUSTOMER)
    w.runner.run()
    first = only_open(w)
    w.now += 4
    w.cc.agents.reject(w.caller(str(first.agent_id)), first.interaction_id)
    w.runner.run()
    w.now += 4
    second = only_open(w)
    w.cc.agents.accept(w.caller(str(second.agent_id)), second.interaction_id)
    figures = day(w, SUPPORT)
    assert (figures["offered"], figures["answered"], figures["average_wait_s"]) == (1, 1, 8)


def test_an_overflow_move_is_offered_in_the_queue_it_moves_to() -> None:
    w = world(max_waiting=1)
    support = w.cc_repo.get_queue("acme", SUPPORT)
    assert support is not None
    w.cc_repo.put_queue(replace(support, overflow_queue_id=SALES))
    w.text(CUSTOMER)
    w.now += 1
    w.text(OTHER)
    w.runner.run()
    assert (day(w, SUPPORT)["offered"], day(w, SUPPORT)["moved_out"]) == (2, 1)
    assert (day(w, SALES)["offered"], day(w, SALES)["moved_out"]) == (1, 0)


def test_a_long_wait_moved_by_overflow_is_moved_out_of_its_queue_and_offered_in_the_next() -> None:
    w = world(overflow_after_s=120)
    support = w.cc_repo.get_queue("acme", SUPPORT)
    assert support is not None
    w.cc_repo.put_queue(replace(support, overflow_queue_id=SALES))
    w.text(CUSTOMER)
    w.runner.run()
    w.now += 121
    w.runner.run()
    assert only_open(w).queue_id == SALES
    assert (day(w, SUPPORT)["offered"], day(w, SUPPORT)["moved_out"]) == (1, 1)
    assert day(w, SALES)["offered"] == 1


def test_an_auto_accepted_interaction_counts_its_handle_time() -> None:
    w = world(auto_accept=True, wrap_up_s=0)
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    w.now += 30
    ix = only_open(w)
    w.cc.agents.end(w.caller("u-bob"), ix.interaction_id, EndInteraction(disposition="done"))
    figures = day(w, SUPPORT)
    assert (figures["answered"], figures["average_handle_s"]) == (1, 30)


def test_a_transfer_waits_its_own_overflow_time_in_the_new_queue() -> None:
    """The overflow clock starts with the wait in the destination, not at the first
    text: a long-handled transfer must not bounce straight back."""
    w = world()
    sales = w.cc_repo.get_queue("acme", SALES)
    w.cc_repo.put_queue(replace(sales, overflow_after_s=120, overflow_queue_id=SUPPORT))
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.now += 600  # handled for ten minutes
    w.cc.agents.transfer(w.caller("u-bob"), ix.interaction_id, SALES)
    w.now += 5
    w.runner.run()
    moved = only_open(w)
    assert (moved.queue_id, moved.state, moved.overflowed) == (SALES, WAITING, False)
    w.now += 120  # now its wait in Sales is long enough
    w.runner.run()
    assert only_open(w).queue_id == SUPPORT


def test_a_requeue_after_an_answer_is_not_abandoned_for_the_earlier_quiet() -> None:
    """Quiet is counted from the customer's last text or the start of this wait:
    a customer quiet while an agent had them is not abandoned on the requeue."""
    w = world(abandon_after_s=300)
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.now += 400  # quiet while bob had it
    w.cc.agents.set_status(w.caller("u-bob"), "offline")
    w.now += 60
    w.runner.run()
    assert only_open(w).state == WAITING
    w.now += 300
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None  # now 300 s of this wait
