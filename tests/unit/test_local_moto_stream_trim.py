"""The local moto drops the stream records every reader has passed (moto keeps them
for ever; DynamoDB trims after 24 hours): memory stays bounded, readers see nothing
change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.motoserver import prune_stream_iterators, trim_stream_records


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        table = ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        yield ddb, streams, table["LatestStreamArn"]


def put(ddb: Any, first: int, count: int) -> None:
    for n in range(first, first + count):
        ddb.put_item(TableName="t", Item={"pk": {"S": f"k{n}"}})


def read(streams: Any, iterator: str) -> tuple[list[str], str]:
    out = streams.get_records(ShardIterator=iterator)
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in out["Records"]]
    return keys, out["NextShardIterator"]


def test_records_every_reader_passed_are_dropped_and_reading_goes_on(
    aws: tuple[Any, Any, str],
) -> None:
    ddb, streams, arn = aws
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    start = int(shard["SequenceNumberRange"]["StartingSequenceNumber"])
    put(ddb, 0, 10)
    first = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert trim_stream_records() == 0  # an iterator still stands at the first record
    keys, after = read(streams, first)
    assert keys == [f"k{n}" for n in range(10)]
    prune_stream_iterators(keep=1)  # only the reader's current iterator is kept
    assert trim_stream_records() == 10
    described = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    assert int(described["SequenceNumberRange"]["StartingSequenceNumber"]) == start + 10
    put(ddb, 10, 3)  # new records keep numbering on
    keys, after = read(streams, after)
    assert keys == ["k10", "k11", "k12"]
    sequence = streams.get_records(
        ShardIterator=streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    )["Records"][0]["dynamodb"]["SequenceNumber"]
    assert int(sequence) == start + 10  # the oldest record kept: its own number


def test_a_shard_nobody_reads_is_left_whole(aws: tuple[Any, Any, str]) -> None:
    ddb, _, _ = aws
    put(ddb, 0, 5)
    assert trim_stream_records() == 0
