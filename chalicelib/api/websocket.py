"""WebSocket routes: $connect (token in the query string), $disconnect, and $default actions."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Response

from chalicelib.api.errors import error_body, status_for
from chalicelib.bootstrap import services
from chalicelib.domain.errors import DomainError, ValidationError

logger = Logger(service="texting")

# Chalice only wraps WebSocket handlers registered on the app itself (a
# blueprint's would be deployed unwrapped), so app.py registers these three.


def connect(event: Any) -> Response:
    params = event.to_dict().get("queryStringParameters") or {}
    try:
        services().connections.connect(event.connection_id, params.get("token"))
    except DomainError as error:
        return Response(
            body=json.dumps(error_body(error.code, error.message)), status_code=status_for(error)
        )
    return Response(body="", status_code=200)


def disconnect(event: Any) -> None:
    services().connections.disconnect(event.connection_id)


def _frame(body: str | None) -> dict[str, Any]:
    try:
        frame = json.loads(body or "")
    except ValueError:
        raise ValidationError("frames must be JSON objects", code="invalid_json") from None
    if not isinstance(frame, dict):
        raise ValidationError("frames must be JSON objects", code="invalid_json")
    return frame


def message(event: Any) -> None:
    """Actions: ``ping``, ``send`` (same as the REST send), ``read``."""
    svc = services()
    request_id = None
    try:
        frame = _frame(event.body)
        request_id = frame.get("request_id")
        action = frame.get("action")
        if action == "ping":
            reply: dict[str, Any] = {"type": "pong", "data": {"request_id": request_id}}
        elif action == "send":
            caller = svc.connections.caller(event.connection_id)
            sent, created = svc.conversations.send(
                caller,
                str(frame.get("conversation_id") or ""),
                frame.get("client_id"),
                frame.get("text"),
            )
            reply = {
                "type": "message.ack",
                "data": {"request_id": request_id, "created": created, "message": sent.to_dict()},
            }
        elif action == "read":
            caller = svc.connections.caller(event.connection_id)
            view = svc.conversations.read(
                caller, str(frame.get("conversation_id") or ""), frame.get("seq")
            )
            reply = {"type": "read.ack", "data": {"request_id": request_id, "conversation": view}}
        else:
            raise ValidationError("action must be ping, send or read", code="unknown_action")
    except DomainError as error:
        reply = {
            "type": "error",
            "data": {"request_id": request_id, "code": error.code, "message": error.message},
        }
    svc.fanout.reply(event.connection_id, reply)
