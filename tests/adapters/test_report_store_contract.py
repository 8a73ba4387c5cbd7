"""ReportStore contract: figures added once per change, read back per interval range,
against DynamoDB (on moto) and the in-memory fake; then the DynamoDB store's retries
of a transaction a concurrent one cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb import reports as reports_adapter
from chalicelib.adapters.dynamodb.reports import CONFLICT_ATTEMPTS, CONFLICT_PAUSE_S
from chalicelib.domain.reports import AGENT, QUEUE, Tally
from chalicelib.services.reports import ReportStore
from tests.fakes.reports import MemoryReportStore

T0 = 1_767_225_600  # 2026-01-01T00:00Z, an interval's start


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[ReportStore]:
    if request.param == "memory":
        yield MemoryReportStore()
        return
    request.getfixturevalue("tables")
    yield dynamodb.DynamoReportStore()


def agent(subject: str, interval: int, **figures: float) -> Tally:
    return Tally(AGENT, "acme", subject, interval, figures)


def queue(subject: str, interval: int, **figures: float) -> Tally:
    return Tally(QUEUE, "acme", subject, interval, figures)


def test_a_change_counted_again_adds_nothing(store: ReportStore) -> None:
    tallies = [agent("bob", T0, offered=1), queue("q1", T0, answered=1, wait_s=12.5)]
    assert store.add_once("acme", "ix1", 3, tallies) is True
    assert store.add_once("acme", "ix1", 3, tallies) is False  # a retried stream record
    assert store.add_once("acme", "ix1", 4, [agent("bob", T0, offered=1, answered=1)]) is True
    [bob] = store.agent_intervals("acme", "bob", T0, T0 + 900)
    assert (bob.subject, bob.interval, bob.figures) == ("bob", T0, {"offered": 2, "answered": 1})
    [q1] = store.queue_intervals("acme", "q1", T0, T0 + 900, 10)
    assert q1.figures == {"answered": 1, "wait_s": 12.5}


def test_nothing_to_add_is_not_a_write(store: ReportStore) -> None:
    assert store.add_once("acme", "ix1", 1, []) is False
    assert list(store.agent_intervals("acme", "bob", T0 - 86400, T0 + 86400)) == []


def test_an_agents_intervals_are_those_starting_in_the_range_in_order(store: ReportStore) -> None:
    store.add_once("acme", "ix1", 1, [agent("carol", T0 + 900, answered=1)])
    store.add_once("acme", "ix2", 1, [agent("bob", T0 + 900, offered=1)])
    store.add_once("acme", "ix3", 1, [agent("bob", T0, offered=1)])
    store.add_once("acme", "ix4", 1, [agent("bob", T0 + 1800, offered=1)])  # the end: excluded
    store.add_once("acme", "ix5", 1, [agent("bob", T0 - 900, offered=1)])  # before: excluded
    other = Tally(AGENT, "globex", "bob", T0, {"offered": 1})
    store.add_once("globex", "ix6", 1, [other])
    found = list(store.agent_intervals("acme", "bob", T0, T0 + 1800))
    assert [(t.interval, t.subject) for t in found] == [(T0, "bob"), (T0 + 900, "bob")]


def test_an_agents_intervals_are_read_across_months(store: ReportStore) -> None:
    store.add_once("acme", "ix1", 1, [agent("bob", T0 - 900, offered=1)])  # December's last
    store.add_once("acme", "ix2", 1, [agent("bob", T0, offered=2)])  # January's first
    found = list(store.agent_intervals("acme", "bob", T0 - 86400, T0 + 86400))
    assert [(t.interval, t.figures) for t in found] == [
        (T0 - 900, {"offered": 1}),
        (T0, {"offered": 2}),
    ]


def test_a_spell_is_added_once_per_profile_version_that_closed_it(store: ReportStore) -> None:
    spell = [agent("bob", T0, available_s=60), queue("q1", T0, available_s=60)]
    assert store.add_spell("acme", "bob", T0 + 60.25, spell) is True
    assert store.add_spell("acme", "bob", T0 + 60.25, spell) is False  # a retried record
    later = [agent("bob", T0, busy_s=30)]  # the next version's spell, counted before
    assert store.add_spell("acme", "bob", T0 + 90.5, later) is True
    carols = [agent("carol", T0, available_s=60), queue("q1", T0, available_s=60)]
    assert store.add_spell("acme", "carol", T0 + 60.25, carols) is True  # another agent's
    [bob] = store.agent_intervals("acme", "bob", T0, T0 + 900)
    assert bob.figures == {"available_s": 60, "busy_s": 30}
    [q1] = store.queue_intervals("acme", "q1", T0, T0 + 900, 10)
    assert q1.figures == {"available_s": 120}


def test_a_spell_of_more_items_than_a_transaction_adds_every_one_once(store: ReportStore) -> None:
    spell = [agent("bob", T0 + n * 900, available_s=900) for n in range(250)]
    assert store.add_spell("acme", "bob", T0 + 250 * 900, spell) is True
    assert store.add_spell("acme", "bob", T0 + 250 * 900, spell) is False
    found = list(store.agent_intervals("acme", "bob", T0, T0 + 250 * 900))
    assert len(found) == 250 and all(t.figures == {"available_s": 900} for t in found)


def test_the_agents_with_figures_are_listed_per_month_in_order(store: ReportStore) -> None:
    store.add_once("acme", "ix1", 1, [agent("carol", T0, offered=1)])
    store.add_once("acme", "ix2", 1, [agent("bob", T0 - 900, offered=1)])  # December
    store.add_once("acme", "ix3", 1, [agent("bob", T0 + 900, offered=1), agent("dan", T0)])
    store.add_once("acme", "ix4", 1, [queue("q1", T0, offered=1)])  # a queue's: not listed
    store.add_once("globex", "ix5", 1, [Tally(AGENT, "globex", "eve", T0, {"offered": 1})])
    store.add_once("acme", "ix6", 1, [agent("fay", T0 + 40 * 86400, offered=1)])  # February
    january = (T0, T0 + 86400)
    assert list(store.agents_with_figures("acme", *january)) == ["bob", "carol", "dan"]
    assert list(store.agents_with_figures("acme", *january, "carol")) == ["carol", "dan"]
    both = (T0 - 86400, T0 + 86400)  # December and January: bob once
    assert list(store.agents_with_figures("acme", *both)) == ["bob", "carol", "dan"]
    assert list(store.agents_with_figures("acme", T0 - 86400, T0)) == ["bob"]


def test_queue_intervals_are_one_queues_oldest_first_up_to_the_limit(store: ReportStore) -> None:
    for n in range(5):
        store.add_once("acme", f"ix{n}", 1, [queue("q1", T0 + n * 900, offered=1)])
    store.add_once("acme", "other", 1, [queue("q2", T0, offered=1)])
    found = store.queue_intervals("acme", "q1", T0 + 900, T0 + 4 * 900, 2)
    assert [t.interval for t in found] == [T0 + 900, T0 + 1800]
    assert [t.subject for t in store.queue_intervals("acme", "q2", T0, T0 + 900, 10)] == ["q2"]


class Conflicting:
    """DynamoDB under a burst: the first ``times`` transactions are cancelled by a
    concurrent one writing the same interval item (moto never conflicts), then they
    go through to moto."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.tries = 0
        self.pauses: list[float] = []

    def transact_write(self, real: type[TransactWrite]) -> type[TransactWrite]:
        outer = self

        class ConflictingWrite(real):  # type: ignore[valid-type,misc]
            def _commit(self) -> Any:
                outer.tries += 1
                if outer.left > 0:
                    outer.left -= 1
                    raise TransactWriteError("cancelled", cause=_cancelled("TransactionConflict"))
                return super()._commit()

        return ConflictingWrite


