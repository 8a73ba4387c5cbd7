"""The edge refuses what it cannot store: wrong types, unbounded strings, lone
surrogates, frames that nest too deep or echo too much — with a 4xx in the
contract's shape (or an error frame), and nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_websocket import connect, send_frame
from tests.support import KEYS

LONE = "bad \ud800 text"  # a lone surrogate: valid JSON (as an escape), not valid Unicode


def _json(value: Any) -> str:
    return json.dumps(value)  # ensure_ascii: the surrogate travels as \ud800


def _im(api: Api) -> str:
    made = api.call("POST", "/conversations", "alice", {"type": "im", "members": ["u-bob"]})
    return str(json.loads(made.body)["id"])


@pytest.mark.parametrize(
    ("method", "path", "body", "code"),
    [
        ("PUT", "/me/presence", {"status": "busy", "message": LONE}, "invalid_status_message"),
        ("POST", "/contacts", {"name": LONE, "phone": "+14155550100"}, "invalid_name"),
        (
            "POST",
            "/devices",
            {"device_id": LONE, "platform": "apns", "token": "t"},
            "invalid_device_id",
        ),
        (
            "POST",
            "/devices",
            {"device_id": "d", "platform": "apns", "token": LONE},
            "invalid_push_token",
        ),
        ("POST", "/media", {"content_type": ["image/png"], "size": 10}, "invalid_content_type"),
        ("POST", "/me/photo", {"content_type": 7, "size": 10}, "invalid_content_type"),
        (
            "POST",
            "/conversations",
            {"type": "im", "members": ["u-bob"], "name": LONE},
            "invalid_name",
        ),
        ("PATCH", "/admin/users/u-bob", {"license_type": "x" * 1_000_000}, "invalid_license_type"),
        ("PATCH", "/admin/company", {"help_text": LONE}, "invalid_help_text"),
        ("POST", "/admin/policies", {"name": LONE}, "invalid_name"),
        ("PUT", "/agent/status", {"status": LONE}, "invalid_body"),
        ("PUT", "/admin/contact-center/queues/q-x", {"name": LONE}, "invalid_body"),
        ("POST", "/interactions", {"channel": "+14155550180", "to": LONE}, "invalid_body"),
    ],
)
def test_bad_strings_are_a_400_in_the_contract_shape(
    api: Api, method: str, path: str, body: dict[str, Any], code: str
) -> None:
    response = api.call(method, path, "alice", raw=_json(body))
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["error"]["code"] == code


def test_a_lone_surrogate_in_a_message_is_a_400_not_a_retryable_conflict(api: Api) -> None:
    conversation = _im(api)
    path = f"/conversations/{conversation}/messages"
    for body, code in (
        ({"client_id": "k1", "text": LONE}, "invalid_text"),
        ({"client_id": LONE, "text": "hi"}, "invalid_client_id"),
    ):
        response = api.call("POST", path, "alice", raw=_json(body))
        assert response.status_code == 400
        assert json.loads(response.body)["error"]["code"] == code
    history = json.loads(api.call("GET", path, "alice").body)
    assert history["items"] == []  # nothing was stored


def test_a_deeply_nested_frame_gets_an_error_reply(api: Api) -> None:
    connect("conn-a", KEYS.token("u-alice"))
    send_frame("conn-a", "[" * 100_000 + "]" * 100_000)
    assert api.sender.frames["conn-a"][-1]["data"]["code"] in ("invalid_json", "frame_too_large")
    send_frame("conn-a", '{"action": "ping", "x": ' + "[" * 5_000 + "]" * 5_000 + "}")
    assert api.sender.frames["conn-a"][-1]["data"]["code"] == "invalid_json"


def test_a_ping_whose_pong_would_not_fit_a_frame_gets_an_error_instead(api: Api) -> None:
    connect("conn-a", KEYS.token("u-alice"))
    send_frame("conn-a", {"action": "ping", "request_id": "x" * 100_000})
    reply = api.sender.frames["conn-a"][-1]
    assert reply["type"] == "error" and reply["data"]["code"] == "invalid_request_id"
    assert len(json.dumps(reply)) < 1024


def test_a_frame_with_a_lone_surrogate_changes_nothing(api: Api) -> None:
    conversation = _im(api)
    connect("conn-a", KEYS.token("u-alice"))
    frame = {"action": "send", "request_id": 1, "conversation_id": conversation}
    send_frame("conn-a", _json({**frame, "client_id": "k", "text": LONE}))
    assert api.sender.frames["conn-a"][-1]["data"]["code"] == "invalid_text"
    history = json.loads(api.call("GET", f"/conversations/{conversation}/messages", "bob").body)
    assert history["items"] == []


@pytest.mark.parametrize(
    "key",
    [
        {"pk": "USER#u-alice", "sk": "x" * 5000, "_list": "contacts"},
        {"pk": "USER#u-alice", "sk": "CONTACT#\ud800", "_list": "contacts"},
        {"pk": "USER#u-alice", "sk": "", "_list": "contacts"},
    ],
)
def test_a_cursor_dynamodb_would_refuse_is_a_400(api: Api, key: dict[str, str]) -> None:
    import base64

    raw = json.dumps(key).encode()  # ensure_ascii keeps the surrogate as an escape
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for path in ("/contacts", "/conversations", "/directory"):
        response = api.call("GET", f"{path}?cursor={cursor}", "alice")
        assert response.status_code == 400, (path, response.body)
        assert json.loads(response.body)["error"]["code"] == "invalid_cursor"
