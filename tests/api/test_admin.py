"""Company admins: numbers and who texts from them, policies, switches — own company only."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from chalicelib.domain.model import BusinessNumber
from tests.api.conftest import Api
from tests.api.test_sms import CUSTOMER, inbound, webhook

LINE = "+14155550142"
Q = urllib.parse.quote(LINE)


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


@pytest.fixture
def line(api: Api) -> Api:
    # the operator provisions the number for acme; the admin manages it from there
    api.services.adapters.sms.put_number(BusinessNumber(LINE, "acme", users=[]))
    created = api.call("PUT", f"/admin/numbers/{Q}", "alice", {"type": "local"})
    assert created.status_code == 200, created.body
    assert api.call("PUT", f"/admin/numbers/{Q}/users/u-bob", "alice").status_code == 200
    return api


ADMIN_ROUTES = [
    ("GET", "/admin/company", None),
    ("PATCH", "/admin/company", {"sms_enabled": False}),
    ("GET", "/admin/numbers", None),
    ("PUT", f"/admin/numbers/{Q}", {"type": "local"}),
    ("PUT", f"/admin/numbers/{Q}/users/u-carol", None),
    ("DELETE", f"/admin/numbers/{Q}/users/u-bob", None),
    ("PATCH", "/admin/users/u-carol", {"sms_enabled": False}),
    ("GET", "/admin/policies", None),
    ("POST", "/admin/policies", {"name": "Interns", "sms_enabled": False}),
    ("GET", "/admin/usage?from=2026-01-01&to=2026-01-02", None),
]


@pytest.mark.parametrize(
    ("method", "path", "payload"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p, _ in ADMIN_ROUTES]
)
def test_only_admins_administer(line: Api, method: str, path: str, payload: Any) -> None:
    response = line.call(method, path, "bob", payload)
    assert response.status_code == 403
    assert body(response)["error"]["code"] == "admin_only"


def test_another_companys_admin_cannot_touch_our_numbers_or_users(line: Api) -> None:
    assert line.call("PUT", f"/admin/numbers/{Q}/users/u-erin", "dave").status_code == 404
    assert line.call("DELETE", f"/admin/numbers/{Q}/users/u-bob", "dave").status_code == 404
    assert (
        line.call("PATCH", "/admin/users/u-bob", "dave", {"sms_enabled": False}).status_code == 404
    )
    taken = line.call("PUT", f"/admin/numbers/{Q}", "dave", {"type": "local"})
    assert taken.status_code == 404 and body(taken)["error"]["code"] == "number_not_found"
    unknown = line.call("PUT", "/admin/numbers/%2B14155550143", "alice", {"type": "local"})
    assert unknown.status_code == 404  # admins cannot claim numbers: the operator provisions
    assert body(line.call("GET", "/admin/numbers", "dave"))["items"] == []
    assert line.call("PUT", f"/admin/numbers/{Q}/users/u-dave", "alice").status_code == 404


def test_an_assigned_user_can_text_and_joins_the_lines_conversations(line: Api) -> None:
    webhook(line, "/webhooks/twilio/sms", inbound("SM" + "5" * 32, "hello", to=LINE))
    (conversation,) = body(line.call("GET", "/conversations", "bob"))["items"]
    assert body(line.call("GET", "/conversations", "carol"))["items"] == []
    assert line.call("PUT", f"/admin/numbers/{Q}/users/u-carol", "alice").status_code == 200
    carols = body(line.call("GET", "/conversations", "carol"))["items"]
    assert [c["id"] for c in carols] == [conversation["id"]]
    started = line.call("POST", "/conversations", "carol", {"type": "sms", "to": CUSTOMER})
    assert started.status_code == 200  # the customer's conversation with the line exists
    assert body(started)["id"] == conversation["id"]
    line.call("DELETE", f"/admin/numbers/{Q}/users/u-bob", "alice")
    assert body(line.call("GET", "/conversations", "bob"))["items"] == []
    refused = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert body(refused)["error"]["code"] == "no_sms_number"


def test_a_number_that_becomes_virtual_cannot_text(line: Api) -> None:
    line.call("PUT", f"/admin/numbers/{Q}", "alice", {"type": "virtual"})
    refused = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert body(refused)["error"]["code"] == "no_sms_number"


def test_company_switches_turn_sms_and_im_off(line: Api) -> None:
    line.call("PATCH", "/admin/company", "alice", {"sms_enabled": False, "im_enabled": False})
    sms = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert body(sms)["error"]["code"] == "sms_disabled_company"
    im = line.call("POST", "/conversations", "bob", {"type": "im", "members": ["u-carol"]})
    assert body(im)["error"]["code"] == "im_disabled_company"
    other = line.call("POST", "/conversations", "erin", {"type": "im", "members": ["u-frank"]})
    assert other.status_code == 201  # another company is not affected


def test_a_profile_policy_can_switch_sms_off_for_its_users(line: Api) -> None:
    policy = body(
        line.call("POST", "/admin/policies", "alice", {"name": "Interns", "sms_enabled": False})
    )
    line.call("PATCH", "/admin/users/u-bob", "alice", {"policy_id": policy["id"]})
    refused = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert body(refused)["error"]["code"] == "sms_disabled_policy"
    line.call("PATCH", f"/admin/policies/{policy['id']}", "alice", {"sms_enabled": True})
    allowed = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert allowed.status_code == 201


def test_a_user_switch_and_licence_are_set_by_the_admin(line: Api) -> None:
    line.call("PATCH", "/admin/users/u-bob", "alice", {"sms_enabled": False})
    refused = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert body(refused)["error"]["code"] == "sms_disabled_user"
    line.call(
        "PATCH", "/admin/users/u-bob", "alice", {"sms_enabled": True, "license_type": "basic"}
    )
    refused = line.call("POST", "/conversations", "bob", {"type": "sms", "to": CUSTOMER})
    assert body(refused)["error"]["code"] == "license_not_eligible"


@pytest.mark.parametrize(
    ("method", "path", "payload", "code"),
    [
        ("PUT", f"/admin/numbers/{Q}", {"type": "fax"}, "invalid_type"),
        ("PUT", f"/admin/numbers/{Q}", {"provider": "carrier-pigeon"}, "invalid_provider"),
        ("PUT", f"/admin/numbers/{Q}", {"capabilities": ["voice"]}, "invalid_capabilities"),
        ("PUT", "/admin/numbers/123", {"type": "local"}, "invalid_phone"),
        ("PATCH", "/admin/users/u-bob", {"policy_id": "nope"}, "policy_not_found"),
        ("PATCH", "/admin/users/u-bob", {"sms_enabled": "no"}, "invalid_request"),
        ("PATCH", "/admin/company", {"colour": "red"}, "invalid_request"),
        ("POST", "/admin/policies", {"name": ""}, "invalid_name"),
        ("GET", "/admin/usage?from=2026-02-01&to=2026-01-01", None, "invalid_date"),
    ],
)
def test_bad_admin_input_is_refused(
    line: Api, method: str, path: str, payload: Any, code: str
) -> None:
    response = line.call(method, path, "alice", payload)
    assert 400 <= response.status_code < 500
    assert body(response)["error"]["code"] == code


def test_a_number_takes_back_the_object_it_returned_and_a_policy_an_empty_patch(
    api: Api,
) -> None:
    api.services.adapters.sms.put_number(BusinessNumber(LINE, "acme", users=[]))
    listed = json.loads(api.call("GET", "/admin/numbers", "alice").body)["items"]
    mine = next(n for n in listed if n["e164"] == LINE)
    again = api.call("PUT", f"/admin/numbers/{LINE}", "alice", {**mine, "type": "mobile"})
    assert again.status_code == 200, again.body
    assert json.loads(again.body)["type"] == "mobile"
    made = json.loads(api.call("POST", "/admin/policies", "alice", {"name": "Front desk"}).body)
    same = api.call("PATCH", f"/admin/policies/{made['id']}", "alice", {})
    assert same.status_code == 200 and json.loads(same.body)["name"] == "Front desk"
    refused = api.call("PATCH", "/admin/company", "bob", {"help_text": 5})
    assert refused.status_code == 403  # who may ask comes before what was asked
