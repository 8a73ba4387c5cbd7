"""JSON Schemas for the OpenAPI document: request schemas from the field tables the
parsers enforce (``chalicelib.api.fields`` and the body modules), response schemas
inferred from what the domain objects' ``to_dict`` return for representative
objects. ``chalicelib.api.openapi`` assembles the document from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.api.fields import (
    FLAG,
    LIST,
    MAP,
    MAX_KEYS,
    OBJECTS,
    TEXT,
    TEXT_MAP,
    WHOLE,
    Body,
    Field,
)
from chalicelib.domain.contacts import Contact, Phone
from chalicelib.domain.model import (
    SMS,
    BusinessNumber,
    Conversation,
    Message,
    Policy,
    User,
)

Schema = dict[str, Any]
Limits = Mapping[str, int]  # settings by name (``Field.setting``)
NO_LIMITS: Limits = {}
JSON = "application/json"


# -- request schemas from the field tables --------------------------------------------


def _text_schema(spec: Field, max_len: int) -> Schema:
    schema: Schema = {"type": "string", "maxLength": max_len}
    if spec.min_len:
        schema["minLength"] = spec.min_len
    if spec.pattern:
        schema["pattern"] = spec.pattern
    if spec.choices:
        schema["enum"] = list(spec.choices)
    return schema


def field_schema(spec: Field, limits: Limits = NO_LIMITS) -> Schema:
    """A field's JSON Schema: exactly what ``Field`` enforces, a setting's bound applied."""
    schema: Schema
    if spec.kind == TEXT:
        schema = _text_schema(spec, spec.bound(spec.max_len, limits))
    elif spec.kind == WHOLE:
        maximum = spec.bound(spec.maximum, limits)
        schema = {"type": "integer", "minimum": spec.minimum, "maximum": maximum}
    elif spec.kind == FLAG:
        schema = {"type": "boolean"}
    elif spec.kind == LIST:
        schema = {
            "type": "array",
            "items": _text_schema(spec, spec.max_len),
            "maxItems": spec.bound(spec.max_items, limits),
        }
        if spec.min_items:
            schema["minItems"] = spec.min_items
    elif spec.kind in (MAP, TEXT_MAP):
        keys: Schema = {"enum": list(spec.choices)} if spec.choices else {"maxLength": spec.max_len}
        values: Schema = {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}
        if spec.kind == TEXT_MAP:
            values = {"type": "string", "maxLength": spec.max_len}
            values.update({"pattern": spec.pattern} if spec.pattern else {})
        elif spec.pattern:  # a map of whole numbers: the pattern is its keys'
            keys["pattern"] = spec.pattern
        schema = {"type": "object", "propertyNames": keys, "additionalProperties": values}
        schema.update({"minProperties": spec.min_items, "maxProperties": spec.max_items})
    elif spec.kind == OBJECTS and spec.item is not None:
        schema = {
            "type": "array",
            "items": body_schema(spec.item, limits),
            "minItems": spec.min_items,
            "maxItems": spec.max_items,
        }
    else:  # pragma: no cover - a new kind must be taught here
        raise ValueError(f"no schema for field kind {spec.kind!r}")
    if spec.accepts_null:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"].append(None)
    if spec.description:
        schema["description"] = spec.description
    schema["x-error-code"] = spec.code
    return schema


def body_schema(body: Body, limits: Limits = NO_LIMITS) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": {f.name: field_schema(f, limits) for f in body.fields},
        "maxProperties": MAX_KEYS,
    }
    required = [f.name for f in body.fields if f.required]
    if required:
        schema["required"] = required
    if body.closed:
        schema["additionalProperties"] = False
    if body.min_fields:
        schema["minProperties"] = body.min_fields
    if body.rule:
        schema["allOf"] = [dict(body.rule)]
    return schema


def request_schema(bodies: Body | tuple[Body, ...], limits: Limits = NO_LIMITS) -> Schema:
    if isinstance(bodies, Body):
        return body_schema(bodies, limits)
    return {"anyOf": [body_schema(b, limits) for b in bodies]}


def query_parameter(spec: Field, limits: Limits = NO_LIMITS) -> Schema:
    schema = field_schema(spec, limits)
    if isinstance(schema["type"], list):  # a query value is present or absent, never null
        schema["type"] = schema["type"][0]
        if "enum" in schema:
            schema["enum"] = [v for v in schema["enum"] if v is not None]
    return {"name": spec.name, "in": "query", "required": spec.required, "schema": schema}


def path_parameter(spec: Field, limits: Limits = NO_LIMITS) -> Schema:
    """A path parameter: a value outside its schema matches nothing (404) or is
    refused (400, its ``x-error-code``)."""
    return {**query_parameter(spec, limits), "in": "path", "required": True}


# -- response schemas inferred from the domain objects ------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"{type(value).__name__} is not JSON")


def infer(values: Iterable[object]) -> Schema:
    """The schema every one of ``values`` matches: the union of their types; keys
    present in every object are required; list items merged across all lists."""
    values = list(values)
    types = sorted({_json_type(v) for v in values})
    schema: Schema = {"type": types[0] if len(types) == 1 else types}
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        keys = list(dict.fromkeys(k for o in objects for k in o))
        schema["properties"] = {k: infer(o[k] for o in objects if k in o) for k in keys}
        schema["required"] = [k for k in keys if all(k in o for o in objects)]
    items = [item for v in values if isinstance(v, list) for item in v]
    if items:
        schema["items"] = infer(items)
    return schema


def _message(**changes: Any) -> Message:
    values: dict[str, Any] = {
        "conversation_id": "d0",
        "company_id": "c1",
        "seq": 1,
        "client_id": "k1",
        "sender": "u1",
        "text": "hello",
        "created_at": "2026-01-01T00:00:00.000Z",
        "media": [{"key": "m/1", "content_type": "image/png", "size": 10}],
    }
    values.update(changes)
    return Message(**values)


def _conversation(**changes: Any) -> Conversation:
    values: dict[str, Any] = {
        "conversation_id": "d0",
        "company_id": "c1",
        "type": "im",
        "members": ["u1", "u2"],
        "created_by": "u1",
        "created_at": "2026-01-01T00:00:00.000Z",
    }
    values.update(changes)
    return Conversation(**values)


def message_samples() -> list[dict[str, Any]]:
    """Every variant a message's ``to_dict`` has: IM, SMS (with and without an
    error), deleted."""
    return [
        _message().to_dict(),
        _message(deleted=True, deleted_at="2026-01-01T00:00:01.000Z").to_dict(),
        _message(channel=SMS, direction="outbound", segments=1, encoding="GSM-7").to_dict(),
        _message(
            media=[{"key": "m/2", "content_type": "image/png", "size": 9, "filename": "a.png"}]
        ).to_dict(),
        _message(channel=SMS, direction="inbound", error_code="30003", media=[]).to_dict(),
    ]


def conversation_samples() -> list[dict[str, Any]]:
    preview = _message().preview()
    return [
        _conversation().to_dict(),
        _conversation(conversation_id="g1", name="team", last_message=preview).to_dict(),
        _conversation(  # a preview stored before previews named their channel
            conversation_id="s1",
            type=SMS,
            last_message={k: v for k, v in preview.items() if k != "channel"},
            business_number="+14155550100",
            external_number="+14155550199",
        ).to_dict(),
        _conversation(  # on a shared line: assigned, labelled
            conversation_id="s2",
            type=SMS,
            business_number="+14155550100",
            external_number="+14155550198",
            assignee="u2",
            labels=["billing"],
        ).to_dict(),
    ]


def contact_samples() -> list[dict[str, Any]]:
    phones = [Phone("+14155550199", "mobile"), Phone("+14155550142")]
    return [
        Contact("k1", "u1", "c1", "Ann", phones[:1], "2026", "2026").to_dict(),
        Contact("k2", "u1", "c1", "Bo", phones, "2026", "2026", "bo@x.test", "Bo Co").to_dict(),
    ]


def policy_samples() -> list[dict[str, Any]]:
    return [Policy("p1", "c1", "Drivers").to_dict()]


def number_samples() -> list[dict[str, Any]]:
    return [
        BusinessNumber("+14155550100", "c1", users=["u1"]).to_dict(),
        BusinessNumber("+14155550101", "c1", type="virtual", capabilities=[]).to_dict(),
    ]


def user_samples() -> list[dict[str, Any]]:
    return [
        User("u1", "c1", "Dana", "dana@acme.test", username="dana").to_dict(),
        User("u2", "c1", "Eve", policy_id="p1", enabled=False).to_dict(),
    ]


def page_of(item: Schema) -> Schema:
    """Every list: ``{"items": [...], "next_cursor": <opaque or null>}`` (presenters.page)."""
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
        "required": ["items", "next_cursor"],
    }


def components() -> Schema:
    return {
        "Message": infer(message_samples()),
        "Conversation": infer(conversation_samples()),
        "Contact": infer(contact_samples()),
        "Policy": infer(policy_samples()),
        "Number": infer(number_samples()),
        "User": infer(user_samples()),
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["code", "message"],
                }
            },
            "required": ["error"],
        },
        "Object": {"type": "object"},
        "SearchResults": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "conversation_id": {"type": "string"},
                            "message": ref("Message"),
                            "highlight": {
                                "type": "string",
                                "description": "the text, HTML-escaped, matches in <mark>…</mark>",
                            },
                        },
                        "required": ["conversation_id", "message", "highlight"],
                    },
                },
                "next_cursor": {"type": ["null", "string"]},
            },
            "required": ["items", "next_cursor"],
        },
    }


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}
