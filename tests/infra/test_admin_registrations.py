"""The operator's registration commands: End User Messaging registrations created and
submitted from a reviewed file and numbers attached (every call checked by botocore's
``Stubber`` against the service model), Twilio's brands, campaigns and toll-free
verifications imported from a fake Twilio server, a number's registration recorded by hand."""

from __future__ import annotations

import base64
import datetime
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.eum_registrations import EumRegistrations
from chalicelib.domain.model import BusinessNumber
from infra.admin_registrations import (
    RegistrationFile,
    TwilioAccount,
    attach_number,
    client_token,
    import_twilio,
    record_by_hand,
    submit_eum,
)
from tests.infra.test_admin_tool import company, deployed  # noqa: F401  (fixtures)
from tests.support import World

REG_ID = "registration-0123456789abcdef0123456789abcdef"
ARN = f"arn:aws:sms-voice:us-east-1:123456789012:registration/{REG_ID}"
NUMBER_ID = "phone-0123456789abcdef0123456789abcdef"
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
SHOP = "+14155550100"
TOLL_FREE = "+18005550199"
REVIEWED = {
    "company_id": "acme",
    "id": "acme-campaign",
    "type": "campaign",
    "brand_id": "acme-brand",
    "fields": {
        "campaignInfo.useCase": ["CUSTOMER_CARE"],
        "campaignInfo.campaignDescription": "Order updates and replies to customers",
    },
    "attachments": {"campaignInfo.optInScreenshot": "s3://acme-reg/optin.png"},
    "details": {"use_case": "customer care", "sample_messages": ["Your order shipped."]},
}


@pytest.fixture
def world() -> World:
    world = World()
    for e164 in (SHOP, TOLL_FREE):
        world.sms_repo.put_number(BusinessNumber(e164, "acme", provider="eum"))
    return world


@pytest.fixture
def client() -> Any:
    return boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def expect_create(stub: Stubber) -> None:
    stub.add_response(
        "create_registration",
        {
            "RegistrationArn": ARN,
            "RegistrationId": REG_ID,
            "RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
            "RegistrationStatus": "CREATED",
            "CurrentVersionNumber": 1,
            "CreatedTimestamp": WHEN,
        },
        {
            "RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
            "ClientToken": client_token("acme", "acme-campaign", "create"),
        },
    )


def expect_fill(stub: Stubber) -> None:
    path = "campaignInfo.optInScreenshot"
    stub.add_response(
        "create_registration_attachment",
        {
            "RegistrationAttachmentArn": ARN + "-a",
            "RegistrationAttachmentId": "attachment-1",
            "AttachmentStatus": "UPLOAD_COMPLETE",
            "CreatedTimestamp": WHEN,
        },
        {
            "AttachmentUrl": "s3://acme-reg/optin.png",
            "ClientToken": client_token("acme", "acme-campaign", "attachment", path),
        },
    )
    for field, value in (
        ("campaignInfo.useCase", {"SelectChoices": ["CUSTOMER_CARE"]}),
        (
            "campaignInfo.campaignDescription",
            {"TextValue": "Order updates and replies to customers"},
        ),
        (path, {"RegistrationAttachmentId": "attachment-1"}),
    ):
        stub.add_response(
            "put_registration_field_value",
            {
                "RegistrationArn": ARN,
                "RegistrationId": REG_ID,
                "VersionNumber": 1,
                "FieldPath": field,
            },
            {"RegistrationId": REG_ID, "FieldPath": field, **value},
        )


def expect_submit(stub: Stubber) -> None:
    stub.add_response(
        "submit_registration_version",
        {
            "RegistrationArn": ARN,
            "RegistrationId": REG_ID,
            "VersionNumber": 1,
            "RegistrationVersionStatus": "SUBMITTED",
            "RegistrationVersionStatusHistory": {"DraftTimestamp": WHEN},
            "AwsReview": False,
        },
        {"RegistrationId": REG_ID},
    )


