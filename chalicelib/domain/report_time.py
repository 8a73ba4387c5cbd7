"""Reports: each agent's staffed time, counted from the changes of its profile.

An agent is in one routing state at a time: ``busy`` (available and holding at least
one open interaction: offered, active or in wrap-up), ``available`` (available and
holding none: idle), ``away``, or ``offline``. A change of the profile that moves the
agent from one state to another closes a spell that ran from the previous such change;
the spell's seconds are split across the 15-minute intervals it crossed, so a day in
any zone sums whole intervals as the other figures do. Offline time is not counted.

Occupancy follows Amazon Connect's definition: the share of staffed time spent on
contacts, contact time / (contact time + idle available time), here
``busy_s / (busy_s + available_s)``. Time away is reported but is neither.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        return BUSY if agent.total > 0 else IDLE
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


@dataclass(frozen=True)
class Clock:
    """An agent's current spell: its state, since when, and the sequence number of
    the stream record that started it (a record at or before it was counted)."""

    state: str
    since: float
    seq: int
