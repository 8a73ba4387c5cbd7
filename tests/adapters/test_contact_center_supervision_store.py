"""The supervisors' part of the contact center's repository, one contract for the
DynamoDB adapter (moto) and the fake: a private note stored once per client key, and
a queue's live list (every open interaction of the queue, whoever holds it, paged)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.contact_center import ACTIVE, ENDED, OFFERED, AgentProfile, Queue
from chalicelib.domain.contact_center_figures import FiguresChange
from chalicelib.domain.contact_center_supervision import NOTE, TimelineEntry
from chalicelib.domain.errors import ValidationError
from chalicelib.services.contact_center.live_backfill import relist_open
from tests.adapters.test_contact_center_repository import interaction, repo  # noqa: F401
from tests.fakes.contact_center import MemoryContactCenterRepository
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)


def note(n: int, by: str = "u-sam", at: float = 2000.0) -> TimelineEntry:
    return TimelineEntry(
        interaction_id="ix-001",
        entry_id=f"tl-{n}",
        company_id="acme",
        conversation_id="conv-1",
        kind=NOTE,
        by=by,
        at=at + n,
        agent_id="u-bob",
        text=f"note {n}",
    )


def test_a_note_stored_again_under_its_client_key_returns_the_first_and_writes_nothing(
    repo: Any,  # noqa: F811
) -> None:
    first = repo.add_note(note(1), "k1")
    assert first == note(1)
    assert repo.add_note(note(2), "k1") == note(1)  # a retry: another id, a later time
    assert repo.add_note(note(3, by="u-bob"), "k1") == note(3, by="u-bob")  # another author
    assert repo.add_note(note(4), "k2") == note(4)
    assert [e.entry_id for e in repo.timeline("ix-001", 50)] == ["tl-1", "tl-3", "tl-4"]


def test_the_live_list_holds_every_open_interaction_of_the_queue_whoever_holds_it(
    repo: Any,  # noqa: F811
) -> None:
    repo.put_queue(Queue("q-support", "acme", "Support"))
    repo.put_queue(Queue("q-sales", "acme", "Sales"))
    repo.put_agent(AgentProfile("u-dan", "acme", queues=["q-sales"], status="available"))
    for n in range(1, 6):
        repo.create_interaction(interaction(n))
    repo.create_interaction(interaction(9, queue="q-sales"))
    offered = repo.get_interaction("ix-002")
    # offered to an agent of another queue: out of the waiting index, still live here
    to_dan = replace(offered, state=OFFERED, agent_id="u-dan")
    assert repo.hand_over(offered, to_dan, available=True, assigned_at=3000.0) == "handed"
    active = replace(to_dan, state=ACTIVE)
    assert repo.transition(to_dan, active)
    four = repo.get_interaction("ix-004")
    assert repo.transition(four, replace(four, state=ENDED))
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        page = repo.live("acme", "q-support", 2, cursor)
        assert len(page.items) <= 2
        seen += [i.interaction_id for i in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["ix-001", "ix-002", "ix-003", "ix-005"]  # longest in the queue first
    shown = {i.interaction_id: i for i in repo.live("acme", "q-support", 10, None).items}
    assert (shown["ix-002"].state, shown["ix-002"].agent_id) == (ACTIVE, "u-dan")
    assert [i.interaction_id for i in repo.live("acme", "q-sales", 10, None).items] == ["ix-009"]
    assert repo.live("other", "q-support", 10, None).items == []


def test_a_live_lists_cursor_only_pages_its_own_queue(repo: Any) -> None:  # noqa: F811
    repo.put_queue(Queue("q-support", "acme", "Support"))
    for n in range(1, 4):
        repo.create_interaction(interaction(n))
    cursor = repo.live("acme", "q-support", 1, None).next_cursor
    assert cursor
    with pytest.raises(ValidationError):
        repo.live("acme", "q-sales", 1, cursor)
    with pytest.raises(ValidationError):
        repo.live("acme", "q-support", 1, "not-a-cursor")


def test_a_hand_over_writes_its_audit_entry_and_figures_in_the_same_write_or_neither(
    repo: Any,  # noqa: F811
) -> None:
    repo.put_queue(Queue("q-support", "acme", "Support"))
    repo.put_queue(Queue("q-sales", "acme", "Sales"))
    repo.put_agent(AgentProfile("u-dan", "acme", queues=["q-sales"], status="available"))
    repo.create_interaction(interaction(1))
    waiting = repo.get_interaction("ix-001")
    taken = replace(waiting, state=ACTIVE, agent_id="u-dan", answered_at=3000.0)
    entry = replace(note(1), kind="barge", text="", at=3000.0)
    counted = FiguresChange("acme", "q-support", "2026-01-01", {"answered": 1}, "answered#ix-001")
    stale = replace(waiting, version=waiting.version + 5)
    assert repo.hand_over(stale, taken, available=False, assigned_at=3000.0, entry=entry) == (
        "changed"
    )
    assert repo.timeline("ix-001", 50) == []
    assert repo.hand_over(
        waiting, taken, available=False, assigned_at=3000.0, entry=entry, figures=counted
    ) == ("handed")
    assert repo.timeline("ix-001", 50) == [entry]
    [day] = repo.figures("acme", "q-support", ["2026-01-01"])
    assert day.answered == 1
    # the once key is marked counted: a retried step that counts it adds nothing
    assert not repo.add_figures_once(
        "answered#ix-001", "acme", "q-support", "2026-01-01", answered=1
    )
    assert repo.figures("acme", "q-support", ["2026-01-01"])[0].answered == 1


def test_the_operators_relist_puts_interactions_open_before_the_live_list_in_it_once(
    repo: Any,  # noqa: F811
) -> None:
    """Items written before the live list existed carry none of its keys: the backfill
    finds them through the waiting index and the agents' pointers, gives them their
    place once and leaves their data and version alone; an ended one stays out."""
    repo.put_queue(Queue("q-support", "acme", "Support"))
    repo.put_agent(AgentProfile("u-dan", "acme", queues=["q-support"], status="available"))
    for n in (1, 2, 3):
        repo.create_interaction(interaction(n))
    two = repo.get_interaction("ix-002")
    assert (
        repo.hand_over(
            two, replace(two, state=OFFERED, agent_id="u-dan"), available=True, assigned_at=3000.0
        )
        == "handed"
    )
    three = repo.get_interaction("ix-003")
    assert repo.transition(three, replace(three, state=ENDED))
    if isinstance(repo, MemoryContactCenterRepository):
        before = {n: repo.get_interaction(f"ix-00{n}") for n in (1, 2)}
    else:
        from chalicelib.adapters.dynamodb.contact_center_items import InteractionItem
        from chalicelib.adapters.dynamodb.keys_contact_center import IX_SK, ix_pk

        for n in (1, 2):  # as stored before the live list: no place in it
            item = InteractionItem.get(ix_pk(f"ix-00{n}"), IX_SK)
            item.update(actions=[InteractionItem.gsi2pk.remove()])
        assert repo.live("acme", "q-support", 10, None).items == []
        before = {n: repo.get_interaction(f"ix-00{n}") for n in (1, 2)}
    first = relist_open(repo, "acme")
    assert (first.found, first.listed, first.moved_on) == (2, 2, 0)
    again = relist_open(repo, "acme")
    assert (again.found, again.listed) == (2, 2)
    listed = repo.live("acme", "q-support", 10, None).items
    assert [i.interaction_id for i in listed] == ["ix-001", "ix-002"]
    assert {n: repo.get_interaction(f"ix-00{n}") for n in (1, 2)} == before
    stale = replace(before[1], version=before[1].version - 1)
    assert not repo.relist(stale)  # moved on since read: its own write listed it
