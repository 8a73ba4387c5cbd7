"""WebSocket handlers, invoked with API Gateway-shaped events (chalice.test has none)."""

from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import Api
from tests.support import KEYS


def ws_event(
    route: str, connection_id: str, body: str | None = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    return {
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "connectionId": connection_id,
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "stage": "local",
            "apiId": "abc123",
            "requestId": "r-1",
            "connectedAt": 0,
            "messageDirection": "IN",
        },
        "queryStringParameters": query,
        "headers": {},
        "body": body,
        "isBase64Encoded": False,
    }


def connect(connection_id: str, token: str | None) -> dict[str, Any]:
    from app import ws_connect

    query = {"token": token} if token is not None else None
    return dict(ws_connect(ws_event("$connect", connection_id, query=query), None))


def send_frame(connection_id: str, frame: Any) -> None:
    from app import ws_message

    raw = frame if isinstance(frame, str) else json.dumps(frame)
    ws_message(ws_event("$default", connection_id, body=raw), None)


def test_connect_with_a_valid_token_is_accepted(api: Api) -> None:
    assert connect("conn-a", KEYS.token("u-alice"))["statusCode"] == 200


def test_connect_without_or_with_a_bad_token_is_refused(api: Api) -> None:
    for token in (None, "garbage", KEYS.token("u-alice", aud="another-client")):
        response = connect("conn-x", token)
        assert response["statusCode"] == 401
        assert json.loads(response["body"])["error"]["code"]


def test_ping_gets_a_pong_on_the_same_connection(api: Api) -> None:
    connect("conn-a", KEYS.token("u-alice"))
    send_frame("conn-a", {"action": "ping", "request_id": "p1"})
    assert api.sender.frames["conn-a"] == [{"type": "pong", "data": {"request_id": "p1"}}]


def test_send_action_stores_the_message_like_rest(api: Api) -> None:
    conv = json.loads(
        api.call("POST", "/conversations", "alice", {"type": "im", "members": ["u-bob"]}).body
    )
    connect("conn-a", KEYS.token("u-alice"))
    frame = {
        "action": "send",
        "request_id": "s1",
        "conversation_id": conv["id"],
        "client_id": "ws-1",
        "text": "over the socket",
    }
    send_frame("conn-a", frame)
    send_frame("conn-a", frame)  # a retry of the same frame
    acks = api.sender.frames["conn-a"]
    assert [a["type"] for a in acks] == ["message.ack", "message.ack"]
    assert acks[0]["data"]["created"] is True and acks[1]["data"]["created"] is False
    assert acks[0]["data"]["message"]["id"] == acks[1]["data"]["message"]["id"]
    history = json.loads(api.call("GET", f"/conversations/{conv['id']}/messages", "bob").body)
    assert [m["text"] for m in history["items"]] == ["over the socket"]


def test_bad_frames_get_an_error_frame(api: Api) -> None:
    connect("conn-a", KEYS.token("u-alice"))
    send_frame("conn-a", "{nope")
    send_frame("conn-a", {"action": "dance", "request_id": "d1"})
    send_frame(
        "conn-a", {"action": "send", "conversation_id": "nope", "client_id": "k", "text": "x"}
    )
    codes = [f["data"]["code"] for f in api.sender.frames["conn-a"]]
    assert codes == ["invalid_json", "unknown_action", "conversation_not_found"]


def test_disconnect_forgets_the_connection(api: Api) -> None:
    from app import ws_disconnect

    connect("conn-a", KEYS.token("u-alice"))
    ws_disconnect(ws_event("$disconnect", "conn-a"), None)
    send_frame("conn-a", {"action": "send", "conversation_id": "c", "client_id": "k", "text": "x"})
    assert api.sender.frames["conn-a"][-1]["data"]["code"] == "unknown_connection"


def test_a_frame_is_parsed_as_strictly_as_a_rest_body(api: Api) -> None:
    """NaN, a key given twice: refused with invalid_json, never echoed back as
    something that is not JSON."""
    assert connect("conn-strict", KEYS.token("u-alice"))["statusCode"] == 200
    from app import ws_message

    for raw in ('{"action": "ping", "request_id": NaN}', '{"action": "ping", "action": "ping"}'):
        api.sender.frames.clear()
        ws_message(ws_event("$default", "conn-strict", body=raw), None)
        (reply,) = api.sender.frames["conn-strict"]
        assert reply["type"] == "error" and reply["data"]["code"] == "invalid_json"
