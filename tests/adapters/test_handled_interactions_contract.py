"""HandledInteractions contract: the records search reads for contact-center
transcripts, against DynamoDB (on moto) and the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.domain.search_scope import HandledInteraction
from chalicelib.services.search_handled import HandledInteractions
from tests import fakes


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request: pytest.FixtureRequest) -> Iterator[HandledInteractions]:
    if request.param == "memory":
        yield fakes.MemoryHandledInteractions()
        return
    request.getfixturevalue("tables")
    yield dynamodb.DynamoHandledInteractions()


def handled(
    interaction: str = "ix_1",
    agent: str = "u-ann",
    queue: str = "q-support",
    at: float = 1_700_000_000.5,
    first: int = 3,
    last: int = 5,
    company: str = "acme",
) -> HandledInteraction:
    return HandledInteraction(
        interaction_id=interaction,
        company_id=company,
        queue_id=queue,
        agent_id=agent,
        conversation_id=f"s-{interaction}",
        answered_at=at,
        first_seq=first,
        last_seq=last,
    )


def test_a_record_reads_back_under_its_agent_and_its_queue(repo: HandledInteractions) -> None:
    record = handled()
    repo.record(record)
    assert repo.by_agent("u-ann", 10) == [record]
    assert repo.by_queue("acme", "q-support", 10) == [record]
    assert repo.by_agent("u-bob", 10) == []
    assert repo.by_queue("acme", "q-sales", 10) == []
    assert repo.by_queue("globex", "q-support", 10) == []  # a queue id is per company


def test_newest_answer_first_and_bounded_by_the_limit(repo: HandledInteractions) -> None:
    for n in range(5):
        repo.record(handled(f"ix_{n}", at=1_700_000_000 + n * 9.25))
    assert [h.interaction_id for h in repo.by_agent("u-ann", 3)] == ["ix_4", "ix_3", "ix_2"]
    assert [h.interaction_id for h in repo.by_queue("acme", "q-support", 2)] == ["ix_4", "ix_3"]


def test_the_range_only_moves_forward(repo: HandledInteractions) -> None:
    repo.record(handled(last=4))  # answered: what there was then
    repo.record(handled(last=9))  # ended: what there was at the end
    repo.record(handled(last=4))  # a late retry of the answer narrows nothing
    assert [h.last_seq for h in repo.by_agent("u-ann", 10)] == [9]
    assert [h.last_seq for h in repo.by_queue("acme", "q-support", 10)] == [9]


def test_answered_twice_is_two_records(repo: HandledInteractions) -> None:
    """Back to the queue and answered again (by the same agent or another): each
    answer is its own record, with its own range."""
    repo.record(handled(at=100.0, last=4))
    repo.record(handled(at=200.0, agent="u-bob", last=8))
    repo.record(handled(at=300.0, last=12))
    assert [h.last_seq for h in repo.by_agent("u-ann", 10)] == [12, 4]
    assert [(h.agent_id, h.last_seq) for h in repo.by_agent("u-bob", 10)] == [("u-bob", 8)]
    assert len(repo.by_queue("acme", "q-support", 10)) == 3
