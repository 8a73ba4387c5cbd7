"""Lawful texting through the real app: sending follows registration, the poller,
carrier refusals (30034, 21610), plain-language opt-outs, consent records, the
texting policy (seed rules) and the End User Messaging sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.compliance import Registration
from chalicelib.domain.model import BusinessNumber
from chalicelib.domain.sms import ProviderRejected, ProviderRetryable
from tests import fakes
from tests.api.conftest import Api, running_api
from tests.api.test_sms import CUSTOMER, SHOP, body, inbound, start, webhook

UK_NUMBER = "+447700900123"
TOLL_FREE = "+18005550100"


def _assign(api: Api, *numbers: BusinessNumber) -> None:
    for number in numbers:
        api.services.adapters.sms.put_number(number)
    alice = api.people["alice"]
    alice.numbers = [n.e164 for n in numbers]
    api.services.adapters.directory.put_user(alice)


@pytest.fixture
def source() -> fakes.FakeRegistrationSource:
    return fakes.FakeRegistrationSource()


@pytest.fixture
def lawful(aws: Any, source: fakes.FakeRegistrationSource) -> Iterator[Api]:
    """The app with registration required (as in prod) and alice on an unregistered number."""
    adapters = {"registration_source": source, "sms_account": fakes.FakeSmsAccount()}
    with running_api(adapters, sms_require_registration=True) as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        yield api


def send(api: Api, conversation_id: str, key: str, text: str = "hello") -> Any:
    return api.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        "alice",
        {"client_id": key, "text": text},
    )


def campaign(status: str = "pending") -> Registration:
    return Registration(
        registration_id="campaign-1",
        company_id="acme",
        type="campaign",
        provider="eum",
        status=status,
        provider_id="registration-0123456789",
        provider_status="REVIEWING",
        details={"use_case": "CUSTOMER_CARE"},
        numbers=[SHOP],
    )


# -- sending follows registration -----------------------------------------------------------


def test_a_send_from_an_unregistered_us_number_is_409_and_nothing_is_queued(lawful: Api) -> None:
    conversation = start(lawful)
    refused = send(lawful, conversation["id"], "k1")
    assert refused.status_code == 409
    error = body(refused)["error"]
    assert error["code"] == "number_not_registered"
    assert "10DLC" in error["message"]
    listed = body(lawful.call("GET", f"/conversations/{conversation['id']}/messages"))
    assert listed["items"] == []
    assert lawful.providers.sent == []


def test_a_registration_approved_by_the_poller_lets_the_next_send_through(
    lawful: Api, source: fakes.FakeRegistrationSource
) -> None:
    lawful.services.registrations.record(campaign())
    conversation = start(lawful)
    pending = send(lawful, conversation["id"], "k1")
    assert pending.status_code == 409 and "pending" in body(pending)["error"]["message"]
    source.statuses["registration-0123456789"] = ("COMPLETE", "")
    assert lawful.services.registrations.poll() == {"pending": 1, "changed": 1}
    sent = send(lawful, conversation["id"], "k2")
    assert sent.status_code == 202
    number = body(lawful.call("GET", "/admin/numbers"))["items"][0]
    assert number["registration"]["kind"] == "10dlc"
    assert number["registration"]["status"] == "approved"
    listed = body(lawful.call("GET", "/admin/registrations"))["items"]
    assert [h["status"] for h in listed[0]["history"]] == ["pending", "approved"]
    assert lawful.services.registrations.poll() == {"pending": 0, "changed": 0}


def _scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "poll-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }


def test_the_poller_timer_stops_within_the_lambdas_remaining_time(
    lawful: Api, source: fakes.FakeRegistrationSource
) -> None:
    """The timer passes the Lambda context's remaining time: with less than the margin
    left nothing is asked; a run with time polls what is pending."""
    from chalicelib.api.compliance import registration_poller
    from local.lambda_events import lambda_context

    lawful.services.registrations.record(campaign())
    source.statuses["registration-0123456789"] = ("COMPLETE", "")
    margin = lawful.services.settings.registration_poll_margin_seconds
    short = lambda_context("registration_poller", timeout_seconds=margin - 5)
    assert registration_poller(_scheduled_event(), short) == {"pending": 0, "changed": 0}
    assert source.asked == []
    enough = lambda_context("registration_poller", timeout_seconds=60)
    assert registration_poller(_scheduled_event(), enough) == {"pending": 1, "changed": 1}


def test_a_registration_that_needs_updates_shows_the_providers_reason(
    lawful: Api, source: fakes.FakeRegistrationSource
) -> None:
    lawful.services.registrations.record(campaign())
    source.statuses["registration-0123456789"] = ("REQUIRES_UPDATES", "opt-in flow unclear")
    lawful.services.registrations.poll()
    listed = body(lawful.call("GET", "/admin/registrations"))["items"][0]
    assert (listed["status"], listed["reason"]) == ("needs_updates", "opt-in flow unclear")
    refused = send(lawful, start(lawful)["id"], "k1")
    assert "needs updates: opt-in flow unclear" in body(refused)["error"]["message"]


def test_a_registration_fixed_after_it_needed_updates_is_seen_by_the_poller(
    lawful: Api, source: fakes.FakeRegistrationSource
) -> None:
    """Fixed and resubmitted in the provider's console: the poller keeps asking about a
    registration that needs updates, and its approval lets the number text again."""
    lawful.services.registrations.record(campaign())
    source.statuses["registration-0123456789"] = ("REQUIRES_UPDATES", "opt-in flow unclear")
    lawful.services.registrations.poll()
    source.statuses["registration-0123456789"] = ("REVIEWING", "")
    assert lawful.services.registrations.poll()["pending"] == 1
    source.statuses["registration-0123456789"] = ("COMPLETE", "")
    lawful.services.registrations.poll()
    assert send(lawful, start(lawful)["id"], "k1").status_code == 202


def test_a_carrier_refusal_on_an_approved_registration_is_checked_again_not_kept(
    lawful: Api, source: fakes.FakeRegistrationSource
) -> None:
    """One 30034 on a number whose campaign the provider still approves blocks it only
    until the poller has asked the provider again."""
    lawful.services.registrations.record(campaign())
    source.statuses["registration-0123456789"] = ("COMPLETE", "")
    lawful.services.registrations.poll()
    conversation = start(lawful)
    lawful.providers.fail_with.append(
        ProviderRejected("unregistered", provider_code="30034", status=400)
    )
    message = body(send(lawful, conversation["id"], "k1"))
    assert lawful.services.sms_sender.deliver(message) == "failed"
    assert send(lawful, conversation["id"], "k2").status_code == 409  # held meanwhile
    assert lawful.services.registrations.poll()["changed"] == 1  # asked again: approved
    assert send(lawful, conversation["id"], "k3").status_code == 202


def test_30034_from_the_provider_marks_the_number_and_stops_its_texts(aws: Any) -> None:
    with running_api() as api:
        _assign(
            api,
            BusinessNumber(
                SHOP,
                "acme",
                users=["u-alice"],
                registration="10dlc",
                registration_status="approved",
            ),
        )
        conversation = start(api)
        api.providers.fail_with.append(
            ProviderRejected("unregistered", provider_code="30034", status=400)
        )
        message = body(send(api, conversation["id"], "k1"))
        assert api.services.sms_sender.deliver(message) == "failed"
        number = api.services.adapters.sms.get_number(SHOP)
        assert number is not None and number.registration_status == "needs_updates"
        assert "30034" in number.registration_reason


def test_21610_records_an_opt_out_and_the_text_is_not_retried(lawful: Api) -> None:
    lawful.services.registrations.record(campaign("approved"))
    conversation = start(lawful)
    lawful.providers.fail_with.append(
        ProviderRejected("unsubscribed recipient", provider_code="21610", status=400)
    )
    message = body(send(lawful, conversation["id"], "k1"))
    assert lawful.services.sms_sender.deliver(message) == "failed"
    assert lawful.services.sms_sender.deliver(message) == "skipped"  # never retried
    assert lawful.providers.sent == []
    assert lawful.services.adapters.sms.opted_out(SHOP, CUSTOMER) is True
    refused = send(lawful, conversation["id"], "k2")
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "opted_out"


# -- opt-out by law -------------------------------------------------------------------------


def test_a_plain_language_revocation_opts_out_with_one_confirmation_naming_the_company(
    aws: Any,
) -> None:
    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        reply = webhook(
            api, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, "pls stop texting me")
        )
        assert b"Acme Corp: You are unsubscribed" in reply.body
        again = webhook(api, "/webhooks/twilio/sms", inbound("SM" + "2" * 32, "REVOKE"))
        assert b"<Response/>" in again.body
        audit = api.services.adapters.sms.opt_out_history(SHOP, CUSTOMER)
        assert len(audit) == 1 and audit[0]["text"] == "pls stop texting me"
        assert audit[0]["keyword"].startswith("plain language")


def test_an_unsure_text_is_flagged_for_a_person_and_not_answered(aws: Any) -> None:
    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        conversation = start(api)
        reply = webhook(api, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, "wrong number"))
        assert b"<Response/>" in reply.body
        path = f"/conversations/{conversation['id']}/consent"
        consent = body(api.call("GET", path))
        assert consent["opted_out"] is False
        assert consent["review"]["text"] == "wrong number"
        done = api.call("PUT", path, "alice", {"review_done": True})
        assert done.status_code == 200 and body(done)["review"] is None


def test_a_flagged_text_redelivered_by_the_provider_is_not_flagged_again(aws: Any) -> None:
    """The provider retries a webhook after a person cleared the flag: the retry is the
    same history entry (keyed on the text's id and stored time), so nothing is written."""
    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        path = f"/conversations/{start(api)['id']}/consent"
        flagged = inbound("SM" + "1" * 32, "wrong number")
        webhook(api, "/webhooks/twilio/sms", flagged)
        assert api.call("PUT", path, "alice", {"review_done": True}).status_code == 200
        webhook(api, "/webhooks/twilio/sms", flagged)  # the provider's retry
        webhook(api, "/webhooks/twilio/sms", flagged)
        shown = body(api.call("GET", path, "alice"))
        assert shown["review"] is None
        assert [e["change"] for e in shown["history"]] == ["review_done", "flagged"]


def test_a_flag_racing_a_persons_consent_change_loses_neither(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text is flagged between a person's read of the consent record and their write:
    the write is refused by version, read again and applied again; both changes stay."""
    from chalicelib.adapters.dynamodb import DynamoComplianceRepository

    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        path = f"/conversations/{start(api)['id']}/consent"
        read = DynamoComplianceRepository.get_consent

        def read_then_a_text_is_flagged(self: Any, business: str, external: str) -> Any:
            consent = read(self, business, external)
            monkeypatch.setattr(DynamoComplianceRepository, "get_consent", read)
            at = "2026-03-02T15:00:00.000Z"
            api.services.consents.flag(business, external, "who is this", at, "twilio:SM9")
            return consent

        monkeypatch.setattr(DynamoComplianceRepository, "get_consent", read_then_a_text_is_flagged)
        changed = api.call("PUT", path, "alice", {"opted_in_how": "web form"})
        assert changed.status_code == 200
        shown = body(api.call("GET", path, "alice"))
        assert shown["opted_in_how"] == "web form"
        assert shown["review"] == {"text": "who is this", "at": "2026-03-02T15:00:00.000Z"}
        assert sorted(e["change"] for e in shown["history"]) == ["flagged", "opted_in_how"]


def test_marking_a_flag_read_leaves_a_flag_that_arrived_meanwhile(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person marks the flag they read as read while a newer text is flagged: the
    newer flag is nobody's read yet, so it stays."""
    from chalicelib.adapters.dynamodb import DynamoComplianceRepository

    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        path = f"/conversations/{start(api)['id']}/consent"
        webhook(api, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, "wrong number"))
        read = DynamoComplianceRepository.get_consent

        def read_then_a_text_is_flagged(self: Any, business: str, external: str) -> Any:
            consent = read(self, business, external)
            monkeypatch.setattr(DynamoComplianceRepository, "get_consent", read)
            at = "2099-01-01T00:00:00.000Z"
            api.services.consents.flag(business, external, "not interested", at, "twilio:SM9")
            return consent

        monkeypatch.setattr(DynamoComplianceRepository, "get_consent", read_then_a_text_is_flagged)
        assert api.call("PUT", path, "alice", {"review_done": True}).status_code == 200
        shown = body(api.call("GET", path, "alice"))
        assert shown["review"] is not None and shown["review"]["text"] == "not interested"


def test_how_a_customer_opted_in_is_recorded_and_shown_to_the_next_person(aws: Any) -> None:
    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice", "u-bob"]))
        created = api.call(
            "POST",
            "/conversations",
            "alice",
            {"type": "sms", "to": CUSTOMER, "consent": "signed the paper form in store"},
        )
        conversation = body(created)
        shown = body(api.call("GET", f"/conversations/{conversation['id']}/consent", "alice"))
        assert shown["opted_in_how"] == "signed the paper form in store"
        assert shown["recorded_by"] == "u-alice"
        foreign = api.call("GET", f"/conversations/{conversation['id']}/consent", "dave")
        assert foreign.status_code == 404


def test_admins_read_the_consent_history_a_page_at_a_time(aws: Any) -> None:
    """Who or what changed consent, when, and the text that did it: the opt-in recorded
    by a person, the customer's STOP, a flagged text and its review, newest first."""
    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice", "u-bob"]))
        created = api.call(
            "POST",
            "/conversations",
            "alice",
            {"type": "sms", "to": CUSTOMER, "consent": "web form"},
        )
        path = f"/conversations/{body(created)['id']}/consent"
        webhook(api, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, "wrong number"))
        api.call("PUT", path, "bob", {"review_done": True})
        webhook(api, "/webhooks/twilio/sms", inbound("SM" + "2" * 32, "STOP"))
        first = body(api.call("GET", f"{path}?limit=3", "alice"))
        assert [(e["change"], e["by"]) for e in first["history"]] == [
            ("opted_out", "twilio:SM" + "2" * 32),
            ("review_done", "u-bob"),
            ("flagged", "twilio:SM" + "1" * 32),
        ]
        assert first["history"][0]["text"] == "STOP" and first["history_next_cursor"]
        cursor = first["history_next_cursor"]
        rest = body(api.call("GET", f"{path}?limit=3&cursor={cursor}", "alice"))
        assert [(e["change"], e["by"], e["text"]) for e in rest["history"]] == [
            ("opted_in_how", "u-alice", "web form")
        ]
        assert rest["history_next_cursor"] is None
        member = body(api.call("GET", path, "bob"))  # the line's person: the record only
        assert member["opted_out"] is True and "history" not in member
        refused = api.call("GET", f"{path}?cursor=not-a-cursor", "alice")
        assert refused.status_code == 400 and body(refused)["error"]["code"] == "invalid_cursor"


