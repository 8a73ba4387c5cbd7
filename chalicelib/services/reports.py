"""Contact-center reports: figures per agent per day and per queue per 15 minutes.

Counting: the table's stream carries every stored change of an interaction to the
outbox consumer, which hands it to ``ReportService.count``; the rules of what a
change adds are ``domain.reports.tallies_of_change``. Nothing in routing counts for
reports, and a retried stream record counts once (the store's marker).

Staffed time (occupancy): the stream also carries every change of an agent's profile
to ``count_agent``; each change closes the spell its old version stood for (the old
``state_since`` to the new), added once per profile version (``domain.report_time``).

Reading: a day is the sum of its 15-minute intervals (in the zone the caller names),
read per agent (one Query per agent per UTC month of the range) and per queue page
for queues, so the cost follows the number of agents and queues read, never the
number of interactions. A supervisor reads only their agents'; an admin pages over
the month's list of agents with figures, so agents without any cost nothing. An
agent's spell still open is added up to the time of reading (from its profile).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain.contact_center import (
    SUPERVISOR,
    AgentProfile,
    Interaction,
    Queue,
)
from chalicelib.domain.contact_center_config import DEFAULT_SERVICE_LEVEL_S
from chalicelib.domain.errors import Forbidden, NotFound, ValidationError
from chalicelib.domain.model import Page
from chalicelib.domain.report_time import open_spell, spell_of_change
from chalicelib.domain.reports import (
    Tally,
    agent_day_row,
    day_bounds,
    local_date,
    local_iso,
    queue_interval_row,
    tallies_of_change,
)
from chalicelib.services.common import Caller


class ReportStore(Protocol):
    """Where the figures are kept: one record per agent or queue per interval."""

    def add_once(
        self, company_id: str, interaction_id: str, version: int, tallies: list[Tally]
    ) -> bool:
        """Add every tally, at most once per (interaction, version): False when counted."""
        ...

    def agent_intervals(
        self, company_id: str, agent_id: str, start: int, end: int
    ) -> Iterable[Tally]:
        """One agent's intervals starting in [start, end), in interval order, read
        lazily (a reader that stops early reads no further)."""
        ...

    def add_spell(
        self, company_id: str, agent_id: str, closed_at: float, tallies: list[Tally]
    ) -> bool:
        """Add a closed spell's tallies at most once per (agent, ``closed_at``: the
        profile version that closed it): False when counted before."""
        ...

    def agents_with_figures(
        self, company_id: str, start: int, end: int, first: str = ""
    ) -> Iterable[str]:
        """The ids from ``first`` on, in order, of the agents with figures in any UTC month
        that intervals in [start, end) fall in, read lazily."""
        ...

    def queue_intervals(
        self, company_id: str, queue_id: str, start: int, end: int, limit: int
    ) -> list[Tally]:
        """A queue's intervals starting in [start, end), oldest first, at most ``limit``."""
        ...


class CenterDirectory(Protocol):
    """What reports read of the contact center's set-up (its repository has these)."""

    def get_queue(self, company_id: str, queue_id: str) -> Queue | None: ...

    def list_queues(self, company_id: str) -> list[Queue]: ...

    def get_agent(self, agent_id: str) -> AgentProfile | None: ...

    def get_agents(self, agent_ids: Iterable[str]) -> dict[str, AgentProfile]: ...

    def list_agents(self, company_id: str) -> list[AgentProfile]: ...

    def agents_of_queue(self, company_id: str, queue_id: str) -> list[str]: ...


@dataclass(frozen=True)
class ReportQuery:
    """A report's range, already valid: ``first`` ≤ ``last``, at most ``MAX_DAYS`` days."""

    first: date
    last: date
    zone: ZoneInfo
    limit: int
    cursor: str | None = None
    queue_id: str | None = None


def _encode(*parts: str) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[str]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        parts = None
    if not (
        isinstance(parts, list) and len(parts) == size and all(isinstance(p, str) for p in parts)
    ):
        raise ValidationError("cursor is not valid", code="invalid_cursor")
    return parts