def test_a_reviewed_file_is_created_filled_submitted_and_recorded_pending(
    world: World, client: Any, stub: Stubber
) -> None:
    expect_create(stub)
    expect_fill(stub)
    expect_submit(stub)
    spec = RegistrationFile.parse(REVIEWED)
    made = submit_eum(
        spec, EumRegistrations(client), world.services.registrations, world.compliance_repo
    )
    assert (made.status, made.provider_id, made.provider_status) == (
        "pending",
        REG_ID,
        "SUBMITTED",
    )
    stored = world.compliance_repo.get_registration("acme", "acme-campaign")
    assert stored is not None and stored.details["use_case"] == "customer care"
    history = world.compliance_repo.registration_history("acme", "acme-campaign")
    assert [h["status"] for h in history] == ["draft", "pending"]
    assert [r.registration_id for r in world.compliance_repo.pending_registrations(10).items] == [
        "acme-campaign"
    ]
    with pytest.raises(SystemExit, match="already pending"):  # never submitted twice
        submit_eum(
            spec, EumRegistrations(client), world.services.registrations, world.compliance_repo
        )


def test_a_rerun_after_a_failed_submit_reuses_the_registration_it_created(
    world: World, client: Any, stub: Stubber
) -> None:
    expect_create(stub)
    expect_fill(stub)
    stub.add_client_error("submit_registration_version", "ValidationException", "field missing")
    spec = RegistrationFile.parse(REVIEWED)
    eum = EumRegistrations(client)
    with pytest.raises(Exception, match="field missing"):
        submit_eum(spec, eum, world.services.registrations, world.compliance_repo)
    draft = world.compliance_repo.get_registration("acme", "acme-campaign")
    assert draft is not None and (draft.status, draft.provider_id) == ("draft", REG_ID)
    expect_fill(stub)  # no second create_registration: the Stubber refuses any other call
    expect_submit(stub)
    made = submit_eum(spec, eum, world.services.registrations, world.compliance_repo)
    assert made.status == "pending" and made.provider_id == REG_ID


@pytest.mark.parametrize(
    "broken, complaint",
    [
        ({**REVIEWED, "type": "short_code"}, "type is one of"),
        ({**REVIEWED, "id": " "}, "needs an id"),
        ({**REVIEWED, "company_id": ""}, "needs company_id"),
        ({**REVIEWED, "fields": {"a.b": 3}}, "a text or a list"),
        ({**REVIEWED, "attachments": {"campaignInfo.useCase": "s3://x/y"}}, "both a field"),
        ([REVIEWED], "one JSON object"),
    ],
)
def test_a_file_that_is_not_right_is_refused_before_any_call(broken: Any, complaint: str) -> None:
    with pytest.raises(SystemExit, match=complaint):
        RegistrationFile.parse(broken)


def test_an_attached_number_follows_its_campaign_until_approved(
    world: World, client: Any, stub: Stubber
) -> None:
    world.services.registrations.record(
        _campaign_at_eum(status="pending", provider_status="SUBMITTED")
    )
    stub.add_response(
        "describe_phone_numbers",
        {"PhoneNumbers": [_eum_number(TOLL_FREE, "phone-other")], "NextToken": "p2"},
        {},
    )
    stub.add_response(
        "describe_phone_numbers",
        {"PhoneNumbers": [_eum_number(SHOP, NUMBER_ID)]},
        {"NextToken": "p2"},
    )
    stub.add_response(
        "create_registration_association",
        {
            "RegistrationArn": ARN,
            "RegistrationId": REG_ID,
            "RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
            "ResourceArn": f"arn:aws:sms-voice:us-east-1:123456789012:phone-number/{NUMBER_ID}",
            "ResourceId": NUMBER_ID,
            "ResourceType": "phone-number",
            "PhoneNumber": SHOP,
        },
        {"RegistrationId": REG_ID, "ResourceId": NUMBER_ID},
    )
    made = attach_number(
        "acme",
        "acme-campaign",
        SHOP,
        EumRegistrations(client),
        client,
        world.services.registrations,
        world.compliance_repo,
        world.sms_repo,
    )
    assert made.numbers == [SHOP]
    number = world.sms_repo.get_number(SHOP)
    assert (number.registration, number.registration_status) == ("10dlc", "pending")
    world.registration_source.statuses[REG_ID] = ("COMPLETE", "")
    assert world.services.registrations.poll() == {"pending": 1, "changed": 1}
    assert world.sms_repo.get_number(SHOP).registration_status == "approved"


