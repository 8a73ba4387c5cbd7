"""Tenant isolation and bad input, as matrices over every route that takes an id or a body."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


@pytest.fixture
def acme(api: Api) -> dict[str, str]:
    """Alice's world in company acme: a group, a message in it, a contact."""
    conv = body(
        api.call(
            "POST",
            "/conversations",
            "alice",
            {"type": "im", "members": ["u-bob", "u-carol"], "name": "Acme"},
        )
    )
    message = body(
        api.call(
            "POST",
            f"/conversations/{conv['id']}/messages",
            "alice",
            {"client_id": "k1", "text": "acme only"},
        )
    )
    contact = body(api.call("POST", "/contacts", "alice", {"name": "Pat", "phone": "4155552671"}))
    api.call(
        "POST", "/devices", "alice", {"device_id": "alice-phone", "platform": "apns", "token": "t"}
    )
    return {"conv": conv["id"], "message": message["id"], "contact": contact["id"]}


ROUTES_WITH_IDS = [
    ("GET", "/directory/u-alice", None),
    ("GET", "/conversations/{conv}", None),
    ("PATCH", "/conversations/{conv}", {"muted": True}),
    ("PATCH", "/conversations/{conv}", {"name": "stolen"}),
    ("POST", "/conversations/{conv}/members", {"members": ["u-erin"]}),
    ("DELETE", "/conversations/{conv}/members/u-bob", None),
    ("GET", "/conversations/{conv}/messages", None),
    ("POST", "/conversations/{conv}/messages", {"client_id": "x", "text": "intrusion"}),
    ("GET", "/conversations/{conv}/messages/{message}", None),
    ("DELETE", "/conversations/{conv}/messages/{message}", None),
    ("POST", "/conversations/{conv}/read", {"seq": 1}),
    ("POST", "/conversations", {"type": "im", "members": ["u-alice"]}),
    ("GET", "/contacts/{contact}", None),
    ("PATCH", "/contacts/{contact}", {"name": "x"}),
    ("DELETE", "/contacts/{contact}", None),
    ("DELETE", "/devices/alice-phone", None),
    ("POST", "/sync", {"conversations": {"{conv}": 0}}),
]


def snapshot(api: Api, ids: dict[str, str]) -> Any:
    conv = body(api.call("GET", f"/conversations/{ids['conv']}", "alice"))
    history = body(api.call("GET", f"/conversations/{ids['conv']}/messages", "alice"))
    contact = body(api.call("GET", f"/contacts/{ids['contact']}", "alice"))
    devices = body(api.call("GET", "/devices", "alice"))
    conv.pop("unread_count")
    conv.pop("peer_presence", None)
    return conv, history, contact, devices


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    ROUTES_WITH_IDS,
    ids=[f"{m} {p} {json.dumps(b)}" for m, p, b in ROUTES_WITH_IDS],
)
def test_another_company_gets_404_and_changes_nothing(
    api: Api, acme: dict[str, str], method: str, path: str, payload: Any
) -> None:
    before = snapshot(api, acme)
    payload = (
        json.loads(json.dumps(payload).replace("{conv}", acme["conv"]))
        if payload is not None
        else None
    )
    response = api.call(method, path.format(**acme), "dave", payload)
    if path == "/sync":  # a batch route: the foreign conversation is not found inside it
        result = body(response)["conversations"][acme["conv"]]
        assert result == {
            "error": {"code": "conversation_not_found", "message": "no such conversation"}
        }
        assert snapshot(api, acme) == before
        return
    assert response.status_code == 404, response.body
    assert set(body(response)["error"]) == {"code", "message"}
    assert snapshot(api, acme) == before


