"""One contract for the contact center's repository: the DynamoDB adapter (moto) and the fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.contact_center import (
    ACTIVE,
    AVAILABLE,
    ENDED,
    OFFERED,
    WAITING,
    AgentProfile,
    Channel,
    Interaction,
    Queue,
)
from chalicelib.domain.contact_center_records import (
    EVERY_QUEUE,
    CannedReply,
    Case,
    Customer,
    QueueState,
)
from chalicelib.domain.errors import Conflict, NotFound, ValidationError
from tests.fakes.contact_center import MemoryContactCenterRepository
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Either repository, with acme's Support queue (an interaction needs its queue)."""
    if request.param == "memory":
        made: Any = MemoryContactCenterRepository()
    else:
        request.getfixturevalue("serial_dynamodb")
        from chalicelib.adapters import dynamodb

        dynamodb.bind_models("texting-test-messaging", "us-east-1")
        made = dynamodb.DynamoContactCenterRepository()
    made.put_queue(Queue("q-support", "acme", "Support"))
    yield made


def interaction(
    n: int, queue: str = "q-support", phone: str | None = None, **kw: Any
) -> Interaction:
    return Interaction(
        interaction_id=f"ix-{n:03d}",
        company_id="acme",
        queue_id=queue,
        channel="+14155550180",
        customer_phone=phone or f"+1415555{n:04d}",
        conversation_id=f"conv-{n}",
        created_at="2026-01-01T00:00:00.000Z",
        enqueued_at=1000.0 + n,
        arrived_at=1000.0 + n,
        **kw,
    )


def agent(agent_id: str, **kw: Any) -> AgentProfile:
    base: dict[str, Any] = {
        "company_id": "acme",
        "name": agent_id,
        "skills": {"support": 3},
        "queues": ["q-support"],
        "max_concurrent": 2,
        "status": AVAILABLE,
    }
    base.update(kw)
    return AgentProfile(agent_id, **base)


def offer(repo: Any, ix: Interaction, agent_id: str, now: float = 2000.0) -> bool:
    after = replace(ix, state=OFFERED, agent_id=agent_id, offer_no=ix.offer_no + 1, offered_at=now)
    return bool(
        repo.transition(
            ix, after, agent_id=agent_id, load=1, total=1, require_room=True, assigned_at=now
        )
    )


def test_configuration_round_trips(repo: Any) -> None:
    repo.put_queue(Queue("q-support", "acme", "Support", skills={"support": 2}, priority=3))
    repo.put_queue(Queue("q-other", "globex", "Other"))
    assert repo.get_queue("acme", "q-support").skills == {"support": 2}
    assert repo.get_queue("globex", "q-support") is None
    assert [q.queue_id for q in repo.list_queues("acme")] == ["q-support"]
    repo.put_channel(Channel("+14155550180", "acme", "q-support"))
    assert repo.get_channel("+14155550180") == Channel("+14155550180", "acme", "q-support")
    assert repo.list_channels("acme") == [Channel("+14155550180", "acme", "q-support")]
    assert repo.list_channels("globex") == []
    repo.put_canned(CannedReply("r1", "acme", "hi", "Greeting", "Hello {customer_name}"))
    assert [r.shortcut for r in canned(repo, "acme")] == ["hi"] and canned(repo, "globex") == []


def test_an_agent_profile_update_keeps_status_and_load_and_moves_queue_membership(
    repo: Any,
) -> None:
    repo.put_queue(Queue("q-sales", "acme", "Sales"))
    repo.put_agent(agent("a1", queues=["q-support", "q-sales"]))
    repo.set_agent_status("a1", AVAILABLE, 10.0)
    ix, _ = repo.create_interaction(interaction(1))
    assert offer(repo, ix, "a1")
    repo.put_agent(agent("a1", queues=["q-sales"], status="offline", max_concurrent=4))
    stored = repo.get_agent("a1")
    assert (stored.status, stored.load, stored.max_concurrent) == (AVAILABLE, 1, 4)
    assert (
        repo.agents_of_queue("acme", "q-sales") == ["a1"]
        and repo.agents_of_queue("acme", "q-support") == []
    )
    assert [a.agent_id for a in repo.list_agents("acme")] == ["a1"]
    assert set(repo.get_agents(["a1", "nobody"])) == {"a1"}


