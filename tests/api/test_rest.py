"""REST routes end to end through Chalice, on moto DynamoDB."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Api


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def start_im(api: Api, who: str = "alice", members: list[str] | None = None) -> dict[str, Any]:
    response = api.call(
        "POST", "/conversations", who, {"type": "im", "members": members or ["u-bob"]}
    )
    assert response.status_code in (200, 201), response.body
    return body(response)


def test_me_returns_the_callers_profile(api: Api) -> None:
    response = api.call("GET", "/me", "bob")
    me = body(response)
    assert response.status_code == 200
    assert (me["user_id"], me["company_id"], me["name"], me["extension"]) == (
        "u-bob",
        "acme",
        "Bob Brown",
        "102",
    )
    assert me["role"] == "user" and me["numbers"] == [] and me["presence"]["status"]


def test_missing_or_bad_token_is_refused(api: Api) -> None:
    assert api.call("GET", "/me", None).status_code in (401, 403)
    bad = api.client.http.get("/me", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code in (401, 403)


def test_directory_lists_only_co_workers_paginated(api: Api) -> None:
    first = body(api.call("GET", "/directory?limit=2", "alice"))
    second = body(api.call("GET", f"/directory?limit=2&cursor={first['next_cursor']}", "alice"))
    names = [u["name"] for u in first["items"] + second["items"]]
    assert names == ["Alice Adams", "Bob Brown", "Carol Cruz"]
    assert second["next_cursor"] is None


def test_contact_phone_is_normalised_to_e164(api: Api) -> None:
    created = api.call("POST", "/contacts", "alice", {"name": "Pat", "phone": "(415) 555-2671"})
    assert created.status_code == 201
    contact = body(created)
    assert contact["phone"] == "+14155552671"
    listed = body(api.call("GET", "/contacts", "alice"))
    assert [c["id"] for c in listed["items"]] == [contact["id"]]
    assert body(api.call("GET", "/contacts", "bob"))["items"] == []


def test_invalid_contact_phone_says_why_and_stores_nothing(api: Api) -> None:
    response = api.call("POST", "/contacts", "alice", {"name": "Pat", "phone": "12"})
    assert response.status_code == 400
    error = body(response)["error"]
    assert error["code"] == "invalid_phone" and "12" in error["message"]
    assert body(api.call("GET", "/contacts", "alice"))["items"] == []


def test_contact_update_and_delete(api: Api) -> None:
    contact = body(api.call("POST", "/contacts", "alice", {"name": "Pat", "phone": "4155552671"}))
    path = f"/contacts/{contact['id']}"
    updated = body(api.call("PATCH", path, "alice", {"name": "Patricia"}))
    assert updated["name"] == "Patricia" and updated["phone"] == "+14155552671"
    assert api.call("DELETE", path, "alice").status_code == 204
    assert api.call("GET", path, "alice").status_code == 404


def test_send_is_idempotent_on_client_id(api: Api) -> None:
    conv = start_im(api)
    path = f"/conversations/{conv['id']}/messages"
    first = api.call("POST", path, "alice", {"client_id": "k-1", "text": "hello"})
    second = api.call("POST", path, "alice", {"client_id": "k-1", "text": "hello"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert body(first)["id"] == body(second)["id"]
    history = body(api.call("GET", path, "bob"))
    assert [m["text"] for m in history["items"]] == ["hello"]
    message = history["items"][0]
    for field in (
        "id",
        "conversation_id",
        "seq",
        "client_id",
        "sender",
        "text",
        "status",
        "created_at",
    ):
        assert field in message


def test_conversation_list_has_unread_counts_and_last_message(api: Api) -> None:
    conv = start_im(api)
    path = f"/conversations/{conv['id']}/messages"
    for n in range(2):
        api.call("POST", path, "alice", {"client_id": f"k{n}", "text": f"m{n}"})
    listed = body(api.call("GET", "/conversations", "bob"))
    item = listed["items"][0]
    assert item["id"] == conv["id"] and item["type"] == "im"
    assert item["unread_count"] == 2 and item["last_message"]["text"] == "m1"
    read = api.call("POST", f"/conversations/{conv['id']}/read", "bob", {"seq": 2})
    assert read.status_code == 200 and body(read)["unread_count"] == 0
    assert body(api.call("GET", "/conversations", "bob"))["items"][0]["unread_count"] == 0


def test_delete_message_leaves_a_tombstone(api: Api) -> None:
    conv = start_im(api)
    sent = body(
        api.call(
            "POST",
            f"/conversations/{conv['id']}/messages",
            "alice",
            {"client_id": "k", "text": "secret"},
        )
    )
    path = f"/conversations/{conv['id']}/messages/{sent['id']}"
    assert api.call("DELETE", path, "bob").status_code == 403
    gone = body(api.call("DELETE", path, "alice"))
    assert gone["deleted"] is True and gone["text"] == ""
    assert body(api.call("GET", path, "bob"))["text"] == ""


def test_group_membership_changes(api: Api) -> None:
    group = body(
        api.call(
            "POST", "/conversations", "alice", {"type": "im", "members": ["u-bob"], "name": "Ops"}
        )
    )
    assert group["group"] is True
    added = api.call(
        "POST", f"/conversations/{group['id']}/members", "bob", {"members": ["u-carol"]}
    )
    assert sorted(body(added)["members"]) == ["u-alice", "u-bob", "u-carol"]
    removed = api.call("DELETE", f"/conversations/{group['id']}/members/u-alice", "carol")
    assert removed.status_code == 200
    assert api.call("GET", f"/conversations/{group['id']}", "alice").status_code == 404


def test_mute_and_hide_are_per_member(api: Api) -> None:
    conv = start_im(api)
    api.call(
        "POST", f"/conversations/{conv['id']}/messages", "alice", {"client_id": "k", "text": "hi"}
    )
    muted = body(api.call("PATCH", f"/conversations/{conv['id']}", "bob", {"muted": True}))
    assert muted["muted"] is True
    api.call("PATCH", f"/conversations/{conv['id']}", "bob", {"hidden": True})
    assert body(api.call("GET", "/conversations", "bob"))["items"] == []
    assert len(body(api.call("GET", "/conversations", "alice"))["items"]) == 1


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
def test_malformed_bodies_get_the_contract_error_shape(api: Api, raw: str) -> None:
    conv = start_im(api)
    response = api.call("POST", f"/conversations/{conv['id']}/messages", "alice", raw=raw)
    assert response.status_code == 400
    assert set(body(response)["error"]) == {"code", "message"}
    assert body(api.call("GET", f"/conversations/{conv['id']}/messages", "alice"))["items"] == []


def test_catch_up_after_a_sequence_number_over_rest(api: Api) -> None:
    conv = start_im(api)
    path = f"/conversations/{conv['id']}/messages"
    for n in range(5):
        api.call("POST", path, "alice", {"client_id": f"k{n}", "text": f"m{n} www.acme.test"})
    first = body(api.call("GET", f"{path}?after_seq=2&limit=2", "bob"))
    second = body(
        api.call("GET", f"{path}?after_seq=2&limit=2&cursor={first['next_cursor']}", "bob")
    )
    assert [m["seq"] for m in first["items"] + second["items"]] == [3, 4, 5]
    assert second["next_cursor"] is None
    assert first["items"][0]["entities"][0]["url"] == "https://www.acme.test"
    synced = body(api.call("POST", "/sync", "bob", {"conversations": {conv["id"]: 4}}))
    assert [m["seq"] for m in synced["conversations"][conv["id"]]["messages"]] == [5]
    assert api.call("GET", f"{path}?after_seq=x", "bob").status_code == 400


def test_presence_is_set_and_shown_in_the_directory(api: Api) -> None:
    response = api.call("PUT", "/me/presence", "bob", {"status": "busy", "message": "In a demo"})
    assert response.status_code == 200
    assert body(response)["chosen_status"] == "busy"
    bob = next(
        u for u in body(api.call("GET", "/directory", "alice"))["items"] if u["user_id"] == "u-bob"
    )
    assert bob["presence"]["status"] == "offline"  # no live device yet
    assert bob["presence"]["chosen_status"] == "busy"
    assert bob["presence"]["message"] == "In a demo"
    bad = api.call("PUT", "/me/presence", "bob", {"status": "gone fishing"})
    assert bad.status_code == 400 and body(bad)["error"]["code"] == "invalid_status"


def test_one_to_one_conversations_show_the_peers_presence(api: Api) -> None:
    conv = start_im(api)
    api.call("PUT", "/me/presence", "bob", {"status": "away"})
    listed = body(api.call("GET", "/conversations", "alice"))["items"][0]
    assert listed["id"] == conv["id"] and listed["peer_presence"]["chosen_status"] == "away"


def test_devices_register_list_and_log_out(api: Api) -> None:
    created = api.call(
        "POST",
        "/devices",
        "bob",
        {"device_id": "bob-phone", "platform": "fcm", "token": "fcm-token-1"},
    )
    assert created.status_code == 201
    assert [d["device_id"] for d in body(api.call("GET", "/devices", "bob"))["items"]] == [
        "bob-phone"
    ]
    assert body(api.call("GET", "/devices", "alice"))["items"] == []
    assert api.call("DELETE", "/devices/bob-phone", "bob").status_code == 204
    assert body(api.call("GET", "/devices", "bob"))["items"] == []
    assert api.call("DELETE", "/devices/bob-phone", "bob").status_code == 404


def test_profile_photo_by_presigned_upload(api: Api, aws: Any) -> None:
    s3 = aws.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="texting-test-media")
    started = body(api.call("POST", "/me/photo", "bob", {"content_type": "image/png", "size": 68}))
    upload = started["upload"]
    assert upload["method"] == "POST" and upload["fields"]["key"] == started["key"]
    s3.put_object(
        Bucket="texting-test-media",
        Key=started["key"],
        Body=b"\x89PNG" + b"0" * 64,
        ContentType="image/png",
    )
    confirmed = api.call("PUT", "/me/photo", "bob", {"key": started["key"]})
    assert confirmed.status_code == 200
    assert "texting-test-media" in body(confirmed)["photo_url"]
    bob = body(api.call("GET", "/directory/u-bob", "alice"))
    assert bob["photo_url"] and started["key"].removeprefix("uploads/") in bob["photo_url"]
    stolen = api.call("PUT", "/me/photo", "alice", {"key": started["key"]})
    assert stolen.status_code == 400
