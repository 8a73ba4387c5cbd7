"""The contact center's configuration values: skills with levels, hours of operation
in a time zone, and whether a queue is open now. Pure Python."""

from __future__ import annotations

import re
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
