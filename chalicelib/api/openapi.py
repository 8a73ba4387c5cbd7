"""The OpenAPI 3.1 document of the REST API, generated from the code.

Nothing here is a hand-written copy of the API:

- paths and methods come from the Chalice app's route table (``app.routes``),
  with each route's path parameters, authorizer and content types;
- request bodies and query parameters come from the field tables the parsers
  enforce (``chalicelib.api.fields``);
- response schemas are inferred from what the domain objects' ``to_dict`` and
  the presenters actually return for representative objects (every variant:
  IM and SMS, deleted, with and without a last message), so a key added to
  ``to_dict`` appears in the document without anyone editing it.

What is declared here is only the wiring the route table cannot tell: which
field table a view reads (``BODIES``, ``QUERIES``) and which shape it answers
with (``RESPONSES``); tests/api/test_openapi.py checks that wiring against the
views' code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.api import fields
from chalicelib.api.fields import FLAG, LIST, MAP, TEXT, TEXT_MAP, WHOLE, Body, Field
from chalicelib.domain.model import SMS, BusinessNumber, Contact, Conversation, Message, Policy

Schema = dict[str, Any]

TITLE = "Business texting REST API"
VERSION = "1.0.0"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PATH_PARAMETER = re.compile(r"{(\w+)}")

# -- which field table each view reads ----------------------------------------------

_CREATE_CONVERSATION: tuple[Body, ...] = (fields.CREATE_IM, fields.CREATE_SMS)

BODIES: Mapping[str, Body | tuple[Body, ...]] = {
    "set_presence": fields.SET_PRESENCE,
    "start_photo_upload": fields.UPLOAD,
    "confirm_photo": fields.PHOTO_KEY,
    "register_device": fields.DEVICE,
    "create_contact": fields.CONTACT,
    "update_contact": fields.CONTACT,
    "create_conversation": _CREATE_CONVERSATION,
    "update_conversation": fields.UPDATE_CONVERSATION,
    "add_members": fields.MEMBERS,
    "sync": fields.SYNC,
    "send_message": fields.SEND_MESSAGE,
    "admin_update_company": fields.COMPANY_CHANGES,
    "admin_put_number": fields.NUMBER_CHANGES,
    "admin_update_user": fields.USER_CHANGES,
    "admin_create_policy": fields.POLICY_CHANGES,
    "admin_update_policy": fields.POLICY_CHANGES,
    "start_media_upload": fields.UPLOAD,
    "sms_preview": fields.PREVIEW,
    "read_conversation": fields.MARK_READ,
    "put_agent_status": fields.CC_AGENT_STATUS,
    "start_interaction": fields.CC_OUTBOUND,
    "transfer_interaction": fields.CC_TRANSFER,
    "end_interaction": fields.CC_END,
    "put_queue": fields.CC_QUEUE,
    "put_channel": fields.CC_CHANNEL,
    "put_agent": fields.CC_AGENT,
    "put_canned": fields.CC_CANNED,
}

# views whose body may be left out (``_body(optional=True)``): the same as an empty object
OPTIONAL_BODIES = frozenset({"end_interaction"})

QUERIES: Mapping[str, tuple[Field, ...]] = {
    "get_directory": fields.PAGING,
    "list_contacts": fields.PAGING,
    "list_conversations": fields.PAGING,
    "list_messages": (*fields.PAGING, fields.AFTER_SEQ),
    "sync": fields.PAGING[:1],
    "sms_usage": fields.DAY_RANGE,
}

# -- request schemas from the field tables --------------------------------------------


def field_schema(spec: Field) -> Schema:
    schema: Schema
    if spec.kind == TEXT:
        schema = {"type": "string", "maxLength": spec.max_len}
        if spec.min_len:
            schema["minLength"] = spec.min_len
        if spec.pattern:
            schema["pattern"] = spec.pattern
        if spec.choices:
            schema["enum"] = list(spec.choices)
    elif spec.kind == WHOLE:
        schema = {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}
    elif spec.kind == FLAG:
        schema = {"type": "boolean"}
    elif spec.kind == LIST:
        schema = {
            "type": "array",
            "items": {"type": "string", "maxLength": spec.max_len},
            "maxItems": spec.max_items,
        }
        if spec.min_items:
            schema["minItems"] = spec.min_items
    elif spec.kind in (MAP, TEXT_MAP):
        keys: Schema = {"enum": list(spec.choices)} if spec.choices else {"maxLength": spec.max_len}
        values: Schema = {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}
        if spec.kind == TEXT_MAP:
            values = {"type": "string", "maxLength": spec.max_len}
            values.update({"pattern": spec.pattern} if spec.pattern else {})
        schema = {"type": "object", "propertyNames": keys, "additionalProperties": values}
        schema.update({"minProperties": spec.min_items, "maxProperties": spec.max_items})
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


def body_schema(body: Body) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": {f.name: field_schema(f) for f in body.fields},
    }
    required = [f.name for f in body.fields if f.required]
    if required:
        schema["required"] = required
    if body.closed:
        schema["additionalProperties"] = False
    if body.min_fields:
        schema["minProperties"] = body.min_fields
    return schema


def request_schema(bodies: Body | tuple[Body, ...]) -> Schema:
    if isinstance(bodies, Body):
        return body_schema(bodies)
    return {"anyOf": [body_schema(b) for b in bodies]}


def query_parameter(spec: Field) -> Schema:
    schema = field_schema(spec)
    if isinstance(schema["type"], list):  # a query value is present or absent, never null
        schema["type"] = schema["type"][0]
    return {"name": spec.name, "in": "query", "required": spec.required, "schema": schema}


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
        _message(channel=SMS, direction="inbound", error_code="30003", media=[]).to_dict(),
    ]


def conversation_samples() -> list[dict[str, Any]]:
    preview = _message().preview()
    return [
        _conversation().to_dict(),
        _conversation(conversation_id="g1", name="team", last_message=preview).to_dict(),
        _conversation(
            conversation_id="s1",
            type=SMS,
            last_message=preview,
            business_number="+14155550100",
            external_number="+14155550199",
        ).to_dict(),
    ]


def contact_samples() -> list[dict[str, Any]]:
    return [Contact("k1", "u1", "c1", "Ann", "+14155550199", "2026", "2026").to_dict()]


def policy_samples() -> list[dict[str, Any]]:
    return [Policy("p1", "c1", "Drivers").to_dict()]


def number_samples() -> list[dict[str, Any]]:
    return [
        BusinessNumber("+14155550100", "c1", users=["u1"]).to_dict(),
        BusinessNumber("+14155550101", "c1", type="virtual", capabilities=[]).to_dict(),
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
    }


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


# -- which shape each view answers with: (statuses, schema); None is an empty body -------

_OK = (200,)
RESPONSES: Mapping[str, tuple[tuple[int, ...], Schema | None]] = {
    "get_message": (_OK, ref("Message")),
    "delete_message": (_OK, ref("Message")),
    "send_message": ((200, 201, 202), ref("Message")),
    "list_messages": (_OK, page_of(ref("Message"))),
    "get_conversation": (_OK, ref("Conversation")),
    "create_conversation": ((200, 201), ref("Conversation")),
    "update_conversation": (_OK, ref("Conversation")),
    "add_members": (_OK, ref("Conversation")),
    "remove_member": (_OK, ref("Conversation")),
    "list_conversations": (_OK, page_of(ref("Conversation"))),
    "list_contacts": (_OK, page_of(ref("Contact"))),
    "get_contact": (_OK, ref("Contact")),
    "update_contact": (_OK, ref("Contact")),
    "create_contact": ((201,), ref("Contact")),
    "delete_contact": ((204,), None),
    "logout_device": ((204,), None),
    "register_device": ((201,), ref("Object")),
    "get_directory": (_OK, page_of(ref("Object"))),
    "list_devices": (_OK, page_of(ref("Object"))),
    "admin_numbers": (_OK, page_of(ref("Number"))),
    "admin_policies": (_OK, page_of(ref("Policy"))),
    "admin_create_policy": ((201,), ref("Policy")),
    "admin_update_policy": (_OK, ref("Policy")),
}


_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted: stored, the text is queued for the carrier",
    204: "No content",
}


def _responses(view_name: str) -> Schema:
    statuses, schema = RESPONSES.get(view_name, (_OK, ref("Object")))
    found: Schema = {}
    for status in statuses:
        response: Schema = {"description": _STATUS_TEXT.get(status, "OK")}
        if schema is not None:
            response["content"] = {JSON: {"schema": schema}}
        found[str(status)] = response
    found["default"] = {
        "description": 'Any error: {"error": {"code", "message"}} (docs/api.md lists the codes)',
        "content": {JSON: {"schema": ref("Error")}},
    }
    return found


def _webhook_operation(route: Any) -> Schema:
    return {
        "summary": route.view_function.__doc__ or route.view_name,
        "operationId": route.view_name,
        "tags": ["webhooks"],
        "security": [],
        "parameters": [
            {
                "name": "X-Twilio-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                FORM: {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}
            },
        },
        "responses": {
            "200": {
                "description": "TwiML",
                "content": {"text/xml": {"schema": {"type": "string"}}},
            },
            "default": {
                "description": "A bad or missing signature (403 invalid_signature)",
                "content": {JSON: {"schema": ref("Error")}},
            },
        },
    }


def operation(route: Any) -> Schema:
    """One route entry of the Chalice route table as an OpenAPI operation."""
    if FORM in route.content_types:
        return _webhook_operation(route)
    doc = (route.view_function.__doc__ or "").strip().splitlines()
    op: Schema = {
        "operationId": route.view_name,
        "summary": doc[0] if doc else route.view_name.replace("_", " "),
        "tags": [route.uri_pattern.strip("/").split("/")[0]],
        "security": [{"cognito": []}] if route.authorizer is not None else [],
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PATH_PARAMETER.findall(route.uri_pattern)
    ]
    parameters += [query_parameter(f) for f in QUERIES.get(route.view_name, ())]
    if parameters:
        op["parameters"] = parameters
    body = BODIES.get(route.view_name)
    if body is not None:
        op["requestBody"] = {
            "required": route.view_name not in OPTIONAL_BODIES,
            "content": {JSON: {"schema": request_schema(body)}},
        }
    op["responses"] = _responses(route.view_name)
    return op


def document(routes: Mapping[str, Mapping[str, Any]], server_url: str = "/") -> Schema:
    """The OpenAPI 3.1 document for a Chalice route table (``app.routes``)."""
    paths: Schema = {}
    for path in sorted(routes):
        paths[path] = {
            method.lower(): operation(entry) for method, entry in sorted(routes[path].items())
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Generated from the route table, the edge's field tables and "
            "the domain objects. Errors are always "
            '{"error": {"code": "...", "message": "..."}}.',
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": components(),
            "securitySchemes": {
                "cognito": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Cognito IdToken",
                }
            },
        },
    }
