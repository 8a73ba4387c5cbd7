"""Supervisors' figures: per queue, now (waiting, longest wait, agents and their
load) and per day (offered, answered, abandoned, waits, handle time, service level)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.domain.contact_center import AVAILABLE, AWAY, SUPERVISOR, Queue
from chalicelib.domain.errors import Forbidden, ValidationError
from chalicelib.domain.model import Event
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.common import Context

WAITING_COUNTED = 1000  # the live count reads at most this many waiting items
MAX_DAYS = 31


class SupervisorService:
    """Queue statistics for supervisors and admins (REST and ``queue.updated``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._repo = ctx.repo

    def _may_supervise(self, caller: Caller) -> None:
        if caller.is_admin:
            return
        agent = self._repo.get_agent(caller.user_id)
        if agent is None or agent.company_id != caller.company_id or agent.role != SUPERVISOR:
            raise Forbidden("only supervisors and admins see queue figures", code="supervisor_only")

    def stats(self, caller: Caller, queue_id: str, days: Any = None) -> dict[str, Any]:
        self._may_supervise(caller)
        queue = self._ctx.queue(caller.company_id, queue_id)
        count = 1
        if days is not None:
            try:
                count = int(days)
            except (TypeError, ValueError):
                count = 0
            if not 1 <= count <= MAX_DAYS:
                raise ValidationError(f"days must be 1 to {MAX_DAYS}", code="invalid_days")
        return self.figures(queue, count)

    def figures(self, queue: Queue, days: int = 1) -> dict[str, Any]:
        now = self._ctx.epoch()
        waiting = self._repo.waiting(queue.company_id, queue.queue_id, WAITING_COUNTED)
        agents = self._repo.get_agents(self._repo.agents_of_queue(queue.company_id, queue.queue_id))
        today = date.fromisoformat(self._ctx.day(now))
        names = [(today - timedelta(days=n)).isoformat() for n in range(days)]
        per_day = self._repo.figures(queue.company_id, queue.queue_id, names)
        return {
            "queue_id": queue.queue_id,
            "name": queue.name,
            "waiting": len(waiting),
            "longest_wait_s": int(max((now - i.arrived_at for i in waiting), default=0)),
            "agents_available": sum(1 for a in agents.values() if a.status == AVAILABLE),
            "agents_busy": sum(
                1 for a in agents.values() if a.status == AVAILABLE and not a.has_room()
            ),
            "agents_away": sum(1 for a in agents.values() if a.status == AWAY),
            "active": sum(a.total for a in agents.values()),
            "agents": [
                {
                    "agent_id": a.agent_id,
                    "name": a.name,
                    "status": a.status,
                    "load": a.load,
                    "open": a.total,
                    "max_concurrent": a.max_concurrent,
                }
                for a in sorted(agents.values(), key=lambda a: a.agent_id)
            ],
            "service_level_s": queue.service_level_s,
            "days": [{"day": d, **f.to_dict()} for d, f in zip(names, per_day, strict=True)],
        }

    def publish(self, company_id: str, queue_ids: list[str]) -> None:
        """``queue.updated`` to the company's supervisors (after routing changed a queue)."""
        supervisors = [
            a.agent_id for a in self._repo.list_agents(company_id) if a.role == SUPERVISOR
        ]
        if not supervisors:
            return
        events = []
        for queue_id in sorted(set(queue_ids)):
            queue = self._repo.get_queue(company_id, queue_id)
            if queue is None:
                continue
            figures = self.figures(queue)
            version = f"{figures['waiting']}.{figures['active']}.{figures['agents_available']}"
            events.append(
                Event(
                    event_id=f"queue.updated:{queue_id}:{int(self._ctx.epoch())}:{version}",
                    type="queue.updated",
                    company_id=company_id,
                    recipients=supervisors,
                    data=figures,
                )
            )
        if events:
            self._ctx.publisher.publish(events)
