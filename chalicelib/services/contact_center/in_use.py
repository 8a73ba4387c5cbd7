"""What stops an admin removing a queue or a channel: nothing may be left naming a
queue that is gone, nor a customer's open interaction on a number that stopped being a
channel. Each answer is a 409 whose code names what blocks it; the admin moves or ends
that first. Reads are Queries on keys made for them (no Scan): the company's channels,
queues and agents, the queue's agents and waiting line, and the interactions of the
agents who hold any."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from chalicelib.domain.contact_center import MAX_WAITING_LIMIT, Interaction
from chalicelib.domain.contact_center_records import CannedReply
from chalicelib.domain.errors import Conflict
from chalicelib.services.contact_center.ports import ContactCenterRepository

NAMED = 5  # blockers named in the message; the count says the rest


def _names(found: list[str]) -> str:
    shown = ", ".join(found[:NAMED])
    return shown if len(found) <= NAMED else f"{shown} and {len(found) - NAMED} more"


def open_interactions(
    repo: ContactCenterRepository, company_id: str, queue_ids: list[str]
) -> Iterator[Interaction]:
    """The company's open interactions that could be in ``queue_ids``: those waiting in
    them, then those any agent holds (whatever their queue: a named transfer or an
    outbound text can leave one with an agent outside it)."""
    for queue_id in queue_ids:
        yield from repo.waiting(company_id, queue_id, MAX_WAITING_LIMIT)
    for agent in repo.list_agents(company_id):
        if agent.total > 0:
            yield from repo.agent_interactions(agent.agent_id)


def _first(
    found: Iterator[Interaction], holds: Callable[[Interaction], bool]
) -> Interaction | None:
    return next((i for i in found if holds(i)), None)


def check_queue_unused(repo: ContactCenterRepository, company_id: str, queue_id: str) -> None:
    """Conflict unless no channel, queue (overflow), agent's profile, canned reply or
    open interaction names the queue."""
    channels = [c.e164 for c in repo.list_channels(company_id) if c.queue_id == queue_id]
    if channels:
        raise Conflict(
            f"channels still route to this queue: {_names(channels)}; "
            "give them another queue first",
            code="queue_has_channels",
        )
    overflowing = [
        q.queue_id for q in repo.list_queues(company_id) if q.overflow_queue_id == queue_id
    ]
    if overflowing:
        raise Conflict(
            f"queues overflow to this queue: {_names(overflowing)}; change their overflow first",
            code="queue_is_overflow_target",
        )
    agents = repo.agents_of_queue(company_id, queue_id)
    if agents:
        names = [p.name or p.agent_id for p in repo.get_agents(agents).values()]
        raise Conflict(
            f"agents' profiles list this queue: {_names(sorted(names) or agents)}; "
            "take it off their profiles first",
            code="queue_has_agents",
        )
    replies = repo.canned_page(company_id, [queue_id], 1, None, _any)
    if replies.items:
        raise Conflict(
            f"canned replies are limited to this queue (such as {replies.items[0].reply_id}); "
            "change or delete them first",
            code="queue_has_canned_replies",
        )
    held = open_interactions(repo, company_id, [queue_id])
    if _first(held, lambda i: i.queue_id == queue_id) is not None:
        raise Conflict(
            "customers are still waiting or being answered in this queue; "
            "let them end or transfer them first",
            code="queue_has_interactions",
        )


def check_channel_unused(repo: ContactCenterRepository, company_id: str, e164: str) -> None:
    """Conflict while a customer has an open interaction on the channel: their replies
    must keep reaching it until it ends."""
    queues = [q.queue_id for q in repo.list_queues(company_id)]
    if _first(open_interactions(repo, company_id, queues), lambda i: i.channel == e164):
        raise Conflict(
            "customers who texted this number are still waiting or being answered; "
            "let their interactions end first",
            code="channel_has_interactions",
        )


def _any(_: CannedReply) -> bool:
    return True
