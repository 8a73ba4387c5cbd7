"""The local event source mappings behave like Lambda's, against in-process moto.

These drive ``local.pollers`` one poll at a time (no threads, no sleeps) with
recording handlers, to pin down the semantics the local stack relies on:
partial batch failures, dead-lettering after ``maxReceiveCount`` (moto's
RedrivePolicy), stream retries from the first failed record, and streams that
survive a cancelled transaction.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import resources
from local import motoserver, pollers
from local.provision import Provisioned, provision

PREFIX = "texting-test"
REGION = "us-east-1"
QUEUE = resources.REALTIME_QUEUE
TABLE = resources.MESSAGING_TABLE


class Recorder:
    """A consumer that records its events and fails the records it is told to.

    ``fail`` holds SQS bodies or stream sequence numbers.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail: set[str] = set()
        self.raise_error = False

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.get_remaining_time_in_millis() > 0
        self.events.append(event)
        if self.raise_error:
            raise RuntimeError("consumer crashed")
        failures = []
        for record in event["Records"]:
            if "messageId" in record and record["body"] in self.fail:
                failures.append({"itemIdentifier": record["messageId"]})
            elif "dynamodb" in record and record["dynamodb"]["SequenceNumber"] in self.fail:
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failures}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provisioned]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield provision(boto3.session.Session(region_name=REGION), PREFIX)


def sqs_poller(aws: Provisioned, handler: Recorder) -> pollers.SqsPoller:
    return pollers.SqsPoller(
        function="consumer",
        handler=handler,
        queue_url=aws["queues"][QUEUE.logical],
        queue_arn=aws["queue_arns"][QUEUE.logical],
        batch_size=10,
        region=REGION,
        stop=threading.Event(),
    )


def publish(aws: Provisioned, *bodies: str) -> None:
    sns = boto3.client("sns", region_name=REGION)
    for body in bodies:
        sns.publish(
            TopicArn=aws["topics"]["events"],
            Message=body,
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": "message.created"},
            },
        )


def release(aws: Provisioned, records: list[dict[str, Any]]) -> None:
    """Make delivered messages visible again now, not after the visibility timeout."""
    sqs = boto3.client("sqs", region_name=REGION)
    for record in records:
        with contextlib.suppress(sqs.exceptions.ClientError):  # deleted: nothing to release
            sqs.change_message_visibility(
                QueueUrl=aws["queues"][QUEUE.logical],
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=0,
            )


