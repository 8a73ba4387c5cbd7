"""Reports: each agent's staffed time, counted from the changes of its profile.

An agent is in one routing state at a time: ``busy`` (available and using at least one
slot: an offered, active or wrapping-up interaction; ``load > 0``), ``available``
(available and using none: idle, even while it keeps idle threads open), ``away``, or
``offline``. Every write of an agent's profile stamps ``state_since`` on it, so a
stream record of one change holds a whole spell: the old version's state from the old
``state_since`` to the new one. Each record is counted on its own, once per version
(a marker keyed by the new ``state_since``), in any order and whatever the fate of
the records around it. The spell's seconds are split across the 15-minute intervals
it crossed, so a day in any zone sums whole intervals as the other figures do.
Offline time is not counted; an agent left ``available`` (over a weekend, say) counts
as idle until it changes.

The spell still open (the profile's current state since its ``state_since``) is not
stored: a report adds it up to the moment it is read (``open_spell``).

Occupancy follows Amazon Connect's definition: the share of staffed time spent on
contacts, contact time / (contact time + idle available time), here
``busy_s / (busy_s + available_s)``. Time away is reported but is neither.
"""

from __future__ import annotations

from chalicelib.domain.contact_center import AVAILABLE, AWAY, AgentProfile
from chalicelib.domain.reports import (
    AGENT,
    AVAILABLE_S,
    AWAY_S,
    BUSY_S,
    INTERVAL_S,
    MAX_DAYS,
    QUEUE,
    Tally,
    interval_of,
)

BUSY = "busy"
IDLE = "available"
AWAY_STATE = "away"
OFFLINE_STATE = "offline"
# the figure each counted state adds to, for the agent and for each of its queues
AGENT_FIGURE = {BUSY: BUSY_S, IDLE: AVAILABLE_S, AWAY_STATE: AWAY_S}
QUEUE_FIGURE = {BUSY: BUSY_S, IDLE: AVAILABLE_S}
LONGEST_SPELL_S = MAX_DAYS * 86400  # a longer spell counts its last MAX_DAYS only


def routing_state(agent: AgentProfile) -> str:
    """The state an agent's profile puts it in for staffed time."""
    if agent.status == AVAILABLE:
        return BUSY if agent.load > 0 else IDLE
    return AWAY_STATE if agent.status == AWAY else OFFLINE_STATE


def spell_tallies(agent: AgentProfile, state: str, since: float, until: float) -> list[Tally]:
    """The seconds of one spell in ``state`` from ``since`` to ``until``, per interval,
    for the agent and for each queue its profile listed during the spell."""
    agent_figure, queue_figure = AGENT_FIGURE.get(state), QUEUE_FIGURE.get(state)
    if agent_figure is None or until <= since:
        return []
    tallies: list[Tally] = []
    at = max(since, until - LONGEST_SPELL_S)
    while at < until:
        interval = interval_of(at)
        end = min(until, interval + INTERVAL_S)
        seconds = round(end - at, 3)
        tallies.append(
            Tally(AGENT, agent.company_id, agent.agent_id, interval, {agent_figure: seconds})
        )
        if queue_figure is not None:
            tallies += [
                Tally(QUEUE, agent.company_id, queue_id, interval, {queue_figure: seconds})
                for queue_id in sorted(set(agent.queues))
            ]
        at = end
    return tallies


def spell_of_change(old: AgentProfile | None, new: AgentProfile) -> list[Tally]:
    """The spell one stored change of a profile closes: the old version's state from
    its ``state_since`` to the new version's. None for a new profile, or an old version
    written before profiles kept ``state_since``."""
    if old is None or not old.state_since:
        return []
    return spell_tallies(old, routing_state(old), old.state_since, new.state_since)


def open_spell(agent: AgentProfile, now: float, start: int, end: int) -> list[Tally]:
    """The agent's own intervals of its current spell, up to ``now``, that start in
    [start, end): what a report adds to the stored figures when it is read."""
    if not agent.state_since:
        return []
    tallies = spell_tallies(agent, routing_state(agent), agent.state_since, now)
    return [t for t in tallies if t.scope == AGENT and start <= t.interval < end]
