"""Reports: what each stored change of an interaction adds to the figures of an agent
and of a queue in its 15-minute interval, and the rows read back from those figures.
Pure Python: the stream consumer feeds it the interaction before and after a write.

Every figure is a sum over an interval (UTC epoch seconds, a multiple of 15 minutes),
so a day in any time zone (every zone in use today is offset from UTC by a multiple
of 15 minutes) is the sum of whole intervals, and reading a day costs the same
whatever the number of interactions in it. docs/contact-center.md defines each figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.contact_center import (
    ABANDONED,
    ACTIVE,
    ENDED,
    OFFERED,
    QUEUE_FULL,
    WAITING,
    WRAP_UP,
    Interaction,
)

INTERVAL_S = 900  # 15 minutes
MAX_DAYS = 92  # the longest range one report reads (a quarter)
AGENT = "agent"
QUEUE = "queue"

# The release reasons routing stores on an interaction that went back to a queue
# (``Interaction.released``) that count for its agent.
REJECTED = "rejected"
TIMED_OUT = "timeout"
TRANSFER = "transfer"

# Seconds of staffed time (``report_time``): available and idle, on interactions, away.
AVAILABLE_S = "available_s"
BUSY_S = "busy_s"
AWAY_S = "away_s"

# The sums kept per agent and per queue, in the order rows and CSV columns show them.
AGENT_FIGURES = (
    "offered",
    "answered",
    "rejected",
    "timed_out",
    "transfers",
    "handled",
    "handle_time_s",
    "wait_s",
    "outbound",
    AVAILABLE_S,
    BUSY_S,
    AWAY_S,
)
QUEUE_FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "turned_away",
    "transfers",
    "moved_out",
    "handled",
    "handle_time_s",
    "wait_s",
    "answered_within_sl",
    AVAILABLE_S,
    BUSY_S,
)
AGENT_COLUMNS = ("agent_id", "name", "day", *AGENT_FIGURES, "occupancy")
QUEUE_COLUMNS = (
    "queue_id",
    "name",
    "interval_start",
    *QUEUE_FIGURES,
    "service_level",
    "service_level_s",
    "occupancy",
)


def interval_of(at: float) -> int:
    """The start of the 15-minute interval ``at`` falls in."""
    return int(at // INTERVAL_S) * INTERVAL_S


@dataclass(frozen=True)
class Tally:
    """Figures to add to one agent's or one queue's interval."""

    scope: str  # AGENT or QUEUE
    company_id: str
    subject: str  # the agent's or the queue's id
    interval: int
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.scope, self.subject, self.interval)


def merged(tallies: Iterable[Tally]) -> list[Tally]:
    """Tallies of one item added together (a write may touch an item only once)."""
    found: dict[tuple[str, str, int], Tally] = {}
    for tally in tallies:
        before = found.get(tally.key)
        if before is None:
            found[tally.key] = Tally(
                tally.scope, tally.company_id, tally.subject, tally.interval, dict(tally.figures)
            )
            continue
        for name, value in tally.figures.items():
            before.figures[name] = before.figures.get(name, 0) + value
    return list(found.values())


class _Counts:
    def __init__(self, company_id: str) -> None:
        self.company_id = company_id
        self.tallies: list[Tally] = []

    def agent(self, agent_id: str, at: float, **figures: float) -> None:
        self.tallies.append(Tally(AGENT, self.company_id, agent_id, interval_of(at), figures))

    def queue(self, queue_id: str, at: float, **figures: float) -> None:
        self.tallies.append(Tally(QUEUE, self.company_id, queue_id, interval_of(at), figures))


def tallies_of_change(
    old: Interaction | None,
    new: Interaction,
    at: float,
    service_level_s: Callable[[str], int],
) -> list[Tally]:
    """What one stored change of an interaction adds (merged per item). ``at`` is when
    the change was written (the stream record's time): used only where the interaction
    itself keeps no time of the step. ``service_level_s`` gives a queue's threshold."""
    counts = _Counts(new.company_id)
    if old is None:
        if new.state == WAITING:  # a customer's text opened it: it entered its queue
            counts.queue(new.queue_id, new.arrived_at or at, offered=1)
        elif new.direction == "outbound" and new.agent_id:
            counts.agent(new.agent_id, new.offered_at or at, outbound=1)
        return merged(counts.tallies)
    _offer_and_answer(old, new, at, service_level_s, counts)
    _offer_not_taken(old, new, at, counts)
    _handling_ends(old, new, at, counts)
    _wait_moves(old, new, at, counts)
    if old.state == WAITING and new.state == ENDED:
        when = new.ended_at or at
        if new.disposition == ABANDONED:
            counts.queue(old.queue_id, when, abandoned=1)
        elif new.disposition == QUEUE_FULL:
            counts.queue(old.queue_id, when, turned_away=1)
    return merged(counts.tallies)


def _taken_over(old: Interaction, new: Interaction) -> bool:
    """A supervisor took over an answered interaction: active before and after, with
    another agent (its ``answered_at`` and ``offered_at`` are the take-over's time)."""
    return old.state == ACTIVE and new.state == ACTIVE and new.agent_id != old.agent_id


def _offer_and_answer(
    old: Interaction,
    new: Interaction,
    at: float,
    service_level_s: Callable[[str], int],
    counts: _Counts,
) -> None:
    agent = new.agent_id
    if not agent or new.state not in (OFFERED, ACTIVE):
        return
    if new.offer_no > old.offer_no or agent != old.agent_id:  # an offer, or a take-over
        counts.agent(agent, new.offered_at or at, offered=1)
    if _taken_over(old, new):  # the supervisor's answer; the queue answered it before
        counts.agent(agent, new.answered_at or at, answered=1)
    elif new.state == ACTIVE and old.state in (WAITING, OFFERED):
        when = new.answered_at or at
        wait = round(max(0.0, when - new.waiting_since()), 3)
        within = int(wait <= service_level_s(new.queue_id))
        counts.agent(agent, when, answered=1, wait_s=wait)
        counts.queue(new.queue_id, when, answered=1, wait_s=wait, answered_within_sl=within)


def _offer_not_taken(old: Interaction, new: Interaction, at: float, counts: _Counts) -> None:
    """An offer that went back to its queue in this change: declined, or left to time
    out. (An offer withdrawn because its agent went away or offline is neither, nor is
    one a supervisor took over or moved to another agent: ``released`` is only the
    reason of the change that made it wait, and may be an earlier one's.)"""
    agent = old.agent_id
    if old.state != OFFERED or not agent or new.state != WAITING:
        return
    when = new.rejected.get(agent) or at
    if new.released == REJECTED:
        counts.agent(agent, when, rejected=1)
    elif new.released == TIMED_OUT:
        counts.agent(agent, when, timed_out=1)


def _handling_ends(old: Interaction, new: Interaction, at: float, counts: _Counts) -> None:
    """An answered interaction leaves its agent: ended (after wrap-up), transferred,
    requeued, or taken over by a supervisor. Its handle time runs from the answer to
    here. The queue counts ``handled`` once per answer from it: a take-over adds the
    first agent's time to the queue, and the end counts it handled."""
    agent = old.agent_id
    if old.state not in (ACTIVE, WRAP_UP) or not agent:
        return
    if new.state not in (WAITING, ENDED) and new.agent_id == agent:
        return
    if new.state == ENDED:
        when = new.ended_at or at
    elif new.state == WAITING:
        when = new.wait_started_at or at
    else:  # straight to another agent
        when = new.offered_at or at
    handle = round(max(0.0, when - old.answered_at), 3) if old.answered_at else 0.0
    counts.agent(agent, when, handled=1, handle_time_s=handle)
    if _taken_over(old, new):
        counts.queue(old.queue_id, when, handle_time_s=handle)
        return
    counts.queue(old.queue_id, when, handled=1, handle_time_s=handle)
    moved_on = new.state != ENDED and (
        new.released == TRANSFER or (new.agent_id is not None and new.agent_id != agent)
    )
    if moved_on:
        counts.agent(agent, when, transfers=1)
        counts.queue(old.queue_id, when, transfers=1)


def _wait_moves(old: Interaction, new: Interaction, at: float, counts: _Counts) -> None:
    """A new wait in a queue that is not an arrival (a transfer to a queue or offered
    to a named agent, a requeue, an overflow or a full queue's move) is offered there;
    a wait that left a queue for another is ``moved_out`` there."""
    answered_before = old.state in (ACTIVE, WRAP_UP)
    if new.state == OFFERED and answered_before and new.agent_id != old.agent_id:
        counts.queue(new.queue_id, new.wait_started_at or at, offered=1)
    if new.state != WAITING:
        return
    moved = old.queue_id != new.queue_id
    if answered_before or moved:
        when = new.wait_started_at if answered_before else at
        counts.queue(new.queue_id, when or at, offered=1)
    if moved:
        counts.queue(old.queue_id, at, moved_out=1)


# -- reading back ---------------------------------------------------------------------------


def zone_of(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (UTC when not given); KeyError/ValueError when unknown."""
    return ZoneInfo(name or "UTC")


def day_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """The UTC epoch seconds [start, end) of a calendar day in ``zone`` (23 or 25
    hours on a daylight-saving change)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return int(start.timestamp()), int(end.timestamp())


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def local_date(epoch: int, zone: ZoneInfo) -> date:
    """The calendar day in ``zone`` an interval starting at ``epoch`` belongs to."""
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone).date()


def local_iso(epoch: int, zone: ZoneInfo) -> str:
    """An interval's start as ISO 8601 in ``zone``, with its offset (``Z`` for UTC)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone)
    text = moment.isoformat(timespec="minutes")
    return text.replace("+00:00", "Z") if zone.key == "UTC" else text


def _whole(figures: dict[str, float], names: tuple[str, ...]) -> dict[str, int]:
    return {n: round(figures.get(n, 0)) for n in names}


def agent_day_row(
    agent_id: str, name: str, day: date, figures: dict[str, float]
) -> dict[str, object]:
    """One agent's day: the sums of its intervals (seconds rounded to whole seconds)."""
    return {
        "agent_id": agent_id,
        "name": name,
        "day": day.isoformat(),
        **_whole(figures, AGENT_FIGURES),
        "occupancy": occupancy(figures),
    }


def occupancy(figures: dict[str, float]) -> float | None:
    """Amazon Connect's occupancy: the share of staffed time spent on interactions,
    busy / (busy + available and idle), to four places; None with no staffed time."""
    busy, idle = figures.get(BUSY_S, 0), figures.get(AVAILABLE_S, 0)
    if busy + idle <= 0:
        return None
    return round(busy / (busy + idle), 4)


def service_level(figures: dict[str, float]) -> int | None:
    """Answered within the threshold, in percent of the waits that ended in the
    interval (answered or abandoned); None when none did."""
    ended = figures.get("answered", 0) + figures.get("abandoned", 0)
    if ended <= 0:
        return None
    return round(100 * figures.get("answered_within_sl", 0) / ended)


def queue_interval_row(
    queue_id: str, name: str, start: str, figures: dict[str, float], threshold_s: int
) -> dict[str, object]:
    return {
        "queue_id": queue_id,
        "name": name,
        "interval_start": start,
        **_whole(figures, QUEUE_FIGURES),
        "service_level": service_level(figures),
        "service_level_s": threshold_s,
        "occupancy": occupancy(figures),
    }