def test_one_open_interaction_per_customer_and_channel(repo: Any) -> None:
    first, created = repo.create_interaction(interaction(1, phone="+14155551234"))
    again, created_again = repo.create_interaction(interaction(2, phone="+14155551234"))
    assert created and not created_again and again.interaction_id == first.interaction_id
    assert repo.open_interaction("+14155550180", "+14155551234").interaction_id == "ix-001"
    ended = replace(first, state=ENDED)
    assert repo.transition(first, ended)
    assert repo.open_interaction("+14155550180", "+14155551234") is None
    _, created_after = repo.create_interaction(interaction(3, phone="+14155551234"))
    assert created_after


def test_waiting_is_the_queue_in_arrival_order_and_offers_leave_it(repo: Any) -> None:
    repo.put_agent(agent("a1"))
    for n in (3, 1, 2):
        repo.create_interaction(interaction(n))
    repo.put_queue(Queue("q-sales", "acme", "Sales"))
    repo.create_interaction(interaction(4, queue="q-sales"))
    assert [i.interaction_id for i in repo.waiting("acme", "q-support", 10)] == [
        "ix-001",
        "ix-002",
        "ix-003",
    ]
    head = repo.waiting("acme", "q-support", 1)[0]
    assert offer(repo, head, "a1")
    assert [i.interaction_id for i in repo.waiting("acme", "q-support", 10)] == ["ix-002", "ix-003"]
    assert [i.interaction_id for i in repo.agent_interactions("a1")] == ["ix-001"]
    stored = repo.get_interaction("ix-001")
    assert (stored.state, stored.agent_id, stored.version) == (OFFERED, "a1", 1)


def test_a_stale_version_or_a_full_agent_writes_nothing(repo: Any) -> None:
    repo.put_agent(agent("a1", max_concurrent=1))
    one, _ = repo.create_interaction(interaction(1))
    two, _ = repo.create_interaction(interaction(2))
    assert offer(repo, one, "a1")
    assert not offer(repo, one, "a1")  # stale version
    assert not offer(repo, two, "a1")  # no free slot
    assert repo.get_interaction("ix-002").state == WAITING
    assert repo.get_agent("a1").load == 1
    repo.set_agent_status("a1", "away", 5.0)
    stored = repo.get_interaction("ix-001")
    back = replace(stored, state=WAITING, agent_id=None)
    assert repo.transition(stored, back, agent_id="a1", load=-1, total=-1)
    assert not offer(repo, repo.get_interaction("ix-002"), "a1")  # away: no offers
    assert repo.get_agent("a1").load == 0 and repo.agent_interactions("a1") == []


def test_outbound_creation_counts_toward_capacity_and_is_refused_when_full(repo: Any) -> None:
    repo.put_agent(agent("a1", max_concurrent=1))
    out = interaction(1, state=ACTIVE, agent_id="a1", direction="outbound")
    _, created = repo.create_interaction(out, require_room=True)
    assert created and repo.get_agent("a1").load == 1
    with pytest.raises(Conflict) as refused:
        repo.create_interaction(
            interaction(2, state=ACTIVE, agent_id="a1", direction="outbound"), require_room=True
        )
    assert refused.value.code == "agent_at_capacity"
    assert repo.get_interaction("ix-002") is None
    assert repo.open_interaction("+14155550180", interaction(2).customer_phone) is None


