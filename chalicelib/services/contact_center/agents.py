"""What an agent does: set their status, see their interactions, accept, reject,
end (wrap-up, transcript, case), transfer, and start an outbound text."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain import phone as phones
from chalicelib.domain.contact_center import (
    ACTIVE,
    AVAILABLE,
    ENDED,
    OFFERED,
    OFFLINE,
    WRAP_UP,
    AgentProfile,
    Interaction,
    check_transition,
)
from chalicelib.domain.contact_center_figures import end_key, handling_figures
from chalicelib.domain.contact_center_messages import WrapUpEnd
from chalicelib.domain.contact_center_supervision import TIMELINE_LIMIT, supervises
from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationError,
)
from chalicelib.domain.model import Page
from chalicelib.services.commands import SendMessage
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.commands import EndInteraction, StartOutbound
from chalicelib.services.contact_center.common import RETRIES, Context, logger
from chalicelib.services.contact_center.records import RecordService
from chalicelib.services.contact_center.routing import RoutingService

# channels listed in GET /agent (a user's numbers are few; this bounds the reads)
MAX_AGENT_CHANNELS = 50

if TYPE_CHECKING:
    from chalicelib.services.conversations import ConversationService
    from chalicelib.services.sms import SmsService


class AgentService:
    """An agent's own routing status and interactions."""

    def __init__(
        self,
        ctx: Context,
        routing: RoutingService,
        records: RecordService,
        messaging: ConversationService | None = None,
        sms: SmsService | None = None,
    ) -> None:
        self._ctx = ctx
        self._repo = ctx.repo
        self._routing = routing
        self._records = records
        self._messaging = messaging  # outbound texts (None: SMS is not configured)
        self._sms = sms

    # -- the agent --------------------------------------------------------------------------

    def me(self, caller: Caller) -> dict[str, Any]:
        agent = self._ctx.agent_of(caller)
        return {**agent.to_dict(), "channels": self._channels(caller, agent)}

    def _channels(self, caller: Caller, agent: AgentProfile) -> list[dict[str, Any]]:
        """The channels the agent may start a text from: channels of the company whose
        number is one of their SMS numbers (the ones ``POST /interactions`` accepts),
        those of their own queues first. Bounded by the user's numbers: one batch read
        of them, then one GetItem per number (at most ``MAX_AGENT_CHANNELS``)."""
        if self._sms is None:
            return []
        try:
            numbers = self._sms.sending_numbers(caller)
        except DomainError:  # SMS is off for them: no channel to text from
            return []
        found = []
        for number in numbers[:MAX_AGENT_CHANNELS]:
            channel = self._repo.get_channel(number.e164)
            if channel is not None and channel.company_id == caller.company_id:
                found.append(
                    {**channel.to_dict(), "serves_queue": channel.queue_id in agent.queues}
                )
        return sorted(found, key=lambda c: (not c["serves_queue"], c["e164"]))

    def set_status(self, caller: Caller, status: str) -> dict[str, Any]:
        """Available: the backlog is routed to them at once. Away: no new offers; a
        pending offer goes back. Offline: their active interactions are requeued too.
        ``status`` is one of ``AGENT_STATUSES`` (the edge's parser refuses any other)."""
        refreshed, _ = self.apply_status(self._ctx.agent_of(caller), status)
        return {**refreshed.to_dict(), "channels": self._channels(caller, refreshed)}

    def apply_status(
        self, agent: AgentProfile, status: str
    ) -> tuple[AgentProfile, list[Interaction]]:
        """An agent's routing status, set by them or by a supervisor (the same rules):
        the stored profile after, and the interactions that moved because of it."""
        if status == AVAILABLE:
            person = self._ctx.directory.get_user(agent.agent_id)
            if person is None or not person.enabled:  # offboarded: never offered again
                raise Unauthorized("this account is disabled", code="account_disabled")
        updated = self._repo.set_agent_status(agent.agent_id, status, self._ctx.epoch())
        assert updated is not None
        moved = []
        for interaction in self._repo.agent_interactions(agent.agent_id):
            if interaction.state == OFFERED and status != AVAILABLE:
                moved.append(interaction)
                self._routing.release(interaction, "agent_unavailable")
            elif interaction.state == ACTIVE and status == OFFLINE:
                moved.append(interaction)
                self._routing.release(interaction, "agent_offline")
            elif interaction.state == WRAP_UP and status == OFFLINE:
                self.close(interaction.interaction_id)
        if status == AVAILABLE:
            self._ctx.route_later(agent.company_id, agent.queues)
        logger.info("agent status", extra={"agent_id": agent.agent_id, "status": status})
        return self._repo.get_agent(agent.agent_id) or updated, moved

    # -- interactions -------------------------------------------------------------------------

    def list(self, caller: Caller, limit: int, cursor: str | None) -> Page[dict[str, Any]]:
        agent = self._ctx.agent_of(caller)
        items = self._repo.agent_interactions(agent.agent_id)
        start = 0
        if cursor:
            ids = [i.interaction_id for i in items]
            if cursor not in ids:
                raise ValidationError("cursor is not valid", code="invalid_cursor")
            start = ids.index(cursor) + 1
        page = items[start : start + limit]
        more = start + limit < len(items)
        return Page(
            [self._ctx.view(i, self._repo.get_queue(i.company_id, i.queue_id)) for i in page],
            page[-1].interaction_id if more and page else None,
        )

    def get(self, caller: Caller, interaction_id: str) -> dict[str, Any]:
        """The interaction with its screen pop and its timeline (the latest
        ``TIMELINE_LIMIT`` entries: private notes and supervisors' actions)."""
        interaction = self._ctx.interaction_of(caller, interaction_id)
        agent = self._repo.get_agent(caller.user_id)
        # a supervisor of its queue (not of any queue): the timeline holds private notes
        supervisor = caller.is_admin or supervises(agent, caller.company_id, interaction.queue_id)
        if interaction.agent_id != caller.user_id and not supervisor:
            raise NotFound("no such interaction", code="interaction_not_found")
        timeline = self._repo.timeline(interaction_id, TIMELINE_LIMIT)
        return {**self._screen(interaction), "timeline": [e.to_dict() for e in timeline]}

    def _screen(self, interaction: Interaction) -> dict[str, Any]:
        body = self._ctx.view(
            interaction, self._repo.get_queue(interaction.company_id, interaction.queue_id)
        )
        pop = self._records.screen_pop(interaction.customer_id, interaction.company_id)
        if pop is not None:
            body["customer"] = {**body["customer"], **pop}
        return body

    def _own(self, caller: Caller, interaction_id: str, *states: str) -> Interaction:
        interaction = self._ctx.interaction_of(caller, interaction_id)
        if interaction.agent_id != caller.user_id:
            raise Forbidden("this interaction is not yours", code="not_your_interaction")
        if interaction.state not in states:
            raise Conflict(f"the interaction is {interaction.state}", code="invalid_state")
        return interaction

    def accept(self, caller: Caller, interaction_id: str) -> dict[str, Any]:
        for _ in range(RETRIES):
            interaction = self._own(caller, interaction_id, OFFERED, ACTIVE)
            if interaction.state == ACTIVE:  # a repeated accept: the first may have
                # failed after its write, so the answer's steps run again (each once)
                if interaction.offer_no:  # (an outbound one was never offered)
                    queue = self._ctx.queue(interaction.company_id, interaction.queue_id)
                    self._routing.answered(interaction, queue)
                return self._screen(interaction)
            check_transition(OFFERED, ACTIVE)
            after = replace(interaction, state=ACTIVE, answered_at=self._ctx.epoch())
            if self._repo.transition(interaction, after):
                queue = self._ctx.queue(after.company_id, after.queue_id)
                self._routing.answered(after, queue)
                return self._screen(after)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    def reject(self, caller: Caller, interaction_id: str) -> dict[str, Any]:
        for _ in range(RETRIES):
            interaction = self._own(caller, interaction_id, OFFERED)
            if self._routing.release(interaction, "rejected"):
                stored = self._repo.get_interaction(interaction_id)
                return self._ctx.view(stored or interaction)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    def transfer(self, caller: Caller, interaction_id: str, queue_id: str) -> dict[str, Any]:
        self._ctx.queue(caller.company_id, queue_id)
        for _ in range(RETRIES):
            interaction = self._own(caller, interaction_id, ACTIVE)
            if self._routing.release(interaction, "transfer", queue_id=queue_id):
                stored = self._repo.get_interaction(interaction_id)
                return self._ctx.view(stored or interaction)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    def end(
        self, caller: Caller, interaction_id: str, command: EndInteraction | None = None
    ) -> dict[str, Any]:
        """Active → wrap-up (timed); an end that carries the disposition, or an end
        during wrap-up, closes it at once (transcript, case, slot freed)."""
        command = command or EndInteraction()
        disposition, notes, case_id = command.disposition, command.notes, command.case_id
        for _ in range(RETRIES):
            interaction = self._own(caller, interaction_id, ACTIVE, WRAP_UP, ENDED)
            if interaction.state == ENDED:  # a repeated end: the first may have failed
                self._records.refile(interaction)  # after its write, so what follows
                self._ended(interaction)  # the write runs again (each step once)
                return self._ctx.view(interaction)
            self._records.check_case(interaction, case_id)
            after = replace(
                interaction,
                disposition=disposition or interaction.disposition,
                notes=notes or interaction.notes,
                case_id=case_id or interaction.case_id,
            )
            if interaction.state == WRAP_UP or disposition:
                closed = self._close(interaction, after)
                if closed is not None:
                    return self._ctx.view(closed)
                continue
            after = replace(after, state=WRAP_UP, idle=False)
            back = 0 if interaction.counts_toward_capacity() else 1
            if self._repo.transition(interaction, after, agent_id=after.agent_id, load=back):
                queue = self._ctx.queue(after.company_id, after.queue_id)
                self._ctx.timer(WrapUpEnd(after.interaction_id), queue.wrap_up_s)
                return self._ctx.view(after)
        raise Conflict("the interaction changed meanwhile; try again", code="concurrent_update")

    def close(self, interaction_id: str) -> bool:
        """The wrap-up timer: close with what the agent gave so far."""
        for _ in range(RETRIES):
            interaction = self._repo.get_interaction(interaction_id)
            if interaction is not None and interaction.state == ENDED:
                self._records.refile(interaction)  # a redelivery after a failed filing
                self._ended(interaction)  # or after a failure past the end's write
            if interaction is None or interaction.state != WRAP_UP:
                return False
            if self._close(interaction, interaction) is not None:
                return True
        return False

    def _close(self, before: Interaction, after: Interaction) -> Interaction | None:
        check_transition(before.state, ENDED)
        counted = 1 if before.counts_toward_capacity() else 0
        closed = self._records.end(before, after, agent_id=before.agent_id, load=-counted, total=-1)
        if closed is None:
            return None
        self._ended(closed)
        logger.info(
            "interaction ended",
            extra={"interaction_id": closed.interaction_id, "case_id": closed.case_id},
        )
        return closed

    def _ended(self, closed: Interaction) -> None:
        """What follows an end's write, each step safe to repeat (the wrap-up timer's
        redelivery runs them again): the conversation's members (nobody, unless a
        later interaction of the customer holds it already), search, the day's
        figures (once per interaction) and routing the agent's queues (a slot freed)."""
        self._ctx.follow_members(closed.interaction_id)
        self._ctx.handled.left(closed)
        figures = handling_figures(closed, closed.ended_at, handled=1)
        if figures:
            day = self._ctx.day(closed.ended_at)
            self._repo.add_figures_once(
                end_key(closed), closed.company_id, closed.queue_id, day, **figures
            )
        agent = self._repo.get_agent(str(closed.agent_id))
        self._ctx.route_later(closed.company_id, agent.queues if agent else [closed.queue_id])

    # -- agent outbound ------------------------------------------------------------------------

    def outbound(self, caller: Caller, command: StartOutbound) -> dict[str, Any]:
        """Text a customer from a channel of the company: an active interaction of the
        caller (it uses one of their slots; replies come back to them)."""
        agent = self._ctx.agent_of(caller)
        channel = self._repo.get_channel(command.channel)
        if channel is None or channel.company_id != caller.company_id:
            raise ValidationError(
                "channel must be a channel number of your company", code="invalid_channel"
            )
        if self._sms is None or self._messaging is None:
            raise Conflict("SMS is not configured", code="sms_disabled")
        company = self._ctx.directory.get_company(caller.company_id)
        external = phones.normalise(command.to, company.default_region if company else "US")
        conversation, _ = self._sms.start(caller, external, channel.e164)
        customer = self._records.find_or_create(caller.company_id, external)
        interaction = Interaction.opened(
            self._ctx.ids("ix_"),
            channel,
            customer,
            conversation.conversation_id,
            created_at=self._ctx.clock(),
            now=self._ctx.epoch(),
            first_seq=conversation.last_seq + 1,
            agent_id=agent.agent_id,
        )
        stored, created = self._repo.create_interaction(interaction, require_room=True)
        if not created and stored.agent_id != agent.agent_id:
            raise Conflict(
                "this customer is in another interaction on this channel", code="interaction_open"
            )
        self._ctx.follow_members(stored.interaction_id)
        self._ctx.handled.answered(stored)
        try:
            send = SendMessage(conversation.conversation_id, command.client_id, command.text)
            message, _ = self._messaging.send(caller, send)
        except DomainError:
            if created:  # nothing went out: the slot is not held by a text never sent
                ended = replace(stored, state=ENDED, ended_at=self._ctx.epoch())
                self._repo.transition(stored, ended, agent_id=agent.agent_id, load=-1, total=-1)
                self._ctx.follow_members(stored.interaction_id)
                self._ctx.handled.left(ended)
            raise
        view = self._ctx.view(stored)
        view["message"] = message.to_dict()
        return view
