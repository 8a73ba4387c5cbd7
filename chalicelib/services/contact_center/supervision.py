"""Supervisors' actions on live interactions (supervisors of the interaction's queue
and admins): list a queue's live interactions, monitor one (its transcript, then
live), write a private note to its agent, take it over, move it to a queue or offer
it to a named agent, and set an agent's routing status.

Every action is audited: a structured log line and an entry on the interaction's
timeline (who, what, when). A hand-over to another agent is one conditional
transaction (``ContactCenterRepository.hand_over``): the interaction's version and
the new agent's room are checked in the same write, so a move racing an agent's
reject or an offer's timeout ends with exactly one owner and no agent above a cap.
The hand-over's audit entry and the figures it changes are written in that same
transaction: they exist exactly when it happened. Who is a member of the
interaction's conversation then follows the interaction as stored
(``Context.follow_members``), so a move racing an accept leaves the conversation
with its one owner, whichever membership write lands last; the steps after the
write are safe to repeat and a retried take-over runs them again.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain.contact_center import (
    ACTIVE,
    OFFERED,
    WAITING,
    WRAP_UP,
    AgentProfile,
    Interaction,
)
from chalicelib.domain.contact_center_figures import (
    FiguresChange,
    answer_figures,
    answer_key,
    handling_figures,
)
from chalicelib.domain.contact_center_messages import OfferTimeout
from chalicelib.domain.contact_center_supervision import (
    AGENT_STATUS,
    BARGE,
    MONITOR,
    MONITOR_TTL_S,
    NOTE,
    TRANSCRIPT_LIMIT,
    TRANSFER,
    Monitor,
    TimelineEntry,
    iso,
    supervises,
)
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.domain.model import Page
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.commands import AddNote, TransferInteraction
from chalicelib.services.contact_center.common import RETRIES, Context, logger

if TYPE_CHECKING:
    from chalicelib.services.contact_center.agents import AgentService
    from chalicelib.services.contact_center.routing import RoutingService

LIVE = (WAITING, OFFERED, ACTIVE)  # what a supervisor may move or take over
WATCHED = (*LIVE, WRAP_UP)  # what a supervisor may monitor or write a note on
MAX_LIVE = 200  # interactions one page of a queue's live list holds


class SupervisionService:
    """What supervisors do to live interactions and agents (docs/contact-center.md,
    "Supervisors")."""

    def __init__(self, ctx: Context, routing: RoutingService, agents: AgentService) -> None:
        self._ctx = ctx
        self._repo = ctx.repo
        self._routing = routing
        self._agents = agents

    # -- who may ---------------------------------------------------------------------------

    def _supervises(self, caller: Caller, queue_id: str) -> bool:
        if caller.is_admin:
            return True
        return supervises(self._repo.get_agent(caller.user_id), caller.company_id, queue_id)

    def _supervised(self, caller: Caller, interaction_id: str, *states: str) -> Interaction:
        """An interaction of the caller's company (else 404) in a queue they supervise
        (else 403 ``supervisor_only``), in one of ``states`` (else 409)."""
        interaction = self._ctx.interaction_of(caller, interaction_id)
        if not self._supervises(caller, interaction.queue_id):
            raise Forbidden(
                "only supervisors of its queue and admins may do this", code="supervisor_only"
            )
        if interaction.state not in states:
            raise Conflict(f"the interaction is {interaction.state}", code="invalid_state")
        return interaction

    def _entry(
        self,
        caller: Caller,
        interaction: Interaction,
        kind: str,
        text: str = "",
        **detail: str,
    ) -> TimelineEntry:
        return TimelineEntry(
            interaction_id=interaction.interaction_id,
            entry_id=self._ctx.ids("tl_"),
            company_id=interaction.company_id,
            conversation_id=interaction.conversation_id,
            kind=kind,
            by=caller.user_id,
            at=self._ctx.epoch(),
            agent_id=interaction.agent_id,
            text=text,
            detail=detail,
        )

    def _audit(
        self, caller: Caller, interaction: Interaction, kind: str, text: str = "", **detail: str
    ) -> TimelineEntry:
        entry = self._entry(caller, interaction, kind, text, **detail)
        self._repo.add_timeline(entry)
        _log(entry)
        return entry

    # -- a queue's live interactions ------------------------------------------------------

    def live(
        self, caller: Caller, queue_id: str, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """Every interaction of the queue that has not ended, whoever holds it (an agent
        of the queue or not, a supervisor who took it over), longest in the queue
        first, ``MAX_LIVE`` a page. Reads: one Query of the queue's live index a page."""
        queue = self._ctx.queue(caller.company_id, queue_id)
        if not self._supervises(caller, queue_id):
            raise Forbidden("only supervisors of the queue and admins", code="supervisor_only")
        page = self._repo.live(caller.company_id, queue_id, MAX_LIVE, cursor)
        return Page([self._ctx.view(i, queue) for i in page.items], page.next_cursor)

    # -- monitoring ----------------------------------------------------------------------

    def monitor(
        self, caller: Caller, interaction_id: str, cursor: str | None = None
    ) -> dict[str, Any]:
        """Follow the interaction read-only for ``MONITOR_TTL_S`` (asked again to renew):
        the newest ``TRANSCRIPT_LIMIT`` texts of its transcript (oldest first) with
        ``messages_cursor`` to page back (given as ``cursor``: the page before), and its
        timeline now; its texts, notes and changes then come over the WebSocket while
        the monitor record lives."""
        interaction = self._supervised(caller, interaction_id, *WATCHED)
        now = self._ctx.epoch()
        watching = self._repo.monitors(interaction.conversation_id, now)
        self._repo.put_monitor(
            Monitor(
                interaction.conversation_id,
                caller.user_id,
                interaction.interaction_id,
                interaction.company_id,
                now + MONITOR_TTL_S,
                interaction.queue_id,
            )
        )
        if all(m.user_id != caller.user_id for m in watching):  # a renewal is not news
            self._audit(caller, interaction, MONITOR)
        page = self._ctx.conversations.list_messages(  # newest first, from its first text
            interaction.conversation_id,
            TRANSCRIPT_LIMIT,
            cursor,
            above_seq=max(0, interaction.first_seq - 1),
        )
        view = self._agents.get(caller, interaction_id)
        return {
            **view,
            "messages": [m.to_dict() for m in reversed(page.items)],
            "messages_cursor": page.next_cursor,
            "monitor_expires_at": iso(now + MONITOR_TTL_S),
        }

    def stop_monitoring(self, caller: Caller, interaction_id: str) -> None:
        interaction = self._ctx.interaction_of(caller, interaction_id)
        self._repo.end_monitor(interaction.conversation_id, caller.user_id)

    # -- private notes -------------------------------------------------------------------

    def note(self, caller: Caller, interaction_id: str, command: AddNote) -> dict[str, Any]:
        """A private note ("whisper") on the timeline: its agent and its monitors see it
        (``interaction.timeline``); it is never a message of the conversation, so the
        customer never gets it. Its agent may answer with a note too. With a
        ``client_id``, a retry returns the first note and posts nothing more."""
        interaction = self._ctx.interaction_of(caller, interaction_id)
        if interaction.agent_id != caller.user_id:
            interaction = self._supervised(caller, interaction_id, *WATCHED)
        if command.client_id is None:
            return self._audit(caller, interaction, NOTE, command.text).to_dict()
        entry = self._entry(caller, interaction, NOTE, command.text)
        stored = self._repo.add_note(entry, command.client_id)
        if stored.entry_id == entry.entry_id:  # a retry was logged the first time
            _log(stored)
        return stored.to_dict()

    # -- taking over -------------------------------------------------------------------

    def barge(self, caller: Caller, interaction_id: str) -> dict[str, Any]:
        """The supervisor becomes its agent (active at once). It uses one of their slots:
        they need a routing profile with a free slot (their status does not matter:
        a supervisor set away still takes over).

        The take-over, its audit entry and its figures are one write (the previous
        agent's handling up to now for an active one, else the answer), the answer
        marked counted in it; the members, search and the idle timer follow it, and
        a retry that finds the interaction theirs runs those again (``answered``)."""
        self._supervised(caller, interaction_id, *LIVE)  # 404 / 403 before "not an agent"
        me = self._ctx.agent_of(caller)
        for _ in range(RETRIES):
            interaction = self._supervised(caller, interaction_id, *LIVE)
            queue = self._ctx.queue(interaction.company_id, interaction.queue_id)
            if interaction.agent_id == me.agent_id:  # theirs already: active, or accept it
                if interaction.state == ACTIVE:  # the first try may have failed after
                    self._routing.answered(interaction, queue)  # its write: these again
                    return self._ctx.view(interaction)
                return self._agents.accept(caller, interaction_id)
            now = self._ctx.epoch()
            was_active = interaction.state == ACTIVE
            after = replace(
                interaction,
                state=ACTIVE,
                agent_id=me.agent_id,
                idle=False,
                # the take-over's time: reports count the previous agent's handling
                # up to here and the supervisor's from here
                answered_at=now,
                offered_at=now,
            )
            # answered once, handled once: taking over an active one adds the previous
            # agent's handling time (handled when it ends: the time adds up), and its
            # answer key is marked so that the supervisor's is not a second answer
            counted = (
                handling_figures(interaction, now, handled=0)
                if was_active
                else answer_figures(after, queue)
            )
            entry = replace(
                self._entry(caller, after, BARGE, previous=interaction.agent_id or ""), at=now
            )
            outcome = self._hand_over(
                interaction,
                after,
                available=False,
                now=now,
                entry=entry,
                figures=self._figures(after, now, counted, answer_key(after)),
            )
            if outcome == "refused":
                raise Conflict("you have no free slot", code="agent_at_capacity")
            if outcome == "handed":
                _log(entry)
                if was_active:  # search keeps what the previous agent handled
                    self._ctx.handled.left(interaction)
                self._routing.answered(after, queue)
                return self._ctx.view(after)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    def _figures(
        self, after: Interaction, now: float, increments: dict[str, float], once_key: str = ""
    ) -> FiguresChange:
        day = self._ctx.day(now)
        return FiguresChange(after.company_id, after.queue_id, day, increments, once_key)

    def _hand_over(
        self,
        before: Interaction,
        after: Interaction,
        *,
        available: bool,
        now: float,
        entry: TimelineEntry,
        figures: FiguresChange | None = None,
    ) -> str:
        """The repository's hand-over, the previous agent's slot freed, the audit entry
        and the figures written in the same transaction; after it, the previous
        agent's queues are routed again (a slot freed)."""
        counted = 1 if before.counts_toward_capacity() else 0
        held = 1 if before.agent_id else 0
        outcome = self._repo.hand_over(
            before,
            after,
            available=available,
            assigned_at=now,
            from_load=-counted,
            from_total=-held,
            entry=entry,
            figures=figures,
        )
        if outcome == "handed" and before.agent_id:
            previous = self._repo.get_agent(before.agent_id)
            self._ctx.route_later(before.company_id, previous.queues if previous else [])
        return outcome

    # -- moving: to a queue, or offered to a named agent ---------------------------------

    def transfer(
        self, caller: Caller, interaction_id: str, command: TransferInteraction
    ) -> dict[str, Any]:
        """Its agent (while active), a supervisor of its queue or an admin moves it: to
        a queue (back to waiting there), or offered to a named agent of the company
        (409 ``agent_unavailable`` unless available with a free slot, in the write
        itself); declined or not answered in the queue's offer time, it goes back to
        its queue as any offer does."""
        interaction = self._ctx.interaction_of(caller, interaction_id)
        mine = interaction.agent_id == caller.user_id and interaction.state == ACTIVE
        if not mine and not self._supervises(caller, interaction.queue_id):
            if interaction.agent_id == caller.user_id:
                raise Conflict(f"the interaction is {interaction.state}", code="invalid_state")
            raise Forbidden("this interaction is not yours", code="not_your_interaction")
        if command.agent_id is not None:
            return self._offer_to(caller, interaction_id, command.agent_id, mine)
        queue_id = str(command.queue_id)
        if mine:
            view = self._agents.transfer(caller, interaction_id, queue_id)
        else:
            view = self._to_queue(caller, interaction_id, queue_id)
        self._audit(caller, interaction, TRANSFER, queue_id=queue_id)
        return view

    def _to_queue(self, caller: Caller, interaction_id: str, queue_id: str) -> dict[str, Any]:
        self._ctx.queue(caller.company_id, queue_id)
        for _ in range(RETRIES):
            interaction = self._supervised(caller, interaction_id, *LIVE)
            if interaction.state == WAITING and interaction.queue_id == queue_id:
                return self._ctx.view(interaction)  # there already
            if self._routing.release(interaction, "transfer", queue_id=queue_id):
                stored = self._repo.get_interaction(interaction_id)
                return self._ctx.view(stored or interaction)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    def _target(self, caller: Caller, agent_id: str) -> AgentProfile:
        target = self._repo.get_agent(agent_id)
        if target is None or target.company_id != caller.company_id:
            raise NotFound("no such agent", code="agent_not_found")
        return target

    def _offer_to(
        self, caller: Caller, interaction_id: str, agent_id: str, mine: bool
    ) -> dict[str, Any]:
        target = self._target(caller, agent_id)
        for _ in range(RETRIES):
            interaction = self._ctx.interaction_of(caller, interaction_id)
            if not mine:
                interaction = self._supervised(caller, interaction_id, *LIVE)
            elif interaction.state != ACTIVE or interaction.agent_id != caller.user_id:
                raise Conflict(f"the interaction is {interaction.state}", code="invalid_state")
            queue = self._ctx.queue(interaction.company_id, interaction.queue_id)
            now = self._ctx.epoch()
            if interaction.agent_id == target.agent_id and interaction.state == OFFERED:
                # a repeated move (the first may have failed after its write): the
                # offer's timer (a twin finds it answered or back) and the members
                expires = (
                    interaction.offer_expires_at or interaction.offered_at + queue.offer_timeout_s
                )
                left = max(1, math.ceil(expires - now))
                self._ctx.timer(OfferTimeout(interaction_id, interaction.offer_no), left)
                self._ctx.follow_members(interaction_id)
                return self._ctx.view(interaction, queue)
            if interaction.agent_id == target.agent_id:
                raise Conflict("it is theirs already", code="invalid_state")
            was_active = interaction.state == ACTIVE
            after = replace(
                interaction,
                state=OFFERED,
                agent_id=target.agent_id,
                idle=False,
                offer_no=interaction.offer_no + 1,
                offered_at=now,
                offer_expires_at=now + queue.offer_timeout_s,
                # an answered one starts a new wait now (as a transfer to a queue does)
                wait_started_at=now if was_active else interaction.waiting_since(),
                answered_at=0.0 if was_active else interaction.answered_at,
                last_agent_id=None,
            )
            # an active one: its handling ends here, counted handled (the new agent's
            # accept is a new answer, as after a transfer to a queue), and a new wait
            # starts in its queue (offered)
            moved = {**handling_figures(interaction, now, handled=1), "offered": 1}
            entry = replace(
                self._entry(caller, interaction, TRANSFER, agent_id=target.agent_id), at=now
            )
            outcome = self._hand_over(
                interaction,
                after,
                available=True,
                now=now,
                entry=entry,
                figures=self._figures(after, now, moved) if was_active else None,
            )
            if outcome == "refused":
                raise Conflict(
                    "that agent is not available or has no free slot", code="agent_unavailable"
                )
            if outcome != "handed":
                continue
            _log(entry)
            self._ctx.timer(
                OfferTimeout(after.interaction_id, after.offer_no), queue.offer_timeout_s
            )
            if was_active:  # the previous agent leaves the conversation
                self._ctx.follow_members(after.interaction_id)
                self._ctx.handled.left(interaction)
            return self._ctx.view(after, queue)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    # -- an agent's status ----------------------------------------------------------------

    def set_agent_status(self, caller: Caller, user_id: str, status: str) -> dict[str, Any]:
        """A supervisor of one of the agent's queues (or an admin) sets their routing
        status; their interactions follow the rules of the agent's own change."""
        agent = self._target(caller, user_id)
        if not caller.is_admin:
            me = self._repo.get_agent(caller.user_id)
            if not any(supervises(me, caller.company_id, q) for q in agent.queues):
                raise Forbidden(
                    "only supervisors of the agent's queues and admins", code="supervisor_only"
                )
        if status not in ("available", "away", "offline"):  # the edge refuses any other
            raise ValidationError("status is not valid", code="invalid_status")
        updated, moved = self._agents.apply_status(agent, status)
        for interaction in moved:
            self._audit(caller, interaction, AGENT_STATUS, agent_id=user_id, status=status)
        logger.info(
            "supervision",
            extra={
                "audit": AGENT_STATUS,
                "by": caller.user_id,
                "agent_id": user_id,
                "status": status,
            },
        )
        return updated.to_dict()


def _log(entry: TimelineEntry) -> None:
    logger.info(
        "supervision",
        extra={
            "audit": entry.kind,
            "by": entry.by,
            "company_id": entry.company_id,
            "interaction_id": entry.interaction_id,
            **entry.detail,
        },
    )