def bodies(url: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def test_provision_matches_resources(aws: Provisioned) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = dynamodb.describe_table(TableName=aws["tables"][TABLE.logical])["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == TABLE.stream
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == [
        i.name for i in TABLE.indexes
    ]
    ttl = dynamodb.describe_time_to_live(TableName=aws["tables"][TABLE.logical])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == TABLE.ttl_attribute
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=aws["queues"][QUEUE.logical], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == str(QUEUE.visibility_timeout)
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == QUEUE.max_receive_count
    assert provision(boto3.session.Session(region_name=REGION), PREFIX) == aws  # repeatable


def test_sns_filter_delivers_only_realtime_events_raw(aws: Provisioned) -> None:
    sns = boto3.client("sns", region_name=REGION)
    sns.publish(
        TopicArn=aws["topics"]["events"],
        Message="{}",
        MessageAttributes={
            "event_type": {"DataType": "String", "StringValue": "sms.billing"},
        },
    )
    publish(aws, '{"kind": "wanted"}')
    handler = Recorder()
    sqs_poller(aws, handler).poll_once()
    [record] = handler.events[0]["Records"]
    assert record["body"] == '{"kind": "wanted"}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == aws["queue_arns"][QUEUE.logical]
    assert record["messageAttributes"]["event_type"]["stringValue"] == "message.created"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_sqs_deletes_all_but_the_failed_messages(aws: Provisioned) -> None:
    publish(aws, "one", "two", "three")
    handler = Recorder()
    handler.fail = {"two"}
    sqs_poller(aws, handler).poll_once()
    records = handler.events[0]["Records"]
    assert sorted(r["body"] for r in records) == ["one", "three", "two"]
    release(aws, records)
    assert bodies(aws["queues"][QUEUE.logical]) == ["two"]


def test_sqs_keeps_everything_when_the_consumer_raises(aws: Provisioned) -> None:
    publish(aws, "one", "two")
    handler = Recorder()
    handler.raise_error = True
    sqs_poller(aws, handler).poll_once()
    release(aws, handler.events[0]["Records"])
    assert bodies(aws["queues"][QUEUE.logical]) == ["one", "two"]


def test_sqs_dead_letters_after_max_receive_count(aws: Provisioned) -> None:
    publish(aws, "poison")
    handler = Recorder()
    handler.fail = {"poison"}
    poller = sqs_poller(aws, handler)
    for _ in range(QUEUE.max_receive_count):
        poller.poll_once()
        release(aws, handler.events[-1]["Records"])
    assert len(handler.events) == QUEUE.max_receive_count
    assert handler.events[-1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == str(
        QUEUE.max_receive_count
    )
    assert bodies(aws["queues"][QUEUE.logical]) == []  # this receive moves it to the DLQ
    assert bodies(aws["dead_letter_queues"][QUEUE.logical]) == ["poison"]


def stream_poller(
    aws: Provisioned, handler: Recorder, parallelization: int = 1
) -> pollers.StreamPoller:
    return pollers.StreamPoller(
        function="outbox",
        handler=handler,
        stream_arn=aws["streams"][TABLE.logical],
        batch_size=100,
        region=REGION,
        stop=threading.Event(),
        parallelization=parallelization,
    )


def put(pk: str, sk: str = "x") -> None:
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=f"{PREFIX}-{TABLE.logical}", Item={"pk": {"S": pk}, "sk": {"S": sk}}
    )


def keys(event: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]


def test_stream_retries_from_the_first_failed_record(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pollers, "RETRY_BACKOFF_SECONDS", (0.0,))
    for pk in ("a", "b", "c"):
        put(pk)
    handler = Recorder()
    poller = stream_poller(aws, handler)
    poller.poll_once()
    record = handler.events[0]["Records"][1]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == aws["streams"][TABLE.logical]
    assert record["dynamodb"]["NewImage"]["pk"] == {"S": "b"}
    handler.fail = {record["dynamodb"]["SequenceNumber"]}
    poller.shards.clear()  # read the stream again from the start, this time failing "b"
    poller.poll_once()
    handler.fail = set()
    poller.poll_once()
    put("d")
    poller.poll_once()
    assert [keys(e) for e in handler.events] == [
        ["a", "b", "c"],
        ["a", "b", "c"],
        ["b", "c"],
        ["d"],
    ]


def test_stream_survives_a_cancelled_transaction(aws: Provisioned) -> None:
    # The tests' moto fixture and the local stack's moto server both apply the patch;
    # without it the poller would see "phantom" and never "after".
    motoserver.patch_moto()  # raises on any moto but the one the patches were written for
    assert motoserver.patched()
    handler = Recorder()
    poller = stream_poller(aws, handler)
    put("before")
    poller.poll_once()
    table = f"{PREFIX}-{TABLE.logical}"
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "phantom"}, "sk": {"S": "x"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "before"}, "sk": {"S": "x"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    put("after")
    poller.poll_once()
    assert [keys(e) for e in handler.events] == [["before"], ["after"]]


def test_stream_parts_keep_each_partition_in_order_and_retry_from_the_first_failure(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pollers, "RETRY_BACKOFF_SECONDS", (0.0,))
    for n in range(4):
        for pk in "abcdef":
            put(pk, f"{n}")
    handler = Recorder()
    poller = stream_poller(aws, handler, parallelization=4)
    poller.poll_once()
    assert 1 < len(handler.events) <= 4  # split, at most one part per worker
    seen: dict[str, list[str]] = {}
    for event in handler.events:
        for record in event["Records"]:
            pk = record["dynamodb"]["Keys"]["pk"]["S"]
            seen.setdefault(pk, []).append(record["dynamodb"]["Keys"]["sk"]["S"])
    assert seen == {pk: ["0", "1", "2", "3"] for pk in "abcdef"}  # each key whole, in order
    owners = [{r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]} for e in handler.events]
    assert sum(len(o) for o in owners) == len(set().union(*owners))  # a key in one part only

    # "b"'s third record fails: from it on, in shard order, everything comes again
    records = sorted(
        (r for e in handler.events for r in e["Records"]),
        key=lambda r: int(r["dynamodb"]["SequenceNumber"]),
    )
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    failing = next(
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["dynamodb"]["Keys"] == {"pk": {"S": "b"}, "sk": {"S": "2"}}
    )
    handler.events.clear()
    handler.fail = {failing}
    poller.shards.clear()  # read the stream again from the start, this time failing it
    poller.poll_once()
    handler.fail = set()
    handler.events.clear()
    poller.poll_once()
    again = sorted(
        (r["dynamodb"]["SequenceNumber"] for e in handler.events for r in e["Records"]), key=int
    )
    assert again == sequences[sequences.index(failing) :]


def test_a_consumer_killed_mid_batch_hands_over_half_and_leaves_the_whole_batch_queued(
    aws: Provisioned,
) -> None:
    publish(aws, "one", "two", "three", "four")
    handler = Recorder()
    poller = sqs_poller(aws, handler)
    pollers.FAULTS.kill("consumer")
    poller.poll_once()
    [event] = handler.events
    assert len(event["Records"]) == 2  # half of the batch got to the consumer
    assert bodies(aws["queues"][QUEUE.logical]) == ["four", "one", "three", "two"]  # none acked
    assert pollers.FAULTS.take_kill("consumer") is False  # the fault fires once
