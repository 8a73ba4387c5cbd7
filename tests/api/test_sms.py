"""SMS through the real app: conversations with external numbers, eligibility, the
sender, and Twilio webhooks signed exactly as Twilio signs them."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from chalicelib.domain.model import BusinessNumber
from tests.api.conftest import PUBLIC_BASE, TWILIO_TOKEN, Api, running_api

SHOP = "+14155550100"  # alice's number
SHARED = "+14155550101"  # bob and carol share it
CUSTOMER = "+14155552671"


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


@pytest.fixture
def numbers(api: Api) -> Api:
    repo = api.services.adapters.sms
    repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    repo.put_number(BusinessNumber(SHARED, "acme", users=["u-bob", "u-carol"]))
    directory = api.services.adapters.directory
    for who, numbers in (("alice", [SHOP]), ("bob", [SHARED]), ("carol", [SHARED])):
        user = api.people[who]
        user.numbers = numbers
        directory.put_user(user)
    return api


def webhook(api: Api, path: str, params: dict[str, str], signature: str | None = None) -> Any:
    url = PUBLIC_BASE + path
    if signature is None:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature:
        headers["X-Twilio-Signature"] = signature
    return api.client.http.post(path, headers=headers, body=urllib.parse.urlencode(params))


def inbound(sid: str, text: str, from_: str = CUSTOMER, to: str = SHOP) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": from_,
        "To": to,
        "Body": text,
        "NumMedia": "0",
    }


def history(api: Api, conversation_id: str, who: str = "alice") -> list[dict[str, Any]]:
    return body(api.call("GET", f"/conversations/{conversation_id}/messages", who))["items"]


def start(api: Api, to: str = "(415) 555-2671", who: str = "alice") -> dict[str, Any]:
    response = api.call("POST", "/conversations", who, {"type": "sms", "to": to})
    assert response.status_code in (200, 201), response.body
    return body(response)


def test_an_sms_conversation_is_keyed_by_business_and_external_number(numbers: Api) -> None:
    first = start(numbers)
    again = start(numbers, to="+1 415-555-2671")
    assert first["id"] == again["id"]
    assert (first["type"], first["business_number"], first["external_number"]) == (
        "sms",
        SHOP,
        CUSTOMER,
    )
    shared = start(numbers, who="bob")
    assert sorted(shared["members"]) == ["u-bob", "u-carol"]
    assert shared["id"] != first["id"]


def test_a_text_is_queued_with_its_segments_and_sent_once(numbers: Api) -> None:
    conversation = start(numbers)
    path = f"/conversations/{conversation['id']}/messages"
    queued = numbers.call("POST", path, "alice", {"client_id": "k1", "text": "Table ready {"})
    assert queued.status_code == 202
    message = body(queued)
    assert (message["status"], message["segments"], message["encoding"]) == ("queued", 1, "GSM-7")
    data = message
    for _ in range(3):  # the queue delivers at least once
        numbers.services.sms_sender.deliver(data)
    assert [s["to"] for s in numbers.providers.sent] == [CUSTOMER]
    assert numbers.providers.sent[0]["from"] == SHOP
    assert history(numbers, conversation["id"])[0]["status"] == "sending"


def test_statuses_only_move_forward_whatever_order_callbacks_arrive_in(numbers: Api) -> None:
    conversation = start(numbers)
    message = body(
        numbers.call(
            "POST",
            f"/conversations/{conversation['id']}/messages",
            "alice",
            {"client_id": "k1", "text": "hi"},
        )
    )
    numbers.services.sms_sender.deliver(message)
    sid = numbers.providers.sent_by_key[message["id"]]
    for status in ("delivered", "sent", "delivered", "sending"):  # late, twice, out of order
        response = webhook(
            numbers,
            "/webhooks/twilio/status",
            {
                "MessageSid": sid,
                "MessageStatus": status,
                "To": CUSTOMER,
                "From": SHOP,
                "AccountSid": "AC" + "0" * 32,
            },
        )
        assert response.status_code == 200
    assert history(numbers, conversation["id"])[0]["status"] == "delivered"


def test_five_identical_inbound_webhooks_store_one_message(numbers: Api) -> None:
    for _ in range(5):
        response = webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "a" * 32, "Hello?"))
        assert response.status_code == 200
        assert b"<Response/>" in response.body
    conversation = body(numbers.call("GET", "/conversations", "alice"))["items"][0]
    assert conversation["type"] == "sms" and conversation["unread_count"] == 1
    (message,) = history(numbers, conversation["id"])
    assert (message["text"], message["sender"], message["direction"]) == (
        "Hello?",
        CUSTOMER,
        "inbound",
    )


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"], ids=["missing", "wrong"])
def test_a_bad_signature_is_403_and_stores_nothing(numbers: Api, signature: str) -> None:
    response = webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "b" * 32, "hi"), signature)
    assert response.status_code == 403
    assert body(response)["error"]["code"] == "invalid_signature"
    assert body(numbers.call("GET", "/conversations", "alice"))["items"] == []


def test_a_signature_for_another_url_is_refused(numbers: Api) -> None:
    params = inbound("SM" + "c" * 32, "hi")
    wrong = RequestValidator(TWILIO_TOKEN).compute_signature(
        "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/twilio/sms", params
    )  # no stage
    assert webhook(numbers, "/webhooks/twilio/sms", params, wrong).status_code == 403


def test_a_text_to_a_shared_line_reaches_everyone_on_it(numbers: Api) -> None:
    webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "d" * 32, "Open Sunday?", to=SHARED))
    for who in ("bob", "carol"):
        (conversation,) = body(numbers.call("GET", "/conversations", who))["items"]
        assert conversation["business_number"] == SHARED
    assert body(numbers.call("GET", "/conversations", "alice"))["items"] == []


def test_inbound_to_an_unknown_number_is_acknowledged_and_stored_nowhere(numbers: Api) -> None:
    response = webhook(
        numbers, "/webhooks/twilio/sms", inbound("SM" + "e" * 32, "hi", to="+14155550199")
    )
    assert response.status_code == 200
    for who in ("alice", "bob", "dave"):
        assert body(numbers.call("GET", "/conversations", who))["items"] == []


def test_stop_opts_out_once_start_opts_back_in_and_help_answers(numbers: Api) -> None:
    conversation = start(numbers)
    stop = webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, " stop "))
    assert b"unsubscribed" in stop.body
    again = webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "2" * 32, "STOPALL"))
    assert b"<Response/>" in again.body  # one confirmation only
    refused = numbers.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "k", "text": "still there?"},
    )
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "opted_out"
    assert numbers.providers.sent == []
    help_reply = webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "3" * 32, "HELP"))
    assert b"Reply STOP" in help_reply.body
    start_reply = webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "4" * 32, "Start"))
    assert b"resubscribed" in start_reply.body
    allowed = numbers.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "k2", "text": "welcome back"},
    )
    assert allowed.status_code == 202
    audit = numbers.services.adapters.sms.opt_out_history(SHOP, CUSTOMER)
    assert [(a["opted_out"], a["keyword"]) for a in audit] == [(True, "STOP"), (False, "START")]


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        (
            lambda api: setattr(api.people["alice"], "license_type", "metered"),
            "license_not_eligible",
            403,
        ),
        (lambda api: setattr(api.people["alice"], "sms_enabled", False), "sms_disabled_user", 403),
        (lambda api: setattr(api.people["alice"], "numbers", []), "no_sms_number", 403),
    ],
    ids=["metered-licence", "user-switched-off", "no-number"],
)
def test_who_may_text_each_refusal_has_its_code(
    numbers: Api, change: Any, code: str, status: int
) -> None:
    change(numbers)
    numbers.services.adapters.directory.put_user(numbers.people["alice"])
    response = numbers.call("POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER})
    assert response.status_code == status
    assert body(response)["error"]["code"] == code


def test_virtual_and_port_in_numbers_cannot_text(numbers: Api) -> None:
    numbers.services.adapters.sms.put_number(
        BusinessNumber(SHOP, "acme", type="virtual", users=["u-alice"])
    )
    response = numbers.call("POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER})
    assert body(response)["error"]["code"] == "no_sms_number"


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+44 20 7946 0958", "country_not_allowed"),
        ("+1 900 555 0199", "premium_number"),
        ("55555", "short_code"),
        (["+14155552671", "+14155552672"], "group_sms_unsupported"),
        ("12", "invalid_phone"),
    ],
)
def test_destinations_outside_the_policy_are_refused(numbers: Api, to: Any, code: str) -> None:
    response = numbers.call("POST", "/conversations", "alice", {"type": "sms", "to": to})
    assert 400 <= response.status_code < 500
    assert body(response)["error"]["code"] == code
    assert body(numbers.call("GET", "/conversations", "alice"))["items"] == []


def test_sending_only_from_an_assigned_number(numbers: Api) -> None:
    response = numbers.call(
        "POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER, "from": SHARED}
    )
    assert response.status_code == 403
    assert body(response)["error"]["code"] == "number_not_assigned"


def test_too_many_segments_is_413(numbers: Api) -> None:
    conversation = start(numbers)
    response = numbers.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "k", "text": "x" * (153 * 10 + 1)},
    )
    assert response.status_code == 413
    assert body(response)["error"]["code"] == "too_many_segments"


def test_preview_counts_segments_encoding_and_cost(numbers: Api) -> None:
    gsm = body(numbers.call("POST", "/sms/preview", "alice", {"text": "x" * 161, "to": CUSTOMER}))
    assert (gsm["segments"], gsm["encoding"], gsm["remaining"]) == (2, "GSM-7", 145)
    assert gsm["estimated_cost"]["country"] == "US"
    emoji = body(numbers.call("POST", "/sms/preview", "alice", {"text": "Thanks 👍"}))
    assert (emoji["encoding"], emoji["segments"]) == ("UCS-2", 1)


def test_another_company_cannot_see_or_text_in_an_sms_conversation(numbers: Api) -> None:
    conversation = start(numbers)
    path = f"/conversations/{conversation['id']}/messages"
    assert numbers.call("GET", path, "dave").status_code == 404
    refused = numbers.call("POST", path, "dave", {"client_id": "k", "text": "hi"})
    assert refused.status_code == 404


def test_rate_limit_per_user_answers_429_with_retry_after(aws: Any) -> None:
    with running_api(sms_rate_per_user_per_minute=2) as api:
        api.services.adapters.sms.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
        alice = api.people["alice"]
        alice.numbers = [SHOP]
        api.services.adapters.directory.put_user(alice)
        conversation = start(api)
        path = f"/conversations/{conversation['id']}/messages"
        statuses = [
            api.call("POST", path, "alice", {"client_id": f"k{n}", "text": "hi"}).status_code
            for n in range(2)
        ]
        limited = api.call("POST", path, "alice", {"client_id": "k9", "text": "hi"})
        assert statuses == [202, 202]
        assert limited.status_code == 429
        assert body(limited)["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert len(history(api, conversation["id"])) == 2  # nothing stored for the refused one


def test_usage_counts_texts_and_segments_per_day_for_admins(numbers: Api) -> None:
    conversation = start(numbers)
    numbers.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "k1", "text": "x" * 161},
    )  # two segments
    webhook(numbers, "/webhooks/twilio/sms", inbound("SM" + "9" * 32, "thanks"))
    day = history(numbers, conversation["id"])[0]["created_at"][:10]
    usage = body(numbers.call("GET", f"/admin/usage?from={day}&to={day}", "alice"))["items"]
    company = next(r for r in usage if r["scope"] == "company")
    assert company["outbound"] == {"messages": 1, "segments": 2}
    assert company["inbound"] == {"messages": 1, "segments": 1}
    assert next(r for r in usage if r["scope"] == "u-alice")["outbound"]["messages"] == 1
    refused = numbers.call("GET", f"/admin/usage?from={day}&to={day}", "bob")
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "admin_only"
    assert numbers.call("GET", f"/admin/usage?from={day}&to={day}", "dave").status_code == 200
    assert body(numbers.call("GET", f"/admin/usage?from={day}&to={day}", "dave"))["items"] == []


PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 120


def upload(api: Api, aws: Any, who: str = "alice", content_type: str = "image/png") -> str:
    started = body(
        api.call("POST", "/media", who, {"content_type": content_type, "size": len(PNG)})
    )
    assert started["upload"]["method"] == "POST"
    aws.client("s3", region_name="us-east-1").put_object(
        Bucket="texting-test-media", Key=started["key"], Body=PNG, ContentType=content_type
    )
    return str(started["key"])


def test_an_mms_carries_its_pictures_to_the_provider_and_to_participants(
    numbers: Api, aws: Any
) -> None:
    conversation = start(numbers)
    key = upload(numbers, aws)
    sent = numbers.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "m1", "text": "", "media": [key]},
    )
    assert sent.status_code == 202, sent.body
    message = body(sent)
    assert message["media"] == [
        {"index": 0, "content_type": "image/png", "size": len(PNG), "filename": None}
    ]
    numbers.services.sms_sender.deliver(message)
    (url,) = numbers.providers.sent[0]["media_urls"]
    assert ("texting-test-media" in url and "Signature" in url) or "X-Amz" in url
    link = body(
        numbers.call(
            "GET", f"/conversations/{conversation['id']}/messages/{message['id']}/media/0", "alice"
        )
    )
    assert link["content_type"] == "image/png" and link["url"].startswith("http")
    assert (
        numbers.call(
            "GET", f"/conversations/{conversation['id']}/messages/{message['id']}/media/0", "dave"
        ).status_code
        == 404
    )


def test_media_must_be_the_senders_own_upload_of_an_allowed_kind(numbers: Api, aws: Any) -> None:
    conversation = start(numbers)
    path = f"/conversations/{conversation['id']}/messages"
    bobs = upload(numbers, aws, who="bob")
    stolen = numbers.call("POST", path, "alice", {"client_id": "m", "text": "x", "media": [bobs]})
    assert stolen.status_code == 400 and body(stolen)["error"]["code"] == "invalid_media"
    missing = numbers.call(
        "POST",
        path,
        "alice",
        {"client_id": "m", "text": "x", "media": ["uploads/media/acme/u-alice/none.png"]},
    )
    assert body(missing)["error"]["code"] == "invalid_media"
    bad_type = numbers.call("POST", "/media", "alice", {"content_type": "video/mp4", "size": 10})
    assert body(bad_type)["error"]["code"] == "invalid_content_type"
    too_big = numbers.call(
        "POST", "/media", "alice", {"content_type": "image/png", "size": 21 * 1024 * 1024}
    )
    assert body(too_big)["error"]["code"] == "media_too_large"
    assert history(numbers, conversation["id"]) == []


def test_a_number_without_mms_cannot_send_media(numbers: Api, aws: Any) -> None:
    numbers.services.adapters.sms.put_number(
        BusinessNumber(SHOP, "acme", capabilities=["sms"], users=["u-alice"])
    )
    conversation = start(numbers)
    key = upload(numbers, aws)
    refused = numbers.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "m", "text": "pic", "media": [key]},
    )
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "mms_not_supported"


def test_inbound_media_is_copied_into_our_bucket(numbers: Api, aws: Any) -> None:
    numbers.fetcher.files["https://api.twilio.com/media/ME1"] = (PNG, "image/png")
    params = {
        **inbound("SM" + "7" * 32, "look"),
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/media/ME1",
        "MediaContentType0": "image/png",
    }
    assert webhook(numbers, "/webhooks/twilio/sms", params).status_code == 200
    conversation = body(numbers.call("GET", "/conversations", "alice"))["items"][0]
    (message,) = history(numbers, conversation["id"])
    assert message["media"] == [
        {"index": 0, "content_type": "image/png", "size": len(PNG), "filename": None}
    ]
    link = body(
        numbers.call(
            "GET", f"/conversations/{conversation['id']}/messages/{message['id']}/media/0", "alice"
        )
    )
    assert "texting-test-media" in link["url"]  # our copy, not the provider's URL
    stored = aws.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket="texting-test-media", Prefix=f"media/{conversation['id']}/"
    )
    assert stored["KeyCount"] == 1