def test_help_and_stop_use_the_companys_own_texts(aws: Any) -> None:
    with running_api() as api:
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        changed = api.call(
            "PUT",
            "/admin/texting-policy",
            "alice",
            {"sender_name": "Acme Bikes", "stop_reply": "{name}: no more texts. Text START."},
        )
        assert changed.status_code == 200
        stop = webhook(api, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, "Opt-Out"))
        assert b"Acme Bikes: no more texts. Text START." in stop.body
        help_reply = webhook(api, "/webhooks/twilio/sms", inbound("SM" + "2" * 32, "help"))
        assert b"Acme Bikes: For help, text or call us at " + SHOP.encode() in help_reply.body


def test_a_help_reply_that_does_not_say_how_to_reach_the_business_is_400(aws: Any) -> None:
    with running_api() as api:
        refused = api.call(
            "PATCH", "/admin/company", "alice", {"help_text": "Acme Corp: we are here to help!"}
        )
        assert refused.status_code == 400
        error = body(refused)["error"]
        assert (
            error["code"] == "invalid_help_text"
            and "how to reach the business" in (error["message"])
        )
        assert body(api.call("GET", "/admin/company"))["help_text"] == ""
        kept = api.call(
            "PATCH", "/admin/company", "alice", {"help_text": "{name}: call us at {number}"}
        )
        assert kept.status_code == 200
        _assign(api, BusinessNumber(SHOP, "acme", users=["u-alice"]))
        help_reply = webhook(api, "/webhooks/twilio/sms", inbound("SM" + "1" * 32, "HELP"))
        assert b"Acme Corp: call us at " + SHOP.encode() in help_reply.body


