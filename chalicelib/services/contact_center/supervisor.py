"""Supervisors' figures: per queue, now (waiting, longest wait, agents and their
load) and per day (offered, answered, abandoned, waits, handle time, service level)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.contact_center import AVAILABLE, AWAY, SUPERVISOR, Queue
from chalicelib.domain.contact_center_messages import QueueFlush
from chalicelib.domain.contact_center_records import QUEUE_UPDATE_INTERVAL_S, QueueState
from chalicelib.domain.errors import Forbidden, ValidationError
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

    def stats(self, caller: Caller, queue_id: str, days: str | None = None) -> dict[str, Any]:
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
            "longest_wait_s": int(max((now - i.waiting_since() for i in waiting), default=0)),
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

    def publish(
        self,
        company_id: str,
        queue_ids: list[str],
        flush_seq: int | None = None,
        read: dict[str, QueueState | None] | None = None,
    ) -> None:
        """The queues' figures for ``queue.updated``, at most once per queue per
        ``QUEUE_UPDATE_INTERVAL_S``: a change within the interval arms one delayed
        flush (``queue_flush``) that publishes the state as it is then, so a burst is
        coalesced and the last state always arrives. Publishing is a conditional write
        of the queue's state item; the outbox turns it into the event. ``read``: states
        the handler read before its change (by queue; None: none stored), used only
        when they say a publication is due: that write is conditional on the state's
        ``seq``, so one that lost to a publication since reads it again. A state held
        back is read again, after the change, as the flush decision needs."""
        supervisors: list[str] | None = None
        for queue_id in sorted(set(queue_ids)):
            now = self._ctx.epoch()
            known = read is not None and queue_id in read
            state = read[queue_id] if read is not None and known else None
            if not known or (
                state is not None and now < state.published_at + QUEUE_UPDATE_INTERVAL_S
            ):
                # held back (or not read): decided on a read made after the change, so a
                # publication or flush since the handler's read is seen
                state = self._repo.queue_state(company_id, queue_id)
            if flush_seq is not None and (
                state is None or state.seq != flush_seq or not state.flush_due
            ):
                continue  # published since: that publication armed its own flush if needed
            seq = state.seq if state else 0
            due = state.published_at + QUEUE_UPDATE_INTERVAL_S if state else 0.0
            if flush_seq is not None or now >= due:
                if supervisors is None:
                    supervisors = [
                        a.agent_id
                        for a in self._repo.list_agents(company_id)
                        if a.role == SUPERVISOR
                    ]
                if not supervisors:
                    return
                queue = self._repo.get_queue(company_id, queue_id)
                if queue is None:
                    continue
                published = QueueState(
                    company_id,
                    queue_id,
                    published_at=now,
                    figures=self.figures(queue),
                    recipients=supervisors,
                )
                if self._repo.publish_queue_state(published, seq) or flush_seq is not None:
                    continue  # (a flush that lost: the publication that won holds as much)
                state = self._repo.queue_state(company_id, queue_id)  # another router won
                if state is None:
                    continue
                seq, due = state.seq, state.published_at + QUEUE_UPDATE_INTERVAL_S
            if state is not None and not state.flush_due:
                # the timer before the claim: a claim whose timer was never sent would
                # hold the flush back for good, while a timer whose claim lost finds no
                # flush due (or one published already) and does nothing
                self._ctx.timer(
                    QueueFlush(company_id, queue_id, seq), math.ceil(max(0.0, due - now))
                )
                self._repo.claim_queue_flush(company_id, queue_id, seq, due)
