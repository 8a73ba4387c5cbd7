"""The routing choice: who gets a waiting interaction, and which one goes first."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.contact_center import (
    ACTIVE,
    AVAILABLE,
    AWAY,
    WAITING,
    AgentProfile,
    Interaction,
    Queue,
    choose_agent,
    should_overflow,
    waiting_order,
)

NOW = 10_000.0
SUPPORT = Queue("q-support", "acme", "Support", skills={"support": 3})


def agent(agent_id: str, **kw: Any) -> AgentProfile:
    base: dict[str, Any] = {
        "company_id": "acme",
        "skills": {"support": 3},
        "queues": ["q-support"],
        "status": AVAILABLE,
        "max_concurrent": 6,
    }
    base.update(kw)
    return AgentProfile(agent_id, **base)


def waiting(n: int = 1, **kw: Any) -> Interaction:
    base: dict[str, Any] = {
        "company_id": "acme",
        "queue_id": "q-support",
        "channel": "+14155550180",
        "customer_phone": f"+1415555{n:04d}",
        "conversation_id": f"c{n}",
        "created_at": "t",
        "enqueued_at": NOW - 100 + n,
        "arrived_at": NOW - 100 + n,
    }
    base.update(kw)
    return Interaction(f"ix-{n}", **base)


def test_the_agent_with_the_fewest_active_interactions_is_chosen() -> None:
    agents = [agent("a1", load=3), agent("a2", load=1), agent("a3", load=2)]
    assert choose_agent(waiting(), SUPPORT, agents, NOW).agent_id == "a2"  # type: ignore[union-attr]


def test_between_equal_loads_the_longest_idle_agent_is_chosen() -> None:
    agents = [agent("a1", load=1, last_assigned_at=500), agent("a2", load=1, last_assigned_at=200)]
    assert choose_agent(waiting(), SUPPORT, agents, NOW).agent_id == "a2"  # type: ignore[union-attr]


def test_agents_who_are_not_available_full_unskilled_or_outside_the_queue_are_skipped() -> None:
    agents = [
        agent("away", status=AWAY),
        agent("full", load=6),
        agent("novice", skills={"support": 2}),
        agent("sales-only", queues=["q-sales"]),
        agent("hard-capped", load=2, total=12),
        agent("other-company", company_id="globex"),
    ]
    assert choose_agent(waiting(), SUPPORT, agents, NOW) is None
    assert choose_agent(waiting(), SUPPORT, [*agents, agent("ok", load=5)], NOW).agent_id == "ok"  # type: ignore[union-attr]


def test_the_customers_last_agent_is_preferred_within_the_window() -> None:
    agents = [agent("a1", load=0), agent("a2", load=4)]
    returning = waiting(last_agent_id="a2")
    assert choose_agent(returning, SUPPORT, agents, NOW).agent_id == "a2"  # type: ignore[union-attr]
    short = Queue("q-support", "acme", "S", skills={"support": 3}, last_agent_window_s=10)
    assert choose_agent(returning, short, agents, NOW).agent_id == "a1"  # type: ignore[union-attr]
    busy = [agent("a1"), agent("a2", load=6)]
    assert choose_agent(returning, SUPPORT, busy, NOW).agent_id == "a1"  # type: ignore[union-attr]


def test_an_agent_who_declined_is_not_offered_the_same_interaction_until_the_timeout() -> None:
    declined = waiting(rejected={"a1": NOW - 5})
    assert choose_agent(declined, SUPPORT, [agent("a1")], NOW) is None
    assert choose_agent(declined, SUPPORT, [agent("a1")], NOW + 30).agent_id == "a1"  # type: ignore[union-attr]


def test_overflow_relaxes_the_required_level() -> None:
    queue = Queue(
        "q-support", "acme", "S", skills={"support": 4}, overflow_after_s=60, overflow_level=2
    )
    novice = [agent("novice", skills={"support": 2})]
    young, old = waiting(arrived_at=NOW - 10), waiting(arrived_at=NOW - 61)
    assert choose_agent(young, queue, novice, NOW) is None
    assert not should_overflow(young, queue, NOW) and should_overflow(old, queue, NOW)
    old.overflowed = True
    assert choose_agent(old, queue, novice, NOW).agent_id == "novice"  # type: ignore[union-attr]
    assert not should_overflow(old, queue, NOW)  # once


def test_waiting_order_is_priority_first_then_age() -> None:
    vip = Queue("q-vip", "acme", "VIP", priority=5)
    early, late = waiting(1), waiting(2)
    late_vip = waiting(3, queue_id="q-vip")
    ordered = sorted(
        [(late, SUPPORT), (late_vip, vip), (early, SUPPORT)], key=lambda p: waiting_order(*p)
    )
    assert [i.interaction_id for i, _ in ordered] == ["ix-3", "ix-1", "ix-2"]


def test_idle_threads_do_not_use_a_slot_but_offers_and_wrap_up_do() -> None:
    thread = waiting(state=ACTIVE, last_customer_at=NOW - 601)
    assert thread.is_idle(SUPPORT, NOW) and not thread.is_idle(SUPPORT, NOW - 2)
    thread.idle = True
    assert not thread.counts_toward_capacity()
    assert waiting(state="offered").counts_toward_capacity()
    assert waiting(state="wrap_up").counts_toward_capacity()
    assert not waiting(state=WAITING).counts_toward_capacity()
    never = Queue("q", "acme", "Q", idle_after_s=0)
    assert not waiting(state=ACTIVE, last_customer_at=0).is_idle(never, NOW)