def test_an_opt_out_confirmation_with_marketing_is_400_and_changes_nothing(lawful: Api) -> None:
    refused = lawful.call(
        "PUT",
        "/admin/texting-policy",
        "alice",
        {"stop_reply": "{name}: unsubscribed. Shop our sale at https://acme.com"},
    )
    assert refused.status_code == 400
    error = body(refused)["error"]
    assert error["code"] == "invalid_stop_reply" and "carries a link" in error["message"]
    assert body(lawful.call("GET", "/admin/texting-policy"))["stop_reply"] == ""


# -- the texting policy: seed rules as policy -------------------------------------------------


def test_only_us_and_canadian_business_numbers_text_by_default(aws: Any) -> None:
    with running_api() as api:
        _assign(api, BusinessNumber(UK_NUMBER, "acme", country="GB", users=["u-alice"]))
        refused = api.call("POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER})
        assert refused.status_code == 403 and body(refused)["error"]["code"] == "no_sms_number"
        api.call("PUT", "/admin/texting-policy", "alice", {"number_countries": ["US", "CA", "GB"]})
        allowed = api.call("POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER})
        assert allowed.status_code == 201


def test_toll_free_numbers_text_once_verified_or_never_by_policy(lawful: Api) -> None:
    verified = BusinessNumber(
        TOLL_FREE,
        "acme",
        type="toll_free",
        users=["u-alice"],
        registration="toll_free",
        registration_status="approved",
    )
    _assign(lawful, verified)
    assert start(lawful)["business_number"] == TOLL_FREE
    lawful.call("PUT", "/admin/texting-policy", "alice", {"toll_free": "never"})
    refused = lawful.call("POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER})
    assert body(refused)["error"]["code"] == "no_sms_number"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"toll_free": "sometimes"}, "invalid_toll_free"),
        ({"number_countries": ["USA"]}, "invalid_number_countries"),
        ({"quiet_hours": "yes"}, "invalid_request"),
        ({"stop_reply": "x" * 400}, "invalid_stop_reply"),
        ({"colour": "red"}, "invalid_request"),
    ],
)
def test_a_bad_texting_policy_is_400_and_changes_nothing(
    lawful: Api, change: dict[str, Any], code: str
) -> None:
    before = body(lawful.call("GET", "/admin/texting-policy"))
    refused = lawful.call("PUT", "/admin/texting-policy", "alice", change)
    assert refused.status_code == 400 and body(refused)["error"]["code"] == code
    assert body(lawful.call("GET", "/admin/texting-policy")) == before


