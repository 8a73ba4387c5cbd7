"""The query parameters of ``GET /search``: one field table, read by the route and
published in the OpenAPI document (``openapi.QUERIES``)."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.api.fields import DAY, MAX_ID, TEXT, WHOLE, Field, matches, string
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.search import MAX_QUERY
from chalicelib.services.search import SearchCommand

MAX_LIMIT = 50
# a day, or empty: an empty filter is no filter
OPTIONAL_DAY = f"^({DAY.strip('^$')})?$"
SEARCH_QUERY: tuple[Field, ...] = (
    Field(
        "q",
        TEXT,
        "invalid_query",
        required=True,
        max_len=MAX_QUERY,
        description='words (all must match, the last also as a prefix); "a phrase" in quotes',
    ),
    Field("conversation_id", TEXT, "invalid_request", max_len=MAX_ID),
    Field("channel", TEXT, "invalid_channel", choices=("im", "sms")),
    Field("sender", TEXT, "invalid_request", max_len=MAX_ID, description="a user id"),
    Field("after", TEXT, "invalid_date", max_len=10, pattern=DAY, description="first day (UTC)"),
    Field("before", TEXT, "invalid_date", max_len=10, pattern=DAY, description="last day (UTC)"),
    Field(
        "cursor", TEXT, "invalid_cursor", max_len=1024, description="next_cursor of the last page"
    ),
    Field("limit", WHOLE, "invalid_limit", minimum=1, maximum=MAX_LIMIT),
)
_BY_NAME = {f.name: f for f in SEARCH_QUERY}


def search_command(params: Mapping[str, str]) -> SearchCommand:
    """Every parameter through its field: bounded, valid Unicode, else a 400."""

    def text(name: str) -> str | None:
        spec = _BY_NAME[name]
        value = string(params, name, spec.code, max_len=spec.max_len, required=spec.required)
        if value and spec.pattern and not matches(spec.pattern, value):
            raise ValidationError(f"{name} must be {spec.description}", code=spec.code)
        if value is not None and spec.choices and value not in spec.choices:
            raise ValidationError(
                f"{name} must be one of {', '.join(spec.choices)}", code=spec.code
            )
        return value if value or spec.required else None  # an empty filter is no filter

    raw_limit = params.get("limit")
    limit = 20
    if raw_limit is not None:
        spec = _BY_NAME["limit"]
        if not (
            raw_limit.isascii()
            and raw_limit.isdigit()
            and spec.minimum <= int(raw_limit) <= spec.maximum
        ):
            raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}", code=spec.code)
        limit = int(raw_limit)
    return SearchCommand(
        q=text("q") or "",
        conversation_id=text("conversation_id"),
        channel=text("channel"),
        sender=text("sender"),
        after=text("after"),
        before=text("before"),
        cursor=text("cursor"),
        limit=limit,
    )
