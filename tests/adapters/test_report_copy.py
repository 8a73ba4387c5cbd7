"""The copy of agents' figures from their old partition (``CCRPT#{company}#AGENTS``)
into the per-agent month rows and the months' lists of agents, on DynamoDB (moto):
each item once, whatever is run again or resumed, added to what the stream counted
since, paced."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.keys_contact_center import report_old_agents_pk
from chalicelib.adapters.dynamodb.report_copy import DynamoOldAgentRows, OldAgentReportItem
from chalicelib.adapters.dynamodb.reports import DynamoReportStore
from chalicelib.domain.reports import AGENT, Tally
from chalicelib.services import report_copy
from chalicelib.services.report_copy import CopyCheckpoint, ReportCopy

T0 = 1_767_225_600  # 2026-01-01T00:00Z


def old_row(company_id: str, agent_id: str, interval: int, **figures: float) -> None:
    OldAgentReportItem(
        report_old_agents_pk(company_id),
        f"{interval:010d}#{agent_id}",
        subject=agent_id,
        interval=interval,
        **figures,
    ).save()


@pytest.fixture
def seeded(tables: Any) -> DynamoReportStore:
    old_row("acme", "bob", T0 - 900, offered=2, available_s=300)  # December
    old_row("acme", "bob", T0, answered=1, busy_s=120.5)
    old_row("acme", "carol", T0, offered=1)
    old_row("globex", "dave", T0, offered=7)  # another company's: not copied
    return DynamoReportStore()


def figures(store: DynamoReportStore, agent_id: str) -> list[tuple[int, dict[str, float]]]:
    return [
        (t.interval, t.figures)
        for t in store.agent_intervals("acme", agent_id, T0 - 86400, T0 + 86400)
    ]


def test_old_agent_rows_are_copied_into_the_month_rows_and_lists_once(
    seeded: DynamoReportStore,
) -> None:
    stream = Tally(AGENT, "acme", "bob", T0, {"answered": 1})
    seeded.add_once("acme", "ix-after-deploy", 1, [stream])  # counted since the deploy
    copy = ReportCopy(DynamoOldAgentRows(), CopyCheckpoint(), per_second=1e9)
    progress = copy.run("acme")
    assert (progress.read, progress.copied) == (3, 3)
    assert figures(seeded, "bob") == [
        (T0 - 900, {"offered": 2, "available_s": 300}),
        (T0, {"answered": 2, "busy_s": 120.5}),
    ]
    assert figures(seeded, "carol") == [(T0, {"offered": 1})]
    assert list(seeded.agents_with_figures("acme", T0 - 86400, T0)) == ["bob"]
    assert list(seeded.agents_with_figures("acme", T0, T0 + 86400)) == ["bob", "carol"]
    assert list(seeded.agents_with_figures("globex", T0, T0 + 86400)) == []
    again = ReportCopy(DynamoOldAgentRows(), CopyCheckpoint(), per_second=1e9).run("acme")
    assert (again.read, again.copied) == (3, 0)  # run again without a checkpoint
    assert figures(seeded, "carol") == [(T0, {"offered": 1})]


def test_a_copy_stopped_part_way_resumes_from_its_checkpoint(
    seeded: DynamoReportStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_copy, "PAGE", 1)
    path = tmp_path / "copy.json"
    rows = DynamoOldAgentRows()

    class Stopping:
        def __init__(self) -> None:
            self.copies = 0

        def page(self, company_id: str, after: str | None, limit: int) -> Any:
            return rows.page(company_id, after, limit)

        def copy(self, company_id: str, sk: str, tally: Tally) -> bool:
            self.copies += 1
            if self.copies == 3:
                raise RuntimeError("the operator's session ended")
            return rows.copy(company_id, sk, tally)

    with pytest.raises(RuntimeError):
        ReportCopy(Stopping(), CopyCheckpoint.load(path), per_second=1e9).run("acme")
    resumed = ReportCopy(rows, CopyCheckpoint.load(path), per_second=1e9).run("acme")
    assert (resumed.read, resumed.copied) == (1, 1)  # only what was left
    assert figures(seeded, "carol") == [(T0, {"offered": 1})]
    assert ReportCopy(rows, CopyCheckpoint.load(path)).run("acme").read == 0  # done


def test_the_copy_is_paced(seeded: DynamoReportStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_copy, "PAGE", 2)
    pauses: list[float] = []
    copy = ReportCopy(
        DynamoOldAgentRows(), CopyCheckpoint(), per_second=4, sleep=pauses.append, clock=lambda: 0.0
    )
    assert copy.run("acme").copied == 3
    assert pauses == [0.5]  # 2 items at 4 a second; the last page needs no pause


def test_the_operator_command_copies_each_company_named(seeded: DynamoReportStore) -> None:
    from infra.admin_reports import copy_agent_rows

    out = io.StringIO()
    totals = copy_agent_rows(["acme", "globex"], checkpoint=None, per_second=1e9, out=out)
    assert totals == {"read": 4, "copied": 4}
    assert "acme: 3 read, 3 copied" in out.getvalue()
