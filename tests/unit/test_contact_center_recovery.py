"""The contact center under the failures AWS allows: an eventually consistent waiting
index, a write or a send that fails half-way through a handler (the provider or SQS
delivers again), optimistic writes that keep losing their race."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.contact_center import ENDED, WAITING, Interaction, Queue, beyond_cap
from chalicelib.domain.model import sms_conversation_id
from tests.contact_center_support import CHANNEL, SUPPORT, CenterWorld, seed_center
from tests.fakes.contact_center import MemoryContactCenterRepository

CUSTOMER = "+14155552671"
OTHER = "+14155552672"


class LaggingIndex(MemoryContactCenterRepository):
    """The waiting index as a GSI may be read: new interactions not in it yet."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: set[str] = set()
        self.lag = False

    def create_interaction(
        self, interaction: Interaction, require_room: bool = False
    ) -> tuple[Interaction, bool]:
        stored, created = super().create_interaction(interaction, require_room)
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


def world(repo: Any = None, **queue_settings: Any) -> CenterWorld:
    w = CenterWorld(repo=repo)
    seed_center(w.cc_repo, w.directory_repo, w.sms_repo, **queue_settings)
    return w


def replies_to(w: CenterWorld, phone: str) -> list[str]:
    page = w.conversation_repo.list_messages(
        sms_conversation_id(CHANNEL, phone), 100, None, after_seq=0
    )
    return [m.text for m in page.items if m.direction == "outbound"]


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