def _cancelled(code: str) -> VerboseClientError:
    error = {"Error": {"Code": "TransactionCanceledException", "Message": code}}
    return VerboseClientError(
        error,
        "TransactWriteItems",
        cancellation_reasons=[None, CancellationReason(code)],
    )


@pytest.fixture
def conflicting(tables: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def make(times: int) -> Conflicting:
        fake = Conflicting(times)
        monkeypatch.setattr(reports_adapter, "TransactWrite", fake.transact_write(TransactWrite))
        monkeypatch.setattr(reports_adapter, "_pause", fake.pauses.append)
        return fake

    yield make


def test_a_write_cancelled_by_concurrent_ones_is_tried_again_in_place(conflicting: Any) -> None:
    fake = conflicting(2)
    store = dynamodb.DynamoReportStore()
    assert store.add_once("acme", "ix1", 1, [queue("q1", T0, offered=1)]) is True
    assert fake.tries == 3
    assert fake.pauses == [CONFLICT_PAUSE_S, 2 * CONFLICT_PAUSE_S]  # short, growing
    [q1] = store.queue_intervals("acme", "q1", T0, T0 + 900, 10)
    assert q1.figures == {"offered": 1}  # added once
    assert store.add_once("acme", "ix1", 1, [queue("q1", T0, offered=1)]) is False


def test_conflicts_past_the_bound_reach_the_stream_which_retries(conflicting: Any) -> None:
    fake = conflicting(CONFLICT_ATTEMPTS)
    store = dynamodb.DynamoReportStore()
    with pytest.raises(TransactWriteError):
        store.add_once("acme", "ix1", 1, [queue("q1", T0, offered=1)])
    assert fake.tries == CONFLICT_ATTEMPTS
    assert store.queue_intervals("acme", "q1", T0, T0 + 900, 10) == []
    assert store.add_once("acme", "ix1", 1, [queue("q1", T0, offered=1)]) is True  # the retry


def test_a_cancellation_that_is_no_conflict_is_not_tried_again(
    tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Throttled(TransactWrite):
        tries = 0

        def _commit(self) -> Any:
            Throttled.tries += 1
            raise TransactWriteError("cancelled", cause=_cancelled("ThrottlingError"))

    monkeypatch.setattr(reports_adapter, "TransactWrite", Throttled)
    with pytest.raises(TransactWriteError):
        dynamodb.DynamoReportStore().add_once("acme", "ix1", 1, [queue("q1", T0, offered=1)])
    assert Throttled.tries == 1
