"""End User Messaging registrations, the sandbox, and statuses that arrive: every call the
CLI and the poller make, checked by ``botocore.stub.Stubber`` against the service model
(moto has no ``pinpoint-sms-voice-v2``)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.eum import parse_delivery_event
from chalicelib.adapters.eum_registrations import EumAccount, EumRegistrations
from chalicelib.adapters.providers import ProviderRegistry
from chalicelib.adapters.twilio_credentials import TwilioCredentials
from chalicelib.domain.compliance import Registration
from chalicelib.domain.model import BusinessNumber, Conversation, Message
from tests.support import World, settings

REG_ID = "registration-0123456789abcdef0123456789abcdef"
ARN = f"arn:aws:sms-voice:us-east-1:123456789012:registration/{REG_ID}"
NUMBER_ID = "phone-0123456789abcdef0123456789abcdef"
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def client() -> Any:
    return boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def registration() -> Registration:
    return Registration("r1", "acme", "campaign", "eum", "pending", provider_id=REG_ID)


def describe(status: str, denied: int | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "RegistrationArn": ARN,
        "RegistrationId": REG_ID,
        "RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
        "RegistrationStatus": status,
        "CurrentVersionNumber": 2,
        "CreatedTimestamp": WHEN,
    }
    if denied:
        info["LatestDeniedVersionNumber"] = denied
    return {"Registrations": [info]}


def test_the_poller_reads_a_registrations_status(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "describe_registrations", describe("REVIEWING"), {"RegistrationIds": [REG_ID]}
    )
    assert EumRegistrations(client).registration_status(registration()) == ("REVIEWING", "")


def test_a_registration_that_needs_updates_brings_its_denied_reasons(
    client: Any, stub: Stubber
) -> None:
    stub.add_response(
        "describe_registrations", describe("REQUIRES_UPDATES", 1), {"RegistrationIds": [REG_ID]}
    )
    stub.add_response(
        "describe_registration_versions",
        {
            "RegistrationArn": ARN,
            "RegistrationId": REG_ID,
            "RegistrationVersions": [
                {
                    "VersionNumber": 1,
                    "RegistrationVersionStatus": "DENIED",
                    "RegistrationVersionStatusHistory": {"DraftTimestamp": WHEN},
                    "DeniedReasons": [
                        {"Reason": "OPT_IN", "ShortDescription": "The opt-in flow is unclear"}
                    ],
                }
            ],
        },
        {"RegistrationId": REG_ID, "VersionNumbers": [1]},
    )
    status, reason = EumRegistrations(client).registration_status(registration())
    assert (status, reason) == ("REQUIRES_UPDATES", "The opt-in flow is unclear")


def test_the_cli_creates_fills_attaches_submits_and_associates(client: Any, stub: Stubber) -> None:
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
        {"RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION", "ClientToken": "acme-c1"},
    )
    stub.add_response(
        "create_registration_attachment",
        {
            "RegistrationAttachmentArn": ARN + "-a",
            "RegistrationAttachmentId": "attachment-1",
            "AttachmentStatus": "UPLOAD_COMPLETE",
            "CreatedTimestamp": WHEN,
        },
        {"AttachmentUrl": "s3://acme-reg/optin.png", "ClientToken": "acme-c1-optin"},
    )
    for path, value in (
        ("campaignInfo.useCase", {"SelectChoices": ["CUSTOMER_CARE"]}),
        ("campaignInfo.campaignDescription", {"TextValue": "Order updates"}),
        ("campaignInfo.optInScreenshot", {"RegistrationAttachmentId": "attachment-1"}),
    ):
        stub.add_response(
            "put_registration_field_value",
            {
                "RegistrationArn": ARN,
                "RegistrationId": REG_ID,
                "VersionNumber": 1,
                "FieldPath": path,
            },
            {"RegistrationId": REG_ID, "FieldPath": path, **value},
        )
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
    stub.add_response(
        "create_registration_association",
        {
            "RegistrationArn": ARN,
            "RegistrationId": REG_ID,
            "RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
            "ResourceArn": f"arn:aws:sms-voice:us-east-1:123456789012:phone-number/{NUMBER_ID}",
            "ResourceId": NUMBER_ID,
            "ResourceType": "phone-number",
            "PhoneNumber": "+14155550100",
        },
        {"RegistrationId": REG_ID, "ResourceId": NUMBER_ID},
    )
    eum = EumRegistrations(client)
    made = eum.create("US_TEN_DLC_CAMPAIGN_REGISTRATION", "acme-c1")
    assert made == {"RegistrationId": REG_ID, "RegistrationStatus": "CREATED"}
    attachment = eum.attach("s3://acme-reg/optin.png", "acme-c1-optin")
    fields = {
        "campaignInfo.useCase": ["CUSTOMER_CARE"],
        "campaignInfo.campaignDescription": "Order updates",
        "campaignInfo.optInScreenshot": {"attachment": attachment},
    }
    assert eum.fill(REG_ID, fields) == 3
    assert eum.submit(REG_ID) == "SUBMITTED"
    assert eum.associate(REG_ID, NUMBER_ID)["PhoneNumber"] == "+14155550100"


def test_the_app_answers_keywords_itself_on_an_eum_number(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "update_phone_number",
        {"PhoneNumberId": NUMBER_ID, "SelfManagedOptOutsEnabled": True},
        {"PhoneNumberId": NUMBER_ID, "SelfManagedOptOutsEnabled": True},
    )
    assert EumRegistrations(client).answer_keywords_ourselves(NUMBER_ID) is True


def test_the_sandbox_shows_tier_spend_limit_and_verified_destinations(
    client: Any, stub: Stubber
) -> None:
    stub.add_response(
        "describe_account_attributes",
        {"AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": "SANDBOX"}]},
        {},
    )
    stub.add_response(
        "describe_spend_limits",
        {
            "SpendLimits": [
                {
                    "Name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
                    "EnforcedLimit": 1,
                    "MaxLimit": 1,
                    "Overridden": False,
                }
            ]
        },
        {},
    )
    stub.add_response(
        "describe_verified_destination_numbers",
        {
            "VerifiedDestinationNumbers": [
                {
                    "VerifiedDestinationNumberArn": ARN + "-v",
                    "VerifiedDestinationNumberId": "verified-1",
                    "DestinationPhoneNumber": "+14155552671",
                    "Status": "VERIFIED",
                    "CreatedTimestamp": WHEN,
                }
            ]
        },
        {},
    )
    standing = EumAccount(client).sandbox()
    assert standing["sandbox"] is True
    assert standing["spend_limit"]["enforced"] == 1
    assert standing["verified_destinations"] == [{"number": "+14155552671", "status": "VERIFIED"}]


# -- statuses arrive: the configuration set on every send, and the event path ----------------


def test_every_eum_send_names_the_configuration_set_and_its_event_stores_the_status(
    client: Any, stub: Stubber
) -> None:
    """The provider the app builds (not a hand-made client) names the configuration set;
    the delivery event that set's destination publishes reaches the message."""
    world = World()
    config = settings(eum_configuration_set="texting-prod-sms")
    world.sms_repo.put_number(BusinessNumber("+14155550100", "acme", provider="eum"))
    conversation, _ = world.conversation_repo.create(
        Conversation(
            "s1",
            "acme",
            "sms",
            ["u-alice"],
            "u-alice",
            "2026-01-01T00:00:00.000Z",
            business_number="+14155550100",
            external_number="+14155552671",
        )
    )
    stored = world.conversation_repo.append_message(
        conversation,
        Message(
            "s1",
            "acme",
            1,
            "c1",
            "u-alice",
            "hi",
            "2026-01-01T00:00:00.000Z",
            status="queued",
            channel="sms",
            direction="outbound",
            segments=1,
        ),
    )
    stub.add_response(
        "send_text_message",
        {"MessageId": "eum-message-1"},
        {
            "DestinationPhoneNumber": "+14155552671",
            "OriginationIdentity": "+14155550100",
            "MessageBody": "hi",
            "MessageType": "TRANSACTIONAL",
            "ConfigurationSetName": "texting-prod-sms",
            "Context": {"idempotency_key": stored.message_id},
        },
    )
    registry = ProviderRegistry(config, TwilioCredentials.from_settings(config))
    registry._providers["eum"]._client = client  # type: ignore[attr-defined]
    world.services.sms_sender._providers = registry  # type: ignore[attr-defined]
    assert world.services.sms_sender.deliver(stored.to_dict()) == "sending"
    update = parse_delivery_event(
        {
            "eventType": "TEXT_DELIVERED",
            "messageId": "eum-message-1",
            "isFinal": True,
            "destinationPhoneNumber": "+14155552671",
            "originationPhoneNumber": "+14155550100",
            "context": {"idempotency_key": stored.message_id},
        }
    )
    assert update is not None and world.services.carrier.status(update) is True
    assert world.conversation_repo.get_message("s1", stored.seq).status == "delivered"  # type: ignore[union-attr]


