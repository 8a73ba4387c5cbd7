"""The contact center under the failures AWS allows: an eventually consistent waiting
index, a write or a send that fails half-way through a handler (the provider or SQS
delivers again), optimistic writes that keep losing their race."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.contact_center import (
    ENDED,
    WAITING,
    Interaction,
    Queue,
    beyond_cap,
)
from chalicelib.domain.contact_center_messages import Admit, QueueFlush, RoutingMessage
from chalicelib.domain.contact_center_reads import ChannelText
from chalicelib.domain.contact_center_records import QUEUE_UPDATE_INTERVAL_S, Customer
from chalicelib.domain.sms import InboundSms
from tests.contact_center_support import CHANNEL, CUSTOMER, OTHER, SUPPORT, CenterWorld, world
from tests.contact_center_support import reply_texts as replies_to
from tests.fakes.contact_center import MemoryContactCenterRepository


class LaggingIndex(MemoryContactCenterRepository):
    """The waiting index as a GSI may be read: new interactions not in it yet."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: set[str] = set()
        self.lag = False

    def create_interaction(
        self, interaction: Interaction, require_room: bool = False, **also: Any
    ) -> tuple[Interaction, bool]:
        stored, created = super().create_interaction(interaction, require_room, **also)
        if created and self.lag:
            self.hidden.add(stored.interaction_id)
        return stored, created

    def waiting(self, company_id: str, queue_id: str, limit: int) -> list[Interaction]:
        found = super().waiting(company_id, queue_id, limit + len(self.hidden))
        return [i for i in found if i.interaction_id not in self.hidden][:limit]


class RacingEnds(MemoryContactCenterRepository):
    """Ends that lose their race: the next ``refused`` of them find the interaction
    changed just before (as the customer's next text changes it) and write nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def transition(self, before: Interaction, after: Interaction, **capacity: Any) -> bool:
        if after.state == ENDED and self.refused > 0:
            self.refused -= 1
            stored = self.get_interaction(before.interaction_id)
            assert stored is not None
            super().transition(stored, replace(stored, last_customer_at=stored.last_customer_at))
            return False
        return super().transition(before, after, **capacity)


class Throttled(Exception):
    """What DynamoDB answers a hot item under load."""


class FlakyCreate(MemoryContactCenterRepository):
    """The next ``failures`` creates fail (DynamoDB throttled the transaction)."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def create_interaction(
        self, interaction: Interaction, require_room: bool = False, **also: Any
    ) -> tuple[Interaction, bool]:
        if self.failures > 0:
            self.failures -= 1
            raise Throttled("ProvisionedThroughputExceededException")
        return super().create_interaction(interaction, require_room, **also)


class RacingRecord(MemoryContactCenterRepository):
    """Another text makes the customer's record just after this one looked it up."""

    def __init__(self) -> None:
        super().__init__()
        self.other: Callable[[], Any] | None = None

    def channel_text(self, e164: str, company_id: str, phone: str) -> ChannelText | None:
        found = super().channel_text(e164, company_id, phone)
        if self.other is not None:
            self.other()
            self.other = None
        return found


class StaleMarker(MemoryContactCenterRepository):
    """The open marker as one webhook read it, just before the interaction ended."""

    def __init__(self) -> None:
        super().__init__()
        self.stale: Interaction | None = None

    def channel_text(self, e164: str, company_id: str, phone: str) -> ChannelText | None:
        found = super().channel_text(e164, company_id, phone)
        if self.stale is not None and found is not None:
            found = replace(found, open_interaction_id=self.stale.interaction_id)
            self.stale = None
        return found


def ix(n: int) -> Interaction:
    return Interaction(f"ix{n}", "acme", SUPPORT, CHANNEL, f"+1415555000{n}", "c", "t", float(n))


def test_the_cap_counts_an_interaction_the_index_does_not_show_yet_after_the_others() -> None:
    queue = Queue(SUPPORT, "acme", "Support", max_waiting=2)
    assert not beyond_cap("ix9", [], queue)
    assert not beyond_cap("ix9", [ix(1)], queue)
    assert beyond_cap("ix9", [ix(1), ix(2)], queue)
    assert not beyond_cap("ix2", [ix(1), ix(2), ix(3)], queue)
    assert beyond_cap("ix3", [ix(1), ix(2), ix(3)], queue)


def test_an_empty_capped_queue_admits_a_new_text_the_waiting_index_does_not_show_yet() -> None:
    repo = LaggingIndex()
    w = world(repo, max_waiting=1, entry_message="You are number {position}.")
    repo.lag = True
    w.text(CUSTOMER)
    w.runner.run()
    found = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    assert found is not None and found.state == WAITING  # not turned away
    assert replies_to(w, CUSTOMER) == ["You are number 1."]
    repo.hidden.clear()
    w.now += 1
    w.text(OTHER)  # the queue holds one: the next is turned away, lagging index or not
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, OTHER) is None


