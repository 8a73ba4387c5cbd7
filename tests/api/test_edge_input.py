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


# -- the last cases of issue 17 -------------------------------------------------------

LINE = "+14155550142"


def _code(response: Any) -> str:
    return str(json.loads(response.body)["error"]["code"])


def _own_line(api: Api) -> str:
    from chalicelib.domain.model import BusinessNumber

    api.services.adapters.sms.put_number(BusinessNumber(LINE, "acme", users=[]))
    return "/admin/numbers/%2B" + LINE[1:]


def _number(api: Api) -> dict[str, Any]:
    listed = json.loads(api.call("GET", "/admin/numbers", "alice").body)["items"]
    return next(n for n in listed if n["e164"] == LINE)


@pytest.mark.parametrize(
    "suffix",
    [
        "media/" + "9" * 5000,  # int() refuses more than 4300 digits: was a 500
        "media/999999999999",
        "media/%C2%B2",  # "²" is a digit to str.isdigit, not to int()
        "media/x",
    ],
    ids=["5000-digits", "12-digits", "superscript-two", "letter"],
)
def test_a_media_index_that_is_no_small_whole_number_is_a_404(api: Api, suffix: str) -> None:
    conversation = _im(api)
    sent = api.call(
        "POST",
        f"/conversations/{conversation}/messages",
        "alice",
        {"client_id": "k1", "text": "hi"},
    )
    message = json.loads(sent.body)["id"]
    response = api.call("GET", f"/conversations/{conversation}/messages/{message}/{suffix}")
    assert response.status_code == 404, response.body
    assert _code(response) in ("media_not_found", "not_found")  # the latter: longer than an id


@pytest.mark.parametrize("seq", ["9" * 5000, "9" * 40, "\u00b2"], ids=["5000", "40", "sup2"])
def test_a_message_id_whose_seq_is_no_seq_is_a_404(api: Api, seq: str) -> None:
    conversation = _im(api)
    for suffix in ("", "/media/0"):
        path = f"/conversations/{conversation}/messages/{conversation}.{seq}{suffix}"
        response = api.call("GET", path)
        assert response.status_code == 404, (suffix, response.body)
        assert _code(response) in ("message_not_found", "not_found")


def test_a_path_parameter_longer_than_any_id_is_a_404_before_the_view(api: Api) -> None:
    for path in ("/conversations/" + "c" * 3000, "/contacts/" + "k" * 3000):
        response = api.call("GET", path)
        assert response.status_code == 404
        assert _code(response) == "not_found"


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "local", "note": NaN}',
        '{"type": "local", "note": Infinity}',
        '{"type": "local", "note": -Infinity}',
        '{"type": "local", "type": "mobile"}',
        json.dumps({"type": "mobile", **{f"k{n}": n for n in range(60_000)}}),  # ~1 MB of keys
        json.dumps({"type": "mobile", "nested": {f"k{n}": n for n in range(101)}}),
    ],
    ids=["nan", "infinity", "minus-infinity", "key-twice", "1mb-of-keys", "101-nested-keys"],
)
def test_an_admin_body_with_nan_a_key_twice_or_too_many_keys_is_a_400_and_changes_nothing(
    api: Api, raw: str
) -> None:
    path = _own_line(api)
    assert api.call("PUT", path, "alice", {"type": "local"}).status_code == 200
    response = api.call("PUT", path, "alice", raw=raw)
    assert response.status_code == 400, response.body
    assert _code(response) in ("invalid_json", "invalid_body")
    assert _number(api)["type"] == "local"


def test_a_company_patch_with_a_key_twice_changes_nothing(api: Api) -> None:
    before = json.loads(api.call("GET", "/admin/company", "alice").body)
    raw = '{"help_text": "first", "help_text": "second"}'
    response = api.call("PATCH", "/admin/company", "alice", raw=raw)
    assert response.status_code == 400 and _code(response) == "invalid_json"
    assert json.loads(api.call("GET", "/admin/company", "alice").body) == before


def test_a_policy_with_nan_is_not_created(api: Api) -> None:
    before = json.loads(api.call("GET", "/admin/policies", "alice").body)["items"]
    response = api.call("POST", "/admin/policies", "alice", raw='{"name": "P", "x": NaN}')
    assert response.status_code == 400 and _code(response) == "invalid_json"
    assert json.loads(api.call("GET", "/admin/policies", "alice").body)["items"] == before


@pytest.mark.parametrize("name", ["team\x00", "a\nb", "\x1b[31mred"])
def test_a_conversation_name_with_control_characters_is_a_400_and_changes_nothing(
    api: Api, name: str
) -> None:
    group = api.call(
        "POST", "/conversations", "alice", {"members": ["u-bob", "u-carol"], "name": "team"}
    )
    conversation = json.loads(group.body)
    renamed = api.call("PATCH", f"/conversations/{conversation['id']}", "alice", {"name": name})
    assert renamed.status_code == 400 and _code(renamed) == "invalid_name"
    created = api.call(
        "POST", "/conversations", "alice", {"members": ["u-bob", "u-carol"], "name": name}
    )
    assert created.status_code == 400 and _code(created) == "invalid_name"
    listed = json.loads(api.call("GET", "/conversations", "alice").body)["items"]
    assert [c.get("name") for c in listed] == ["team"]


def test_a_whole_number_written_with_a_fraction_of_zero_is_that_number(api: Api) -> None:
    """JSON Schema's integer includes 2.0, so the edge does too (2.5 is still refused)."""
    conversation = _im(api)
    path = f"/conversations/{conversation}/messages"
    api.call("POST", path, "alice", {"client_id": "k1", "text": "hi"})
    read = api.call("POST", f"/conversations/{conversation}/read", "bob", raw='{"seq": 1.0}')
    assert read.status_code == 200, read.body
    half = api.call("POST", f"/conversations/{conversation}/read", "bob", raw='{"seq": 0.5}')
    assert half.status_code == 400 and _code(half) == "invalid_seq"
