"""Configuration by company admins (channels, queues, agents, canned replies) and
the canned-reply search agents use."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.contact_center import (
    AGENT_ROLES,
    AgentProfile,
    Channel,
    Queue,
)
from chalicelib.domain.contact_center_records import EVERY_QUEUE, MAX_CANNED_SHOWN, CannedReply
from chalicelib.domain.errors import Forbidden, NotFound, ValidationError
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.commands import (
    AgentSettings,
    CannedSettings,
    ChannelSettings,
    QueueSettings,
)
from chalicelib.services.contact_center.common import Context
from chalicelib.services.contact_center.in_use import check_channel_unused, check_queue_unused
from chalicelib.services.sms.ports import SmsRepository

_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _id(raw: str, what: str) -> str:
    if not raw or len(raw) > 64 or not set(raw.lower()) <= _ID_CHARS:
        raise ValidationError(
            f"{what} must be 1-64 letters, digits, - or _", code=f"invalid_{what}"
        )
    return raw


class ContactCenterAdmin:
    """Company admins configure the contact center; agents search canned replies."""

    def __init__(self, ctx: Context, numbers: SmsRepository | None = None) -> None:
        self._ctx = ctx
        self._repo = ctx.repo
        self._numbers = numbers  # whose business number it is

    @staticmethod
    def _admin(caller: Caller) -> None:
        if not caller.is_admin:
            raise Forbidden("only company admins configure the contact center", code="admin_only")

    def put_queue(self, caller: Caller, queue_id: str, settings: QueueSettings) -> dict[str, Any]:
        self._admin(caller)
        overflow_queue = settings.overflow_queue_id
        if overflow_queue is not None:
            if overflow_queue == queue_id:
                raise ValidationError(
                    "overflow_queue_id must be another queue", code="invalid_overflow_queue_id"
                )
            self._ctx.queue(caller.company_id, overflow_queue)
        queue = Queue.of(_id(queue_id, "queue_id"), caller.company_id, settings)
        self._repo.put_queue(queue)
        return queue.to_dict()

    def queues(self, caller: Caller) -> dict[str, Any]:
        if not caller.is_admin:
            self._ctx.agent_of(caller)  # agents see the queues they may transfer to
        return {
            "items": [q.to_dict() for q in self._repo.list_queues(caller.company_id)],
            "next_cursor": None,
        }

    def put_channel(self, caller: Caller, e164: str, settings: ChannelSettings) -> dict[str, Any]:
        """A business number of the company becomes a channel with a default queue."""
        self._admin(caller)
        queue_id = settings.queue_id
        self._ctx.queue(caller.company_id, queue_id)
        number = self._numbers.get_number(e164) if self._numbers else None
        if number is None or number.company_id != caller.company_id:
            raise NotFound("no such business number", code="number_not_found")
        existing = self._repo.get_channel(e164)
        if existing is not None and existing.company_id != caller.company_id:
            raise NotFound("no such business number", code="number_not_found")
        channel = Channel(e164, caller.company_id, queue_id)
        self._repo.put_channel(channel)
        return channel.to_dict()

    def channels(self, caller: Caller) -> dict[str, Any]:
        self._admin(caller)
        return {
            "items": [c.to_dict() for c in self._repo.list_channels(caller.company_id)],
            "next_cursor": None,
        }

    def put_agent(self, caller: Caller, user_id: str, settings: AgentSettings) -> dict[str, Any]:
        self._admin(caller)
        user = self._ctx.directory.get_user(user_id)
        if user is None or user.company_id != caller.company_id:
            raise NotFound("no such user", code="user_not_found")
        for queue_id in settings.queues:
            self._ctx.queue(caller.company_id, queue_id)
        if settings.role not in AGENT_ROLES:
            raise ValidationError(
                f"role must be one of {', '.join(AGENT_ROLES)}", code="invalid_role"
            )
        agent = AgentProfile(
            agent_id=user.user_id,
            company_id=caller.company_id,
            name=user.name,
            role=settings.role,
            skills=dict(settings.skills),
            queues=list(settings.queues),
            max_concurrent=settings.max_concurrent,
        )
        self._repo.put_agent(agent)
        stored = self._repo.get_agent(agent.agent_id)
        return (stored or agent).to_dict()

    def agents(self, caller: Caller) -> dict[str, Any]:
        self._admin(caller)
        return {
            "items": [a.to_dict() for a in self._repo.list_agents(caller.company_id)],
            "next_cursor": None,
        }

    def put_canned(self, caller: Caller, reply_id: str, settings: CannedSettings) -> dict[str, Any]:
        self._admin(caller)
        if not settings.text.strip():
            raise ValidationError("text is required", code="invalid_text")
        for queue_id in settings.queues:
            self._ctx.queue(caller.company_id, queue_id)
        reply = CannedReply(
            reply_id=_id(reply_id, "reply_id"),
            company_id=caller.company_id,
            shortcut=settings.shortcut,
            title=settings.title,
            text=settings.text,
            queues=list(settings.queues),
        )
        self._repo.put_canned(reply)
        return reply.to_dict()

    def search_canned(
        self,
        caller: Caller,
        query: str | None,
        interaction_id: str | None = None,
        limit: int = MAX_CANNED_SHOWN,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """The canned replies matching ``q`` (shortcut prefix or words) that the caller
        may use, a page at a time, with placeholders filled for an interaction when one
        is given. For an interaction: the company-wide ones and its queue's; for an
        agent: the company-wide ones and those of the queues of their profile; for an
        admin: all of the company's."""
        agent = self._ctx.agent_of(caller) if not caller.is_admin else None
        if query is not None and len(query) > 100:
            raise ValidationError("q must be at most 100 characters", code="invalid_q")
        values: dict[str, Any] | None = None
        scopes: list[str] | None = None
        if interaction_id:
            interaction = self._ctx.interaction_of(caller, interaction_id)
            values = {
                "customer_name": interaction.customer_name or "there",
                "agent_name": agent.name if agent else "",
            }
            scopes = [EVERY_QUEUE, interaction.queue_id]
        elif agent is not None:
            scopes = [EVERY_QUEUE, *agent.queues]
        page = self._repo.canned_page(
            caller.company_id,
            scopes,
            min(limit, MAX_CANNED_SHOWN),
            cursor,
            lambda r: r.matches(query or ""),
        )
        return {"items": [r.to_dict(values) for r in page.items], "next_cursor": page.next_cursor}

    # -- removal: nothing is left naming what is gone (``in_use``) --------------------------

    def delete_queue(self, caller: Caller, queue_id: str) -> None:
        self._admin(caller)
        self._ctx.queue(caller.company_id, queue_id)
        check_queue_unused(self._repo, caller.company_id, queue_id)
        if not self._repo.delete_queue(caller.company_id, queue_id):
            raise NotFound("no such queue", code="queue_not_found")

    def delete_channel(self, caller: Caller, e164: str) -> None:
        """The number stops being a channel: texts to it reach its users again."""
        self._admin(caller)
        channel = self._repo.get_channel(e164)
        if channel is None or channel.company_id != caller.company_id:
            raise NotFound("no such channel", code="channel_not_found")
        check_channel_unused(self._repo, caller.company_id, e164)
        if not self._repo.delete_channel(caller.company_id, e164):
            raise NotFound("no such channel", code="channel_not_found")

    def delete_canned(self, caller: Caller, reply_id: str) -> None:
        self._admin(caller)
        if not self._repo.delete_canned(caller.company_id, reply_id):
            raise NotFound("no such canned reply", code="reply_not_found")
