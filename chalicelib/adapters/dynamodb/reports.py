"""Report figures on the messaging table: one item per agent or queue per 15-minute
interval, added to with UpdateItem ADD inside one transaction with a marker, so a
retried stream record counts once. Reads are Queries on a key range: a day is at
most 96 intervals of each agent or queue, whatever the number of interactions.
An agent's intervals are partitioned per agent and UTC month, so reading some agents
touches only theirs; each agent's current staffed-time spell is its clock item, moved
in the transaction that adds the spell it closes (the clock's condition is the marker).

Under a burst, two transactions adding to the same interval item at once cancel
each other (``TransactionConflict``): the write is tried again in place a few times,
with a short growing pause, so the stream's shard is not held back by a retry of
the whole record (and the offers behind it published late)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys_contact_center import (
    REPORT_CLOCK_SK,
    report_agent_pk,
    report_clock_pk,
    report_interval_sk,
    report_month,
    report_once_pk,
    report_once_sk,
    report_queue_pk,
    report_spell_id,
)
from chalicelib.adapters.dynamodb.models import _Item, get_item, register, shared_connection
from chalicelib.domain.report_time import Clock
from chalicelib.domain.reports import (
    AGENT,
    AGENT_FIGURES,
    QUEUE,
    QUEUE_FIGURES,
    Tally,
    merged,
)

ONCE_TTL_SECONDS = 7 * 86400  # a stream keeps a record for 24 hours: a week is ample
CONFLICT_ATTEMPTS = 4  # a write cancelled by a concurrent one is tried this often in all
CONFLICT_PAUSE_S = 0.02  # the pause before the first retry, doubled before each next one
SPELL_CHUNK = 90  # tallies per transaction of a long spell (DynamoDB allows 100 items)


class ReportItem(_Item):
    """An agent's or a queue's figures of one interval (every figure optional)."""

    subject = UnicodeAttribute()
    interval = NumberAttribute()
    offered = NumberAttribute(null=True)
    answered = NumberAttribute(null=True)
    rejected = NumberAttribute(null=True)
    timed_out = NumberAttribute(null=True)
    transfers = NumberAttribute(null=True)
    handled = NumberAttribute(null=True)
    handle_time_s = NumberAttribute(null=True)
    wait_s = NumberAttribute(null=True)
    outbound = NumberAttribute(null=True)
    abandoned = NumberAttribute(null=True)
    turned_away = NumberAttribute(null=True)
    moved_out = NumberAttribute(null=True)
    answered_within_sl = NumberAttribute(null=True)
    available_s = NumberAttribute(null=True)
    busy_s = NumberAttribute(null=True)
    away_s = NumberAttribute(null=True)


class ReportOnceItem(_Item):
    """Marks a stream record counted; TTL removes it after a week."""

    expires_at = NumberAttribute()


class ReportClockItem(_Item):
    """An agent's current staffed-time spell (``domain.report_time.Clock``)."""

    state = UnicodeAttribute()
    since = NumberAttribute()
    seq = NumberAttribute()


register(ReportItem, ReportOnceItem, ReportClockItem)


def item_keys(tally: Tally) -> tuple[str, str]:
    """The (pk, sk) of the item a tally adds to."""
    if tally.scope == AGENT:
        month = report_month(tally.interval)
        return report_agent_pk(tally.company_id, tally.subject, month), report_interval_sk(
            tally.interval
        )
    return report_queue_pk(tally.company_id, tally.subject), report_interval_sk(tally.interval)


def months(start: int, end: int) -> list[str]:
    """The UTC months (``yyyy-mm``) that intervals starting in [start, end) are in."""
    first = datetime.fromtimestamp(start, tz=UTC)
    last = report_month(end - 1)
    year, month = first.year, first.month
    found = []
    while (name := f"{year:04d}-{month:02d}") <= last:
        found.append(name)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _tally(item: ReportItem, scope: str, company_id: str) -> Tally:
    names = AGENT_FIGURES if scope == AGENT else QUEUE_FIGURES
    figures = {n: float(v) for n in names if (v := getattr(item, n, None)) is not None}
    return Tally(scope, company_id, item.subject, int(item.interval), figures)


def _add_tallies(tx: TransactWrite, tallies: list[Tally]) -> None:
    for tally in tallies:
        actions: list[Any] = [
            ReportItem.subject.set(tally.subject),
            ReportItem.interval.set(tally.interval),
        ]
        actions += [getattr(ReportItem, name).add(value) for name, value in tally.figures.items()]
        tx.update(ReportItem(*item_keys(tally)), actions=actions)


def _conflict(exc: TransactWriteError) -> bool:
    """Cancelled because another transaction was writing one of its items."""
    reasons = getattr(exc.cause, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "TransactionConflict" for r in reasons)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


