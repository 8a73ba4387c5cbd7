"""Report figures on the messaging table: one item per agent or queue per 15-minute
interval, added to with UpdateItem ADD inside one transaction with a marker, so a
retried stream record counts once. Reads are Queries on a key range: a day is at
most 96 intervals of each agent or queue, whatever the number of interactions.

Under a burst, two transactions adding to the same interval item at once cancel
each other (``TransactionConflict``): the write is tried again in place a few times,
with a short growing pause, so the stream's shard is not held back by a retry of
the whole record (and the offers behind it published late)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys_contact_center import (
    report_agent_sk,
    report_agents_pk,
    report_interval_sk,
    report_once_pk,
    report_once_sk,
    report_queue_pk,
)
from chalicelib.adapters.dynamodb.models import _Item, get_item, register, shared_connection
from chalicelib.domain.reports import AGENT, AGENT_FIGURES, QUEUE, QUEUE_FIGURES, Tally

ONCE_TTL_SECONDS = 7 * 86400  # a stream keeps a record for 24 hours: a week is ample
CONFLICT_ATTEMPTS = 4  # a write cancelled by a concurrent one is tried this often in all
CONFLICT_PAUSE_S = 0.02  # the pause before the first retry, doubled before each next one


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


class ReportOnceItem(_Item):
    """Marks a stream record counted; TTL removes it after a week."""

    expires_at = NumberAttribute()


register(ReportItem, ReportOnceItem)


def item_keys(tally: Tally) -> tuple[str, str]:
    """The (pk, sk) of the item a tally adds to."""
    if tally.scope == AGENT:
        return report_agents_pk(tally.company_id), report_agent_sk(tally.interval, tally.subject)
    return report_queue_pk(tally.company_id, tally.subject), report_interval_sk(tally.interval)


def _tally(item: ReportItem, scope: str, company_id: str) -> Tally:
    names = AGENT_FIGURES if scope == AGENT else QUEUE_FIGURES
    figures = {n: float(v) for n in names if (v := getattr(item, n, None)) is not None}
    return Tally(scope, company_id, item.subject, int(item.interval), figures)


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
            for tally in tallies:
                actions: list[Any] = [
                    ReportItem.subject.set(tally.subject),
                    ReportItem.interval.set(tally.interval),
                ]
                actions += [
                    getattr(ReportItem, name).add(value) for name, value in tally.figures.items()
                ]
                tx.update(ReportItem(*item_keys(tally)), actions=actions)

    def agent_intervals(self, company_id: str, start: int, end: int) -> Iterator[Tally]:
        """Every agent's intervals starting in [start, end), in interval order: one
        Query, its pages fetched only as the reader goes on."""
        items = ReportItem.query(
            report_agents_pk(company_id),
            ReportItem.sk.between(report_interval_sk(start), report_interval_sk(end - 1) + "~"),
        )
        return (_tally(i, AGENT, company_id) for i in items if start <= int(i.interval) < end)

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