def test_a_number_of_another_company_is_not_attached(world: World, client: Any) -> None:
    world.services.registrations.record(_campaign_at_eum())
    world.sms_repo.put_number(BusinessNumber("+14155550111", "globex", provider="eum"))
    with pytest.raises(SystemExit, match="not a business number of company"):
        attach_number(
            "acme",
            "acme-campaign",
            "+14155550111",
            EumRegistrations(client),
            client,
            world.services.registrations,
            world.compliance_repo,
            world.sms_repo,
        )
    assert world.compliance_repo.get_registration("acme", "acme-campaign").numbers == []


def test_a_numbers_registration_is_recorded_by_hand(world: World) -> None:
    shown = record_by_hand(world.sms_repo, TOLL_FREE, "toll_free", "approved", ref="HH123")
    assert shown["registration"] == {
        "kind": "toll_free",
        "status": "approved",
        "id": "HH123",
        "reason": "",
    }
    with pytest.raises(SystemExit, match="--kind is one of"):
        record_by_hand(world.sms_repo, TOLL_FREE, "vanity", "approved")
    with pytest.raises(SystemExit, match="no business number"):
        record_by_hand(world.sms_repo, "+14155550999", "10dlc", "approved")


def _campaign_at_eum(status: str = "pending", provider_status: str = "SUBMITTED") -> Any:
    from chalicelib.domain.compliance import Registration

    return Registration(
        "acme-campaign",
        "acme",
        "campaign",
        "eum",
        status=status,
        provider_id=REG_ID,
        provider_status=provider_status,
    )


def _eum_number(e164: str, number_id: str) -> dict[str, Any]:
    return {
        "PhoneNumberArn": f"arn:aws:sms-voice:us-east-1:123456789012:phone-number/{number_id}",
        "PhoneNumberId": number_id,
        "PhoneNumber": e164,
        "Status": "ACTIVE",
        "IsoCountryCode": "US",
        "MessageType": "TRANSACTIONAL",
        "NumberCapabilities": ["SMS"],
        "NumberType": "TEN_DLC",
        "MonthlyLeasingPrice": "2.00",
        "TwoWayEnabled": True,
        "SelfManagedOptOutsEnabled": True,
        "OptOutListName": "Default",
        "DeletionProtectionEnabled": False,
        "CreatedTimestamp": WHEN,
    }


# -- Twilio --------------------------------------------------------------------------------

SID, TOKEN = "AC" + "1" * 32, "twilio-token"


