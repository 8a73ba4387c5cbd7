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
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.api import (
    admin_bodies,
    bodies,
    contact_center_bodies,
    fields,
    report_params,
    search_params,
)
from chalicelib.api.fields import Body, Field
from chalicelib.api.openapi_schemas import (
    JSON,
    NO_LIMITS,
    Limits,
    Schema,
    components,
    page_of,
    path_parameter,
    query_parameter,
    ref,
    request_schema,
)

TITLE = "Business texting REST API"
VERSION = "1.0.0"
FORM = "application/x-www-form-urlencoded"
PATH_PARAMETER = re.compile(r"{(\w+)}")

# -- which field table each view reads ----------------------------------------------

_CREATE_CONVERSATION: tuple[Body, ...] = (bodies.CREATE_IM, bodies.CREATE_SMS)

BODIES: Mapping[str, Body | tuple[Body, ...]] = {
    "set_presence": bodies.SET_PRESENCE,
    "start_photo_upload": bodies.PHOTO_UPLOAD,
    "confirm_photo": bodies.PHOTO_KEY,
    "register_device": bodies.DEVICE,
    "create_contact": bodies.CONTACT,
    "update_contact": bodies.CONTACT_CHANGES,
    "create_conversation": _CREATE_CONVERSATION,
    "update_conversation": bodies.UPDATE_CONVERSATION,
    "add_members": bodies.MEMBERS,
    "sync": bodies.SYNC,
    "send_message": bodies.SEND_MESSAGE,
    "admin_update_company": admin_bodies.COMPANY_CHANGES,
    "admin_put_number": admin_bodies.NUMBER_CHANGES,
    "admin_update_user": admin_bodies.USER_CHANGES,
    "admin_invite_user": admin_bodies.INVITE_USER,
    "sign_out": bodies.SIGN_OUT,
    "admin_create_policy": admin_bodies.POLICY_CREATE,
    "admin_update_policy": admin_bodies.POLICY_CHANGES,
    "admin_put_texting_policy": admin_bodies.TEXTING_POLICY_CHANGES,
    "put_consent": admin_bodies.CONSENT_CHANGES,
    "start_media_upload": bodies.MEDIA_UPLOAD,
    "sms_preview": bodies.PREVIEW,
    "read_conversation": bodies.MARK_READ,
    "put_agent_status": contact_center_bodies.CC_AGENT_STATUS,
    "start_interaction": contact_center_bodies.CC_OUTBOUND,
    "transfer_interaction": contact_center_bodies.CC_TRANSFER,
    "add_interaction_note": contact_center_bodies.CC_NOTE,
    "set_agent_status": contact_center_bodies.CC_AGENT_STATUS,
    "end_interaction": contact_center_bodies.CC_END,
    "put_queue": contact_center_bodies.CC_QUEUE,
    "put_channel": contact_center_bodies.CC_CHANNEL,
    "put_agent": contact_center_bodies.CC_AGENT,
    "put_canned": contact_center_bodies.CC_CANNED,
}

# views whose body may be left out (``_body(optional=True)``): the same as an empty object
OPTIONAL_BODIES = frozenset({"end_interaction"})

QUERIES: Mapping[str, tuple[Field, ...]] = {
    "get_directory": fields.PAGING,
    "list_contacts": (*fields.PAGING, *bodies.CONTACT_SEARCH),
    "list_conversations": (*fields.PAGING, *bodies.CONVERSATION_VIEW),
    "list_messages": (*fields.PAGING, fields.AFTER_SEQ),
    "get_consent": fields.PAGING,
    "sync": fields.PAGING[:1],
    "sms_usage": fields.DAY_RANGE,
    "search": search_params.SEARCH_QUERY,
    "list_interactions": contact_center_bodies.CC_INTERACTION_PAGING,
    "list_queue_interactions": (fields.CURSOR,),
    "monitor_interaction": (fields.CURSOR,),
    "search_canned": contact_center_bodies.CC_CANNED_SEARCH,
    "find_customers": contact_center_bodies.CC_CUSTOMER_SEARCH,
    "queue_stats": contact_center_bodies.CC_STATS,
    "report_agents": report_params.REPORT_QUERY,
    "report_queues": report_params.QUEUE_REPORT_QUERY,
}

# -- which shape each view answers with: (statuses, schema); None is an empty body -------

_OK = (200,)


def _channel_limits(max_bytes: str, **more: Schema) -> Schema:
    """What a message of one channel may carry (``GET /media/limits``)."""
    properties: dict[str, Schema] = {
        "content_types": {"type": "array", "items": {"type": "string"}},
        "max_bytes": {"type": "integer", "description": max_bytes},
        "max_items": {"type": "integer"},
        **more,
    }
    return {"type": "object", "required": list(properties), "properties": properties}


