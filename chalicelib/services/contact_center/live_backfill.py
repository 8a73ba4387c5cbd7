"""An operator's one-off step after the queue's live list (``SupervisionService.live``)
was deployed: interactions that were open before then carry no place in it until
their next write. ``relist_open`` gives each of a company's open interactions its
place, found by the table's keys (never a Scan): each queue's waiting index, and
each agent's open interactions (their ``IX#`` pointers), which together hold every
interaction that has not ended. Run by ``infra.admin_contact_center``, never on a
request or event path; safe to run again, or while the stage is in use (docs/deploy.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.contact_center import ENDED, Interaction
from chalicelib.services.contact_center.ports import ContactCenterRepository

WAITING_READ = 100_000  # waiting interactions read per queue (far past any queue's cap)


@dataclass
class Relisted:
    """What a run found: open interactions, those given their place now, and those that
    moved on meanwhile (their own write listed them)."""

    found: int = 0
    listed: int = 0
    moved_on: int = 0


def relist_open(repo: ContactCenterRepository, company_id: str) -> Relisted:
    """Give every open interaction of the company its place in its queue's live list.
    Reads: one Query of the waiting index per queue, one Query of the agents, and per
    agent one Query of their pointers and a batch read of those interactions."""
    found: dict[str, Interaction] = {}
    for queue in repo.list_queues(company_id):
        for interaction in repo.waiting(company_id, queue.queue_id, WAITING_READ):
            found[interaction.interaction_id] = interaction
    for agent in repo.list_agents(company_id):
        for interaction in repo.agent_interactions(agent.agent_id):
            if interaction.company_id == company_id and interaction.state != ENDED:
                found[interaction.interaction_id] = interaction
    result = Relisted(found=len(found))
    for interaction in found.values():
        if repo.relist(interaction):
            result.listed += 1
        else:
            result.moved_on += 1
    return result
