"""The edge's field tables: how a JSON field is described and checked, with its bounds.

The tables themselves are grouped by who sends them: ``api.bodies`` (the
employee app), ``api.admin_bodies`` (company admins) and ``api.contact_center_bodies``.

Every string is checked for type, length, pattern and valid Unicode (a lone
surrogate cannot be stored or sent: it is refused with a 400, before anything is
written); numbers are whole (``2.0`` is the whole number 2, as JSON Schema says)
and bounded; lists are bounded; null is accepted only where the table says so.
The parsers in ``chalicelib.api.requests`` read their fields through these
tables, and ``chalicelib.api.openapi`` turns the same tables into the OpenAPI
document's request schemas, so the published schema is the one that is enforced.
A bound that is a setting (``Field.setting``) is read from the settings when the
document is made, so the document states the deployment's own limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.errors import NotFound, ValidationError

MAX_STRING = 4096  # any string field not bounded more tightly below
MAX_TEXT = 10 * 1024 * 1024  # API Gateway's payload; MAX_TEXT_LENGTH (413) is the service's
MAX_ID = 256
MAX_LIST = 100
MAX_MEMBERS = 1000  # the group limit (a setting, lower) answers too_many_members
MAX_SEQ = 10**11
MAX_KEYS = 100  # keys of any one JSON object in a body (a table's open body included)

# The characters Python's str.strip() removes, which is what the services call blank.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{_SPACE}]"  # at least one character that is not white space
# One line of text: no control characters (NUL, newlines, escapes), as names must be.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
# A name: one line, not blank.
NAME = f"^[^\\x00-\\x1f\\x7f]*[^{_SPACE}\\x00-\\x1f\\x7f][^\\x00-\\x1f\\x7f]*$"

Json = Mapping[str, object]


def matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern`` as JSON Schema reads it (ECMA 262: a
    search, and ``$`` is the end of the text, not also before a final newline)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.search(pattern, value) is not None


def as_whole(value: object) -> int | None:
    """A JSON number with no fractional part as an int (``2.0`` is 2); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


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
    raw = body.get(name)
    if raw is None:
        return None
    value = as_whole(raw)
    if value is None or not minimum <= value <= maximum:
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


def names_nothing(value: str) -> bool:
    """A path id no item can have: longer than any id a body may carry (``MAX_ID``
    characters, the bound the document states) or not valid Unicode."""
    return not valid_unicode(value) or len(value) > MAX_ID


def path_id(value: str, code: str = "not_found") -> str:
    """An id from the URL path: bounded and valid Unicode, else nothing matches it."""
    if names_nothing(value):
        raise NotFound("no such item", code=code)
    return value


def path_index(value: str, code: str) -> int:
    """A small whole number from the URL path (``PATH_PARAMETERS["index"]``); anything
    else, however long, matches nothing."""
    spec = PATH_PARAMETERS["index"]
    if len(value) > spec.max_len or not (value.isascii() and value.isdigit()):
        raise NotFound("no such item", code=code)
    return int(value)


# -- the declarative field table ---------------------------------------------------
#
# Each body is a table of fields (name, kind, bounds, whether required, the error
# code a bad value answers).

TEXT, WHOLE, FLAG, LIST, MAP = "text", "whole", "flag", "list", "map"
TEXT_MAP = "text_map"  # an object of short keys (``choices`` when given) to short texts
OBJECTS = "objects"  # a list of objects, each read through its own table (``item``)


@dataclass(frozen=True)
class Field:
    """One JSON field: its kind and the bounds its parser enforces.

    A field that is not required may be absent or null (both mean "not given")
    unless ``nullable`` is false, as in a partial update where null is refused.
    A text's ``min_len``, ``pattern`` (JSON Schema's: a search) and ``choices`` (the
    only accepted values) are enforced here, so the schema says what is checked.
    ``setting`` names the setting that lowers ``maximum`` (whole numbers) or
    ``max_len``/``max_items`` (texts, lists) in a deployment; the service enforces it.
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
    setting: str = ""
    setting_offset: int = 0  # the bound is the setting plus this
    item: Body | None = None  # OBJECTS: the table of each object (closed: other keys refused)

    def bound(self, default: int, limits: Mapping[str, int]) -> int:
        """``default`` lowered to the setting this field names, when ``limits`` has it."""
        if self.setting in limits:
            return min(default, limits[self.setting] + self.setting_offset)
        return default

    @property
    def accepts_null(self) -> bool:
        return (not self.required) if self.nullable is None else self.nullable

    def _not_null(self, body: Json) -> None:
        if self.name in body and body[self.name] is None and not self.accepts_null:
            raise ValidationError(f"{self.name} must not be null", code=self.code)

    def check_text(self, value: str) -> str:
        """A text's own rules (the type and length are ``string``'s)."""
        if len(value) < self.min_len:
            raise ValidationError(
                f"{self.name} must be at least {self.min_len} characters", code=self.code
            )
        if self.pattern and not matches(self.pattern, value):
            raise ValidationError(f"{self.name} does not match {self.pattern}", code=self.code)
        if self.choices and value not in self.choices:
            raise ValidationError(
                f"{self.name} must be one of {', '.join(self.choices)}", code=self.code
            )
        return value

    def text(self, body: Json) -> str | None:
        self._not_null(body)
        value = string(body, self.name, self.code, max_len=self.max_len, required=self.required)
        return None if value is None else self.check_text(value)

    def required_text(self, body: Json) -> str:
        value = string(body, self.name, self.code, max_len=self.max_len)
        assert value is not None
        return self.check_text(value)

    def whole(self, body: Json) -> int | None:
        self._not_null(body)
        return whole(body, self.name, self.code, minimum=self.minimum, maximum=self.maximum)

    def flag(self, body: Json) -> bool | None:
        self._not_null(body)
        return flag(body, self.name)

    def strings(self, body: Json) -> tuple[str, ...] | None:
        self._not_null(body)
        found = strings(body, self.name, self.code, max_items=self.max_items, max_len=self.max_len)
        if found is not None and len(found) < self.min_items:
            raise ValidationError(
                f"{self.name} must list at least {self.min_items}", code=self.code
            )
        if found is not None and (self.min_len or self.pattern or self.choices):
            for item in found:
                self.check_text(item)
        return found

    def objects(self, body: Json) -> tuple[dict[str, object], ...] | None:
        """A list of objects, each field of each read through ``item`` (a wrong type, an
        unknown key or a bad value anywhere is this field's code)."""
        self._not_null(body)
        value = body.get(self.name)
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or not self.min_items <= len(value) <= self.max_items
            or not all(isinstance(v, dict) for v in value)
        ):
            raise ValidationError(
                f"{self.name} must be a list of {self.min_items} to {self.max_items} objects",
                code=self.code,
            )
        assert self.item is not None
        found = []
        for entry in value:
            if set(entry) - set(self.item.by_name):
                raise ValidationError(
                    f"each of {self.name} has only {', '.join(self.item.by_name)}", code=self.code
                )
            read: dict[str, object] = {}
            for spec in self.item.fields:
                try:
                    read[spec.name] = (
                        spec.text(entry) if spec.kind == TEXT else entry.get(spec.name)
                    )
                except ValidationError as error:
                    raise ValidationError(f"{self.name}: {error.message}", code=self.code) from None
            found.append(read)
        return tuple(found)

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
    """A JSON object body: its fields, and whether any other field is refused.

    ``rule`` is a JSON Schema for what one field cannot say alone (``text`` or
    ``media``); the parser that reads the body enforces the same.
    """

    fields: tuple[Field, ...]
    closed: bool = False  # an unknown field is a 400
    min_fields: int = 0
    rule: Mapping[str, object] | None = None
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]


