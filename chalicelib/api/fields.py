"""The edge's field tables: how a JSON field is described and checked, with its bounds.

The tables themselves are grouped by who sends them: ``api.bodies`` (the
employee app), ``api.admin_bodies`` (company admins) and ``api.contact_center_bodies``.

Every string is checked for type, length and valid Unicode (a lone surrogate
cannot be stored or sent: it is refused with a 400, before anything is
written); numbers are whole and bounded; lists are bounded. The parsers in
``chalicelib.api.requests`` read their fields through these tables, and
``chalicelib.api.openapi`` turns the same tables into the OpenAPI document's
request schemas, so the published schema is the one that is enforced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.errors import NotFound, ValidationError

MAX_STRING = 4096  # any string field not bounded more tightly below
MAX_TEXT = 10 * 1024 * 1024  # API Gateway's payload; MAX_TEXT_LENGTH (413) is the service's
MAX_ID = 256
MAX_LIST = 100
MAX_MEMBERS = 1000  # the group limit (a setting, lower) answers too_many_members
MAX_SEQ = 10**11

Json = Mapping[str, object]


def valid_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def string(
    body: Json, name: str, code: str, *, max_len: int = MAX_STRING, required: bool = True
) -> str | None:
    """A string field: absent or null is None (or an error when required)."""
    value = body.get(name)
    if value is None:
        if required:
            raise ValidationError(f"{name} is required", code=code)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ValidationError(f"{name} must be text of at most {max_len} characters", code=code)
    if not valid_unicode(value):
        raise ValidationError(f"{name} is not valid Unicode text", code=code)
    return value


def required_string(body: Json, name: str, code: str, *, max_len: int = MAX_STRING) -> str:
    value = string(body, name, code, max_len=max_len)
    assert value is not None
    return value


def whole(
    body: Json, name: str, code: str, *, minimum: int = 0, maximum: int = MAX_SEQ
) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationError(
            f"{name} must be a whole number from {minimum} to {maximum}", code=code
        )
    return value


def flag(body: Json, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code="invalid_request")
    return value


def strings(
    body: Json, name: str, code: str, *, max_items: int = MAX_LIST, max_len: int = MAX_ID
) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(v, str) and len(v) <= max_len and valid_unicode(v) for v in value)
    ):
        raise ValidationError(f"{name} must be a list of at most {max_items} strings", code=code)
    return tuple(value)


def path_id(value: str, code: str = "not_found") -> str:
    """An id from the URL path: bounded and valid Unicode, else nothing matches it."""
    if len(value) > MAX_ID or not valid_unicode(value):
        raise NotFound("no such item", code=code)
    return value


# -- the declarative field table ---------------------------------------------------
#
# Each body is a table of fields (name, kind, bounds, whether required, the error
# code a bad value answers).

TEXT, WHOLE, FLAG, LIST, MAP = "text", "whole", "flag", "list", "map"
TEXT_MAP = "text_map"  # an object of short keys (``choices`` when given) to short texts


@dataclass(frozen=True)
class Field:
    """One JSON field: its kind and the bounds its parser enforces.

    A field that is not required may be absent or null (both mean "not given")
    unless ``nullable`` is false, as in a partial update where null is refused.
    ``min_len`` and ``pattern`` are enforced by the parser's own check (stated here
    so the schema says it too); ``choices`` lists the only accepted values.
    """

    name: str
    kind: str
    code: str = "invalid_request"
    required: bool = False
    nullable: bool | None = None  # None: nullable unless required
    max_len: int = MAX_STRING  # text, and each string of a list, map key or text-map value
    min_len: int = 0
    pattern: str | None = None
    minimum: int = 0  # whole numbers and map values
    maximum: int = MAX_SEQ
    min_items: int = 0  # lists and maps
    max_items: int = MAX_LIST
    choices: tuple[str, ...] = ()
    description: str = ""

    @property
    def accepts_null(self) -> bool:
        return (not self.required) if self.nullable is None else self.nullable

    def text(self, body: Json) -> str | None:
        return string(body, self.name, self.code, max_len=self.max_len, required=self.required)

    def required_text(self, body: Json) -> str:
        value = string(body, self.name, self.code, max_len=self.max_len)
        assert value is not None
        return value

    def whole(self, body: Json) -> int | None:
        return whole(body, self.name, self.code, minimum=self.minimum, maximum=self.maximum)

    def flag(self, body: Json) -> bool | None:
        return flag(body, self.name)

    def strings(self, body: Json) -> tuple[str, ...] | None:
        return strings(body, self.name, self.code, max_items=self.max_items, max_len=self.max_len)

    def text_map(self, body: Json) -> dict[str, str] | None:
        """A text map's shape and bounds (its values' ``pattern`` is the caller's rule)."""
        value = body.get(self.name)
        if value is None:
            return None
        if (
            not isinstance(value, dict)
            or len(value) > self.max_items
            or not all(
                isinstance(k, str)
                and (k in self.choices if self.choices else len(k) <= self.max_len)
                and isinstance(v, str)
                and len(v) <= self.max_len
                and valid_unicode(v)
                for k, v in value.items()
            )
        ):
            raise ValidationError(
                f"{self.name} must be an object of at most {self.max_items} texts", code=self.code
            )
        return dict(value)


@dataclass(frozen=True)
class Body:
    """A JSON object body: its fields, and whether any other field is refused."""

    fields: tuple[Field, ...]
    closed: bool = False  # an unknown field is a 400
    min_fields: int = 0
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]


def body_of(*fields: Field, closed: bool = False, min_fields: int = 0) -> Body:
    return Body(fields, closed=closed, min_fields=min_fields)


PAGING = (
    Field(
        "limit",
        WHOLE,
        "invalid_limit",
        minimum=1,
        maximum=100,
        description="page size: 1 to the page_size_max setting (100 unless configured)",
    ),
    Field("cursor", TEXT, "invalid_cursor", description="next_cursor of the previous page"),
)
AFTER_SEQ = Field("after_seq", WHOLE, "invalid_seq", maximum=MAX_SEQ - 1)
DAY_RANGE = (
    Field("from", TEXT, max_len=32, description="first day, YYYY-MM-DD"),
    Field("to", TEXT, max_len=32, description="last day, YYYY-MM-DD"),
)

# The sender's idempotency key, the same wherever a message is sent.
CLIENT_ID = Field(
    "client_id",
    TEXT,
    "invalid_client_id",
    required=True,
    max_len=128,
    min_len=1,
    pattern=r"\S",
    description="the sender's idempotency key",
)


def changes_body(allowed: Mapping[str, str], *, max_len: int = 320, closed: bool = True) -> Body:
    """A partial update of only ``allowed`` fields, each of its kind: ``text``,
    ``text?`` (text or null), ``flag`` or ``list`` (of short strings)."""
    fields = []
    for name, kind in allowed.items():
        if kind == "flag":
            fields.append(Field(name, FLAG, nullable=False))
        elif kind == "list":
            fields.append(Field(name, LIST, f"invalid_{name}", nullable=False, max_len=64))
        else:
            fields.append(
                Field(name, TEXT, f"invalid_{name}", nullable=kind == "text?", max_len=max_len)
            )
    return Body(tuple(fields), closed=closed, min_fields=1 if closed else 0)