def test_an_end_that_loses_its_race_files_no_transcript_and_the_wait_is_still_watched() -> None:
    repo = RacingEnds()
    w = world(repo, abandon_after_s=120)
    w.text(CUSTOMER)
    w.runner.run()
    repo.refused = 10_000  # every end of this wait loses its race for a while
    w.now += 200
    w.runner.run()
    waiting = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    assert waiting is not None and waiting.state == WAITING
    customer = w.cc_repo.customer_by_phone("acme", CUSTOMER)
    assert w.cc_repo.cases(customer.customer_id) == []  # nothing filed for an open one
    assert not [k for k in w.media.objects if k.startswith("transcripts/")]
    assert w.runner.timers("waiting_check")  # the chain goes on
    repo.refused = 0
    w.now += 61
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None
    [case] = w.cc_repo.cases(customer.customer_id)
    ended = w.cc_repo.get_interaction(waiting.interaction_id)
    assert (ended.state, ended.disposition, ended.case_id) == (ENDED, "abandoned", case.case_id)
    assert case.transcripts == [
        {"interaction_id": ended.interaction_id, "key": ended.transcript_key}
    ]
    assert ended.transcript_key in w.media.objects


def test_a_full_queue_ends_the_turned_away_interaction_even_if_the_customer_wrote_meanwhile() -> (
    None
):
    repo = RacingEnds()
    w = world(repo, max_waiting=1, full_message="We are full.")
    w.text(CUSTOMER)
    w.now += 1
    w.text(OTHER)
    repo.refused = 1  # the customer's second text lands just before the end
    w.runner.run()
    assert w.cc_repo.open_interaction(CHANNEL, OTHER) is None  # told "full", and it ended
    customer = w.cc_repo.customer_by_phone("acme", OTHER)
    assert [h["disposition"] for h in w.cc_repo.history(customer.customer_id, 5)] == ["queue_full"]
    figures = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]
    assert figures["turned_away"] == 1


def failing_admit(w: CenterWorld) -> list[RoutingMessage]:
    """The routing queue refuses the next ``admit`` once (SQS had a bad moment)."""
    sent = w.routing_queue.enqueue
    refused: list[RoutingMessage] = []

    def flaky(message: RoutingMessage, delay_seconds: int = 0) -> None:
        if isinstance(message, Admit) and not refused:
            refused.append(message)
            raise Throttled("SQS did not take it")
        sent(message, delay_seconds)

    w.routing_queue.enqueue = flaky  # type: ignore[method-assign]
    return refused


def test_a_provider_retry_after_a_failure_behind_the_create_admits_and_routes_the_text() -> None:
    w = world(MemoryContactCenterRepository(), entry_message="You are number {position}.")
    text = InboundSms("twilio", "SM-retried", CUSTOMER, CHANNEL, "hello")
    refused = failing_admit(w)
    with pytest.raises(Throttled):  # the provider gets an error and sends the text again
        w.services.carrier.inbound(text)
    assert refused
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is not None  # created before it failed
    w.services.carrier.inbound(text)
    w.runner.run()
    assert replies_to(w, CUSTOMER) == ["You are number 1."]  # admitted once
    assert len(w.runner.timers("waiting_check")) == 1  # watched, by one chain
    figures = w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]
    assert figures["offered"] == 1  # counted with the create, not again by the retry
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    w.runner.run()
    found = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    assert found is not None and (found.state, found.agent_id) == ("offered", "u-bob")


def test_a_new_text_is_counted_offered_in_the_write_that_opens_its_interaction() -> None:
    """The figure cannot be lost behind the create, nor counted again by a retry:
    a failed create counts nothing, a stored one has counted."""
    repo = FlakyCreate()
    w = world(repo)
    text = InboundSms("twilio", "SM-counted", CUSTOMER, CHANNEL, "hello")
    repo.failures = 1
    with pytest.raises(Throttled):
        w.services.carrier.inbound(text)
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None
    assert w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]["offered"] == 0
    w.services.carrier.inbound(text)  # the provider sends it again
    w.services.carrier.inbound(text)  # and again
    w.runner.run()
    assert w.cc.supervisor.stats(w.caller("u-alice"), SUPPORT)["days"][0]["offered"] == 1
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is not None


