"""End User Messaging SMS adapter: requests proven against the service model, events parsed.

moto has no ``pinpoint-sms-voice-v2``; ``botocore.stub.Stubber`` on a real client
validates every request against the service model, so the shapes are AWS's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from chalicelib.adapters.eum import EumClient, map_event_type, parse_delivery_event, parse_inbound
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.sms import ProviderRejected, ProviderRetryable

FROM = "+14155550100"
TO = "+14155550199"
MESSAGE_ID = "862a8790-60c0-4430-9b2b-658bdexample"


@pytest.fixture
def client() -> Any:
    return boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_a_text_is_sent_as_a_transactional_message_with_the_key_in_context(
    client: Any, stub: Stubber
) -> None:
    stub.add_response(
        "send_text_message",
        {"MessageId": MESSAGE_ID},
        {
            "DestinationPhoneNumber": TO,
            "OriginationIdentity": FROM,
            "MessageBody": "Hello 👋",
            "MessageType": "TRANSACTIONAL",
            "ConfigurationSetName": "texting-events",
            "Context": {"idempotency_key": "msg-1", "message_id": "c1.7"},
        },
    )
    sent = EumClient(client).send(
        FROM, TO, "Hello 👋", [], "texting-events", "msg-1", context={"message_id": "c1.7"}
    )
    assert (sent.provider_message_id, sent.status) == (MESSAGE_ID, "queued")


def test_media_goes_through_send_media_message(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "send_media_message",
        {"MessageId": MESSAGE_ID},
        {
            "DestinationPhoneNumber": TO,
            "OriginationIdentity": FROM,
            "MessageBody": "look",
            "MediaUrls": ["s3://media-bucket/c1/photo.jpg"],
            "ConfigurationSetName": "texting-events",
            "Context": {"idempotency_key": "msg-2"},
        },
    )
    sent = EumClient(client).send(
        FROM, TO, "look", ["s3://media-bucket/c1/photo.jpg"], "texting-events", "msg-2"
    )
    assert sent.provider_message_id == MESSAGE_ID


def test_a_minimal_send_has_no_optional_parameters(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "send_text_message",
        {"MessageId": MESSAGE_ID},
        {
            "DestinationPhoneNumber": TO,
            "OriginationIdentity": FROM,
            "MessageBody": "hi",
            "MessageType": "TRANSACTIONAL",
        },
    )
    EumClient(client).send(FROM, TO, "hi", [], "", None)


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ServiceQuotaExceededException", "InternalServerException"]
)
def test_throttling_quota_and_server_errors_are_retryable(
    client: Any, stub: Stubber, code: str
) -> None:
    stub.add_client_error("send_text_message", code, "try later", http_status_code=400)
    with pytest.raises(ProviderRetryable):
        EumClient(client).send(FROM, TO, "hi", [], "", "k")


@pytest.mark.parametrize(
    ("code", "reason", "provider_code"),
    [
        ("ValidationException", "DESTINATION_COUNTRY_BLOCKED", "DESTINATION_COUNTRY_BLOCKED"),
        ("ResourceNotFoundException", None, "ResourceNotFoundException"),
        ("AccessDeniedException", "ACCOUNT_DISABLED", "ACCOUNT_DISABLED"),
        (
            "ConflictException",
            "DESTINATION_PHONE_NUMBER_OPTED_OUT",
            "DESTINATION_PHONE_NUMBER_OPTED_OUT",
        ),
    ],
)
def test_client_errors_are_rejected_with_the_reason_as_provider_code(
    client: Any, stub: Stubber, code: str, reason: str | None, provider_code: str
) -> None:
    stub.add_client_error(
        "send_text_message",
        code,
        "refused",
        http_status_code=400,
        modeled_fields={"Message": "refused", "Reason": reason} if reason else None,
    )
    with pytest.raises(ProviderRejected) as error:
        EumClient(client).send(FROM, TO, "hi", [], "", "k")
    assert (error.value.provider_code, error.value.status) == (provider_code, 400)


def test_an_unexpected_5xx_error_is_retryable(client: Any, stub: Stubber) -> None:
    stub.add_client_error("send_text_message", "ServiceUnavailable", http_status_code=503)
    with pytest.raises(ProviderRetryable):
        EumClient(client).send(FROM, TO, "hi", [], "", "k")


def test_a_read_timeout_is_retryable(client: Any) -> None:
    def timeout(**kwargs: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://sms-voice.us-east-1.amazonaws.com")

    client.send_text_message = timeout
    with pytest.raises(ProviderRetryable):
        EumClient(client).send(FROM, TO, "hi", [], "", "k")


def test_media_must_be_one_s3_object(client: Any, stub: Stubber) -> None:
    eum = EumClient(client)
    with pytest.raises(ProviderRejected) as error:
        eum.send(FROM, TO, "", ["s3://b/1.jpg", "s3://b/2.jpg"], "", None)
    assert error.value.provider_code == "too_many_media"
    with pytest.raises(ProviderRejected) as error:
        eum.send(FROM, TO, "", ["https://cdn.test/1.jpg"], "", None)
    assert error.value.provider_code == "media_not_in_s3"


def test_an_empty_text_without_media_is_rejected_before_any_call(
    client: Any, stub: Stubber
) -> None:
    with pytest.raises(ProviderRejected):
        EumClient(client).send(FROM, TO, "", [], "", None)


# -- events -------------------------------------------------------------------------------

INBOUND = {
    "originationNumber": TO,
    "destinationNumber": FROM,
    "messageKeyword": "JOIN",
    "messageBody": "Is the shop open?",
    "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84",
    "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}


def delivery(event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": 1686975103470,
        "isFinal": True,
        "originationPhoneNumber": FROM,
        "destinationPhoneNumber": TO,
        "isInternationalSend": False,
        "mcc": "310",
        "mnc": "800",
        "messageId": MESSAGE_ID,
        "messageRequestTimestamp": 1686975103170,
        "messageEncoding": "GSM",
        "messageType": "TRANSACTIONAL",
        "messageStatus": "SUCCESSFUL",
        "messageStatusDescription": "Message has been accepted by phone carrier",
        "context": {"idempotency_key": "msg-1"},
        "totalMessageParts": 1,
        "totalMessagePrice": 0.00581,
        "totalCarrierFee": 0.0,
        **extra,
    }


def test_a_two_way_payload_parses_from_the_sns_message_string() -> None:
    inbound = parse_inbound(json.dumps(INBOUND))
    assert (inbound.provider, inbound.provider_message_id) == ("eum", INBOUND["inboundMessageId"])
    assert (inbound.from_, inbound.to, inbound.body) == (TO, FROM, "Is the shop open?")
    assert (inbound.keyword, inbound.in_reply_to, inbound.media) == (
        "JOIN",
        INBOUND["previousPublishedMessageId"],
        (),
    )


def test_an_sns_envelope_from_an_sqs_subscription_is_unwrapped() -> None:
    envelope = {"Type": "Notification", "MessageId": "x", "Message": json.dumps(INBOUND)}
    assert parse_inbound(json.dumps(envelope)).body == "Is the shop open?"


def test_a_two_way_payload_without_a_sender_is_invalid() -> None:
    with pytest.raises(ValidationError) as error:
        parse_inbound({**INBOUND, "originationNumber": ""})
    assert error.value.code == "invalid_event"
    with pytest.raises(ValidationError):
        parse_inbound("not json")


def test_a_final_successful_event_is_delivered_with_its_context() -> None:
    update = parse_delivery_event(json.dumps(delivery("TEXT_SUCCESSFUL")))
    assert update is not None
    assert (update.provider_message_id, update.status, update.final) == (
        MESSAGE_ID,
        "delivered",
        True,
    )
    assert (update.error_code, update.context) == (None, {"idempotency_key": "msg-1"})
    assert (update.to, update.from_) == (TO, FROM)


def test_an_interim_successful_event_is_only_sent() -> None:
    update = parse_delivery_event(delivery("TEXT_SUCCESSFUL", isFinal=False))
    assert update is not None and (update.status, update.final) == ("sent", False)


def test_a_carrier_failure_is_undelivered_with_the_status_as_error_code() -> None:
    update = parse_delivery_event(
        delivery(
            "TEXT_CARRIER_UNREACHABLE",
            messageStatus="CARRIER_UNREACHABLE",
            messageStatusDescription="The carrier is unreachable",
        )
    )
    assert update is not None
    assert (update.status, update.error_code, update.error_message) == (
        "undelivered",
        "CARRIER_UNREACHABLE",
        "The carrier is unreachable",
    )


def test_an_eventbridge_event_is_unwrapped_to_its_detail() -> None:
    event = {
        "detail-type": "Text Message Delivery Status Updated",
        "detail": delivery("TEXT_DELIVERED"),
    }
    update = parse_delivery_event(event)
    assert update is not None and update.status == "delivered"


def test_voice_events_are_not_delivery_updates() -> None:
    assert parse_delivery_event(delivery("VOICE_COMPLETED")) is None


@pytest.mark.parametrize(
    ("event_type", "final", "ours"),
    [
        ("TEXT_QUEUED", False, "queued"),
        ("TEXT_PENDING", False, "sending"),
        ("TEXT_SENT", False, "sent"),
        ("TEXT_DELIVERED", True, "delivered"),
        ("TEXT_SUCCESSFUL", True, "delivered"),
        ("TEXT_INVALID", True, "failed"),
        ("TEXT_INVALID_MESSAGE", True, "failed"),
        ("TEXT_PROTECT_BLOCKED", True, "failed"),
        ("TEXT_BLOCKED", True, "undelivered"),
        ("TEXT_CARRIER_BLOCKED", True, "undelivered"),
        ("TEXT_SPAM", True, "undelivered"),
        ("TEXT_UNREACHABLE", True, "undelivered"),
        ("TEXT_TTL_EXPIRED", True, "undelivered"),
        ("TEXT_UNKNOWN", True, "undelivered"),
        ("MEDIA_DELIVERED", True, "delivered"),
        ("MEDIA_FILE_INACCESSIBLE", True, "failed"),
        ("MEDIA_FILE_TYPE_UNSUPPORTED", True, "failed"),
        ("MEDIA_FILE_SIZE_EXCEEDED", True, "failed"),
        ("VOICE_FAILED", True, None),
        ("SOMETHING_NEW", True, None),
    ],
)
def test_event_types_map_to_our_statuses(event_type: str, final: bool, ours: str | None) -> None:
    assert map_event_type(event_type, final) == ours


def test_every_sms_and_mms_event_type_in_the_service_model_is_mapped(client: Any) -> None:
    types = client.meta.service_model.shape_for("EventType").enum
    delivery_types = [
        t for t in types if t.startswith(("TEXT_", "MEDIA_")) and not t.endswith("_ALL")
    ]
    assert delivery_types and all(map_event_type(t) is not None for t in delivery_types)
