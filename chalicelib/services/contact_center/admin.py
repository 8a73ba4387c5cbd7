"""Configuration by company admins (channels, queues, agents, canned replies) and
the canned-reply search agents use."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.contact_center import (
    AGENT_ROLES,
    DEFAULT_FULL_MESSAGE,
    DEFAULT_MAX_CONCURRENT,
    MAX_CONCURRENT_LIMIT,
    MAX_WAITING_LIMIT,
    AgentProfile,
    Channel,
    Queue,
)
from chalicelib.domain.contact_center_config import check_hours, check_skills, check_timezone
from chalicelib.domain.contact_center_records import (
    CannedReply,
)
from chalicelib.domain.errors import Forbidden, NotFound, ValidationError
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.common import Context
from chalicelib.services.ports import SmsRepository

_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_TEXT = 1600
MAX_CANNED_SHOWN = 50


def _id(raw: str, what: str) -> str:
    if not raw or len(raw) > 64 or not set(raw.lower()) <= _ID_CHARS:
        raise ValidationError(
            f"{what} must be 1-64 letters, digits, - or _", code=f"invalid_{what}"
        )
    return raw


def _int(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number {low}-{high}", code=f"invalid_{name}")
    return value


def _str(body: dict[str, Any], name: str, default: str = "", limit: int = MAX_TEXT) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationError(
            f"{name} must be text of at most {limit} characters", code=f"invalid_{name}"
        )
    return value


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

    def put_queue(self, caller: Caller, queue_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._admin(caller)
        name = _str(body, "name", limit=100).strip()
        if not name:
            raise ValidationError("name is required", code="invalid_name")
        overflow_level = body.get("overflow_level")
        if overflow_level is not None:
            overflow_level = _int(body, "overflow_level", 1, 1, 5)
        overflow_queue = body.get("overflow_queue_id")
        if overflow_queue is not None:
            if not isinstance(overflow_queue, str) or overflow_queue == queue_id:
                raise ValidationError(
                    "overflow_queue_id must be another queue", code="invalid_overflow_queue_id"
                )
            self._ctx.queue(caller.company_id, overflow_queue)
        queue = Queue(
            queue_id=_id(queue_id, "queue_id"),
            company_id=caller.company_id,
            name=name,
            skills=check_skills(body.get("skills", {})),
            priority=_int(body, "priority", 1, 1, 100),
            timezone=check_timezone(body.get("timezone", "UTC")),
            hours=check_hours(body.get("hours", {})),
            closed_message=_str(body, "closed_message"),
            entry_message=_str(body, "entry_message"),
            offer_timeout_s=_int(body, "offer_timeout_s", 30, 5, 600),
            auto_accept=bool(body.get("auto_accept", False)),
            idle_after_s=_int(body, "idle_after_s", 600, 0, 86400),
            wrap_up_s=_int(body, "wrap_up_s", 120, 0, 900),  # one SQS delay
            service_level_s=_int(body, "service_level_s", 60, 1, 86400),
            abandon_after_s=_int(body, "abandon_after_s", 3600, 1, 7 * 86400),
            last_agent_window_s=_int(body, "last_agent_window_s", 86400, 0, 30 * 86400),
            overflow_after_s=_int(body, "overflow_after_s", 0, 0, 86400),
            overflow_level=overflow_level,
            overflow_queue_id=overflow_queue,
            max_waiting=_int(body, "max_waiting", 0, 0, MAX_WAITING_LIMIT),
            full_message=_str(body, "full_message", DEFAULT_FULL_MESSAGE),
        )
        self._repo.put_queue(queue)
        return queue.to_dict()

    def queues(self, caller: Caller) -> dict[str, Any]:
        if not caller.is_admin:
            self._ctx.agent_of(caller)  # agents see the queues they may transfer to
        return {
            "items": [q.to_dict() for q in self._repo.list_queues(caller.company_id)],
            "next_cursor": None,
        }

    def put_channel(self, caller: Caller, e164: str, body: dict[str, Any]) -> dict[str, Any]:
        """A business number of the company becomes a channel with a default queue."""
        self._admin(caller)
        queue_id = body.get("queue_id")
        if not isinstance(queue_id, str):
            raise ValidationError("queue_id is required", code="invalid_queue_id")
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

    def put_agent(self, caller: Caller, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._admin(caller)
        user = self._ctx.directory.get_user(user_id)
        if user is None or user.company_id != caller.company_id:
            raise NotFound("no such user", code="user_not_found")
        queues = body.get("queues", [])
        if not isinstance(queues, list) or not all(isinstance(q, str) for q in queues):
            raise ValidationError("queues is a list of queue ids", code="invalid_queues")
        for queue_id in queues:
            self._ctx.queue(caller.company_id, queue_id)
        role = body.get("role", "agent")
        if role not in AGENT_ROLES:
            raise ValidationError(
                f"role must be one of {', '.join(AGENT_ROLES)}", code="invalid_role"
            )
        agent = AgentProfile(
            agent_id=user.user_id,
            company_id=caller.company_id,
            name=user.name,
            role=role,
            skills=check_skills(body.get("skills", {})),
            queues=list(dict.fromkeys(queues)),
            max_concurrent=_int(
                body, "max_concurrent", DEFAULT_MAX_CONCURRENT, 1, MAX_CONCURRENT_LIMIT
            ),
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

    def put_canned(self, caller: Caller, reply_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._admin(caller)
        text = _str(body, "text").strip()
        if not text:
            raise ValidationError("text is required", code="invalid_text")
        reply = CannedReply(
            reply_id=_id(reply_id, "reply_id"),
            company_id=caller.company_id,
            shortcut=_str(body, "shortcut", limit=40).strip().lstrip("/"),
            title=_str(body, "title", limit=200).strip(),
            text=text,
        )
        self._repo.put_canned(reply)
        return reply.to_dict()

    def search_canned(
        self, caller: Caller, query: Any, interaction_id: str | None = None
    ) -> dict[str, Any]:
        """The company's canned replies matching ``q`` (shortcut prefix or words), with
        placeholders filled for an interaction when one is given."""
        agent = self._ctx.agent_of(caller) if not caller.is_admin else None
        if query is not None and (not isinstance(query, str) or len(query) > 100):
            raise ValidationError("q must be at most 100 characters", code="invalid_q")
        values: dict[str, Any] | None = None
        if interaction_id:
            interaction = self._ctx.interaction_of(caller, interaction_id)
            values = {
                "customer_name": interaction.customer_name or "there",
                "agent_name": agent.name if agent else "",
            }
        found = [r for r in self._repo.canned(caller.company_id) if r.matches(query or "")]
        return {
            "items": [r.to_dict(values) for r in found[:MAX_CANNED_SHOWN]],
            "next_cursor": None,
        }