def test_two_first_texts_of_one_customer_make_one_record() -> None:
    """The record made with the interaction: a text to another channel that made the
    customer's record meanwhile wins, and this interaction takes that record."""
    repo = RacingRecord()
    w = world(repo)
    repo.other = lambda: repo.create_customer(Customer("cus_other", "acme", CUSTOMER))
    w.text(CUSTOMER)
    found = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    assert found is not None and found.customer_id == "cus_other"
    assert w.cc_repo.customer_by_phone("acme", CUSTOMER).customer_id == "cus_other"


def test_a_text_whose_interaction_ended_while_it_arrived_opens_a_new_interaction() -> None:
    repo = StaleMarker()
    w = world(repo, abandon_after_s=120)
    w.text(CUSTOMER)
    w.runner.run()
    before = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    assert before is not None
    w.now += 200
    w.runner.run()  # abandoned
    assert w.cc_repo.get_interaction(before.interaction_id).state == ENDED
    repo.stale = before  # this webhook read the marker just before the end
    w.text(CUSTOMER, "are you there?")
    found = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    assert found is not None and found.interaction_id != before.interaction_id
    assert found.state == WAITING
    page = w.conversation_repo.list_messages(found.conversation_id, 10, None, after_seq=0)
    first = [m for m in page.items if m.seq == found.first_seq]
    assert [m.text for m in first] == ["are you there?"]  # in the new one's transcript
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    w.runner.run()
    routed = w.cc_repo.get_interaction(found.interaction_id)
    assert (routed.state, routed.agent_id) == ("offered", "u-bob")


def test_a_queue_flush_whose_timer_failed_to_go_is_armed_again_by_the_redelivery() -> None:
    w = world()
    w.text(CUSTOMER)
    w.runner.run()  # published at once
    sent = w.routing_queue.enqueue
    failed: list[RoutingMessage] = []

    def flaky(message: RoutingMessage, delay_seconds: int = 0) -> None:
        if isinstance(message, QueueFlush) and not failed:
            failed.append(message)
            raise Throttled("SQS did not take it")
        sent(message, delay_seconds)

    w.routing_queue.enqueue = flaky  # type: ignore[method-assign]
    w.text(OTHER)  # within the interval: held back for a flush
    with pytest.raises(Throttled):
        w.runner.run()
    assert failed
    w.cc.handle(w.runner.handled[-1])  # SQS delivers the routing message again
    w.now += QUEUE_UPDATE_INTERVAL_S
    w.runner.run()
    updates = w.events("queue.updated", "u-alice")
    assert [u.data["waiting"] for u in updates] == [1, 2]  # the last state arrives


def failing_once(w: CenterWorld) -> list[str]:
    """The media store refuses the next transcript once (S3 had a bad moment)."""
    put = w.media.put
    refused: list[str] = []

    def flaky(key: str, data: bytes, content_type: str) -> None:
        if key.startswith("transcripts/") and not refused:
            refused.append(key)
            raise Throttled("SlowDown")
        put(key, data, content_type)

    w.media.put = flaky  # type: ignore[method-assign]
    return refused


def test_an_abandonment_whose_filing_failed_after_the_end_is_filed_by_the_redelivery() -> None:
    w = world(abandon_after_s=120)
    w.text(CUSTOMER)
    w.runner.run()
    ix = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    refused = failing_once(w)
    w.now += 200
    with pytest.raises(Throttled):
        w.runner.run()
    assert refused and w.cc_repo.get_interaction(ix.interaction_id).state == ENDED
    w.cc.handle(w.runner.handled[-1])  # SQS delivers the check again
    ended = w.cc_repo.get_interaction(ix.interaction_id)
    assert ended.transcript_key in w.media.objects
    [case] = w.cc_repo.cases(str(ended.customer_id))
    assert [t["interaction_id"] for t in case.transcripts] == [ix.interaction_id]


def test_a_wrap_up_close_whose_filing_failed_is_filed_by_the_redelivered_timer() -> None:
    w = world(wrap_up_s=60)
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    w.text(CUSTOMER)
    w.runner.run()
    ix = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    bob = w.caller("u-bob")
    w.cc.agents.accept(bob, ix.interaction_id)
    w.cc.agents.end(bob, ix.interaction_id)
    refused = failing_once(w)
    w.now += 61
    with pytest.raises(Throttled):
        w.runner.run()
    assert refused
    w.cc.handle(w.runner.handled[-1])  # the wrap-up timer again
    ended = w.cc_repo.get_interaction(ix.interaction_id)
    assert ended.state == ENDED and ended.transcript_key in w.media.objects
    [case] = w.cc_repo.cases(str(ended.customer_id))
    assert [t["interaction_id"] for t in case.transcripts] == [ix.interaction_id]
