"""WebSocket routes: $connect (token in the query string), $disconnect, and $default actions."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.api.errors import error_body, status_for
from chalicelib.bootstrap import services
from chalicelib.domain.errors import DomainError, ValidationError

# Chalice only wraps WebSocket handlers registered on the app itself (a
# blueprint's would be deployed unwrapped), so app.py registers these three.


def connect(event: Any) -> Response:
    params = event.to_dict().get("queryStringParameters") or {}
    try:
        services().connections.connect(
            event.connection_id, params.get("token"), params.get("device_id")
        )
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


ACTIONS = ("ping", "send", "read", "sync", "typing", "state", "presence.subscribe")


def message(event: Any) -> None:
    """Actions: ping, send, read, sync, typing, state, presence.subscribe.

    Every frame is also a heartbeat: it keeps the connection (and the user) online.
    """
    svc = services()
    request_id = None
    try:
        frame = _frame(event.body)
        request_id = frame.get("request_id")
        action = frame.get("action")
        if action not in ACTIONS:
            raise ValidationError(
                f"action must be one of {', '.join(ACTIONS)}", code="unknown_action"
            )
        connection = svc.connections.connection(event.connection_id)
        svc.connections.heartbeat(connection)
        reply = _act(svc, connection, action, frame, request_id)
    except DomainError as error:
        reply = {
            "type": "error",
            "data": {"request_id": request_id, "code": error.code, "message": error.message},
        }
    if reply is not None:
        svc.fanout.reply(event.connection_id, reply)


def _act(
    svc: Any, connection: Any, action: str, frame: dict[str, Any], request_id: Any
) -> dict[str, Any] | None:
    if action == "ping":
        return {"type": "pong", "data": {"request_id": request_id}}
    if action == "state":
        svc.connections.set_state(connection, frame.get("state"))
        return {
            "type": "state.ack",
            "data": {"request_id": request_id, "state": frame.get("state")},
        }
    caller = svc.connections.caller(connection)
    conversation_id = str(frame.get("conversation_id") or "")
    if action == "send":
        sent, created = svc.conversations.send(
            caller, conversation_id, frame.get("client_id"), frame.get("text"), frame.get("media")
        )
        return {
            "type": "message.ack",
            "data": {"request_id": request_id, "created": created, "message": sent.to_dict()},
        }
    if action == "read":
        view = svc.conversations.read(caller, conversation_id, frame.get("seq"))
        return {"type": "read.ack", "data": {"request_id": request_id, "conversation": view}}
    if action == "sync":
        limit = frame.get("limit", svc.settings.page_size_default)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 100:
            raise ValidationError("limit must be 1 to 100", code="invalid_limit")
        result = svc.conversations.sync(caller, frame.get("conversations"), limit)
        return {"type": "sync.result", "data": {"request_id": request_id, **result}}
    if action == "typing":
        svc.typing.typing(caller, conversation_id)
        return None  # fire and forget: no ack for a typing pulse
    snapshot = svc.presence.subscribe(connection.connection_id, caller, frame.get("user_ids"))
    return {"type": "presence.snapshot", "data": {"request_id": request_id, **snapshot}}
