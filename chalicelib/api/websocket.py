"""WebSocket routes: $connect (token in the query string), $disconnect, and $default actions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.api import presenters, requests
from chalicelib.api.errors import error_body, status_for
from chalicelib.bootstrap import services
from chalicelib.domain.errors import DomainError, ValidationError
from chalicelib.domain.model import Connection

if TYPE_CHECKING:
    from chalicelib.bootstrap import Services

Reply = dict[str, Any] | None
MAX_FRAME = 128 * 1024  # API Gateway's own frame limit
MAX_REQUEST_ID = 256


def _request_id(value: object) -> object:
    """Echoed in the reply, so bounded: a reply must fit in one frame. Any JSON value
    is accepted (a string with a lone surrogate is not valid in a reply either)."""
    try:
        encoded = json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        encoded = b"x" * (MAX_REQUEST_ID + 1)
    if len(encoded) <= MAX_REQUEST_ID:
        return value
    raise ValidationError(
        f"request_id must be at most {MAX_REQUEST_ID} bytes as JSON", code="invalid_request_id"
    )


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
    if len(body or "") > MAX_FRAME:
        raise ValidationError(f"frames are at most {MAX_FRAME} bytes", code="frame_too_large")
    # the REST bodies' strict parser: no NaN or Infinity, no key twice, bounded keys
    frame = requests.parse_json(body or "")
    if not isinstance(frame, dict):
        raise ValidationError("frames must be JSON objects", code="invalid_json")
    return frame


Handler = Callable[["Services", Connection, dict[str, Any], object], "dict[str, Any] | None"]


def _ping(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    return presenters.frame("pong", rid)


def _state(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    command = requests.connection_state(frame)
    svc.connections.set_state(connection, command.state)
    return presenters.frame("state.ack", rid, state=frame.get("state"))


def _send(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    command = requests.send_message(frame, str(frame.get("conversation_id") or ""))
    sent, created = svc.conversations.send(svc.connections.caller(connection), command)
    return presenters.frame("message.ack", rid, created=created, message=presenters.message(sent))


def _read(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    command = requests.mark_read(frame, str(frame.get("conversation_id") or ""))
    view = svc.conversations.read(svc.connections.caller(connection), command)
    return presenters.frame("read.ack", rid, conversation=view)


def _sync(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    limit = frame.get("limit", svc.settings.page_size_default)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= 100:
        raise ValidationError("limit must be 1 to 100", code="invalid_limit")
    result = svc.conversations.sync(svc.connections.caller(connection), requests.sync(frame, limit))
    return presenters.frame("sync.result", rid, **result)


def _typing(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    command = requests.typing(frame)
    svc.typing.typing(svc.connections.caller(connection), command.conversation_id)
    return None  # fire and forget: no ack for a typing pulse


def _watch(svc: Services, connection: Connection, frame: dict[str, Any], rid: object) -> Reply:
    command = requests.watch_presence(frame)
    caller = svc.connections.caller(connection)
    snapshot = svc.presence.subscribe(connection.connection_id, caller, list(command.user_ids))
    return presenters.frame("presence.snapshot", rid, **snapshot)


ACTIONS: dict[str, Handler] = {
    "ping": _ping,
    "send": _send,
    "read": _read,
    "sync": _sync,
    "typing": _typing,
    "state": _state,
    "presence.subscribe": _watch,
}


def message(event: Any) -> None:
    """One frame: look its action up in ``ACTIONS``, answer the device that sent it.

    Every frame is also a heartbeat: it keeps the connection (and the user) online.
    """
    svc = services()
    request_id: object = None
    try:
        frame = _frame(event.body)
        request_id = _request_id(frame.get("request_id"))
        handler = ACTIONS.get(str(frame.get("action")))
        if handler is None:
            raise ValidationError(
                f"action must be one of {', '.join(ACTIONS)}", code="unknown_action"
            )
        connection = svc.connections.connection(event.connection_id)
        svc.connections.heartbeat(connection)
        reply = handler(svc, connection, frame, request_id)
    except DomainError as error:
        reply = presenters.error_frame(request_id, error)
    if reply is not None:
        svc.fanout.reply(event.connection_id, reply)
