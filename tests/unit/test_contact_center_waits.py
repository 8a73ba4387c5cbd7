"""Every wait is in a queue that exists and is watched by exactly one waiting-check
chain: a channel whose queue was deleted opens nothing, an overflow that loses its
race to the customer's next text is retried or watched, a redelivered ``admit`` arms
no second chain."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.contact_center import WAITING, Interaction
from chalicelib.domain.model import sms_conversation_id
from tests.contact_center_support import (
    CHANNEL,
    CUSTOMER,
    OTHER,
    SALES,
    SUPPORT,
    only_open,
    world,
)
from tests.fakes.contact_center import MemoryContactCenterRepository


class TextsDuringOverflow(MemoryContactCenterRepository):
    """The customer's next text lands just before each of the next ``racing`` overflow
    moves (between admit's read and its write): the move finds a newer version."""

    def __init__(self) -> None:
        super().__init__()
        self.racing = 0

    def transition(self, before: Interaction, after: Interaction, **kw: Any) -> bool:
        if self.racing and after.overflowed and not before.overflowed:
            self.racing -= 1
            current = self.get_interaction(before.interaction_id)
            assert current is not None
            super().transition(current, replace(current, last_customer_at=current.arrived_at + 1))
        return super().transition(before, after, **kw)


def checks_of(w: Any, interaction_id: str) -> list[dict[str, Any]]:
    return [t for t in w.runner.timers("waiting_check") if t["interaction_id"] == interaction_id]


def test_a_text_to_a_channel_whose_queue_was_deleted_is_stored_and_opens_no_interaction() -> None:
    w = world(abandon_after_s=120)
    w.cc_repo.delete_queue("acme", SUPPORT)  # a channel saved at the instant of the delete
    w.text(CUSTOMER, "is anyone there?")
    w.runner.run()
    page = w.conversation_repo.list_messages(
        sms_conversation_id(CHANNEL, CUSTOMER), 10, None, after_seq=0
    )
    assert [m.text for m in page.items] == ["is anyone there?"]  # the text is kept
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None
    assert w.cc_repo.interactions == {} and w.cc_repo.day_figures == {}
    assert w.runner.timers("waiting_check") == []
    assert w.cc_repo.customer_by_phone("acme", CUSTOMER) is None  # nothing half-made


def full_support_overflowing_to_sales(repo: MemoryContactCenterRepository) -> Any:
    w = world(repo, max_waiting=1, abandon_after_s=120)
    support = w.cc_repo.get_queue("acme", SUPPORT)
    w.cc_repo.put_queue(replace(support, overflow_queue_id=SALES))
    w.text(CUSTOMER)
    w.runner.run()
    w.now += 1
    return w


def test_an_overflow_that_loses_to_the_customers_next_text_is_retried() -> None:
    repo = TextsDuringOverflow()
    w = full_support_overflowing_to_sales(repo)
    repo.racing = 1
    w.text(OTHER)
    w.runner.run()
    moved = only_open(w, OTHER)
    assert (moved.state, moved.queue_id, moved.overflowed) == (WAITING, SALES, True)
    assert len(checks_of(w, moved.interaction_id)) == 1


def test_an_overflow_that_keeps_losing_its_race_leaves_the_wait_watched() -> None:
    repo = TextsDuringOverflow()
    w = full_support_overflowing_to_sales(repo)
    repo.racing = 100
    w.text(OTHER)
    w.runner.run()
    stuck = only_open(w, OTHER)
    assert (stuck.state, stuck.queue_id) == (WAITING, SUPPORT)
    assert len(checks_of(w, stuck.interaction_id)) == 1


def test_a_redelivered_admit_arms_no_second_waiting_check() -> None:
    w = world(abandon_after_s=600)  # nobody is available: the customer waits
    w.text(CUSTOMER)
    w.runner.run()
    waiting = only_open(w)
    admit = next(m for m in w.runner.handled if m["kind"] == "admit")
    w.cc.handle(admit)  # SQS delivers it again
    assert len(checks_of(w, waiting.interaction_id)) == 1
    for _ in range(5):  # and the one chain goes on, one check at a time
        w.now += 60
        w.runner.run()
        assert len(checks_of(w, waiting.interaction_id)) == 1


def test_an_admit_redelivered_after_an_offer_went_back_to_the_queue_arms_nothing() -> None:
    w = world(abandon_after_s=600, offer_timeout_s=30)
    w.text(CUSTOMER)
    w.runner.run()
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    w.runner.run()  # offered to bob
    w.cc.agents.set_status(w.caller("u-bob"), "away")
    w.now += 30
    w.runner.run()  # the offer timed out: back in the queue, watched by the release
    back = only_open(w)
    assert back.state == WAITING and back.offer_no == 1
    before = len(checks_of(w, back.interaction_id))
    admit = next(m for m in w.runner.handled if m["kind"] == "admit")
    w.cc.handle(admit)
    assert len(checks_of(w, back.interaction_id)) == before


class Killed(BaseException):
    """The invocation cut off (a timeout, a crash): no ``except Exception`` runs."""


def test_an_admit_cut_off_before_its_waiting_check_was_sent_arms_it_when_redelivered() -> None:
    w = world(abandon_after_s=600)  # nobody is available: the customer waits
    arm = w.cc.routing.arm_waiting_check
    cut = {"left": 1}

    def cut_off_once(*args: Any, **kwargs: Any) -> None:
        if cut["left"]:
            cut["left"] -= 1
            raise Killed()
        arm(*args, **kwargs)

    w.cc.routing.arm_waiting_check = cut_off_once  # type: ignore[method-assign]
    w.text(CUSTOMER)
    with pytest.raises(Killed):
        w.runner.run()
    waiting = only_open(w)
    assert checks_of(w, waiting.interaction_id) == []
    admit = next(m for m in w.runner.handled if m["kind"] == "admit")
    w.cc.handle(admit)  # SQS delivers it again
    assert len(checks_of(w, waiting.interaction_id)) == 1