BAD_INPUT = [
    ("POST", "/conversations", {}, "invalid_members"),
    ("POST", "/conversations", {"type": "fax", "members": ["u-bob"]}, "invalid_type"),
    ("POST", "/conversations", {"type": "im", "members": "u-bob"}, "invalid_members"),
    ("POST", "/conversations", {"type": "im", "members": [1]}, "invalid_members"),
    ("POST", "/conversations", {"type": "im", "members": ["u-alice"]}, "invalid_members"),
    ("POST", "/conversations", {"type": "im", "members": ["u-nobody"]}, "user_not_found"),
    ("POST", "/conversations", {"type": "im", "members": ["u-bob"], "name": 7}, "invalid_name"),
    ("POST", "/conversations/{conv}/messages", {"text": "no key"}, "invalid_client_id"),
    ("POST", "/conversations/{conv}/messages", {"client_id": 5, "text": "x"}, "invalid_client_id"),
    ("POST", "/conversations/{conv}/messages", {"client_id": "k"}, "invalid_text"),
    ("POST", "/conversations/{conv}/messages", {"client_id": "k", "text": ""}, "empty_text"),
    ("POST", "/conversations/{conv}/messages", {"client_id": "k", "text": ["x"]}, "invalid_text"),
    (
        "POST",
        "/conversations/{conv}/messages",
        {"client_id": "k", "text": "x" * 4001},
        "text_too_long",
    ),
    (
        "POST",
        "/conversations/unknown/messages",
        {"client_id": "k", "text": "x"},
        "conversation_not_found",
    ),
    ("POST", "/conversations/{conv}/read", {}, "invalid_seq"),
    ("POST", "/conversations/{conv}/read", {"seq": "1"}, "invalid_seq"),
    ("POST", "/conversations/{conv}/read", {"seq": -1}, "invalid_seq"),
    ("POST", "/conversations/{conv}/read", {"seq": 99}, "invalid_seq"),
    ("PATCH", "/conversations/{conv}", {"muted": "yes"}, "invalid_request"),
    ("PATCH", "/conversations/{conv}", {"colour": "red"}, "invalid_request"),
    ("POST", "/conversations/{conv}/members", {"members": []}, "invalid_members"),
    ("DELETE", "/conversations/{conv}/members/u-nobody", None, "member_not_found"),
    ("GET", "/conversations/{conv}/messages/{conv}.99", None, "message_not_found"),
    ("GET", "/conversations/{conv}/messages/garbage", None, "message_not_found"),
    ("GET", "/conversations?limit=0", None, "invalid_limit"),
    ("GET", "/conversations?limit=abc", None, "invalid_limit"),
    ("GET", "/conversations?limit=1000", None, "invalid_limit"),
    ("GET", "/conversations?cursor=!!!", None, "invalid_cursor"),
    (
        "GET",
        "/conversations/{conv}/messages?cursor=eyJwayI6IkNPTlYjb3RoZXIifQ",
        None,
        "invalid_cursor",
    ),
    ("GET", "/directory?cursor=e30", None, "invalid_cursor"),
    ("POST", "/contacts", {"phone": "4155552671"}, "invalid_name"),
    ("POST", "/contacts", {"name": "Pat"}, "invalid_phone"),
    ("POST", "/contacts", {"name": "Pat", "phone": "+999 1"}, "invalid_phone"),
    ("PATCH", "/contacts/{contact}", {}, "invalid_request"),
    ("GET", "/contacts/unknown", None, "contact_not_found"),
    ("GET", "/directory/u-nobody", None, "user_not_found"),
    ("PUT", "/me/presence", {"status": "asleep"}, "invalid_status"),
    ("PUT", "/me/presence", {"status": "busy", "message": "x" * 101}, "invalid_status_message"),
    (
        "PUT",
        "/me/presence",
        {"status": "busy", "message": "m", "expires_at": "yesterday"},
        "invalid_expiry",
    ),
    ("PUT", "/me/presence", {"status": "busy", "message": "m", "expires_in": -5}, "invalid_expiry"),
    ("POST", "/me/photo", {"content_type": "image/gif", "size": 10}, "invalid_content_type"),
    ("POST", "/me/photo", {"content_type": "image/png", "size": 0}, "photo_too_large"),
    ("PUT", "/me/photo", {"key": "uploads/photos/u-bob/1.png"}, "invalid_key"),
    ("POST", "/devices", {"device_id": "d", "platform": "pager", "token": "t"}, "invalid_platform"),
    ("POST", "/devices", {"device_id": "d", "platform": "fcm"}, "invalid_push_token"),
    ("DELETE", "/devices/unknown", None, "device_not_found"),
    ("POST", "/sync", {"conversations": []}, "invalid_sync"),
    ("POST", "/sync", {"conversations": {"{conv}": "1"}}, "invalid_sync"),
    ("GET", "/conversations/{conv}/messages?after_seq=-1", None, "invalid_seq"),
]


@pytest.mark.parametrize(
    ("method", "path", "payload", "code"),
    BAD_INPUT,
    ids=[f"{m} {p} {json.dumps(b)}" for m, p, b, _ in BAD_INPUT],
)
def test_bad_input_gets_a_4xx_with_a_code_and_changes_nothing(
    api: Api, acme: dict[str, str], method: str, path: str, payload: Any, code: str
) -> None:
    before = snapshot(api, acme)
    conversations_before = body(api.call("GET", "/conversations", "alice"))
    payload = (
        json.loads(json.dumps(payload).replace("{conv}", acme["conv"]))
        if payload is not None
        else None
    )
    response = api.call(method, path.format(**acme), "alice", payload)
    assert 400 <= response.status_code < 500, response.body
    assert body(response)["error"]["code"] == code
    assert snapshot(api, acme) == before
    assert body(api.call("GET", "/conversations", "alice")) == conversations_before


def test_a_missing_body_is_refused(api: Api, acme: dict[str, str]) -> None:
    response = api.call("POST", f"/conversations/{acme['conv']}/messages", "alice")
    assert response.status_code == 400
    assert body(response)["error"]["code"] == "invalid_body"


def test_odd_input_is_a_400_never_a_500(api: Api, acme: dict[str, str]) -> None:
    """Inputs that once slipped past validation into DynamoDB or datetime arithmetic."""
    import base64

    def cursor(key: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    messages = f"/conversations/{acme['conv']}/messages"
    pk = f"CONV#{acme['conv']}"
    api.call("POST", messages, "alice", {"client_id": "k2", "text": "second"})
    after = body(api.call("GET", f"{messages}?after_seq=0&limit=1", "alice"))
    assert after["next_cursor"]
    cases = [
        ("GET", f"{messages}?after_seq=%C2%B2", None),  # a superscript two isdigit()s
        ("GET", f"{messages}?after_seq=999999999999999", None),
        ("GET", f"{messages}?cursor={cursor({'pk': pk, '_list': 'messages:newest-first'})}", None),
        ("GET", f"{messages}?cursor={after['next_cursor']}", None),  # another list's cursor
        ("GET", f"/conversations?cursor={cursor({'gsi1pk': 'USER#u-alice#CONVS'})}", None),
        ("PUT", "/me/presence", {"status": "busy", "message": "m", "expires_in": 10**12}),
        (
            "PUT",
            "/me/presence",
            {"status": "busy", "message": "m", "expires_at": "9999-12-31T23:59:59-14:00"},
        ),
        ("POST", "/sync", {"conversations": {acme["conv"]: 10**13}}),
    ]
    for method, path, payload in cases:
        response = api.call(method, path, "alice", payload)
        assert 400 <= response.status_code < 500, (path, payload, response.body)
        assert body(response)["error"]["code"]