def test_an_event_that_overtakes_the_send_finds_its_text_by_the_context(
    client: Any,
) -> None:
    world = World()
    world.sms_repo.put_number(BusinessNumber("+14155550100", "acme", provider="eum"))
    conversation, _ = world.conversation_repo.create(
        Conversation(
            "s1",
            "acme",
            "sms",
            ["u-alice"],
            "u-alice",
            "2026-01-01T00:00:00.000Z",
            business_number="+14155550100",
            external_number="+14155552671",
        )
    )
    stored = world.conversation_repo.append_message(
        conversation,
        Message(
            "s1",
            "acme",
            1,
            "c1",
            "u-alice",
            "hi",
            "2026-01-01T00:00:00.000Z",
            status="sending",
            channel="sms",
            direction="outbound",
            segments=1,
        ),
    )
    update = parse_delivery_event(
        {
            "eventType": "TEXT_SENT",
            "messageId": "eum-message-9",
            "context": {"idempotency_key": stored.message_id},
        }
    )
    assert update is not None and world.services.carrier.status(update) is True
    assert world.sms_repo.find_provider_message("eum", "eum-message-9") == ("s1", stored.seq)


def test_an_account_aws_cannot_describe_now_is_a_503_not_a_crash() -> None:
    import boto3
    from botocore.stub import Stubber

    from chalicelib.adapters.eum_registrations import EumAccount
    from chalicelib.api.errors import status_for
    from chalicelib.domain.errors import DomainError

    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_client_error(
        "describe_account_attributes", "ThrottlingException", http_status_code=400
    )
    with stub, pytest.raises(DomainError) as raised:
        EumAccount(client).sandbox()
    assert raised.value.code == "provider_unavailable" and status_for(raised.value) == 503
