"""The contact center's events, derived from stored changes (the table's stream, by
the outbox), never published by the services themselves: a crash after a write
cannot lose its event, and a retried stream record gives the same event ids.

- an interaction's change: ``interaction.offered`` (with the screen pop) or
  ``interaction.updated`` to the agent concerned (``domain.interaction_notices``);
- a queue's published state: ``queue.updated`` to the supervisors it names;
- an agent's routing status: ``presence.changed`` to whoever watches them;
- an interaction's timeline entry (a private note, a supervisor's action):
  ``interaction.timeline`` to its agent, its author and its monitors;
- a text of a monitored conversation: ``interaction.message`` to its monitors
  (``for_monitors``: one Query of the conversation's monitor records per event of
  an SMS conversation, and a GetItem of the interaction watched when there are
  any; IM conversations never pay it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.contact_center import AgentProfile, Interaction, interaction_notices
from chalicelib.domain.contact_center_records import QueueState
from chalicelib.domain.contact_center_supervision import Monitor, TimelineEntry
from chalicelib.domain.model import Event
from chalicelib.services.contact_center.common import Context
from chalicelib.services.contact_center.records import RecordService

PresenceOf = Callable[[str], "dict[str, Any] | None"]


class ContactCenterEvents:
    """Turns a decoded stream record (kind, before, after) into events."""

    def __init__(
        self, ctx: Context, records: RecordService, presence_of: PresenceOf | None = None
    ) -> None:
        self._ctx = ctx
        self._records = records
        self._presence_of = presence_of  # a user's presence as co-workers see it
        # what each kind of stored change says (the outbox decodes the stream record)
        self._changes: dict[str, Callable[[Any, Any], list[Event]]] = {
            "interaction": self._interaction,
            "queue_state": self._queue,
            "agent": self._agent,
            "timeline": self._timeline,
        }

    def with_agent_status(self, events: list[Event]) -> None:
        """A user's own presence change (their chosen status, a device) says the agent's
        routing status too, as every presence view of an agent does."""
        shown = [e for e in events if e.type == "presence.changed" and "presence" in e.data]
        wanted = [str(e.data.get("user_id")) for e in shown]
        statuses = (
            {a: p.status for a, p in self._ctx.repo.get_agents(wanted).items()} if wanted else {}
        )
        for event in shown:
            status = statuses.get(str(event.data.get("user_id")))
            if status is not None:
                event.data["presence"].setdefault("agent_status", status)

    def from_change(self, kind: str, old: Any, new: Any) -> list[Event]:
        derive = self._changes.get(kind)
        return derive(old, new) if derive is not None else []

    def _interaction(self, old: Interaction | None, new: Interaction) -> list[Event]:
        events = []
        for kind, agent_id in interaction_notices(old, new):
            data = self._ctx.view(new)
            if kind == "interaction.offered":  # the screen pop comes with the offer
                pop = self._records.screen_pop(new.customer_id, new.company_id)
                if pop:
                    data["customer"] = {**data["customer"], **pop}
            events.append(
                Event(
                    event_id=f"{kind}:{new.interaction_id}:{new.version}",
                    type=kind,
                    company_id=new.company_id,
                    conversation_id=new.conversation_id,
                    recipients=[agent_id],
                    data=data,
                )
            )
        return events

    @staticmethod
    def _queue(old: QueueState | None, new: QueueState) -> list[Event]:
        if (old is not None and old.seq == new.seq) or not new.recipients:
            return []  # a flush was armed: nothing published yet
        return [
            Event(
                event_id=f"queue.updated:{new.company_id}:{new.queue_id}:{new.seq}",
                type="queue.updated",
                company_id=new.company_id,
                recipients=list(new.recipients),
                data=dict(new.figures),
            )
        ]

    def _agent(self, old: AgentProfile | None, new: AgentProfile) -> list[Event]:
        if old is None or old.status == new.status or self._presence_of is None:
            return []
        presence = self._presence_of(new.agent_id)
        if presence is None:
            return []
        presence["agent_status"] = new.status  # as this change stored it
        return [
            Event(
                event_id=f"presence.changed:{new.agent_id}:agent:{new.status_changed_at}:{new.status}",
                type="presence.changed",
                company_id=new.company_id,
                recipients=[new.agent_id],
                audience="watchers",
                data={"user_id": new.agent_id, "presence": presence},
            )
        ]

    def _watching(self, conversation_id: str, interaction_id: str | None = None) -> list[Monitor]:
        """The conversation's monitors that still watch it: their interaction still
        open in the queue they monitored it in (an ended or moved one's monitor records
        live on until they expire, and would reach a supervisor of another queue, or
        the customer's next interaction). One Query, then one GetItem of the
        interaction watched (a conversation has one open interaction at a time)."""
        found = self._ctx.repo.monitors(conversation_id, self._ctx.epoch())
        if interaction_id is not None:
            found = [m for m in found if m.interaction_id == interaction_id]
        read: dict[str, Interaction | None] = {}
        for m in found:
            if m.interaction_id not in read:
                read[m.interaction_id] = self._ctx.repo.get_interaction(m.interaction_id)
        return [m for m in found if m.still_watches(read[m.interaction_id])]

    def _timeline(self, old: None, new: TimelineEntry) -> list[Event]:
        watching = self._watching(new.conversation_id, new.interaction_id)
        recipients = [r for r in (new.agent_id, new.by) if r] + [m.user_id for m in watching]
        return [
            Event(
                event_id=f"interaction.timeline:{new.interaction_id}:{new.entry_id}",
                type="interaction.timeline",
                company_id=new.company_id,
                conversation_id=new.conversation_id,
                recipients=list(dict.fromkeys(recipients)),
                data=new.to_dict(),
            )
        ]

    def for_monitors(self, events: list[Event]) -> list[Event]:
        """The texts of monitored conversations, once more for their monitors (a
        frame of its own: a monitor is not a member, so nothing is pushed, counted
        unread or listed for them)."""
        found: list[Event] = []
        for event in events:
            texted = event.type in ("message.created", "message.updated")
            if not texted or event.data.get("channel") != "sms" or not event.conversation_id:
                continue
            watching = self._watching(event.conversation_id)
            if watching:
                found.append(
                    Event(
                        event_id=f"interaction.message:{event.event_id}",
                        type="interaction.message",
                        company_id=event.company_id,
                        conversation_id=event.conversation_id,
                        recipients=[m.user_id for m in watching],
                        data={
                            "interaction_id": watching[0].interaction_id,
                            "message": dict(event.data),
                        },
                    )
                )
        return found
