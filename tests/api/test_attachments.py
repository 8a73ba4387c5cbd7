"""Pictures and files on IM and SMS messages: uploads with a file name, the per-channel
limits, and the carriers' MMS rules refused before anything is stored or sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.domain.model import BusinessNumber
from tests.api.conftest import Api, running_api
from tests.api.test_sms import CUSTOMER, PNG, SHOP, body, history, start

BUCKET = "texting-test-media"


@pytest.fixture
def attach(aws: Any) -> Iterator[Api]:
    """The app with an MMS limit small enough to pass with a few hundred bytes."""
    with running_api(mms_max_bytes=len(PNG) + 10, sms_allowed_countries=("US", "CA", "GB")) as api:
        api.services.adapters.sms.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
        alice = api.people["alice"]
        alice.numbers = [SHOP]
        api.services.adapters.directory.put_user(alice)
        yield api


def upload(
    api: Api,
    data: bytes = PNG,
    content_type: str = "image/png",
    filename: str | None = None,
    who: str = "alice",
) -> dict[str, Any]:
    """As a browser does: POST /media, then the presigned form with every field as given."""
    asked: dict[str, Any] = {"content_type": content_type, "size": len(data)}
    if filename is not None:
        asked["filename"] = filename
    started = api.call("POST", "/media", who, asked)
    assert started.status_code == 200, started.body
    form = body(started)
    sent = requests.post(
        form["upload"]["url"],
        data=form["upload"]["fields"],
        files={"file": ("blob", data, content_type)},
        timeout=10,
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return dict(form)


def send(
    api: Api, conversation_id: str, keys: list[str], text: str = "", who: str = "alice"
) -> Any:
    return api.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        who,
        {"client_id": f"c-{len(keys)}-{text}", "text": text, "media": keys},
    )


def im_with_bob(api: Api) -> str:
    made = api.call("POST", "/conversations", "alice", {"type": "im", "members": ["u-bob"]})
    return str(body(made)["id"])


def test_an_im_carries_a_picture_with_its_file_name_to_the_co_worker(attach: Api) -> None:
    conversation = im_with_bob(attach)
    form = upload(attach, filename="Café menu 日本.png")
    assert form["filename"] == "Café menu 日本.png"
    sent = send(attach, conversation, [form["key"]])
    assert sent.status_code == 201, sent.body
    expected = [
        {
            "index": 0,
            "content_type": "image/png",
            "size": len(PNG),
            "filename": "Café menu 日本.png",
        }
    ]
    assert body(sent)["media"] == expected and body(sent)["text"] == ""
    (seen,) = history(attach, conversation, "bob")
    assert seen["media"] == expected
    link = body(
        attach.call("GET", f"/conversations/{conversation}/messages/{seen['id']}/media/0", "bob")
    )
    assert link["filename"] == "Café menu 日本.png" and "filename" in requests.utils.unquote(
        link["url"]
    )
    assert requests.get(link["url"], timeout=10).content == PNG
    outsider = attach.call(
        "GET", f"/conversations/{conversation}/messages/{seen['id']}/media/0", "dave"
    )
    assert outsider.status_code == 404


def test_an_im_attachment_may_be_larger_than_an_mms_and_of_a_type_carriers_refuse(
    attach: Api,
) -> None:
    conversation = im_with_bob(attach)
    big = PNG + b"\0" * 100  # over this stage's MMS limit
    keys = [
        upload(attach, big)["key"],
        upload(attach, b"RIFF....WEBP", "image/webp", "a.webp")["key"],
    ]
    sent = send(attach, conversation, keys, "two files")
    assert sent.status_code == 201, sent.body
    assert [m["content_type"] for m in body(sent)["media"]] == ["image/png", "image/webp"]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../etc/passwd", "a path separator"),
        ("a\\b.png", "a backslash"),
        ("line\nbreak.png", "a control character"),
        ("bell\x07.png", "a control character"),
        ("c1\x85.png", "a C1 control"),
        ("\u202egnp.exe", "a bidirectional override"),
        ("   ", "only spaces"),
        ("", "empty"),
        ("x" * 256, "too long"),
    ],
)
def test_a_bad_file_name_is_refused_before_any_upload(attach: Api, name: str, why: str) -> None:
    refused = attach.call(
        "POST", "/media", "alice", {"content_type": "image/png", "size": 10, "filename": name}
    )
    assert refused.status_code == 400, why
    assert body(refused)["error"]["code"] == "invalid_filename", why


@pytest.mark.parametrize(
    "raw",
    [
        '{"content_type": "image/png", "size": 10, "filename": "\\ud800.png"}',
        '{"content_type": "image/png", "size": 10, "filename": 42}',
        '{"content_type": "image/png", "size": 10, "filename": ["a.png"]}',
    ],
    ids=["lone-surrogate", "number", "list"],
)
def test_a_file_name_that_is_not_text_is_refused(attach: Api, raw: str) -> None:
    refused = attach.call("POST", "/media", "alice", raw=raw)
    assert (refused.status_code, body(refused)["error"]["code"]) == (400, "invalid_filename")


def test_a_file_name_of_255_characters_is_kept(attach: Api) -> None:
    name = "é" * 251 + ".pdf"
    started = body(
        attach.call(
            "POST",
            "/media",
            "alice",
            {"content_type": "application/pdf", "size": 9, "filename": name},
        )
    )
    assert started["filename"] == name


def test_the_limits_say_what_each_channel_carries(attach: Api) -> None:
    limits = body(attach.call("GET", "/media/limits", "alice"))
    assert limits["im"]["max_bytes"] == attach.services.settings.media_max_bytes
    assert "image/webp" in limits["im"]["content_types"]
    assert limits["sms"]["max_bytes"] == len(PNG) + 10
    assert "image/webp" not in limits["sms"]["content_types"]
    assert limits["sms"]["countries"] == ["US", "CA"] and limits["sms"]["enabled"] is True
    assert attach.call("GET", "/media/limits", None).status_code in (401, 403)


def test_an_upload_over_the_stages_limit_is_refused(attach: Api) -> None:
    limit = attach.services.settings.media_max_bytes
    refused = attach.call(
        "POST", "/media", "alice", {"content_type": "image/png", "size": limit + 1}
    )
    assert body(refused)["error"]["code"] == "media_too_large"


def _refused_before_the_provider(api: Api, conversation_id: str, response: Any, code: str) -> None:
    assert body(response)["error"]["code"] == code, response.body
    assert history(api, conversation_id) == []
    assert api.providers.sent == []


def test_an_mms_of_a_type_carriers_refuse_is_refused(attach: Api) -> None:
    conversation = start(attach)
    key = upload(attach, b"RIFF....WEBP", "image/webp")["key"]
    refused = send(attach, conversation["id"], [key], "look")
    assert refused.status_code == 400
    _refused_before_the_provider(attach, conversation["id"], refused, "media_type_not_supported")


def test_an_mms_over_the_mms_limit_is_refused(attach: Api) -> None:
    conversation = start(attach)
    keys = [upload(attach)["key"], upload(attach)["key"]]  # each fits, together they do not
    refused = send(attach, conversation["id"], keys)
    assert refused.status_code == 400
    _refused_before_the_provider(attach, conversation["id"], refused, "media_too_large")


def test_an_mms_outside_north_america_is_refused_but_a_text_goes(attach: Api) -> None:
    conversation = start(attach, to="+44 20 7946 0018")
    key = upload(attach)["key"]
    refused = send(attach, conversation["id"], [key], "hello")
    assert refused.status_code == 403
    _refused_before_the_provider(
        attach, conversation["id"], refused, "mms_not_supported_for_destination"
    )
    plain = attach.call(
        "POST",
        f"/conversations/{conversation['id']}/messages",
        "alice",
        {"client_id": "t", "text": "hi"},
    )
    assert plain.status_code == 202


def test_an_mms_from_a_short_code_is_refused(attach: Api) -> None:
    attach.services.adapters.sms.put_number(
        BusinessNumber(SHOP, "acme", type="short_code", users=["u-alice"])
    )
    conversation = start(attach)
    refused = send(attach, conversation["id"], [upload(attach)["key"]], "x")
    _refused_before_the_provider(
        attach, conversation["id"], refused, "mms_not_supported_for_destination"
    )


def test_a_queued_mms_whose_number_changed_fails_without_reaching_the_provider(
    attach: Api,
) -> None:
    conversation = start(attach)
    sent = send(attach, conversation["id"], [upload(attach, filename="plan.png")["key"]], "plan")
    assert sent.status_code == 202, sent.body
    attach.services.adapters.sms.put_number(
        BusinessNumber(SHOP, "acme", capabilities=["sms"], users=["u-alice"])
    )
    assert attach.services.sms_sender.deliver(body(sent)) == "failed"
    assert attach.providers.sent == []
    (stored,) = history(attach, conversation["id"])
    assert stored["error_code"] == "mms_not_supported"


def test_an_mms_reaches_the_provider_with_its_picture(attach: Api) -> None:
    conversation = start(attach)
    sent = send(attach, conversation["id"], [upload(attach, filename="menu.png")["key"]])
    assert sent.status_code == 202, sent.body
    assert body(sent)["media"][0]["filename"] == "menu.png"
    attach.services.sms_sender.deliver(body(sent))
    (out,) = attach.providers.sent
    assert out["to"] == CUSTOMER and len(out["media_urls"]) == 1


def test_media_of_another_company_or_person_is_not_attachable(attach: Api) -> None:
    conversation = im_with_bob(attach)
    bobs = upload(attach, who="bob")["key"]
    refused = send(attach, conversation, [bobs], "mine?")
    assert body(refused)["error"]["code"] == "invalid_media"
    assert (
        json.loads(attach.call("GET", f"/conversations/{conversation}/messages", "alice").body)[
            "items"
        ]
        == []
    )
