"""Reports' costs on DynamoDB (in-process moto), run by ``make bench`` (``local.bench``):

1. the AWS requests of counting one interaction's changes (offered, answered, ended)
   as the stream consumer does, on moto's DynamoDB;
2. the AWS requests (and read capacity) of one day's per-agent report and of its
   per-queue report, at two sizes of that day: the requests must not grow with the
   interactions; and of the per-agent report read by a supervisor of 3 agents in this
   company of 50 (it reads only their partitions: fewer requests than the admin's),
   whose admin's report pages over the month's list of agents with figures, so the
   company's 500 more profiles without any figure cost no Query. The day's figures
   are what ``ReportService.count`` makes of every
   change (counted in memory, then written as the items: moto copies every table on
   each transaction, so thousands of counted changes on it would measure moto);
3. export speed: CSV rows per second over 92 days of 50 agents, page by page as the
   route serves them (service + CSV text; no HTTP).

Prints one JSON line (the figures) last.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.reports import Tally

AGENTS = [f"u-agent{n:02d}" for n in range(50)]
SUPERVISED = 3  # the first agents are also in the supervisor's one queue
WITHOUT_FIGURES = 500  # more profiles of the company, offline, never counted
SIZES = (1_000, 20_000)  # interactions in the measured day
EXPORT_DAYS = 92
DAY0 = 1_800_000_000 - 1_800_000_000 % 86400  # a UTC midnight


def _interactions(repo: Any, reports: Any, day_start: int, count: int, tag: str) -> None:
    """``count`` interactions of one day, each offered, answered and ended, counted
    change by change as the outbox counts the table's stream."""
    from dataclasses import replace

    from chalicelib.domain.contact_center import ACTIVE, ENDED, OFFERED, Interaction

    for n in range(count):
        at = day_start + (n * 86000 // max(1, count))
        agent = AGENTS[n % len(AGENTS)]
        waiting = Interaction(
            f"ix_{tag}_{n}", "acme", "q-support", "+14155550180", "+14155550100", "c", "", at,
            arrived_at=at, wait_started_at=at, version=1,
        )  # fmt: skip
        offered = replace(
            waiting, state=OFFERED, agent_id=agent, offer_no=1, offered_at=at + 5, version=2
        )
        active = replace(offered, state=ACTIVE, answered_at=at + 20, version=3)
        ended = replace(active, state=ENDED, ended_at=at + 300, version=4)
        for old, new in ((None, waiting), (waiting, offered), (offered, active), (active, ended)):
            reports.count(old, new, new.ended_at or new.answered_at or new.offered_at or at)


def _seed(center: Any, day_start: int, count: int, tag: str) -> None:
    """A day's figures as counting ``count`` interactions makes them, written as items."""
    from chalicelib.adapters.dynamodb.keys_contact_center import (
        report_month,
        report_month_agents_pk,
    )
    from chalicelib.adapters.dynamodb.reports import ReportItem, ReportMonthAgentItem, item_keys
    from chalicelib.services.reports import ReportService
    from tests.fakes.reports import MemoryReportStore

    memory = MemoryReportStore()
    _interactions(center, ReportService(memory, center), day_start, count, tag)
    with ReportItem.batch_write() as batch:
        for (company, scope, subject, interval), figures in memory.items.items():
            tally = Tally(scope, company, subject, interval, figures)
            item = ReportItem(*item_keys(tally), subject=subject, interval=interval)
            for name, value in figures.items():
                setattr(item, name, value)
            batch.save(item)
        listed = {(c, report_month(at), a) for c, scope, a, at in memory.items if scope == "agent"}
        for company, month, agent in listed:  # the months' lists of agents with figures
            batch.save(ReportMonthAgentItem(report_month_agents_pk(company, month), agent))


def main() -> dict[str, Any]:
    from local import environment

    environment.use_in_process_moto(quiet=True)
    import boto3
    from moto import mock_aws

    with mock_aws():
        from chalicelib.adapters import dynamodb
        from chalicelib.api.reports import csv_text
        from chalicelib.domain.contact_center import AgentProfile, Queue
        from chalicelib.domain.reports import AGENT_COLUMNS
        from chalicelib.services.common import Caller
        from chalicelib.services.reports import ReportQuery, ReportService
        from local.bench import _Meter
        from local.provision import provision

        provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
        dynamodb.bind_models("texting-test-messaging", "us-east-1")
        repo = dynamodb.DynamoContactCenterRepository()
        repo.put_queue(Queue("q-support", "acme", "Support"))
        repo.put_queue(Queue("q-small", "acme", "Small"))
        for n, agent in enumerate(AGENTS):
            queues = ["q-support", "q-small"] if n < SUPERVISED else ["q-support"]
            repo.put_agent(AgentProfile(agent, "acme", name=agent, queues=queues))
        repo.put_agent(
            AgentProfile("u-sup", "acme", name="Sup", role="supervisor", queues=["q-small"])
        )
        for n in range(WITHOUT_FIGURES):
            repo.put_agent(AgentProfile(f"u-other{n:03d}", "acme", name=f"Other {n}"))
        supervisor = Caller("u-sup", "acme", "supervisor")
        reports = ReportService(dynamodb.DynamoReportStore(), repo)
        admin = Caller("u-admin", "acme", "admin")
        utc = ZoneInfo("UTC")
        meter = _Meter()
        meter.install()
        meter.take()
        _interactions(repo, reports, DAY0 - 86400, 1, "one")  # 4 changes, counted on moto
        counting = meter.take()
        per_size: dict[str, Any] = {}
        for index, size in enumerate(SIZES):
            day_start = DAY0 + index * 86400
            day = date.fromtimestamp(day_start)
            _seed(repo, day_start, size, f"d{index}")
            meter.take()
            query = ReportQuery(day, day, utc, limit=1000)
            rows = reports.agents(admin, query).items
            agents_cost = meter.take()
            reports.queues(admin, query)
            queues_cost = meter.take()
            supervised = reports.agents(supervisor, query).items
            supervisor_cost = meter.take()
            per_size[str(size)] = {
                "agent_rows": len(rows),
                "agents_report": agents_cost,
                "queues_report": queues_cost,
                "supervisor_rows": len(supervised),
                "supervisor_agents_report": supervisor_cost,
            }
        month_start = DAY0 + 10 * 86400
        for d in range(EXPORT_DAYS):
            _seed(repo, month_start + d * 86400, len(AGENTS), f"m{d}")
        first = date.fromtimestamp(month_start)
        last = date.fromtimestamp(month_start + (EXPORT_DAYS - 1) * 86400)
        started = time.perf_counter()
        exported, pages, cursor = 0, 0, None
        while True:
            page = reports.agents(admin, ReportQuery(first, last, utc, limit=1000, cursor=cursor))
            exported += len(csv_text(AGENT_COLUMNS, page.items).splitlines()) - 1
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        elapsed = time.perf_counter() - started
    return {
        "count_one_interaction": counting,
        "per_day": per_size,
        "export": {
            "rows": exported,
            "pages": pages,
            "seconds": round(elapsed, 3),
            "rows_per_s": round(exported / elapsed) if elapsed else None,
        },
    }


def _requests(cost: dict[str, Any]) -> int:
    return sum(int(v) for v in cost["requests"].values())


def summary(figures: dict[str, Any]) -> list[str]:
    """Lines for ``make bench``."""
    counting = figures["count_one_interaction"]
    lines = [
        f"   counting one interaction's 4 changes (stream -> figures): {_requests(counting)}"
        f" requests {json.dumps(counting['requests'])}"
    ]
    for size, day in figures["per_day"].items():
        lines.append(
            f"   a day of {int(size):,} interactions: agents' report"
            f" (an admin's; {len(AGENTS)} of {len(AGENTS) + WITHOUT_FIGURES} profiles have figures)"
            f" {_requests(day['agents_report'])} requests {json.dumps(day['agents_report']['requests'])},"
            f" queues' report {_requests(day['queues_report'])} requests;"
            f" a supervisor of {SUPERVISED} of the {len(AGENTS)} agents:"
            f" {_requests(day['supervisor_agents_report'])} requests"
        )
    export = figures["export"]
    lines.append(
        f"   CSV export: {export['rows']:,} rows in {export['pages']} pages,"
        f" {export['rows_per_s']:,} rows/s (service and CSV, on in-process moto)"
    )
    return lines


if __name__ == "__main__":
    result = main()
    result["lines"] = summary(result)
    print("\n".join(result["lines"]))
    print(json.dumps(result))
