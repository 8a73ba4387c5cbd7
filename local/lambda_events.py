"""Lambda event and context shapes, built from what the AWS APIs return.

On AWS, Lambda's event source mappings turn SQS messages and DynamoDB stream
records into these events; the local pollers do the same so the consumers
(and Powertools' batch processor inside them) see byte-for-byte the shape
they see in production.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from chalice.local import LambdaContext

DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_MEMORY_MB = 128


def lambda_context(function_name: str, timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS) -> Any:
    """A Lambda context (``aws_request_id``, ``get_remaining_time_in_millis``, ...)."""
    context = LambdaContext(
        function_name=function_name,
        memory_size=DEFAULT_MEMORY_MB,
        max_runtime_ms=timeout_seconds * 1000,
    )
    context.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
    return context


def _sqs_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        attribute["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
    return attribute


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message (ReceiveMessage shape) as a Lambda SQS event record."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _sqs_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, queue_arn, region) for m in messages]}


def _epoch(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One GetRecords record as a Lambda DynamoDB stream event record."""
    source = record.get("dynamodb", {})
    ddb: dict[str, Any] = {
        "Keys": source.get("Keys", {}),
        "SequenceNumber": source.get("SequenceNumber"),
        "SizeBytes": source.get("SizeBytes", 0),
        "StreamViewType": source.get("StreamViewType"),
    }
    if "ApproximateCreationDateTime" in source:
        ddb["ApproximateCreationDateTime"] = _epoch(source["ApproximateCreationDateTime"])
    for image in ("NewImage", "OldImage"):
        if image in source:
            ddb[image] = source[image]
    return {
        "eventID": record.get("eventID") or uuid.uuid4().hex,
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    }


def stream_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [stream_record(r, stream_arn, region) for r in records]}


def failed_item_ids(response: Any, known: list[str]) -> set[str] | None:
    """The ids a handler reported in ``batchItemFailures``.

    Returns an empty set for success, the failed ids otherwise, and ``None``
    when the response is malformed (Lambda then treats the whole batch as
    failed).
    """
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failures = response["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in known:
            return None
        ids.add(str(identifier))
    return ids