_STRINGS: Schema = {"type": "array", "items": {"type": "string"}}
_MEDIA_LIMITS: Schema = {
    "type": "object",
    "required": ["im", "sms"],
    "properties": {
        "im": _channel_limits("bytes, each attachment"),
        "sms": _channel_limits(
            "bytes, a message's attachments together",
            enabled={"type": "boolean", "description": "MMS switched on for this stage"},
            countries={**_STRINGS, "description": "destinations' regions MMS reaches"},
            number_types={**_STRINGS, "description": "business number types that send MMS"},
        ),
    },
}
_MEDIA_UPLOAD: Schema = {
    "type": "object",
    "required": ["key", "upload", "max_bytes", "filename"],
    "properties": {
        "key": {"type": "string", "description": "the upload's key, for the send's media"},
        "upload": {
            "type": "object",
            "required": ["method", "url", "fields"],
            "properties": {
                "method": {"type": "string", "enum": ["POST"]},
                "url": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "max_bytes": {"type": "integer"},
        "filename": {"type": ["null", "string"]},
    },
}
RESPONSES: Mapping[str, tuple[tuple[int, ...], Schema | None]] = {
    "get_message": (_OK, ref("Message")),
    "delete_message": (_OK, ref("Message")),
    "hide_message": (_OK, ref("Message")),
    "clear_conversation": (_OK, ref("Conversation")),
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
    "admin_invite_user": ((200, 201), ref("User")),
    "admin_disable_user": (_OK, ref("User")),
    "admin_enable_user": (_OK, ref("User")),
    "admin_texting_policy": (_OK, ref("Object")),
    "admin_put_texting_policy": (_OK, ref("Object")),
    "admin_registrations": (_OK, page_of(ref("Object"))),
    "admin_sms_account": (_OK, ref("Object")),
    "get_consent": (_OK, ref("Object")),
    "put_consent": (_OK, ref("Object")),
    "sign_out": ((204,), None),
    "search": (_OK, ref("SearchResults")),
    "media_limits": (_OK, _MEDIA_LIMITS),
    "start_media_upload": (_OK, _MEDIA_UPLOAD),
    "stop_monitoring": ((204,), None),
    "delete_queue": ((204,), None),
    "delete_channel": ((204,), None),
    "delete_canned": ((204,), None),
    "add_interaction_note": ((201,), ref("Object")),
    "list_queue_interactions": (_OK, page_of(ref("Object"))),
    "push_key": (
        _OK,
        {
            "type": "object",
            "required": ["public_key"],
            "properties": {
                "public_key": {
                    "type": "string",
                    "pattern": "^[A-Za-z0-9_-]+$",
                    "description": "the VAPID public key: a P-256 point, base64url",
                }
            },
        },
    ),
    "report_agents": (_OK, page_of(report_params.AGENT_ROW)),
    "report_queues": (_OK, page_of(report_params.QUEUE_ROW)),
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
        if view_name in report_params.CSV_VIEWS:  # Accept: text/csv, a header row first
            response["content"][report_params.CSV] = {"schema": {"type": "string"}}
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


def operation(route: Any, limits: Limits = NO_LIMITS) -> Schema:
    """One route entry of the Chalice route table as an OpenAPI operation; ``limits``
    are the settings that lower a table's bounds (``Field.setting``)."""
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
        path_parameter(fields.PATH_PARAMETERS.get(name, replace(fields.ID, name=name)), limits)
        for name in PATH_PARAMETER.findall(route.uri_pattern)
    ]
    parameters += [query_parameter(f, limits) for f in QUERIES.get(route.view_name, ())]
    if parameters:
        op["parameters"] = parameters
    body = BODIES.get(route.view_name)
    if body is not None:
        op["requestBody"] = {
            "required": route.view_name not in OPTIONAL_BODIES,
            "content": {JSON: {"schema": request_schema(body, limits)}},
        }
    op["responses"] = _responses(route.view_name)
    return op


def limits_of(settings: object) -> Limits:
    """The whole-number settings by name: what a field's ``setting`` may name."""
    values = vars(settings).items()
    return {k: v for k, v in values if isinstance(v, int) and not isinstance(v, bool)}


def document(
    routes: Mapping[str, Mapping[str, Any]], server_url: str = "/", limits: Limits = NO_LIMITS
) -> Schema:
    """The OpenAPI 3.1 document for a Chalice route table (``app.routes``), with the
    bounds ``limits`` (the deployment's settings) set."""
    paths: Schema = {}
    for path in sorted(routes):
        paths[path] = {
            method.lower(): operation(entry, limits)
            for method, entry in sorted(routes[path].items())
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
