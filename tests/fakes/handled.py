"""In-memory handled interactions (the twin of ``DynamoHandledInteractions``)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.search_scope import HandledInteraction


class MemoryHandledInteractions:
    def __init__(self) -> None:
        # (answered_at, interaction) → record, per agent and per (company, queue)
        self.agents: dict[str, dict[tuple[float, str], HandledInteraction]] = {}
        self.queues: dict[tuple[str, str], dict[tuple[float, str], HandledInteraction]] = {}

    def record(self, handled: HandledInteraction) -> None:
        key = (round(handled.answered_at, 6), handled.interaction_id)
        for shelf in (
            self.agents.setdefault(handled.agent_id, {}),
            self.queues.setdefault((handled.company_id, handled.queue_id), {}),
        ):
            stored = shelf.get(key)
            if stored is None or stored.last_seq < handled.last_seq:
                shelf[key] = replace(handled)

    def by_agent(self, agent_id: str, limit: int) -> list[HandledInteraction]:
        shelf = self.agents.get(agent_id, {})
        return [shelf[k] for k in sorted(shelf, reverse=True)[:limit]]

    def by_queue(self, company_id: str, queue_id: str, limit: int) -> list[HandledInteraction]:
        shelf = self.queues.get((company_id, queue_id), {})
        return [shelf[k] for k in sorted(shelf, reverse=True)[:limit]]