def body_of(
    *fields: Field,
    closed: bool = False,
    min_fields: int = 0,
    rule: Mapping[str, object] | None = None,
) -> Body:
    return Body(fields, closed=closed, min_fields=min_fields, rule=rule)


CURSOR = Field(
    "cursor",
    TEXT,
    "invalid_cursor",
    max_len=MAX_STRING,
    pattern=r"^[A-Za-z0-9_=-]*$",
    description="opaque: the next_cursor of the previous page of the same list, passed "
    "back unchanged (the server made it; any other value is a 400 invalid_cursor); "
    "empty or absent: the first page",
)
PAGING = (
    Field(
        "limit",
        WHOLE,
        "invalid_limit",
        minimum=1,
        maximum=100,
        setting="page_size_max",
        description="page size: 1 to the page_size_max setting",
    ),
    CURSOR,
)
AFTER_SEQ = Field("after_seq", WHOLE, "invalid_seq", maximum=MAX_SEQ - 1)
DAY = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DAY_RANGE = (
    Field("from", TEXT, "invalid_date", max_len=10, pattern=DAY, description="first day"),
    Field("to", TEXT, "invalid_date", max_len=10, pattern=DAY, description="last day"),
)

# -- path parameters: what each one may be (anything else matches nothing: a 404) ----

ID = Field("id", TEXT, "not_found", required=True, min_len=1, max_len=MAX_ID)
E164 = r"^\+[1-9][0-9]{6,14}$"
PATH_PARAMETERS: Mapping[str, Field] = {
    "e164": Field(
        "e164",
        TEXT,
        "invalid_phone",
        required=True,
        max_len=16,
        pattern=E164,
        description="an E.164 number (+ and digits) libphonenumber holds valid",
    ),
    "index": Field("index", TEXT, "media_not_found", required=True, max_len=4, pattern=r"^[0-9]+$"),
    # the contact center's own ids (its admin chooses them): 1-64 letters, digits, - or _
    "reply_id": Field(
        "reply_id", TEXT, "invalid_reply_id", required=True, max_len=64, pattern=r"^[A-Za-z0-9_-]+$"
    ),
    "queue_id": Field(
        "queue_id", TEXT, "invalid_queue_id", required=True, max_len=64, pattern=r"^[A-Za-z0-9_-]+$"
    ),
}

# The sender's idempotency key, the same wherever a message is sent.
CLIENT_ID = Field(
    "client_id",
    TEXT,
    "invalid_client_id",
    required=True,
    max_len=128,
    min_len=1,
    pattern=NOT_BLANK,
    description="the sender's idempotency key",
)


def changes_body(
    allowed: Mapping[str, str | Field], *, max_len: int = 320, closed: bool = True
) -> Body:
    """A partial update of only ``allowed`` fields, each of its kind: ``text``,
    ``text?`` (text or null), ``flag`` or ``list`` (of short strings), or a ``Field``
    of its own (null refused unless it says otherwise). An open body (``closed``
    false) ignores other fields, at most ``MAX_KEYS`` in all."""
    fields = []
    for name, kind in allowed.items():
        if isinstance(kind, Field):
            fields.append(kind)
        elif kind == "flag":
            fields.append(Field(name, FLAG, nullable=False))
        elif kind == "list":
            fields.append(Field(name, LIST, f"invalid_{name}", nullable=False, max_len=64))
        else:
            fields.append(
                Field(name, TEXT, f"invalid_{name}", nullable=kind == "text?", max_len=max_len)
            )
    return Body(tuple(fields), closed=closed, min_fields=1 if closed else 0)