def test_concurrent_offers_never_exceed_a_cap_nor_assign_twice(repo: Any) -> None:
    repo.put_agent(agent("a1", max_concurrent=3))
    repo.put_agent(agent("a2", max_concurrent=3))
    for n in range(10):
        repo.create_interaction(interaction(n))
    wins: list[tuple[str, str]] = []
    lock = threading.Lock()

    def grab(agent_id: str) -> None:
        for ix in repo.waiting("acme", "q-support", 10):
            if offer(repo, ix, agent_id):
                with lock:
                    wins.append((ix.interaction_id, agent_id))

    threads = [threading.Thread(target=grab, args=(f"a{1 + n % 2}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 6 and len({w[0] for w in wins}) == 6
    agents = repo.get_agents(["a1", "a2"])
    assert agents["a1"].load == 3 and agents["a2"].load == 3
    assert len(repo.waiting("acme", "q-support", 20)) == 4


def test_customers_are_one_per_phone_with_cases_and_history(repo: Any) -> None:
    made = repo.create_customer(Customer("c1", "acme", "+14155551234", "", "t0"))
    again = repo.create_customer(Customer("c2", "acme", "+14155551234", "", "t1"))
    assert made.customer_id == again.customer_id == "c1"
    assert repo.customer_by_phone("acme", "+14155551234").customer_id == "c1"
    assert repo.customer_by_phone("globex", "+14155551234") is None
    assert repo.get_customer("globex", "c1") is None
    repo.put_case(Case("k1", "c1", "acme", "Refund", transcripts=[{"interaction_id": "ix-1"}]))
    assert repo.get_case("c1", "k1").transcripts == [{"interaction_id": "ix-1"}]
    assert [c.case_id for c in repo.cases("c1")] == ["k1"]
    repo.add_history("c1", "2026-01-01T00:00:00.000Z", {"id": "ix-1", "disposition": "solved"})
    repo.add_history("c1", "2026-01-02T00:00:00.000Z", {"id": "ix-2", "disposition": "callback"})
    assert [h["id"] for h in repo.history("c1", 10)] == ["ix-2", "ix-1"]
    assert [h["id"] for h in repo.history("c1", 1)] == ["ix-2"]


def test_figures_add_up_per_queue_and_day(repo: Any) -> None:
    repo.add_figures("acme", "q-support", "2026-01-01", offered=2, answered=1, wait_total_s=12.5)
    repo.add_figures("acme", "q-support", "2026-01-01", offered=1)
    first, second = repo.figures("acme", "q-support", ["2026-01-01", "2026-01-02"])
    assert (first.offered, first.answered, first.wait_total_s) == (3, 1, 12.5)
    assert second.offered == 0


def test_a_figure_counted_once_per_key_is_not_counted_again(repo: Any) -> None:
    assert repo.add_figures_once("opened#ix-1", "acme", "q-support", "2026-01-01", offered=1)
    assert not repo.add_figures_once("opened#ix-1", "acme", "q-support", "2026-01-01", offered=1)
    assert repo.add_figures_once("opened#ix-2", "acme", "q-support", "2026-01-01", offered=1)
    # the same key in another queue is another count
    assert repo.add_figures_once("opened#ix-1", "acme", "q-sales", "2026-01-01", offered=1)
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 2
    assert repo.figures("acme", "q-sales", ["2026-01-01"])[0].offered == 1


def test_queues_of_two_companies_with_the_same_id_never_mix(repo: Any) -> None:
    repo.put_agent(agent("a1"))
    repo.put_queue(Queue("q-support", "globex", "Support"))
    repo.put_agent(agent("g1", company_id="globex"))
    repo.create_interaction(interaction(1))
    repo.create_interaction(replace(interaction(2), company_id="globex"))
    repo.add_figures("globex", "q-support", "2026-01-01", offered=5)
    assert repo.agents_of_queue("acme", "q-support") == ["a1"]
    assert repo.agents_of_queue("globex", "q-support") == ["g1"]
    assert [i.interaction_id for i in repo.waiting("acme", "q-support", 10)] == ["ix-001"]
    assert [i.interaction_id for i in repo.waiting("globex", "q-support", 10)] == ["ix-002"]
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 0


def test_a_change_the_state_machine_forbids_is_refused_and_writes_nothing(repo: Any) -> None:
    repo.put_agent(agent("u-bob"))
    ix = interaction(1)
    repo.create_interaction(ix)
    wrap_up = replace(ix, state="wrap_up", agent_id="u-bob")
    with pytest.raises(Conflict):  # waiting → wrap_up skips the offer and the answer
        repo.transition(ix, wrap_up, agent_id="u-bob", load=1, total=1)
    stored = repo.get_interaction(ix.interaction_id)
    assert (stored.state, stored.version) == (WAITING, 0)
    assert repo.get_agent("u-bob").load == 0 and repo.agent_interactions("u-bob") == []


def test_an_ended_interaction_leaves_the_agents_list_and_frees_the_customers_marker(
    repo: Any,
) -> None:
    repo.put_agent(agent("u-bob"))
    ix = interaction(1)
    repo.create_interaction(ix)
    assert offer(repo, ix, "u-bob")
    offered = repo.get_interaction(ix.interaction_id)
    assert [i.interaction_id for i in repo.agent_interactions("u-bob")] == [ix.interaction_id]
    active = replace(offered, state=ACTIVE)
    assert repo.transition(offered, active)
    ended = replace(active, state=ENDED)
    assert repo.transition(active, ended, agent_id="u-bob", load=-1, total=-1)
    assert repo.agent_interactions("u-bob") == []
    assert repo.open_interaction(ix.channel, ix.customer_phone) is None


def test_a_queue_state_is_published_once_per_seq_and_one_flush_is_claimed(repo: Any) -> None:
    from chalicelib.domain.contact_center_records import QueueState

    assert repo.queue_state("acme", "q-support") is None
    assert not repo.claim_queue_flush("acme", "q-support", 0, 10.0)  # nothing published yet
    first = QueueState(
        "acme", "q-support", published_at=5.0, figures={"waiting": 1}, recipients=["u-alice"]
    )
    assert repo.publish_queue_state(first, 0) and first.seq == 1
    assert not repo.publish_queue_state(QueueState("acme", "q-support"), 0)  # lost the race
    assert repo.claim_queue_flush("acme", "q-support", 1, 10.0)
    assert not repo.claim_queue_flush("acme", "q-support", 1, 10.0)  # one flush per window
    stored = repo.queue_state("acme", "q-support")
    assert (stored.seq, stored.flush_due, stored.figures) == (1, 10.0, {"waiting": 1})
    assert stored.recipients == ["u-alice"]
    second = QueueState("acme", "q-support", published_at=11.0, figures={"waiting": 2})
    assert repo.publish_queue_state(second, 1)
    stored = repo.queue_state("acme", "q-support")
    assert (stored.seq, stored.flush_due, stored.figures) == (2, 0.0, {"waiting": 2})
    assert repo.queue_state("globex", "q-support") is None


def canned(repo: Any, company_id: str, scopes: list[str] | None = None) -> list[Any]:
    """Every page of the company's replies (of ``scopes``), in order."""
    found, cursor = [], None
    while True:
        page = repo.canned_page(company_id, scopes, 2, cursor, lambda r: True)
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def abc_queues(repo: Any) -> None:
    for queue_id in ("q-a", "q-b", "q-c"):
        repo.put_queue(Queue(queue_id, "acme", queue_id))


def test_canned_replies_page_by_id_and_each_scope_lists_exactly_its_own(repo: Any) -> None:
    abc_queues(repo)
    for n, queues in enumerate(([], ["q-a"], ["q-a", "q-b"], ["q-b"], [], ["q-c"])):
        repo.put_canned(CannedReply(f"r{n}", "acme", f"s{n}", "T", f"text {n}", queues))
    repo.put_canned(CannedReply("r9", "globex", "s9", "T", "other company", []))

    assert [r.reply_id for r in canned(repo, "acme")] == [f"r{n}" for n in range(6)]
    assert [r.reply_id for r in canned(repo, "acme", [EVERY_QUEUE])] == ["r0", "r4"]
    assert [r.reply_id for r in canned(repo, "acme", [EVERY_QUEUE, "q-a", "q-b"])] == [
        "r0",
        "r1",
        "r2",
        "r3",
        "r4",
    ]  # r2 is in two of the scopes and comes once
    assert canned(repo, "globex", ["q-a"]) == []
    with pytest.raises(ValidationError):
        repo.canned_page("acme", None, 2, "not-a-cursor", lambda r: True)


def test_a_replys_scopes_follow_its_queues_and_a_delete_takes_it_from_all(repo: Any) -> None:
    abc_queues(repo)
    repo.put_canned(CannedReply("r1", "acme", "hi", "T", "hello", ["q-a", "q-b"]))
    repo.put_canned(CannedReply("r1", "acme", "hi", "T", "hello", ["q-b", "q-c"]))
    assert canned(repo, "acme", ["q-a"]) == []
    assert [r.queues for r in canned(repo, "acme", ["q-c"])] == [["q-b", "q-c"]]
    repo.put_canned(CannedReply("r1", "acme", "hi", "T", "hello", []))
    assert canned(repo, "acme", ["q-b", "q-c"]) == []
    assert [r.reply_id for r in canned(repo, "acme", [EVERY_QUEUE])] == ["r1"]

    assert repo.delete_canned("acme", "r1") is True
    assert repo.delete_canned("acme", "r1") is False
    assert canned(repo, "acme") == [] == canned(repo, "acme", [EVERY_QUEUE])


def test_a_queue_and_a_channel_are_deleted_once_and_only_by_their_company(repo: Any) -> None:
    repo.put_queue(Queue("q-a", "acme", "A"))
    repo.put_channel(Channel("+14155550180", "acme", "q-a"))
    assert repo.delete_channel("globex", "+14155550180") is False
    assert repo.delete_channel("acme", "+14155550180") is True
    assert repo.get_channel("+14155550180") is None
    assert repo.delete_channel("acme", "+14155550180") is False
    assert repo.delete_queue("globex", "q-a") is False
    assert repo.delete_queue("acme", "q-a") is True
    assert (repo.get_queue("acme", "q-a"), repo.delete_queue("acme", "q-a")) == (None, False)


def test_nothing_new_names_a_deleted_queue(repo: Any) -> None:
    """A channel, a reply or a profile saved at the instant a queue is deleted: the
    check that the queue exists is in their write, so one of the two loses."""
    repo.put_queue(Queue("q-gone", "acme", "Gone"))
    repo.put_agent(agent("a1"))
    assert repo.delete_queue("acme", "q-gone")
    saves = (
        lambda: repo.put_channel(Channel("+14155550180", "acme", "q-gone")),
        lambda: repo.put_canned(CannedReply("r1", "acme", "hi", "T", "hello", ["q-gone"])),
        lambda: repo.put_agent(agent("a1", queues=["q-support", "q-gone"])),
        lambda: repo.put_agent(agent("a2", queues=["q-gone"])),
    )
    for save in saves:
        with pytest.raises(NotFound) as refused:
            save()
        assert refused.value.code == "queue_not_found"
    assert repo.get_channel("+14155550180") is None
    assert canned(repo, "acme") == [] and repo.get_agent("a2") is None
    assert repo.get_agent("a1").queues == ["q-support"]
    assert repo.agents_of_queue("acme", "q-gone") == []


def test_a_text_to_a_channel_reads_its_channel_open_interaction_and_customer_at_once(
    repo: Any,
) -> None:
    channel = Channel("+14155550180", "acme", "q-support")
    assert repo.channel_text(channel.e164, "acme", "+14155551234") is None  # not a channel
    repo.put_channel(channel)
    first = repo.channel_text(channel.e164, "acme", "+14155551234")
    assert (first.channel, first.open_interaction_id, first.customer_id) == (channel, None, None)
    repo.create_customer(Customer("c1", "acme", "+14155551234"))
    repo.create_interaction(interaction(1, phone="+14155551234", customer_id="c1"))
    found = repo.channel_text(channel.e164, "acme", "+14155551234")
    assert (found.open_interaction_id, found.customer_id) == ("ix-001", "c1")
    assert repo.channel_text(channel.e164, "globex", "+14155551234").customer_id is None


def test_a_new_interaction_stores_its_new_customer_and_counts_offered_in_the_same_write(
    repo: Any,
) -> None:
    customer = Customer("c1", "acme", "+14155551234", "", "t0")
    made, created = repo.create_interaction(
        interaction(1, phone=customer.phone, customer_id="c1"),
        new_customer=customer,
        offered_day="2026-01-01",
    )
    assert created and made.interaction_id == "ix-001"
    assert repo.customer_by_phone("acme", customer.phone) == customer
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 1
    # the customer's next interaction on another channel finds the phone taken: nothing
    # is written (no interaction, no count) and the caller reads the record instead
    other = replace(interaction(2, phone=customer.phone), channel="+14155550199")
    with pytest.raises(Conflict) as refused:
        repo.create_interaction(
            other, new_customer=Customer("c2", "acme", customer.phone), offered_day="2026-01-01"
        )
    assert refused.value.code == "customer_exists"
    assert repo.get_interaction("ix-002") is None
    assert repo.open_interaction("+14155550199", customer.phone) is None
    assert repo.get_customer("acme", "c2") is None
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 1
    # the same customer's open interaction on this channel is returned, counted once
    again, created_again = repo.create_interaction(
        interaction(3, phone=customer.phone), offered_day="2026-01-01"
    )
    assert not created_again and again.interaction_id == "ix-001"
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 1


def test_an_interaction_whose_queue_was_deleted_is_refused_and_writes_nothing(
    repo: Any,
) -> None:
    repo.put_queue(Queue("q-gone", "acme", "Gone"))
    assert repo.delete_queue("acme", "q-gone")
    customer = Customer("c1", "acme", "+14155551234", "", "t0")
    with pytest.raises(Conflict) as refused:
        repo.create_interaction(
            interaction(1, queue="q-gone", phone=customer.phone, customer_id="c1"),
            new_customer=customer,
            offered_day="2026-01-01",
        )
    assert refused.value.code == "queue_not_found"
    assert repo.get_interaction("ix-001") is None
    assert repo.open_interaction("+14155550180", customer.phone) is None
    assert repo.customer_by_phone("acme", customer.phone) is None
    assert repo.figures("acme", "q-gone", ["2026-01-01"])[0].offered == 0


def test_a_waiting_check_is_claimed_once_per_interaction_and_offer(repo: Any) -> None:
    assert repo.waiting_check_armed("ix-001", 0) is False
    assert repo.claim_waiting_check("ix-001", 0) is True
    assert repo.waiting_check_armed("ix-001", 0) is True
    assert repo.claim_waiting_check("ix-001", 0) is False
    assert repo.claim_waiting_check("ix-001", 1) is True
    assert repo.claim_waiting_check("ix-002", 0) is True


def test_admission_reads_the_interaction_its_queue_and_the_queue_state_at_once(
    repo: Any,
) -> None:
    repo.put_queue(Queue("q-support", "acme", "Support"))
    repo.create_interaction(interaction(1))
    found = repo.admission_lookup("ix-001", "acme", "q-support")
    assert found.interaction.interaction_id == "ix-001" and found.queue.name == "Support"
    assert found.state is None
    assert repo.publish_queue_state(QueueState("acme", "q-support", published_at=5.0), 0)
    state = repo.admission_lookup("ix-001", "acme", "q-support").state
    assert (state.seq, state.published_at) == (1, 5.0)
    missing = repo.admission_lookup("ix-404", "acme", "q-none")
    assert (missing.interaction, missing.queue, missing.state) == (None, None, None)


def test_a_customer_record_is_read_with_its_cases_and_latest_history(repo: Any) -> None:
    repo.create_customer(Customer("c1", "acme", "+14155551234", "", "t0"))
    assert repo.customer_record("acme", "c1", 10) == (
        Customer("c1", "acme", "+14155551234", "", "t0"),
        [],
        [],
    )
    assert repo.customer_record("globex", "c1", 10) is None
    assert repo.customer_record("acme", "nobody", 10) is None
    repo.put_case(Case("k2", "c1", "acme", "Refund"))
    repo.put_case(Case("k1", "c1", "acme", "Order"))
    for day in ("01", "02", "03"):
        repo.add_history("c1", f"2026-01-{day}T00:00:00.000Z", {"id": f"ix-{day}"})
    customer, cases, history = repo.customer_record("acme", "c1", 2)
    assert customer.customer_id == "c1"
    assert [c.case_id for c in cases] == ["k1", "k2"]
    assert [h["id"] for h in history] == ["ix-03", "ix-02"]


def test_a_record_stored_before_it_said_whether_it_has_history_shows_its_history(
    serial_dynamodb: Any,  # noqa: F811
) -> None:
    from chalicelib.adapters import dynamodb
    from chalicelib.adapters.dynamodb.contact_center_items import ConfigItem, CustomerItem

    dynamodb.bind_models("texting-test-messaging", "us-east-1")
    repo = dynamodb.DynamoContactCenterRepository()
    CustomerItem("CCCUST#c-old", "CUSTOMER", company_id="acme", phone="+14155551234").save()
    ConfigItem("CCCUST#c-old", "HIST#2025-01-01T00:00:00.000Z#ix-9", data={"id": "ix-9"}).save()
    _, _, history = repo.customer_record("acme", "c-old", 10)
    assert [h["id"] for h in history] == ["ix-9"]
    repo.add_history("c-old", "2025-02-01T00:00:00.000Z", {"id": "ix-10"})
    assert [h["id"] for h in repo.customer_record("acme", "c-old", 10)[2]] == ["ix-10", "ix-9"]
    # an entry for a record that is not there is still kept (and makes no record)
    repo.add_history("c-gone", "2025-02-01T00:00:00.000Z", {"id": "ix-11"})
    assert [h["id"] for h in repo.history("c-gone", 10)] == ["ix-11"]
    assert repo.get_customer("acme", "c-gone") is None


def test_a_create_cancelled_by_a_concurrent_figure_count_is_tried_again(
    serial_dynamodb: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The day's figures item is hot under a burst: a transaction writing it may be
    cancelled by another (``TransactionConflict``; moto never conflicts). The create
    is tried again, a few times, then fails having written nothing."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
    from pynamodb.transactions import TransactWrite

    from chalicelib.adapters import dynamodb
    from chalicelib.adapters.dynamodb import contact_center as adapter

    dynamodb.bind_models("texting-test-messaging", "us-east-1")
    repo = dynamodb.DynamoContactCenterRepository()
    repo.put_queue(Queue("q-support", "acme", "Support"))
    left = [2]
    pauses: list[float] = []

    class ConflictingWrite(TransactWrite):
        def _commit(self) -> Any:
            if left[0] > 0:
                left[0] -= 1
                reasons = [None, None, CancellationReason("TransactionConflict")]
                error = {"Error": {"Code": "TransactionCanceledException", "Message": "x"}}
                cause = VerboseClientError(
                    error, "TransactWriteItems", cancellation_reasons=reasons
                )
                raise TransactWriteError("cancelled", cause=cause)
            return super()._commit()

    monkeypatch.setattr(adapter, "TransactWrite", ConflictingWrite)
    monkeypatch.setattr(adapter, "_pause", pauses.append)
    _, created = repo.create_interaction(interaction(1), offered_day="2026-01-01")
    assert created and len(pauses) == 2
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 1
    left[0] = adapter.CONFLICT_ATTEMPTS
    with pytest.raises(TransactWriteError):
        repo.create_interaction(interaction(2), offered_day="2026-01-01")
    assert repo.get_interaction("ix-002") is None
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].offered == 1
