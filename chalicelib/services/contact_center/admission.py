"""Admission to a queue and the wait: a new interaction is admitted (or overflows, or
is turned away when its queue is full), the customer is told (closed hours, position
and estimated wait), and while it waits a timer re-triggers routing, applies a due
overflow and ends it as abandoned once the customer has been quiet too long.

All of it runs from the routing queue (``admit`` and ``waiting_check`` messages),
never in the webhook; every write is conditional on the version read."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.contact_center import (
    ABANDONED,
    AVAILABLE,
    ENDED,
    MAX_WAITING_LIMIT,
    QUEUE_FULL,
    WAITING,
    Interaction,
    Queue,
    beyond_cap,
    estimate_wait_s,
    queue_position,
    waiting_check_delay,
)
from chalicelib.domain.contact_center_config import is_open
from chalicelib.domain.contact_center_messages import WaitingCheck
from chalicelib.domain.contact_center_reads import AdmissionLookup
from chalicelib.domain.contact_center_records import average_handle_s, fill_template
from chalicelib.services.contact_center.common import (
    NOTHING_TOUCHED,
    RETRIES,
    Context,
    QueueStates,
    Touched,
    logger,
    touched,
)
from chalicelib.services.contact_center.records import RecordService
from chalicelib.services.contact_center.replies import AutoReplies
from chalicelib.services.contact_center.routing import RoutingService

POSITION_COUNTED = 500  # the position told to a customer reads at most this many


class AdmissionService:
    """Admits new interactions to their queue and watches them while they wait."""

    def __init__(
        self, ctx: Context, routing: RoutingService, records: RecordService, replies: AutoReplies
    ) -> None:
        self._ctx = ctx
        self._repo = ctx.repo
        self._routing = routing
        self._records = records
        self._replies = replies

    def admit(
        self, interaction_id: str, company_id: str | None = None, queue_id: str | None = None
    ) -> tuple[Touched, QueueStates]:
        """A new interaction: turned away or moved on when its queue is full, else the
        customer is told (closed hours or position) and routing runs; a wait that goes
        on (not offered by that pass) is watched from here (``waiting_check``). Returns
        the queues whose figures changed, and the queue states read on the way.

        With the queue it was opened in (``company_id``, ``queue_id``), the interaction,
        that queue and its state are one read."""
        if company_id and queue_id:
            read = self._repo.admission_lookup(interaction_id, company_id, queue_id)
        else:  # an admit queued before it carried its queue
            read = AdmissionLookup(self._repo.get_interaction(interaction_id))
        interaction = read.interaction
        states: QueueStates = {}
        if interaction is not None and read.queue is not None:
            states[(read.queue.company_id, read.queue.queue_id)] = read.state
        if interaction is not None and interaction.disposition == QUEUE_FULL:
            self._records.refile(interaction)  # a redelivery after a failed filing
        if interaction is None or interaction.state not in (WAITING, ENDED):
            return NOTHING_TOUCHED, states  # already offered: nothing to tell
        queue = read.queue
        if queue is None or (queue.company_id, queue.queue_id) != (
            interaction.company_id,
            interaction.queue_id,
        ):
            queue = self._repo.get_queue(interaction.company_id, interaction.queue_id)
        if queue is None:
            return NOTHING_TOUCHED, states
        if interaction.state == ENDED:  # a repeated admit: finish telling a turned-away one
            if interaction.disposition == QUEUE_FULL:
                self._replies.send(interaction, "full", queue.full_message)
            return NOTHING_TOUCHED, states
        now = self._ctx.epoch()
        if queue.max_waiting > 0:
            waiting = self._repo.waiting(
                queue.company_id, queue.queue_id, min(queue.max_waiting, MAX_WAITING_LIMIT) + 1
            )
            if beyond_cap(interaction_id, waiting, queue):
                return self._full(interaction, queue), states
        if not is_open(queue.hours, queue.timezone, now) and queue.closed_message:
            self._replies.send(interaction, "closed", queue.closed_message)
        elif queue.entry_message:
            self._replies.send(interaction, "entry", self._entry(interaction, queue, now))
        return self._route_and_watch(interaction, queue), states

    def _route_and_watch(self, interaction: Interaction, queue: Queue) -> Touched:
        """Route its queue; unless that offered it, its waiting check is armed."""
        routed, offered = self._routing.route_offering(
            interaction.company_id, [interaction.queue_id], queue
        )
        if interaction.interaction_id not in offered:
            self._watch(interaction, queue)
        return routed

    def _entry(self, interaction: Interaction, queue: Queue, now: float) -> str:
        waiting = self._repo.waiting(queue.company_id, queue.queue_id, POSITION_COUNTED)
        position = queue_position(interaction.interaction_id, waiting)
        agents = self._repo.get_agents(self._repo.agents_of_queue(queue.company_id, queue.queue_id))
        slots = sum(a.max_concurrent for a in agents.values() if a.status == AVAILABLE)
        days = [self._ctx.day(now - 86400 * n) for n in range(7)]
        handle = average_handle_s(self._repo.figures(queue.company_id, queue.queue_id, days))
        wait = estimate_wait_s(position, handle, slots)
        return fill_template(
            queue.entry_message,
            {"position": position, "wait_minutes": max(1, round(wait / 60))},
        )

    def _full(self, interaction: Interaction, queue: Queue) -> Touched:
        """Over the cap: to the overflow queue when there is one, else the customer is
        told and the interaction ends (its text is kept: transcript, case, history)."""
        target = queue.overflow_queue_id
        moves = bool(target) and target != queue.queue_id
        overflow = self._repo.get_queue(queue.company_id, str(target)) if moves else None
        if overflow is not None:
            return self._overflow(interaction, queue, overflow)
        # the conditional end first: if another router offered it meanwhile, an agent
        # has it and the customer must not be told the queue is full
        if not self.end_unanswered(interaction, QUEUE_FULL):
            return NOTHING_TOUCHED
        self._repo.add_figures(queue.company_id, queue.queue_id, self._ctx.day(), turned_away=1)
        self._replies.send(interaction, "full", queue.full_message)
        return touched(queue.company_id, [queue.queue_id])

    def _overflow(self, interaction: Interaction, queue: Queue, overflow: Queue) -> Touched:
        """To the overflow queue. A move that lost its race to the customer's next text
        is read again and retried while it still waits in the full queue; one that
        keeps losing is watched there (the waiting check), never left unwatched."""
        for _ in range(RETRIES):
            moved = replace(interaction, queue_id=overflow.queue_id, overflowed=True)
            if self._repo.transition(interaction, moved):
                logger.info(
                    "queue full: overflowed",
                    extra={
                        "interaction_id": interaction.interaction_id,
                        "queue_id": moved.queue_id,
                    },
                )
                self._routing.count_moved_in(moved, interaction.queue_id)
                return self._route_and_watch(moved, overflow)
            fresh = self._repo.get_interaction(interaction.interaction_id)
            if fresh is None or fresh.state != WAITING or fresh.queue_id != queue.queue_id:
                return NOTHING_TOUCHED  # offered, ended or moved meanwhile: watched there
            interaction = fresh
        self._watch(interaction, queue)
        return NOTHING_TOUCHED

    def _watch(self, interaction: Interaction, queue: Queue) -> None:
        """Admit's waiting check, one chain per wait: an interaction offered since (a
        redelivered ``admit``) is watched by the release that sent it back, and a
        marker per (interaction, offer), written once the timer is sent, stops a
        redelivered ``admit`` arming a second chain. The timer goes first: an
        ``admit`` cut off between the two is redelivered and arms it again (at worst
        a second chain, never none)."""
        if interaction.offer_no > 0:
            return
        if self._repo.waiting_check_armed(interaction.interaction_id, interaction.offer_no):
            return
        self._routing.arm_waiting_check(interaction, queue)
        self._repo.claim_waiting_check(interaction.interaction_id, interaction.offer_no)

    def end_unanswered(self, interaction: Interaction, disposition: str) -> bool:
        """Waiting → ended with no agent: the transcript is filed to a case of the
        customer and the record lists it, as for an interaction an agent ended. A
        write that lost its race (the customer's next text) is read again and retried
        while the end still applies. True when it ended (its queue's figures changed)."""
        for _ in range(RETRIES):
            ended = self._records.end(interaction, replace(interaction, disposition=disposition))
            if ended is not None:
                logger.info(
                    "ended unanswered",
                    extra={"interaction_id": ended.interaction_id, "disposition": disposition},
                )
                return True
            fresh = self._repo.get_interaction(interaction.interaction_id)
            if fresh is None or not self._still_ends(interaction, fresh, disposition):
                return False
            interaction = fresh
        return False

    def _still_ends(self, before: Interaction, fresh: Interaction, disposition: str) -> bool:
        """Still waiting in the same queue; an abandoned one still quiet (a full queue's
        customer has been told: their next text does not undo it)."""
        if fresh.state != WAITING or fresh.queue_id != before.queue_id:
            return False
        if disposition != ABANDONED:
            return True
        queue = self._repo.get_queue(fresh.company_id, fresh.queue_id)
        return queue is not None and fresh.abandoned(queue, self._ctx.epoch())

    def waiting_check(self, interaction_id: str, offer_no: int | None = None) -> Touched:
        """While it waits: abandoned when the customer has been quiet too long; else
        route again (a lost trigger, a due overflow, an agent who declined may be
        offered again) and check again later. One chain per wait: a check armed before
        a later offer (``offer_no``) stops, the release that ended that offer arms its own.
        Returns the queues whose figures changed."""
        for _ in range(RETRIES):
            interaction = self._repo.get_interaction(interaction_id)
            if interaction is not None and interaction.disposition == ABANDONED:
                self._records.refile(interaction)  # a redelivery after a failed filing
            if interaction is None or interaction.state != WAITING:
                return NOTHING_TOUCHED
            if offer_no is not None and interaction.offer_no != offer_no:
                return NOTHING_TOUCHED
            queue = self._repo.get_queue(interaction.company_id, interaction.queue_id)
            if queue is None:
                return NOTHING_TOUCHED
            if not interaction.abandoned(queue, self._ctx.epoch()):
                break
            if self.end_unanswered(interaction, ABANDONED):
                self._repo.add_figures(
                    interaction.company_id, interaction.queue_id, self._ctx.day(), abandoned=1
                )
                return touched(interaction.company_id, [interaction.queue_id])
        # not abandoned, or every end lost its race: route, and the chain goes on
        assert interaction is not None and queue is not None  # else the loop returned
        routed = self._routing.route(interaction.company_id, [interaction.queue_id], queue)
        again = self._repo.get_interaction(interaction_id)
        if again is not None and again.state == WAITING:
            self._ctx.timer(
                WaitingCheck(interaction_id, again.offer_no),
                waiting_check_delay(queue, again, self._ctx.epoch()),
            )
        return routed
