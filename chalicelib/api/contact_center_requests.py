"""The contact center's edge: JSON bodies parsed once into its typed commands.

Every field is read through its row of the field table (``api.fields``: type,
bounds, the error code a bad value answers); skills, hours and the time zone go
through the domain's own checks. Nothing past here sees raw JSON.
"""

from __future__ import annotations

from chalicelib.api.contact_center_bodies import (
    CC_AGENT,
    CC_AGENT_STATUS,
    CC_CANNED,
    CC_CHANNEL,
    CC_END,
    CC_NOTE,
    CC_OUTBOUND,
    CC_QUEUE,
    CC_TRANSFER,
)
from chalicelib.api.fields import (
    Body,
    Field,
    Json,
    as_whole,
)
from chalicelib.domain.contact_center_config import check_hours, check_skills, check_timezone
from chalicelib.domain.errors import ValidationError
from chalicelib.services.contact_center.commands import (
    AddNote,
    AgentSettings,
    CannedSettings,
    ChannelSettings,
    EndInteraction,
    QueueSettings,
    SetAgentStatus,
    StartOutbound,
    TransferInteraction,
)


def _choice(spec: Field, body: Json) -> str | None:
    value = spec.text(body)
    if value is not None and spec.choices and value not in spec.choices:
        raise ValidationError(
            f"{spec.name} must be one of {', '.join(spec.choices)}", code=spec.code
        )
    return value


def _not_blank(spec: Field, body: Json) -> str:
    """A required text that must not be blank (``pattern`` ``\\S`` in the table)."""
    value = spec.required_text(body)
    if not value.strip():
        raise ValidationError(f"{spec.name} is required", code=spec.code)
    return value


def _blank_refused(spec: Field, body: Json) -> str:
    return _not_blank(spec, body).strip()


def _whole(body: Json, spec: Body, name: str, default: int) -> int:
    value = spec[name].whole(body)
    return default if value is None else value


def _flag(spec: Field, body: Json) -> bool | None:
    value = body.get(spec.name)
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{spec.name} must be true or false", code=spec.code)
    return value


def _skills(body: Json) -> dict[str, int]:
    """Skills with levels (``2.0`` is 2, as everywhere); absent or null is none."""
    raw = body.get("skills")
    if isinstance(raw, dict):
        raw = {k: v if as_whole(v) is None else as_whole(v) for k, v in raw.items()}
    return check_skills({} if raw is None else raw)


def agent_status(body: Json) -> SetAgentStatus:
    status = _choice(CC_AGENT_STATUS["status"], body)
    assert status is not None  # required
    return SetAgentStatus(status)


def end(body: Json) -> EndInteraction:
    return EndInteraction(
        disposition=(CC_END["disposition"].text(body) or "").strip(),
        notes=(CC_END["notes"].text(body) or "").strip(),
        case_id=CC_END["case_id"].text(body),
    )


def transfer(body: Json) -> TransferInteraction:
    """To a queue or to a named agent: exactly one (``CC_TRANSFER``'s rule)."""
    queue_id = CC_TRANSFER["queue_id"].text(body)
    agent_id = CC_TRANSFER["agent_id"].text(body)
    if queue_id is not None and agent_id is not None:
        raise ValidationError("give queue_id or agent_id, not both", code="invalid_transfer")
    if agent_id is not None:
        return TransferInteraction(agent_id=agent_id)
    if not queue_id:
        raise ValidationError("queue_id (or agent_id) is required", code="invalid_queue_id")
    return TransferInteraction(queue_id=queue_id)


def note(body: Json) -> AddNote:
    """The text, and the optional ``client_id`` by the rules of a message's."""
    return AddNote(_blank_refused(CC_NOTE["text"], body), CC_NOTE["client_id"].text(body))


def outbound(body: Json) -> StartOutbound:
    channel = CC_OUTBOUND["channel"].required_text(body)
    to = CC_OUTBOUND["to"].required_text(body)
    text = _blank_refused(CC_OUTBOUND["text"], body)
    return StartOutbound(channel, to, _not_blank(CC_OUTBOUND["client_id"], body), text)


def queue(body: Json) -> QueueSettings:
    defaults = QueueSettings(name="")
    spec = CC_QUEUE
    numbers = {
        name: _whole(body, spec, name, getattr(defaults, name))
        for name in (
            "priority",
            "offer_timeout_s",
            "idle_after_s",
            "wrap_up_s",
            "service_level_s",
            "abandon_after_s",
            "last_agent_window_s",
            "overflow_after_s",
            "max_waiting",
        )
    }
    texts = {
        name: spec[name].text(body) for name in ("closed_message", "entry_message", "full_message")
    }
    timezone = spec["timezone"].text(body)
    return QueueSettings(
        name=_blank_refused(spec["name"], body),
        skills=_skills(body),
        timezone=check_timezone(timezone if timezone is not None else defaults.timezone),
        hours=check_hours(spec["hours"].text_map(body) or {}),
        closed_message=texts["closed_message"] or "",
        entry_message=texts["entry_message"] or "",
        full_message=(
            texts["full_message"] if texts["full_message"] is not None else defaults.full_message
        ),
        auto_accept=bool(_flag(spec["auto_accept"], body)),
        overflow_level=spec["overflow_level"].whole(body),
        overflow_queue_id=spec["overflow_queue_id"].text(body),
        **numbers,
    )


def channel(body: Json) -> ChannelSettings:
    queue_id = CC_CHANNEL["queue_id"].text(body)
    if not queue_id:
        raise ValidationError("queue_id is required", code="invalid_queue_id")
    return ChannelSettings(queue_id)


def agent(body: Json) -> AgentSettings:
    queues = CC_AGENT["queues"].strings(body)
    return AgentSettings(
        skills=_skills(body),
        queues=tuple(dict.fromkeys(queues or ())),
        role=_choice(CC_AGENT["role"], body) or "agent",
        max_concurrent=_whole(body, CC_AGENT, "max_concurrent", AgentSettings().max_concurrent),
    )


def canned(body: Json) -> CannedSettings:
    return CannedSettings(
        text=_blank_refused(CC_CANNED["text"], body),
        shortcut=(CC_CANNED["shortcut"].text(body) or "").strip().lstrip("/"),
        title=(CC_CANNED["title"].text(body) or "").strip(),
        queues=tuple(dict.fromkeys(CC_CANNED["queues"].strings(body) or ())),
    )
