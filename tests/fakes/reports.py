"""The report store in memory: the same contract as ``DynamoReportStore``."""

from __future__ import annotations

from chalicelib.domain.report_time import Clock
from chalicelib.domain.reports import AGENT, QUEUE, Tally, merged


class MemoryReportStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str, int], dict[str, float]] = {}
        self.counted: set[tuple[str, str, int]] = set()
        self.clocks: dict[tuple[str, str], Clock] = {}

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

    def clock(self, company_id: str, agent_id: str) -> Clock | None:
        return self.clocks.get((company_id, agent_id))

    def add_spell(
        self, company_id: str, agent_id: str, was: Clock | None, now: Clock, tallies: list[Tally]
    ) -> bool:
        found = self.clocks.get((company_id, agent_id))
        if found != was:
            return False
        self._add(company_id, tallies)
        self.clocks[(company_id, agent_id)] = now
        return True

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