class DynamoReportStore:
    """``ReportStore`` on the messaging table (keys in ``keys``: ``CCRPT#…``)."""

    def add_once(
        self, company_id: str, interaction_id: str, version: int, tallies: list[Tally]
    ) -> bool:
        """One transaction: the marker (only if absent) and every tally's ADD. False
        when this change was counted before (a retried stream record). A transaction
        a concurrent one cancelled is tried again (``CONFLICT_ATTEMPTS`` in all)."""
        if not tallies:
            return False
        pk, sk = report_once_pk(company_id), report_once_sk(interaction_id, version)
        attempt = 1
        while True:
            try:
                self._add(pk, sk, tallies)
                return True
            except TransactWriteError as exc:
                if get_item(ReportOnceItem, pk, sk, consistent=True):
                    return False  # counted before
                if not _conflict(exc) or attempt == CONFLICT_ATTEMPTS:
                    raise
            _pause(CONFLICT_PAUSE_S * 2 ** (attempt - 1))
            attempt += 1

    @staticmethod
    def _add(pk: str, sk: str, tallies: list[Tally]) -> None:
        marker = ReportOnceItem(pk, sk, expires_at=int(time.time()) + ONCE_TTL_SECONDS)
        with TransactWrite(connection=shared_connection()) as tx:
            tx.save(marker, condition=ReportOnceItem.pk.does_not_exist())
            _add_tallies(tx, tallies)

    # -- staffed time ------------------------------------------------------------------

    def clock(self, company_id: str, agent_id: str) -> Clock | None:
        item = get_item(
            ReportClockItem, report_clock_pk(company_id, agent_id), REPORT_CLOCK_SK, consistent=True
        )
        if item is None:
            return None
        return Clock(item.state, float(item.since), int(item.seq))

    def add_spell(
        self,
        company_id: str,
        agent_id: str,
        was: Clock | None,
        now: Clock,
        tallies: list[Tally],
    ) -> bool:
        """Adds a closed spell's tallies and moves the agent's clock from ``was`` to
        ``now``, only if the clock is still ``was``: False when it moved (counted). A
        spell of more than ``SPELL_CHUNK`` items writes its first chunks each with a
        marker, then the last with the clock, so a retry adds no chunk twice."""
        items = merged(tallies)
        chunks = [items[n : n + SPELL_CHUNK] for n in range(0, len(items), SPELL_CHUNK)] or [[]]
        for number, chunk in enumerate(chunks[:-1]):
            self.add_once(company_id, report_spell_id(agent_id, now.seq), number, chunk)
        attempt = 1
        while True:
            try:
                self._move(company_id, agent_id, was, now, chunks[-1])
                return True
            except TransactWriteError as exc:
                found = self.clock(company_id, agent_id)
                if found is not None and found.seq >= now.seq:
                    return False  # counted before
                if not _conflict(exc) or attempt == CONFLICT_ATTEMPTS:
                    raise
            _pause(CONFLICT_PAUSE_S * 2 ** (attempt - 1))
            attempt += 1

    @staticmethod
    def _move(
        company_id: str, agent_id: str, was: Clock | None, now: Clock, tallies: list[Tally]
    ) -> None:
        clock = ReportClockItem(
            report_clock_pk(company_id, agent_id),
            REPORT_CLOCK_SK,
            state=now.state,
            since=now.since,
            seq=now.seq,
        )
        condition = (
            ReportClockItem.pk.does_not_exist() if was is None else ReportClockItem.seq == was.seq
        )
        with TransactWrite(connection=shared_connection()) as tx:
            tx.save(clock, condition=condition)
            _add_tallies(tx, tallies)

    # -- reading -----------------------------------------------------------------------

    def agent_intervals(
        self, company_id: str, agent_id: str, start: int, end: int
    ) -> Iterator[Tally]:
        """One agent's intervals starting in [start, end), in order: one Query per UTC
        month of the range, each (and each page) fetched only as the reader goes on."""
        for month in months(start, end):
            items = ReportItem.query(
                report_agent_pk(company_id, agent_id, month),
                ReportItem.sk.between(report_interval_sk(start), report_interval_sk(end - 1)),
            )
            yield from (_tally(i, AGENT, company_id) for i in items)

    def queue_intervals(
        self, company_id: str, queue_id: str, start: int, end: int, limit: int
    ) -> list[Tally]:
        """A queue's intervals starting in [start, end), oldest first, at most ``limit``."""
        items = ReportItem.query(
            report_queue_pk(company_id, queue_id),
            ReportItem.sk.between(report_interval_sk(start), report_interval_sk(end - 1)),
            limit=limit,
        )
        return [_tally(i, QUEUE, company_id) for i in items]
