"""AWS End User Messaging SMS (``pinpoint-sms-voice-v2``): sending, and the SNS events.

Sending: ``SendTextMessage``, or ``SendMediaMessage`` when there is media
(one ``s3://bucket/key`` per message; the service reads it from S3 itself).
The API has no idempotency token, so the key travels in ``Context`` and comes
back on every delivery event: a retried send after an ambiguous failure can be
recognised, but not prevented, by the caller.

Receiving: two-way SMS and delivery events both arrive through SNS topics as
JSON documents (the shapes of AWS's "Example of a two-way SMS message payload"
and "Example event data" pages). Two-way MMS does not exist: inbound is text.

The boto3 client is created on first use, or passed in (tests pass one wrapped
in ``botocore.stub.Stubber``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.sms import (
    DELIVERED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    UNDELIVERED,
    InboundSms,
    ProviderRejected,
    ProviderRetryable,
    ProviderSend,
    StatusUpdate,
)

__all__ = ["EumClient", "map_event_type", "parse_delivery_event", "parse_inbound"]

CONTEXT_IDEMPOTENCY_KEY = "idempotency_key"
MAX_CONTEXT_ENTRIES = 5  # the API's limit
MAX_BODY = 1600

_RETRYABLE = frozenset(
    {"ThrottlingException", "ServiceQuotaExceededException", "InternalServerException"}
)
_REJECTED = frozenset(
    {
        "ValidationException",
        "ResourceNotFoundException",
        "AccessDeniedException",
        "ConflictException",
    }
)

# Event types are TEXT_* for SMS and MEDIA_* for MMS with the same suffixes.
_BY_SUFFIX = {
    "QUEUED": QUEUED,
    "PENDING": SENDING,
    "SENT": SENT,
    "DELIVERED": DELIVERED,
    # The recipient's carrier accepted it; in countries without handset receipts this is the
    # last word, so a final SUCCESSFUL is delivered, an interim one is sent.
    "SUCCESSFUL": SENT,
    # Never left AWS: the request itself was at fault.
    "INVALID": FAILED,
    "INVALID_MESSAGE": FAILED,
    "PROTECT_BLOCKED": FAILED,
    "FILE_INACCESSIBLE": FAILED,
    "FILE_TYPE_UNSUPPORTED": FAILED,
    "FILE_SIZE_EXCEEDED": FAILED,
    # Handed on, then lost downstream.
    "UNREACHABLE": UNDELIVERED,
    "CARRIER_UNREACHABLE": UNDELIVERED,
    "BLOCKED": UNDELIVERED,
    "CARRIER_BLOCKED": UNDELIVERED,
    "SPAM": UNDELIVERED,
    "UNKNOWN": UNDELIVERED,
    "TTL_EXPIRED": UNDELIVERED,
}
_FINAL = frozenset({DELIVERED, UNDELIVERED, FAILED})


def map_event_type(event_type: str, is_final: bool = False) -> str | None:
    """Our status for an SMS/MMS event type; None for voice and unknown types."""
    kind, _, suffix = (event_type or "").upper().partition("_")
    if kind not in ("TEXT", "MEDIA"):
        return None
    status = _BY_SUFFIX.get(suffix)
    if status == SENT and suffix == "SUCCESSFUL" and is_final:
        return DELIVERED
    return status


def _document(message: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    """The event as a mapping, whether given as the SNS ``Message`` string, the parsed
    object, or a whole SNS notification envelope (an SQS subscription without raw
    delivery)."""
    if isinstance(message, Mapping):
        doc: Any = message
    else:
        try:
            doc = json.loads(message)
        except ValueError as exc:
            raise ValidationError("the SMS event is not JSON", code="invalid_event") from exc
    if isinstance(doc, Mapping) and doc.get("Type") == "Notification" and "Message" in doc:
        return _document(doc["Message"])
    if isinstance(doc, Mapping) and "detail" in doc and "detail-type" in doc:  # EventBridge
        return _document(doc["detail"])
    if not isinstance(doc, Mapping):
        raise ValidationError("the SMS event is not a JSON object", code="invalid_event")
    return doc


def _required(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"the SMS event has no {key}", code="invalid_event")
    return value


def parse_inbound(message: str | bytes | Mapping[str, Any]) -> InboundSms:
    """A two-way SMS payload (``originationNumber``, ``destinationNumber``, ...)."""
    doc = _document(message)
    return InboundSms(
        provider="eum",
        provider_message_id=_required(doc, "inboundMessageId"),
        from_=_required(doc, "originationNumber"),
        to=_required(doc, "destinationNumber"),
        body=str(doc.get("messageBody") or ""),
        keyword=str(doc.get("messageKeyword") or ""),
        in_reply_to=str(doc.get("previousPublishedMessageId") or ""),
    )


def parse_delivery_event(message: str | bytes | Mapping[str, Any]) -> StatusUpdate | None:
    """A delivery event as a ``StatusUpdate``; None for events that are not about an
    SMS/MMS delivery (voice, registration), which the consumer acknowledges and drops."""
    doc = _document(message)
    event_type = str(doc.get("eventType") or "")
    is_final = doc.get("isFinal") is True
    status = map_event_type(event_type, is_final)
    if status is None:
        return None
    raw_context = doc.get("context")
    context = (
        {str(k): str(v) for k, v in raw_context.items()} if isinstance(raw_context, dict) else {}
    )
    failed = status in (UNDELIVERED, FAILED)
    return StatusUpdate(
        provider="eum",
        provider_message_id=_required(doc, "messageId"),
        status=status,
        provider_status=event_type,
        final=is_final or status in _FINAL,
        error_code=str(doc.get("messageStatus") or event_type) if failed else None,
        error_message=str(doc.get("messageStatusDescription") or "") if failed else "",
        to=str(doc.get("destinationPhoneNumber") or ""),
        from_=str(doc.get("originationPhoneNumber") or ""),
        context=context,
    )


class EumClient:
    """Sends SMS/MMS through End User Messaging SMS (transactional messages)."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _api(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("pinpoint-sms-voice-v2")
        return self._client

    def send(
        self,
        from_: str,
        to: str,
        body: str,
        media_urls: Sequence[str] = (),
        configuration_set: str = "",
        idempotency_key: str | None = None,
        context: Mapping[str, str] | None = None,
    ) -> ProviderSend:
        """Send; ``from_`` is an origination identity (number, ARN, pool or sender id).

        ``context`` (at most five entries with the idempotency key) is echoed on
        every delivery event, which is how events find their message.
        """
        params: dict[str, Any] = {"DestinationPhoneNumber": to, "OriginationIdentity": from_}
        if configuration_set:
            params["ConfigurationSetName"] = configuration_set
        merged = {k: v for k, v in (context or {}).items() if v}
        if idempotency_key:
            merged[CONTEXT_IDEMPOTENCY_KEY] = idempotency_key
        if len(merged) > MAX_CONTEXT_ENTRIES:
            raise ValueError(f"at most {MAX_CONTEXT_ENTRIES} context entries can be sent")
        if merged:
            params["Context"] = merged
        if body:
            params["MessageBody"] = body
        if media_urls:
            if len(media_urls) > 1:
                raise ProviderRejected(
                    "End User Messaging sends one media file per message",
                    provider_code="too_many_media",
                )
            if not media_urls[0].startswith("s3://"):
                raise ProviderRejected(
                    "End User Messaging sends media from s3://bucket/key URLs only",
                    provider_code="media_not_in_s3",
                )
            params["MediaUrls"] = list(media_urls)
            return self._call("send_media_message", params)
        if not body:
            raise ProviderRejected("a text message needs a body", provider_code="empty_body")
        params["MessageType"] = "TRANSACTIONAL"
        return self._call("send_text_message", params)

    def _call(self, operation: str, params: dict[str, Any]) -> ProviderSend:
        from botocore.exceptions import ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError

        try:
            response = getattr(self._api(), operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "")
            reason = str(exc.response.get("Reason") or error.get("Reason") or "")
            message = str(error.get("Message") or code)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _RETRYABLE or (isinstance(status, int) and (status == 429 or status >= 500)):
                raise ProviderRetryable(f"{code}: {message}") from exc
            if code in _REJECTED:
                raise ProviderRejected(
                    f"{code}: {message}", provider_code=reason or code, status=status
                ) from exc
            raise
        except (BotoConnectionError, HTTPClientError) as exc:  # includes read/connect timeouts
            raise ProviderRetryable(
                f"End User Messaging could not be reached: {exc}", ambiguous=True
            ) from exc
        return ProviderSend(str(response["MessageId"]), QUEUED)
