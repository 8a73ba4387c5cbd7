"""Report figures on the messaging table: one item per agent or queue per 15-minute
interval, added to with UpdateItem ADD inside one transaction with a marker, so a
retried stream record counts once. Reads are Queries on a key range: a day is at
most 96 intervals of each agent or queue, whatever the number of interactions.
An agent's intervals are partitioned per agent and UTC month, so reading some agents
touches only theirs; every transaction that adds to an agent's month also puts the
agent's item in that month's list of agents with figures (an idempotent Put), which
an admin's report pages over. A spell of staffed time is added like a change of an
interaction: with a marker keyed by the profile version that closed it.

Under a burst, two transactions adding to the same interval item at once cancel
each other (``TransactionConflict``): the write is tried again in place a few times,
with a short growing pause, so the stream's shard is not held back by a retry of
the whole record (and the offers behind it published late)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from heapq import merge
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys_contact_center import (
    report_agent_pk,
    report_interval_sk,
    report_month,
    report_month_agents_pk,
    report_once_pk,
    report_once_sk,
    report_queue_pk,
    report_spell_id,
)
from chalicelib.adapters.dynamodb.models import _Item, get_item, register, shared_connection
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


class ReportMonthAgentItem(_Item):
    """An agent has figures in a UTC month (sort key: its id); nothing else."""


register(ReportItem, ReportOnceItem, ReportMonthAgentItem)


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


def tally_of(item: ReportItem, scope: str, company_id: str) -> Tally:
    names = AGENT_FIGURES if scope == AGENT else QUEUE_FIGURES
    figures = {n: float(v) for n in names if (v := getattr(item, n, None)) is not None}
    return Tally(scope, company_id, item.subject, int(item.interval), figures)


def add_tallies(tx: TransactWrite, tallies: list[Tally]) -> None:
    listed = {
        (t.company_id, report_month(t.interval), t.subject) for t in tallies if t.scope == AGENT
    }
    for company_id, month, agent_id in sorted(listed):
        tx.save(ReportMonthAgentItem(report_month_agents_pk(company_id, month), agent_id))
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
            add_tallies(tx, tallies)

    # -- staffed time ------------------------------------------------------------------

    def add_spell(
        self, company_id: str, agent_id: str, closed_at: float, tallies: list[Tally]
    ) -> bool:
        """Adds a closed spell's tallies once per (agent, ``closed_at``: the profile
        version that closed it): in chunks of ``SPELL_CHUNK`` items, each with its own
        marker, so a retry after any chunk adds none twice. False when all were counted."""
        spell_id = report_spell_id(agent_id, closed_at)
        items = merged(tallies)
        chunks = [items[n : n + SPELL_CHUNK] for n in range(0, len(items), SPELL_CHUNK)]
        added = [self.add_once(company_id, spell_id, n, chunk) for n, chunk in enumerate(chunks)]
        return any(added)

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
            yield from (tally_of(i, AGENT, company_id) for i in items)

    def agents_with_figures(
        self, company_id: str, start: int, end: int, first: str = ""
    ) -> Iterator[str]:
        """The agents (ids from ``first`` on, in order, each once) with figures in a UTC
        month of [start, end): one lazy Query per month, merged."""
        since = ReportMonthAgentItem.sk >= first if first else None
        listed: list[Iterable[str]] = [
            (i.sk for i in ReportMonthAgentItem.query(report_month_agents_pk(company_id, m), since))
            for m in months(start, end)
        ]
        last = None
        for agent_id in merge(*listed):
            if agent_id != last:
                yield agent_id
            last = agent_id

    def queue_intervals(
        self, company_id: str, queue_id: str, start: int, end: int, limit: int
    ) -> list[Tally]:
        """A queue's intervals starting in [start, end), oldest first, at most ``limit``."""
        items = ReportItem.query(
            report_queue_pk(company_id, queue_id),
            ReportItem.sk.between(report_interval_sk(start), report_interval_sk(end - 1)),
            limit=limit,
        )
        return [tally_of(i, QUEUE, company_id) for i in items]
