"""The query parameters of ``GET /reports/agents`` and ``GET /reports/queues``: one field
table each, read by the routes and published in the OpenAPI document (``openapi.QUERIES``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from chalicelib.api.fields import DAY, MAX_ID, TEXT, WHOLE, Field, matches, string
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.reports import AGENT_COLUMNS, MAX_DAYS, QUEUE_COLUMNS
from chalicelib.services.reports import ReportQuery

CSV = "text/csv"
MAX_LIMIT = 1000  # rows per page (a CSV page of 1000 rows is far below API Gateway's 10 MB)
JSON_LIMIT = 100  # rows per JSON page unless limit says otherwise
ZONE = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"

REPORT_QUERY: tuple[Field, ...] = (
    Field(
        "from",
        TEXT,
        "invalid_date",
        required=True,
        max_len=10,
        pattern=DAY,
        description="first day (YYYY-MM-DD, in tz)",
    ),
    Field(
        "to",
        TEXT,
        "invalid_date",
        required=True,
        max_len=10,
        pattern=DAY,
        description=f"last day (YYYY-MM-DD, in tz): from it, at most {MAX_DAYS} days",
    ),
    Field(
        "tz",
        TEXT,
        "invalid_timezone",
        max_len=64,
        pattern=ZONE,
        description="an IANA time zone the days are in (UTC unless given)",
    ),
    Field(
        "cursor",
        TEXT,
        "invalid_cursor",
        max_len=1024,
        description="opaque: the next_cursor (or the CSV's X-Next-Cursor) of the last page",
    ),
    Field(
        "limit",
        WHOLE,
        "invalid_limit",
        minimum=1,
        maximum=MAX_LIMIT,
        description=f"rows per page: 1 to {MAX_LIMIT} ({JSON_LIMIT} for JSON, "
        f"{MAX_LIMIT} for CSV unless given)",
    ),
)
QUEUE_REPORT_QUERY: tuple[Field, ...] = (
    *REPORT_QUERY,
    Field("queue_id", TEXT, "invalid_request", max_len=MAX_ID, description="one queue only"),
)
_BY_NAME = {f.name: f for f in QUEUE_REPORT_QUERY}


def _text(params: Mapping[str, str], name: str) -> str | None:
    spec = _BY_NAME[name]
    value = string(params, name, spec.code, max_len=spec.max_len, required=spec.required)
    if value and spec.pattern and not matches(spec.pattern, value):
        raise ValidationError(f"{name} must be {spec.description}", code=spec.code)
    return value or None


def _day(params: Mapping[str, str], name: str) -> date:
    try:
        return date.fromisoformat(str(_text(params, name)))
    except ValueError:
        raise ValidationError(f"{name} must be a calendar date", code="invalid_date") from None


def report_query(params: Mapping[str, str], csv: bool = False) -> ReportQuery:
    """Every parameter through its field, then the rules the schema cannot state: real
    calendar days, from not after to, at most MAX_DAYS days, a zone that exists."""
    first, last = _day(params, "from"), _day(params, "to")
    if last < first:
        raise ValidationError("from must not be after to", code="invalid_date")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(f"a report covers at most {MAX_DAYS} days", code="invalid_date")
    zone_name = _text(params, "tz") or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (KeyError, ValueError, OSError):
        raise ValidationError("tz must be an IANA time zone", code="invalid_timezone") from None
    limit = MAX_LIMIT if csv else JSON_LIMIT
    raw_limit = params.get("limit")
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT):
            raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}", code="invalid_limit")
        limit = int(raw_limit)
    return ReportQuery(
        first=first,
        last=last,
        zone=zone,
        limit=limit,
        cursor=_text(params, "cursor"),
        queue_id=_text(params, "queue_id"),
    )


def _row_schema(columns: tuple[str, ...], texts: tuple[str, ...]) -> dict[str, object]:
    """A report row as the OpenAPI document states it: texts, whole numbers, the
    service level (a percentage, or null when no wait ended in the interval) and the
    occupancy (a ratio, or null without staffed time)."""
    properties: dict[str, object] = {}
    for column in columns:
        if column in texts:
            properties[column] = {"type": "string"}
        elif column == "service_level":
            properties[column] = {"type": ["integer", "null"]}
        elif column == "occupancy":  # a ratio from 0 to 1, or null with no staffed time
            properties[column] = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
        else:
            properties[column] = {"type": "integer"}
    return {"type": "object", "properties": properties, "required": list(columns)}


AGENT_ROW = _row_schema(AGENT_COLUMNS, ("agent_id", "name", "day"))
QUEUE_ROW = _row_schema(QUEUE_COLUMNS, ("queue_id", "name", "interval_start"))
# views that also answer text/csv (Accept: text/csv)
CSV_VIEWS = frozenset({"report_agents", "report_queues"})
