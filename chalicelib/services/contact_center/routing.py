"""Routing: inbound texts become waiting interactions; waiting interactions are
offered to agents; offers time out; quiet threads free their slot.

Every step runs from the routing queue (never inside the webhook or a REST
request) and every assignment is a conditional write, so any number of routers
may run at once: a router that loses a race reads again and retries.
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.contact_center import (
    ACTIVE,
    ENDED,
    OFFERED,
    WAITING,
    AgentProfile,
    Interaction,
    Queue,
    choose_agent,
    should_overflow,
    waiting_check_delay,
    waiting_order,
)
from chalicelib.domain.contact_center_figures import answer_figures, answer_key
from chalicelib.domain.contact_center_messages import Admit, IdleCheck, OfferTimeout, WaitingCheck
from chalicelib.domain.contact_center_reads import ChannelText
from chalicelib.domain.errors import ConcurrentUpdate, Conflict
from chalicelib.domain.model import BusinessNumber, Conversation, Message
from chalicelib.services.contact_center.common import (
    CUSTOMER_EXISTS,
    QUEUE_GONE,
    RETRIES,
    Context,
    Touched,
    logger,
    touched,
)
from chalicelib.services.contact_center.records import RecordService

HEAD_DEPTH = 5  # waiting interactions read per queue per round
MAX_ROUNDS = 500  # assignments (and lost races) per routing message
# releases after which that agent is skipped for the offer timeout (not a transfer,
# nor an agent going away or offline)
SKIPPING_REASONS = ("rejected", "timeout")


class RoutingService:
    """Puts customers in queues and offers them to agents (docs/contact-center.md)."""

    def __init__(self, ctx: Context, records: RecordService) -> None:
        self._ctx = ctx
        self._repo = ctx.repo
        self._records = records

    # -- an inbound text to a channel ------------------------------------------------------

    def channel(self, number: BusinessNumber, phone: str) -> ChannelText | None:
        """Whether ``number`` is a channel; if so, what a text from ``phone`` needs
        (read at once: the channel, the customer's open interaction, their record)."""
        return self._repo.channel_text(number.e164, number.company_id, phone)

    def on_inbound(
        self, text: ChannelText, conversation: Conversation, message: Message
    ) -> str | None:
        """The customer's text is stored: join their open interaction, or open one
        and have it admitted to its queue (by the routing queue: the customer is told
        from there, through the message log). Safe to repeat (a provider retry).
        Returns None: nothing goes back in the webhook's own reply.

        The channel's read found the open interaction's marker and the customer's
        record; a new interaction is one write with the record of a new customer and
        the queue's ``offered`` figure, then its ``admit`` is queued."""
        now = self._ctx.epoch()
        channel, phone = text.channel, conversation.external_number
        opened = text.open_interaction_id
        current = self._repo.get_interaction(opened) if opened else None
        if current is not None and self._join(current, message, now):
            return None
        # (the record was looked up in the number's company; were it not the channel's,
        # the id would name no record of the channel's company, and the create below
        # would find the phone taken there and read it again)
        known: ChannelText | None = text
        for _ in range(RETRIES):
            customer, new = self._records.customer_of_text(channel.company_id, phone, known)
            last = [] if new else self._repo.history(customer.customer_id, 1)
            interaction = Interaction.opened(
                self._ctx.ids("ix_"),
                channel,
                customer,
                conversation.conversation_id,
                created_at=self._ctx.clock(),
                now=now,
                first_seq=message.seq,
                last_agent_id=(last[0].get("agent_id") if last else None),
            )
            try:
                stored, created = self._repo.create_interaction(
                    interaction,
                    new_customer=customer if new else None,
                    offered_day=self._ctx.day(interaction.arrived_at),
                )
            except Conflict as conflict:
                if conflict.code == QUEUE_GONE:  # the text is kept; it opens nothing
                    logger.warning("a channel's queue is gone", extra={"channel": channel.e164})
                    return None
                if conflict.code != CUSTOMER_EXISTS:
                    raise
                known = None  # another text made the record meanwhile: read it by phone
                continue
            if created:
                self._admit_later(stored)
            else:
                self._ctx.route_later(stored.company_id, [stored.queue_id])
            return None
        raise ConcurrentUpdate("the customer's record keeps changing; try again")

    def _join(self, current: Interaction, message: Message, now: float) -> bool:
        """The text joins the customer's open interaction. False when that ended
        meanwhile (abandoned, turned away): the text then opens a new one."""
        if current.state == ENDED:
            return False
        if current.state in (ACTIVE, WAITING) and not self.customer_wrote(
            current.interaction_id, now
        ):
            return False
        if current.state == WAITING:
            if message.seq == current.first_seq:
                # a provider retry of the text that opened it: the first attempt may
                # have failed after the create, before its admission was queued
                self._admit_later(current)
            else:
                self._ctx.route_later(current.company_id, [current.queue_id])
        return True

    def _admit_later(self, interaction: Interaction) -> None:
        """A new interaction's follow-up, redone by a provider retry: ``admit`` (it is
        idempotent). Its ``offered`` was counted with the create; ``admit`` arms the
        waiting check if the wait goes on (an interaction offered at once needs none)."""
        self._ctx.routing.enqueue(
            Admit(interaction.interaction_id, interaction.company_id, interaction.queue_id)
        )

    def arm_waiting_check(self, interaction: Interaction, queue: Queue) -> None:
        """The next check of a wait: a minute, or sooner when an overflow or the end
        of an agent's skip is due (the only agent who declined gets it then)."""
        self._ctx.timer(
            WaitingCheck(interaction.interaction_id, interaction.offer_no),
            waiting_check_delay(queue, interaction, self._ctx.epoch()),
        )

    # -- routing -----------------------------------------------------------------------------

    def route(self, company_id: str, queue_ids: list[str], known: Queue | None = None) -> Touched:
        """``route_offering``, returning only the queues asked for."""
        return self.route_offering(company_id, queue_ids, known)[0]

    def route_offering(
        self, company_id: str, queue_ids: list[str], known: Queue | None = None
    ) -> tuple[Touched, frozenset[str]]:
        """Offer waiting interactions of these queues (and of every queue their agents
        serve, so priorities across queues hold) until no agent can take one.
        ``known``: one of the queues, read already by the caller. Returns the queues
        asked for (their figures are published again) and the interactions offered.

        After an offer the next round decides on what it read, with the offer applied
        (the agent's load, the head taken): whatever changed meanwhile makes a
        conditional write fail, and only then, or when a queue may hold more waiting
        than it read, are the agents and the heads read again."""
        now = self._ctx.epoch()
        queues: dict[str, Queue] = {}
        for queue_id in queue_ids:
            same = known is not None and known.queue_id == queue_id
            queue = known if same else self._repo.get_queue(company_id, queue_id)
            if queue is not None:
                queues[queue_id] = queue
        agent_ids = sorted({a for q in queues for a in self._repo.agents_of_queue(company_id, q)})
        agents = self._repo.get_agents(agent_ids)
        for agent in agents.values():
            for queue_id in agent.queues:
                if queue_id not in queues:
                    queue = self._repo.get_queue(company_id, queue_id)
                    if queue is not None:
                        queues[queue_id] = queue
        heads: list[tuple[Interaction, Queue]] | None = None
        offers: set[str] = set()
        for _ in range(MAX_ROUNDS):
            if heads is None:
                heads, complete = self._heads(company_id, queues)
            outcome, offered, chosen = self._route_one(heads, list(agents.values()), now)
            if outcome == "done":
                break
            if offered is not None:
                offers.add(offered.interaction_id)
            if outcome == "offered" and complete and offered is not None and chosen is not None:
                heads = [h for h in heads if h[0].interaction_id != offered.interaction_id]
                agents[chosen.agent_id] = replace(
                    chosen, load=chosen.load + 1, total=chosen.total + 1, last_assigned_at=now
                )
                continue
            heads = None
            agents = self._repo.get_agents(agent_ids)
        return touched(company_id, queue_ids), frozenset(offers)

    def _heads(
        self, company_id: str, queues: dict[str, Queue]
    ) -> tuple[list[tuple[Interaction, Queue]], bool]:
        """The first waiting interactions of each queue in routing order, and whether
        that is every waiting one (no queue had more than ``HEAD_DEPTH`` to show)."""
        heads: list[tuple[Interaction, Queue]] = []
        complete = True
        for queue in queues.values():
            waiting = self._repo.waiting(company_id, queue.queue_id, HEAD_DEPTH)
            complete = complete and len(waiting) < HEAD_DEPTH
            heads += [(interaction, queue) for interaction in waiting]
        heads.sort(key=lambda pair: waiting_order(*pair))
        return heads, complete

    def _route_one(
        self, heads: list[tuple[Interaction, Queue]], agents: list[AgentProfile], now: float
    ) -> tuple[str, Interaction | None, AgentProfile | None]:
        """One step: an overflow applied (``changed``), an offer made (``offered``, with
        the interaction and the agent as read) or lost to a race (``raced``), or no
        head any agent can take (``done``)."""
        for interaction, queue in heads:
            if should_overflow(interaction, queue, now):
                self._overflow(interaction, queue)
                return "changed", None, None
            agent = choose_agent(interaction, queue, agents, now)
            if agent is None:
                continue
            if self._offer(interaction, queue, agent, now):
                return "offered", interaction, agent
            return "raced", None, None
        return "done", None, None

    def _offer(
        self, interaction: Interaction, queue: Queue, agent: AgentProfile, now: float
    ) -> bool:
        state = ACTIVE if queue.auto_accept else OFFERED
        after = replace(
            interaction,
            state=state,
            agent_id=agent.agent_id,
            offer_no=interaction.offer_no + 1,
            offered_at=now,
            offer_expires_at=now + queue.offer_timeout_s,
            answered_at=now if state == ACTIVE else interaction.answered_at,
        )
        if not self._repo.transition(
            interaction,
            after,
            agent_id=agent.agent_id,
            load=1,
            total=1,
            require_room=True,
            assigned_at=now,
        ):
            return False
        logger.info(
            "offered",
            extra={
                "interaction_id": after.interaction_id,
                "agent_id": agent.agent_id,
                "queue_id": queue.queue_id,
                "company_id": after.company_id,
            },
        )
        if state == ACTIVE:
            self.answered(after, queue)
        else:
            self._ctx.timer(
                OfferTimeout(after.interaction_id, after.offer_no), queue.offer_timeout_s
            )
        return True

    def _overflow(self, interaction: Interaction, queue: Queue) -> None:
        target = queue.overflow_queue_id
        moved = bool(target) and self._repo.get_queue(interaction.company_id, str(target))
        after = replace(
            interaction,
            overflowed=True,
            queue_id=str(target) if moved else interaction.queue_id,
        )
        if self._repo.transition(interaction, after) and moved:
            self.count_moved_in(after, interaction.queue_id)
            self._ctx.route_later(after.company_id, [after.queue_id])

    def count_moved_in(self, interaction: Interaction, moved_from: str | None = None) -> None:
        """A new wait in its queue (a transfer, a requeue, an overflow move): ``offered``
        there; a wait that moved on from another queue is ``moved_out`` there."""
        day = self._ctx.day(self._ctx.epoch())
        self._repo.add_figures(interaction.company_id, interaction.queue_id, day, offered=1)
        if moved_from is not None:
            self._repo.add_figures(interaction.company_id, moved_from, day, moved_out=1)

    def answered(self, interaction: Interaction, queue: Queue) -> None:
        """An agent has it (an accept, an auto-accepted offer, a take-over), as stored:
        their devices get the conversation, search notes it, the day's figures count
        the answer and the idle timer is armed. Every step is safe to repeat, so a
        retried accept or take-over runs them all again: the members follow the
        interaction, and the answer counts once (``answer_key``; a take-over's write
        marks it counted itself)."""
        self._ctx.follow_members(interaction.interaction_id)
        self._ctx.handled.answered(interaction)
        self._repo.add_figures_once(
            answer_key(interaction),
            interaction.company_id,
            interaction.queue_id,
            self._ctx.day(interaction.answered_at),
            **answer_figures(interaction, queue),
        )
        self._arm_idle(interaction, queue)

    def _arm_idle(self, interaction: Interaction, queue: Queue) -> None:
        if queue.idle_after_s > 0 and interaction.direction == "inbound":
            self._ctx.timer(
                IdleCheck(interaction.interaction_id),
                queue.idle_after_s - (self._ctx.epoch() - interaction.last_customer_at),
            )

    # -- giving an offer (or an active thread) back to its queue ------------------------------

    def release(self, interaction: Interaction, reason: str, queue_id: str | None = None) -> bool:
        """Offered or active → waiting (reject, timeout, transfer, agent leaves). The
        agent's slot frees in the same write; a declined offer keeps its place. Only a
        reject or a timed-out offer skips that agent (for the queue's offer timeout,
        so it goes to the next agent first); a timer routes it again when that ends."""
        agent_id, before_queue = interaction.agent_id, interaction.queue_id
        now = self._ctx.epoch()
        moved = queue_id is not None and queue_id != interaction.queue_id
        skipped = {agent_id: now} if agent_id and reason in SKIPPING_REASONS else {}
        # an answered one (transfer, its agent went offline) or one moved to another
        # queue starts a new wait; a declined or timed-out offer (or an agent going
        # away) goes on with its wait
        new_wait = interaction.state == ACTIVE or moved
        after = replace(
            interaction,
            state=WAITING,
            agent_id=None,
            idle=False,
            overflowed=interaction.overflowed and not moved,  # a new queue's own rule
            queue_id=queue_id or interaction.queue_id,
            enqueued_at=now if moved else interaction.enqueued_at,
            wait_started_at=now if new_wait else interaction.waiting_since(),
            answered_at=0.0 if new_wait else interaction.answered_at,
            rejected={**interaction.rejected, **skipped},
            last_agent_id=None if reason == "transfer" else interaction.last_agent_id,
            released=reason,
        )
        counted = 1 if interaction.counts_toward_capacity() else 0
        if not self._repo.transition(
            interaction, after, agent_id=agent_id, load=-counted, total=-1
        ):
            return False
        if interaction.state == ACTIVE:
            self._ctx.follow_members(interaction.interaction_id)
            self._ctx.handled.left(interaction)
        queue = self._repo.get_queue(after.company_id, after.queue_id)
        if queue is not None:  # back to waiting: the wait is watched again
            self.arm_waiting_check(after, queue)
        if reason == "timeout":
            self._repo.add_figures(
                interaction.company_id, interaction.queue_id, self._ctx.day(now), timed_out=1
            )
        if new_wait:  # its handling in the queue it was answered from ends here
            if interaction.answered_at:
                self._repo.add_figures(
                    interaction.company_id,
                    interaction.queue_id,
                    self._ctx.day(now),
                    handled=1,
                    handle_total_s=round(now - interaction.answered_at, 3),
                )
            self.count_moved_in(after, None if interaction.state == ACTIVE else before_queue)
        logger.info(
            "released",
            extra={"interaction_id": after.interaction_id, "agent_id": agent_id, "reason": reason},
        )
        queues = [after.queue_id]
        if agent_id:
            agent = self._repo.get_agent(agent_id)
            queues += agent.queues if agent else []
        self._ctx.route_later(after.company_id, queues)
        return True

    # -- timers ----------------------------------------------------------------------------------

    def offer_timeout(self, interaction_id: str, offer_no: int) -> bool:
        for _ in range(RETRIES):
            interaction = self._repo.get_interaction(interaction_id)
            if interaction is None or interaction.state != OFFERED:
                return False
            if interaction.offer_no != offer_no:
                return False  # a later offer has its own timer
            if self.release(interaction, "timeout"):
                return True
        return False

    def idle_check(self, interaction_id: str) -> bool:
        """A customer quiet for the queue's idle time stops holding the agent's slot."""
        for _ in range(RETRIES):
            interaction = self._repo.get_interaction(interaction_id)
            if interaction is None or interaction.state != ACTIVE or interaction.idle:
                return False
            queue = self._repo.get_queue(interaction.company_id, interaction.queue_id)
            if queue is None:
                return False
            if not interaction.is_idle(queue, self._ctx.epoch()):
                self._arm_idle(interaction, queue)  # they wrote since: check again later
                return False
            after = replace(interaction, idle=True)
            if self._repo.transition(interaction, after, agent_id=after.agent_id, load=-1):
                agent = self._repo.get_agent(str(after.agent_id))
                self._ctx.route_later(after.company_id, agent.queues if agent else [])
                return True
        return False

    def customer_wrote(self, interaction_id: str, now: float) -> bool:
        """The customer wrote again. Active: an idle thread uses a slot again (within
        the hard cap, as it never stopped counting toward the total). Waiting: they
        are not quiet (the abandon time counts from their last text). False when it
        has ended (or is gone): the text belongs to no open interaction."""
        for _ in range(RETRIES):
            interaction = self._repo.get_interaction(interaction_id)
            if interaction is None or interaction.state == ENDED:
                return False
            if interaction.state not in (ACTIVE, WAITING):
                return True
            after = replace(interaction, idle=False, last_customer_at=now)
            back = 1 if interaction.idle else 0
            if self._repo.transition(
                interaction, after, agent_id=after.agent_id if back else None, load=back
            ):
                queue = self._repo.get_queue(after.company_id, after.queue_id) if back else None
                if queue is not None:
                    self._arm_idle(after, queue)
                return True
        return True