class FakeTwilio:
    """Twilio's Messaging and REST APIs for the registrations of one account, paged,
    behind HTTP basic auth; ``campaign_status`` changes what the campaign says."""

    def __init__(self) -> None:
        self.campaign_status = "IN_PROGRESS"
        self.requests: list[str] = []
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                answer = fake.answer(url.path, urllib.parse.parse_qs(url.query))
                if self.headers.get("Authorization") != expected or answer is None:
                    self.send_response(401 if answer is not None else 404)
                    self.end_headers()
                    return
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, query: dict[str, list[str]]) -> dict[str, Any] | None:
        def page(key: str, items: list[Any], following: str | None = None) -> dict[str, Any]:
            return {key: items, "meta": {"next_page_url": following}}

        if path == "/v1/a2p/BrandRegistrations":
            if query.get("Page") == ["1"]:
                return page("data", [{"sid": "BN2", "status": "FAILED", "failure_reason": "EIN"}])
            first = [{"sid": "BN1", "status": "APPROVED"}]
            return page("data", first, f"{self.url}/v1/a2p/BrandRegistrations?Page=1")
        if path == "/v1/Services":
            return page("services", [{"sid": "MG1"}])
        if path == "/v1/Services/MG1/PhoneNumbers":
            return page("phone_numbers", [{"sid": "PN1", "phone_number": SHOP}])
        if path == "/v1/Services/MG1/Compliance/Usa2p":
            campaign = {
                "sid": "QE1",
                "brand_registration_sid": "BN1",
                "campaign_status": self.campaign_status,
                "us_app_to_person_usecase": "CUSTOMER_CARE",
                "message_samples": ["Your order shipped."],
                "errors": [],
            }
            return page("compliance", [campaign])
        if path == "/v1/Tollfree/Verifications":
            verification = {
                "sid": "HH1",
                "status": "TWILIO_REJECTED",
                "rejection_reason": "opt-in not shown",
                "tollfree_phone_number_sid": "PN2",
            }
            return page("verifications", [verification])
        if path == f"/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/PN2.json":
            return {"sid": "PN2", "phone_number": TOLL_FREE}
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    yield fake
    fake.close()


def test_twilios_brands_campaigns_and_toll_free_verifications_are_imported(
    world: World, twilio: FakeTwilio
) -> None:
    account = TwilioAccount(SID, TOKEN, twilio.url, twilio.url)
    found = {
        r.registration_id: r for r in import_twilio(account, "acme", world.services.registrations)
    }
    assert {k: (r.type, r.status) for k, r in found.items()} == {
        "twilio-BN1": ("brand", "approved"),
        "twilio-BN2": ("brand", "needs_updates"),
        "twilio-QE1": ("campaign", "pending"),
        "twilio-HH1": ("toll_free", "needs_updates"),
    }
    assert found["twilio-BN2"].reason == "EIN"
    assert found["twilio-QE1"].details["messaging_service_sid"] == "MG1"  # what the poller asks
    local, toll_free = world.sms_repo.get_number(SHOP), world.sms_repo.get_number(TOLL_FREE)
    assert (local.registration, local.registration_status) == ("10dlc", "pending")
    assert (toll_free.registration, toll_free.registration_status) == ("toll_free", "needs_updates")
    assert toll_free.registration_reason == "opt-in not shown"

    twilio.campaign_status = "VERIFIED"  # imported again: only the change is recorded
    import_twilio(account, "acme", world.services.registrations)
    assert world.sms_repo.get_number(SHOP).registration_status == "approved"
    history = world.compliance_repo.registration_history("acme", "twilio-QE1")
    assert [h["status"] for h in history] == ["pending", "approved"]
    assert len(world.compliance_repo.registration_history("acme", "twilio-BN1")) == 1


def test_a_wrong_twilio_token_imports_nothing(world: World, twilio: FakeTwilio) -> None:
    import urllib.error

    account = TwilioAccount(SID, "wrong", twilio.url, twilio.url)
    with pytest.raises(urllib.error.HTTPError):
        import_twilio(account, "acme", world.services.registrations)
    assert world.compliance_repo.registrations("acme") == []


def test_the_command_line_records_a_registration_on_the_stage(
    company: tuple[Any, str, str],  # noqa: F811  (the fixture imported above)
    capsys: Any,
) -> None:
    from infra import admin

    _, company_id, _ = company
    admin.main(["--stage", "dev", "add-number", "--company-id", company_id, "--number", SHOP])
    capsys.readouterr()
    admin.main(
        [
            "--stage",
            "dev",
            "record-registration",
            "--number",
            SHOP,
            "--kind",
            "10dlc",
            "--status",
            "approved",
            "--ref",
            "CM123",
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["registration"] == {
        "kind": "10dlc",
        "status": "approved",
        "id": "CM123",
        "reason": "",
    }