def _days(tallies: Iterable[Tally], zone: ZoneInfo) -> Iterable[tuple[date, dict[str, float]]]:
    """One agent's intervals, in order, summed per calendar day in ``zone``."""
    current: date | None = None
    sums: dict[str, float] = {}
    for tally in tallies:
        day = local_date(tally.interval, zone)
        if day != current:
            if current is not None:
                yield current, sums
            current, sums = day, {}
        for name, value in tally.figures.items():
            sums[name] = sums.get(name, 0) + value
    if current is not None:
        yield current, sums


@dataclass
class _Scope:
    """Whom the caller may see: every agent and queue (admins), or those of their queues."""

    queues: list[Queue]
    agents: set[str] | None  # None: all of the company's


class ReportService:
    """Counts interactions' changes into figures, and reads them back as report rows."""

    def __init__(
        self, store: ReportStore, center: CenterDirectory, now: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._center = center
        self._now = now

    # -- counting (the table's stream) --------------------------------------------------

    def count(self, old: Interaction | None, new: Interaction, at: float) -> bool:
        """Add what this stored change of an interaction means to the figures; once per
        change (the stream may deliver a record again). True when something was added."""
        tallies = tallies_of_change(old, new, at, self._threshold(new.company_id))
        return self._store.add_once(new.company_id, new.interaction_id, new.version, tallies)

    def count_agent(self, old: AgentProfile | None, new: AgentProfile) -> bool:
        """Add the spell this stored change of an agent's profile closes (its old state
        from the old ``state_since`` to the new one); once per profile version, whatever
        the order the records come in. True when something was added."""
        tallies = spell_of_change(old, new)
        if not tallies:
            return False
        return self._store.add_spell(new.company_id, new.agent_id, new.state_since, tallies)

    def _threshold(self, company_id: str) -> Any:
        def service_level_s(queue_id: str) -> int:
            queue = self._center.get_queue(company_id, queue_id)
            return queue.service_level_s if queue else DEFAULT_SERVICE_LEVEL_S

        return service_level_s

    # -- who sees what -----------------------------------------------------------------------

    def _scope(self, caller: Caller) -> _Scope:
        if caller.is_admin:
            return _Scope(self._center.list_queues(caller.company_id), None)
        me = self._center.get_agent(caller.user_id)
        if me is None or me.company_id != caller.company_id or me.role != SUPERVISOR:
            raise Forbidden("only supervisors and admins see reports", code="supervisor_only")
        queues = [q for q_id in me.queues if (q := self._center.get_queue(caller.company_id, q_id))]
        agents = {
            a for q in queues for a in self._center.agents_of_queue(caller.company_id, q.queue_id)
        }
        return _Scope(queues, agents)

    # -- per agent per day ---------------------------------------------------------------------

    def agents(self, caller: Caller, query: ReportQuery) -> Page[dict[str, Any]]:
        """One row per agent per day with any figure: agents by id, each one's days in
        order. A supervisor sees the agents of the queues they supervise, and reads only
        their intervals; an admin every agent of the company with figures in the range's
        months (their list, paged) or a spell open now. Each agent's intervals are read
        lazily from the page's first day, so a page reads only as far as its rows (and
        the rest of its last row's day); its open spell is added up to now."""
        scope = self._scope(caller)
        after_agent, after_day = "", None
        if query.cursor:
            after_agent, day_text = _decode(query.cursor, 2)
            after_day = self._cursor_day(day_text, query)
        range_start, range_end = (
            day_bounds(query.first, query.zone)[0],
            day_bounds(query.last, query.zone)[1],
        )
        now = self._now()
        if scope.agents is not None:
            profiles = self._center.get_agents(sorted(scope.agents))
            stored: Iterable[str] = sorted(scope.agents)
        else:
            profiles = {a.agent_id: a for a in self._center.list_agents(caller.company_id)}
            stored = self._store.agents_with_figures(
                caller.company_id, range_start, range_end, after_agent
            )
        open_now = sorted(
            a for a, p in profiles.items() if open_spell(p, now, range_start, range_end)
        )
        with_figures: set[str] = set()

        def listed() -> Iterable[str]:
            for agent_id in stored:
                with_figures.add(agent_id)
                yield agent_id

        found: list[tuple[date, str, dict[str, float]]] = []
        last = None
        for agent_id in heapq.merge(listed(), open_now):
            if agent_id == last or agent_id < after_agent:
                continue
            last = agent_id
            first = query.first
            if agent_id == after_agent and after_day is not None:
                first = after_day + timedelta(days=1)
                if first > query.last:
                    continue
            start = day_bounds(first, query.zone)[0]
            tallies: Iterable[Tally] = []
            if agent_id in with_figures:
                tallies = self._store.agent_intervals(caller.company_id, agent_id, start, range_end)
            if agent_id in profiles:
                spell = open_spell(profiles[agent_id], now, start, range_end)
                tallies = heapq.merge(tallies, spell, key=lambda t: t.interval)
            for day, figures in _days(tallies, query.zone):
                if len(found) == query.limit:
                    last_day, last_agent, _ = found[-1]
                    return self._agent_page(
                        found, profiles, _encode(last_agent, last_day.isoformat())
                    )
                found.append((day, agent_id, figures))
        return self._agent_page(found, profiles, None)

    def _agent_page(
        self,
        found: list[tuple[date, str, dict[str, float]]],
        profiles: dict[str, AgentProfile],
        cursor: str | None,
    ) -> Page[dict[str, Any]]:
        missing = sorted({a for _, a, _ in found} - set(profiles))
        if missing:  # an admin's agents with figures whose profile is gone
            profiles = {**profiles, **self._center.get_agents(missing)}
        rows = [
            agent_day_row(a, profiles[a].name if a in profiles else "", day, figures)
            for day, a, figures in found
        ]
        return Page(rows, cursor)

    @staticmethod
    def _cursor_day(text: str, query: ReportQuery) -> date:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or not query.first <= day <= query.last:
            raise ValidationError("cursor is not valid", code="invalid_cursor")
        return day

    # -- per queue per 15 minutes -----------------------------------------------------------------

    def queues(self, caller: Caller, query: ReportQuery) -> Page[dict[str, Any]]:
        """One row per queue per 15-minute interval with any figure, queues by id, then
        intervals in order. A supervisor sees the queues they supervise."""
        scope = self._scope(caller)
        queues = sorted(scope.queues, key=lambda q: q.queue_id)
        if query.queue_id is not None:
            queues = [q for q in queues if q.queue_id == query.queue_id]
            if not queues:
                if self._center.get_queue(caller.company_id, query.queue_id) is None:
                    raise NotFound("no such queue", code="queue_not_found")
                raise Forbidden("you do not supervise this queue", code="not_your_queue")
        range_start = day_bounds(query.first, query.zone)[0]
        range_end = day_bounds(query.last, query.zone)[1]
        resume: tuple[str, int] | None = None
        if query.cursor:
            queue_id, at = _decode(query.cursor, 2)
            if not at.isdigit() or not range_start <= int(at) < range_end:
                raise ValidationError("cursor is not valid", code="invalid_cursor")
            resume = (queue_id, int(at))
        rows: list[dict[str, Any]] = []
        for queue in queues:
            if resume is not None and queue.queue_id < resume[0]:
                continue
            start = resume[1] if resume and queue.queue_id == resume[0] else range_start
            room = query.limit - len(rows)
            got = self._store.queue_intervals(
                caller.company_id, queue.queue_id, start, range_end, room + 1
            )
            for tally in got[:room]:
                rows.append(
                    queue_interval_row(
                        queue.queue_id,
                        queue.name,
                        local_iso(tally.interval, query.zone),
                        tally.figures,
                        queue.service_level_s,
                    )
                )
            if len(got) > room:
                return Page(rows, _encode(queue.queue_id, str(got[room].interval)))
        return Page(rows, None)
