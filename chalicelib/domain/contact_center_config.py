"""The contact center's configuration values: a queue's settings and their defaults,
skills with levels, hours of operation in a time zone, and whether a queue is open
now. Pure Python."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.errors import ValidationError

MIN_LEVEL, MAX_LEVEL = 1, 5
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# ASCII digits only (Python's \d also matches other scripts' digits); a day closes
# at 23:59 at the latest, or at 24:00 exactly.
HOURS_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
_HOURS = re.compile(HOURS_PATTERN)
_SKILL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

DEFAULT_OFFER_TIMEOUT_S = 30
DEFAULT_IDLE_AFTER_S = 600
DEFAULT_WRAP_UP_S = 120
DEFAULT_SERVICE_LEVEL_S = 60
DEFAULT_LAST_AGENT_WINDOW_S = 24 * 3600
DEFAULT_ABANDON_AFTER_S = 3600
DEFAULT_FULL_MESSAGE = (
    "All our agents are busy and too many people are waiting. Your message is saved; "
    "please text again later."
)


@dataclass(frozen=True)
class QueueSettings:
    """A queue's settings and their defaults, stated once (docs/contact-center.md,
    "Settings"): what an admin sets (``PUT /contact-center/queues/{id}``) and what a
    stored ``Queue`` carries after its key."""

    name: str
    skills: dict[str, int] = field(default_factory=dict)  # required skill → minimum level
    priority: int = 1  # higher is served first by agents of several queues
    timezone: str = "UTC"
    hours: dict[str, str] = field(default_factory=dict)  # empty: always open
    closed_message: str = ""
    entry_message: str = ""  # "{position}" and "{wait_minutes}" are filled in
    offer_timeout_s: int = DEFAULT_OFFER_TIMEOUT_S
    auto_accept: bool = False
    idle_after_s: int = DEFAULT_IDLE_AFTER_S
    wrap_up_s: int = DEFAULT_WRAP_UP_S
    service_level_s: int = DEFAULT_SERVICE_LEVEL_S
    abandon_after_s: int = DEFAULT_ABANDON_AFTER_S
    last_agent_window_s: int = DEFAULT_LAST_AGENT_WINDOW_S
    overflow_after_s: int = 0  # 0: no overflow
    overflow_level: int | None = None  # relax every required level to this
    overflow_queue_id: str | None = None  # ...or move to this queue
    max_waiting: int = 0  # 0: no cap on waiting texts
    full_message: str = DEFAULT_FULL_MESSAGE  # reply when the queue is full (no overflow)


def check_skills(raw: Any, what: str = "skills") -> dict[str, int]:
    """``{"skill": level}`` with levels 1-5 and lowercase skill names."""
    if not isinstance(raw, dict) or len(raw) > 50:
        raise ValidationError(f"{what} is an object of skill → level (1-5)", code="invalid_skills")
    skills: dict[str, int] = {}
    for name, level in raw.items():
        if not isinstance(name, str) or not _SKILL.match(name):
            raise ValidationError(f"{name!r} is not a skill name", code="invalid_skills")
        if isinstance(level, bool) or not isinstance(level, int):
            raise ValidationError(f"the level of {name} must be 1-5", code="invalid_skills")
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValidationError(f"the level of {name} must be 1-5", code="invalid_skills")
        skills[name] = level
    return skills


def check_hours(raw: Any) -> dict[str, str]:
    """``{"mon": "09:00-17:00", ...}``; a day left out is closed. Empty means always open."""
    if not isinstance(raw, dict):
        raise ValidationError("hours is an object of day → HH:MM-HH:MM", code="invalid_hours")
    hours: dict[str, str] = {}
    for day, span in raw.items():
        if day not in DAYS or not isinstance(span, str) or not _HOURS.fullmatch(span):
            raise ValidationError(
                f"hours must map mon..sun to HH:MM-HH:MM, not {day!r}: {span!r}",
                code="invalid_hours",
            )
        start, end = span.split("-")
        if start >= end:
            raise ValidationError(f"{day}: opening must be before closing", code="invalid_hours")
        hours[day] = span
    return hours


def check_timezone(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise ValidationError("timezone is an IANA name", code="invalid_timezone")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{raw} is not a time zone", code="invalid_timezone") from None
    return raw


def is_open(hours: dict[str, str], timezone: str, now: float) -> bool:
    """Whether ``now`` falls inside the day's opening span in the queue's time zone."""
    if not hours:
        return True
    local = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(timezone))
    span = hours.get(DAYS[local.weekday()])
    if span is None:
        return False
    start, end = span.split("-")
    opens = time.fromisoformat(start)
    clock = local.time().replace(tzinfo=None)
    if end == "24:00":
        return clock >= opens
    return opens <= clock < time.fromisoformat(end)
