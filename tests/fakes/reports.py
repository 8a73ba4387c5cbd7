"""The report store in memory: the same contract as ``DynamoReportStore``."""

from __future__ import annotations

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
        for tally in merged(tallies):
            figures = self.items.setdefault(
                (company_id, tally.scope, tally.subject, tally.interval), {}
            )
            for name, value in tally.figures.items():
                figures[name] = figures.get(name, 0) + value
        return True

    def _found(self, company_id: str, scope: str, start: int, end: int) -> list[Tally]:
        return [
            Tally(scope, company_id, subject, interval, dict(figures))
            for (company, kind, subject, interval), figures in self.items.items()
            if company == company_id and kind == scope and start <= interval < end
        ]

    def agent_intervals(self, company_id: str, start: int, end: int) -> list[Tally]:
        found = self._found(company_id, AGENT, start, end)
        return sorted(found, key=lambda t: (t.interval, t.subject))

    def queue_intervals(
        self, company_id: str, queue_id: str, start: int, end: int, limit: int
    ) -> list[Tally]:
        found = [t for t in self._found(company_id, QUEUE, start, end) if t.subject == queue_id]
        return sorted(found, key=lambda t: t.interval)[:limit]
