"""The report store in memory: the same contract as ``DynamoReportStore``."""

from __future__ import annotations

from chalicelib.adapters.dynamodb.keys_contact_center import report_month
from chalicelib.domain.reports import AGENT, QUEUE, Tally, merged


class MemoryReportStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str, int], dict[str, float]] = {}
        self.counted: set[tuple[str, str, int]] = set()

    def add_once(
        self, company_id: str, interaction_id: str, version: int, tallies: list[Tally]
    ) -> bool:
        key = (company_id, interaction_id, version)
        if not tallies or key in self.counted:
            return False
        self.counted.add(key)
        self._add(company_id, tallies)
        return True

    def _add(self, company_id: str, tallies: list[Tally]) -> None:
        for tally in merged(tallies):
            figures = self.items.setdefault(
                (company_id, tally.scope, tally.subject, tally.interval), {}
            )
            for name, value in tally.figures.items():
                figures[name] = figures.get(name, 0) + value

    def add_spell(
        self, company_id: str, agent_id: str, closed_at: float, tallies: list[Tally]
    ) -> bool:
        return self.add_once(company_id, f"SPELL#{agent_id}#{closed_at:.6f}", 0, tallies)

    def agents_with_figures(
        self, company_id: str, start: int, end: int, first: str = ""
    ) -> list[str]:
        wanted = {report_month(at) for at in range(start, end, 86400)} | {report_month(end - 1)}
        return sorted(
            {
                subject
                for (company, kind, subject, interval) in self.items
                if company == company_id
                and kind == AGENT
                and subject >= first
                and report_month(interval) in wanted
            }
        )

    def _found(self, company_id: str, scope: str, start: int, end: int) -> list[Tally]:
        return [
            Tally(scope, company_id, subject, interval, dict(figures))
            for (company, kind, subject, interval), figures in self.items.items()
            if company == company_id and kind == scope and start <= interval < end
        ]

    def agent_intervals(self, company_id: str, agent_id: str, start: int, end: int) -> list[Tally]:
        found = [t for t in self._found(company_id, AGENT, start, end) if t.subject == agent_id]
        return sorted(found, key=lambda t: t.interval)

    def queue_intervals(
        self, company_id: str, queue_id: str, start: int, end: int, limit: int
    ) -> list[Tally]:
        found = [t for t in self._found(company_id, QUEUE, start, end) if t.subject == queue_id]
        return sorted(found, key=lambda t: t.interval)[:limit]