def _other_container() -> Any:
    """The texting policies as another Lambda container holds them (its own cache)."""
    from chalicelib.adapters.dynamodb import DynamoComplianceRepository
    from chalicelib.services.compliance.policy import TextingPolicies

    return TextingPolicies(DynamoComplianceRepository())


def _changes(values: dict[str, Any]) -> Any:
    from chalicelib.services.commands import Changes

    return Changes(values)


def test_a_policy_change_is_made_on_the_stored_policy_not_a_cached_copy(lawful: Api) -> None:
    """Two containers: this one has the policy cached; another changes the sender name;
    a change here keeps it (it was written over a copy up to a minute old)."""
    from chalicelib.services.common import Caller

    assert body(lawful.call("GET", "/admin/texting-policy"))["sender_name"] == ""  # cached
    other = _other_container()
    other.update(Caller("u-alice", "acme", "admin"), _changes({"sender_name": "Acme Bikes"}))
    changed = lawful.call("PUT", "/admin/texting-policy", "alice", {"quiet_hours": True})
    assert changed.status_code == 200
    assert (body(changed)["sender_name"], body(changed)["quiet_hours"]) == ("Acme Bikes", True)
    assert _other_container().get("acme").sender_name == "Acme Bikes"


def test_a_policy_change_that_lost_a_race_is_409_and_changes_nothing(
    lawful: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another container's admin writes between this change's read and its write: the
    write is refused (optimistic concurrency), not laid over theirs."""
    from chalicelib.adapters.dynamodb import DynamoComplianceRepository
    from chalicelib.services.common import Caller

    read = DynamoComplianceRepository.get_texting_policy
    other = _other_container()

    def read_then_another_admin_writes(self: Any, company_id: str, consistent: bool = False) -> Any:
        policy = read(self, company_id, consistent)
        monkeypatch.setattr(DynamoComplianceRepository, "get_texting_policy", read)
        other.update(Caller("u-dave", "acme", "admin"), _changes({"sender_name": "Acme Bikes"}))
        return policy

    monkeypatch.setattr(
        DynamoComplianceRepository, "get_texting_policy", read_then_another_admin_writes
    )
    refused = lawful.call("PUT", "/admin/texting-policy", "alice", {"quiet_hours": True})
    assert refused.status_code == 409
    assert body(refused)["error"]["code"] == "texting_policy_changed"
    stored = _other_container().get("acme")
    assert (stored.sender_name, stored.quiet_hours) == ("Acme Bikes", False)
    retried = lawful.call("PUT", "/admin/texting-policy", "alice", {"quiet_hours": True})
    assert retried.status_code == 200 and body(retried)["sender_name"] == "Acme Bikes"


def test_the_compliance_pages_are_for_admins_only(lawful: Api) -> None:
    for path in ("/admin/texting-policy", "/admin/registrations", "/admin/sms-account"):
        refused = lawful.call("GET", path, "bob")
        assert refused.status_code == 403 and body(refused)["error"]["code"] == "admin_only"


def test_the_sandbox_is_shown_to_admins_of_a_company_texting_through_end_user_messaging(
    lawful: Api,
) -> None:
    _assign(lawful, BusinessNumber(SHOP, "acme", provider="eum", users=["u-alice"]))
    standing = body(lawful.call("GET", "/admin/sms-account"))
    assert standing["in_use"] is True
    assert standing["sandbox"] is True and standing["tier"] == "SANDBOX"


def test_a_company_without_end_user_messaging_numbers_has_no_sandbox_to_show(
    lawful: Api,
) -> None:
    _assign(lawful, BusinessNumber(SHOP, "acme", provider="twilio", users=["u-alice"]))
    standing = body(lawful.call("GET", "/admin/sms-account"))
    assert standing["in_use"] is False and standing["verified_destinations"] == []


# -- End User Messaging: the confirmation is owed until the provider takes it -----------------


class CountingProvider:
    """The fake carrier, counting every send it accepted (the fake would fold two sends
    with one idempotency key into one; End User Messaging does not)."""

    def __init__(self, inner: fakes.MemoryProviders) -> None:
        self.inner = inner
        self.accepted: list[str] = []

    def send(self, from_: str, to: str, body: str, idempotency_key: str, media_urls=()):  # type: ignore[no-untyped-def]
        sent = self.inner.send(from_, to, body, idempotency_key, media_urls)
        self.accepted.append(body)
        return sent


@pytest.fixture
def eum(aws: Any) -> Iterator[tuple[Api, CountingProvider]]:
    counting = CountingProvider(fakes.MemoryProviders())
    with running_api() as api:
        api.services.adapters.providers = lambda name: counting  # type: ignore[misc]
        _assign(api, BusinessNumber(SHOP, "acme", provider="eum", users=["u-alice"]))
        yield api, counting


def eum_inbound(message_id: str, body_text: str) -> Any:
    from types import SimpleNamespace

    event = {
        "originationNumber": CUSTOMER,
        "destinationNumber": SHOP,
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body_text,
        "inboundMessageId": message_id,
        "previousPublishedMessageId": "",
    }
    return SimpleNamespace(body=json.dumps(event), message_id=f"sqs-{message_id}")


def deliver_eum(record: Any) -> None:
    from chalicelib.api.consumers import _eum_record

    _eum_record(record)


def test_a_stop_whose_confirmation_failed_once_gets_exactly_one_on_the_retry(
    eum: tuple[Api, CountingProvider],
) -> None:
    api, provider = eum
    provider.inner.fail_with.append(ProviderRetryable("throttled"))
    stop = eum_inbound("in-0001", "STOP")
    with pytest.raises(ProviderRetryable):
        deliver_eum(stop)  # the opt-out is recorded; its confirmation is owed
    assert api.services.adapters.sms.opted_out(SHOP, CUSTOMER) is True
    assert provider.accepted == []
    deliver_eum(stop)  # SQS delivers the event again
    deliver_eum(stop)  # ... and once more (at least once)
    assert len(provider.accepted) == 1 and "unsubscribed" in provider.accepted[0]
    assert len(api.services.adapters.sms.opt_out_history(SHOP, CUSTOMER)) == 1


def test_a_confirmation_whose_event_was_given_up_is_not_claimed_by_the_phones_next_text(
    eum: tuple[Api, CountingProvider],
) -> None:
    """Only a text that changed consent claims a confirmation: an ordinary one costs no
    request for it. The STOP's own event, redriven in time, still sends it, once."""
    _, provider = eum
    provider.inner.fail_with.append(ProviderRetryable("down"))
    stop = eum_inbound("in-0001", "please stop texting me")
    with pytest.raises(ProviderRetryable):
        deliver_eum(stop)
    deliver_eum(eum_inbound("in-0002", "hello?"))  # the STOP's event went to the DLQ
    assert provider.accepted == []
    deliver_eum(stop)  # redriven from the DLQ
    deliver_eum(stop)
    assert len(provider.accepted) == 1 and "unsubscribed" in provider.accepted[0]


def test_an_ordinary_text_on_end_user_messaging_costs_no_request_beyond_storing_it(
    eum: tuple[Api, CountingProvider],
) -> None:
    """The event path asks for a confirmation only when the text owes one: an ordinary
    text costs what storing it costs (it cost a failed conditional UpdateItem and a
    GetItem more, for every inbound text)."""
    import botocore.client

    from chalicelib.adapters import eum as eum_adapter
    from tests.support import RequestMeter

    api, provider = eum
    deliver_eum(eum_inbound("in-0001", "warm-up"))
    meter = RequestMeter()
    original = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = meter(original)  # type: ignore[method-assign]
    try:
        deliver_eum(eum_inbound("in-0002", "On my way"))
        event_path = sum(sum(c.values()) for c in meter.take().values())
        text = eum_adapter.parse_inbound(json.loads(eum_inbound("in-0003", "See you").body))
        api.services.carrier.inbound(text)  # the inbound step alone
        inbound_step = sum(sum(c.values()) for c in meter.take().values())
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert event_path == inbound_step > 0
    assert provider.accepted == []


class Ticking:
    """A clock a test moves forward."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

    def __call__(self) -> str:
        from chalicelib.domain.model import utcnow_iso

        return utcnow_iso(self.now)


def test_a_confirmation_owed_longer_than_five_minutes_is_settled_unsent_and_counted(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """CTIA: one confirmation within 5 minutes. A STOP whose event comes back later
    (a long retry, a redrive from the DLQ) records nothing new and sends nothing."""
    from datetime import timedelta

    clock = Ticking()
    counting = CountingProvider(fakes.MemoryProviders())
    with running_api({"clock": clock}) as api:
        api.services.adapters.providers = lambda name: counting  # type: ignore[misc]
        _assign(api, BusinessNumber(SHOP, "acme", provider="eum", users=["u-alice"]))
        counting.inner.fail_with.append(ProviderRetryable("down"))
        stop = eum_inbound("in-0001", "STOP")
        with pytest.raises(ProviderRetryable):
            deliver_eum(stop)
        clock.now += timedelta(minutes=5, seconds=1)
        capsys.readouterr()
        deliver_eum(stop)  # redriven too late
        assert counting.accepted == []
        assert '"KeywordReplyExpired"' in capsys.readouterr().out
        clock.now += timedelta(minutes=1)
        deliver_eum(stop)  # settled: nothing owed any more
        deliver_eum(eum_inbound("in-0002", "START"))  # a new change owes its own
        assert len(counting.accepted) == 1 and "resubscribed" in counting.accepted[0]
        assert api.services.adapters.sms.opted_out(SHOP, CUSTOMER) is False


def test_a_stop_confirmed_at_once_is_never_confirmed_again(
    eum: tuple[Api, CountingProvider],
) -> None:
    _, provider = eum
    deliver_eum(eum_inbound("in-0001", "STOP"))
    deliver_eum(eum_inbound("in-0001", "STOP"))  # the same event again
    deliver_eum(eum_inbound("in-0002", "Stop!"))  # a second STOP changes nothing
    assert len(provider.accepted) == 1
    deliver_eum(eum_inbound("in-0003", "START"))  # an opt-in owes its own
    assert len(provider.accepted) == 2 and "resubscribed" in provider.accepted[1]


def test_a_confirmation_the_provider_may_have_sent_is_not_sent_again(
    eum: tuple[Api, CountingProvider],
) -> None:
    """A timeout after the request went out: End User Messaging may have sent it, so it
    is settled (never two), and counted (``KeywordReplyUncertain``)."""
    api, provider = eum
    provider.inner.fail_with.append(ProviderRetryable("timed out", ambiguous=True))
    deliver_eum(eum_inbound("in-0001", "STOP"))
    deliver_eum(eum_inbound("in-0001", "STOP"))
    assert provider.accepted == []
    assert api.services.adapters.sms.opted_out(SHOP, CUSTOMER) is True


def test_help_on_end_user_messaging_is_answered_and_owes_nothing(
    eum: tuple[Api, CountingProvider],
) -> None:
    _, provider = eum
    deliver_eum(eum_inbound("in-0001", "HELP"))
    assert len(provider.accepted) == 1 and "For help" in provider.accepted[0]
