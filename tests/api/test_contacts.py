"""Personal contacts with several numbers, an email and a company: validation of every
field, suggestions by name or number, the name on an SMS thread, and tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.model import BusinessNumber
from tests.api.conftest import Api
from tests.api.test_sms import SHOP, body, start

PAT = {
    "name": "Pat Lee",
    "phones": [
        {"number": "(415) 555-2671", "label": "mobile"},
        {"number": "+1 415 555 0142"},
    ],
    "email": "pat@example.com",
    "company": "Lee Roofing",
}


def create(api: Api, payload: dict[str, Any], who: str = "alice") -> Any:
    return api.call("POST", "/contacts", who, payload)


def test_a_contact_keeps_several_labelled_numbers_an_email_and_a_company(api: Api) -> None:
    made = create(api, PAT)
    assert made.status_code == 201, made.body
    contact = body(made)
    assert contact["phone"] == "+14155552671"  # the first number, for older clients
    assert contact["phones"] == [
        {"number": "+14155552671", "label": "mobile"},
        {"number": "+14155550142", "label": None},
    ]
    assert (contact["email"], contact["company"]) == ("pat@example.com", "Lee Roofing")
    assert body(api.call("GET", f"/contacts/{contact['id']}", "alice")) == contact


def test_phone_alone_still_makes_a_contact_and_changes_the_first_number(api: Api) -> None:
    contact = body(create(api, {"name": "Sam", "phone": "415-555-0100"}))
    assert contact["phones"] == [{"number": "+14155550100", "label": None}]
    assert (contact["email"], contact["company"]) == (None, None)
    path = f"/contacts/{contact['id']}"
    api.call(
        "PATCH",
        path,
        "alice",
        {"phones": [{"number": "4155550100", "label": "work"}, {"number": "4155550111"}]},
    )
    changed = body(api.call("PATCH", path, "alice", {"phone": "4155550199", "email": "s@x.io"}))
    assert changed["phones"] == [
        {"number": "+14155550199", "label": "work"},
        {"number": "+14155550111", "label": None},
    ]
    cleared = body(api.call("PATCH", path, "alice", {"email": None, "company": "Sam & Co"}))
    assert (cleared["email"], cleared["company"], cleared["phone"]) == (
        None,
        "Sam & Co",
        "+14155550199",
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"name": "A", "phones": []}, "invalid_phones"),
        ({"name": "A", "phones": [{"number": "+14155550100"}] * 2}, "invalid_phones"),
        (
            {"name": "A", "phones": [{"number": "415 555 0100"}, {"number": "+14155550100"}]},
            "invalid_phones",
        ),
        ({"name": "A", "phones": [{"number": "12"}]}, "invalid_phones"),
        ({"name": "A", "phones": [{"number": 4155550100}]}, "invalid_phones"),
        ({"name": "A", "phones": [{"number": "4155550100", "extra": 1}]}, "invalid_phones"),
        ({"name": "A", "phones": [{"number": "4155550100", "label": "a\nb"}]}, "invalid_phones"),
        ({"name": "A", "phones": [{"number": "4155550100", "label": "x" * 41}]}, "invalid_phones"),
        (
            {"name": "A", "phones": [{"number": f"41555501{n:02d}"} for n in range(11)]},
            "invalid_phones",
        ),
        ({"name": "A", "phones": "4155550100"}, "invalid_phones"),
        (
            {"name": "A", "phone": "4155550100", "phones": [{"number": "4155550101"}]},
            "invalid_phones",
        ),
        ({"name": "A"}, "invalid_phone"),
        ({"name": "A", "phone": "4155550100", "email": "not an address"}, "invalid_email"),
        ({"name": "A", "phone": "4155550100", "email": "a@b.c" + "x" * 250}, "invalid_email"),
        ({"name": "A", "phone": "4155550100", "email": 7}, "invalid_email"),
        ({"name": "A", "phone": "4155550100", "company": "two\nlines"}, "invalid_company"),
        ({"name": "A", "phone": "4155550100", "company": "x" * 201}, "invalid_company"),
        ({"name": "   ", "phone": "4155550100"}, "invalid_name"),
    ],
)
def test_bad_contact_fields_are_refused_and_nothing_is_stored(
    api: Api, payload: dict[str, Any], code: str
) -> None:
    refused = create(api, payload)
    assert refused.status_code == 400, refused.body
    assert body(refused)["error"]["code"] == code
    assert body(api.call("GET", "/contacts", "alice"))["items"] == []


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (
            '{"name": "A", "phones": [{"number": "4155550100", "label": "\\ud800"}]}',
            "invalid_phones",
        ),
        ('{"name": "A", "phone": "4155550100", "email": "\\udfff@x.io"}', "invalid_email"),
        ('{"name": "A", "phone": "4155550100", "company": "\\ud83d"}', "invalid_company"),
    ],
)
def test_lone_surrogates_are_refused(api: Api, raw: str, code: str) -> None:
    refused = api.call("POST", "/contacts", "alice", raw=raw)
    assert (refused.status_code, body(refused)["error"]["code"]) == (400, code)


def test_a_number_belongs_to_one_of_a_persons_contacts(api: Api) -> None:
    first = body(create(api, PAT))
    taken = create(api, {"name": "Other", "phone": "+14155550142"})
    assert (taken.status_code, body(taken)["error"]["code"]) == (409, "contact_number_taken")
    assert create(api, {"name": "Other", "phone": "+14155550142"}, who="bob").status_code == 201
    # dropping the number frees it
    api.call("PATCH", f"/contacts/{first['id']}", "alice", {"phones": [{"number": "4155552671"}]})
    assert create(api, {"name": "Other", "phone": "+14155550142"}).status_code == 201


def test_suggestions_by_name_prefix_and_by_number_prefix(api: Api) -> None:
    create(api, PAT)
    create(api, {"name": "Zoë Park", "phone": "+1 212 555 0100"})
    create(api, {"name": "Patricia Wu", "phone": "+1 646 555 0100"})

    def names(query: str, who: str = "alice") -> list[str]:
        found = body(api.call("GET", f"/contacts?q={query}", who))
        return sorted(c["name"] for c in found["items"])

    assert names("pat") == ["Pat Lee", "Patricia Wu"]
    assert names("zoe") == ["Zoë Park"]
    assert names("(415)%20555") == ["Pat Lee"]
    assert names("%2B1212") == ["Zoë Park"]
    assert names("4155550142") == ["Pat Lee"]  # its second number
    assert names("nobody") == []
    assert names("pat", who="dave") == []  # another company's person
    page = body(api.call("GET", "/contacts?q=pat&limit=1", "alice"))
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = body(api.call("GET", f"/contacts?q=pat&limit=1&cursor={page['next_cursor']}", "alice"))
    assert [c["name"] for c in rest["items"]] == ["Patricia Wu"]
    wrong = api.call("GET", f"/contacts?q=zoe&cursor={page['next_cursor']}", "alice")
    assert body(wrong)["error"]["code"] == "invalid_cursor"
    too_long = api.call("GET", "/contacts?q=" + "a" * 101, "alice")
    assert body(too_long)["error"]["code"] == "invalid_q"


def test_an_sms_thread_shows_the_callers_contact_of_the_number(api: Api) -> None:
    api.services.adapters.sms.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    alice = api.people["alice"]
    alice.numbers = [SHOP]
    api.services.adapters.directory.put_user(alice)
    conversation = start(api)
    assert body(api.call("GET", f"/conversations/{conversation['id']}", "alice"))["contact"] is None
    pat = body(create(api, PAT))
    view = body(api.call("GET", f"/conversations/{conversation['id']}", "alice"))
    assert view["contact"] == {"id": pat["id"], "name": "Pat Lee"}
    (listed,) = body(api.call("GET", "/conversations", "alice"))["items"]
    assert listed["contact"] == {"id": pat["id"], "name": "Pat Lee"}


def test_another_persons_contact_is_invisible(api: Api) -> None:
    pat = body(create(api, PAT))
    for who in ("bob", "dave"):
        assert api.call("GET", f"/contacts/{pat['id']}", who).status_code == 404
        assert api.call("PATCH", f"/contacts/{pat['id']}", who, {"name": "x"}).status_code == 404
        assert api.call("DELETE", f"/contacts/{pat['id']}", who).status_code == 404
    assert api.call("DELETE", f"/contacts/{pat['id']}", "alice").status_code == 204
    assert create(api, {"name": "New", "phone": "+14155552671"}).status_code == 201  # freed


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "invalid_request"),
        ({"name": None, "phone": None}, "invalid_request"),
        ({"phone": "4155550100", "phones": [{"number": "4155550101"}]}, "invalid_phones"),
        ({"phones": None, "email": "x"}, "invalid_email"),
        ({"name": "x" * 201}, "invalid_name"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    api: Api, payload: dict[str, Any], code: str
) -> None:
    pat = body(create(api, PAT))
    refused = api.call("PATCH", f"/contacts/{pat['id']}", "alice", payload)
    assert (refused.status_code, body(refused)["error"]["code"]) == (400, code)
    assert body(api.call("GET", f"/contacts/{pat['id']}", "alice")) == pat
