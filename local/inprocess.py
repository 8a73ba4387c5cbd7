"""The event path in one process, for tests and the bench.

moto stands in for AWS in-process; this module plays Lambda's event source
mappings by hand: ``run_outbox`` feeds new table-stream records to
``outbox_stream``, ``run_realtime`` feeds queued events to ``realtime_consumer``,
exactly in the shapes Lambda uses (``local.lambda_events``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import boto3

from chalicelib import resources
from local import lambda_events

REGION = "us-east-1"


@dataclass
class EventPath:
    stream_arn: str
    queue_url: str
    queue_arn: str
    iterators: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_prefix(cls, prefix: str) -> EventPath:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        table = resources.physical(prefix, resources.MESSAGING_TABLE.logical)
        stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue = resources.physical(prefix, resources.REALTIME_QUEUE.logical)
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return cls(stream_arn=stream_arn, queue_url=url, queue_arn=arn)

    def run_outbox(self) -> int:
        """Feed every new stream record to ``outbox_stream``; returns how many."""
        from chalicelib.api.consumers import outbox_stream

        streams = boto3.client("dynamodbstreams", region_name=REGION)
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        handled = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self.iterators:
                self.iterators[shard_id] = streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            out = streams.get_records(ShardIterator=self.iterators[shard_id])
            self.iterators[shard_id] = out["NextShardIterator"]
            if out["Records"]:
                event = lambda_events.stream_event(out["Records"], self.stream_arn, REGION)
                result = outbox_stream(event, lambda_events.lambda_context("outbox_stream"))
                if result.get("batchItemFailures"):
                    raise RuntimeError(f"outbox_stream failed records: {result}")
                handled += len(out["Records"])
        return handled

    def run_realtime(self, deliveries: int = 1) -> int:
        """Feed queued events to ``realtime_consumer`` (``deliveries`` > 1 replays the batch,
        as SQS's at-least-once delivery may); returns how many messages."""
        from chalicelib.api.consumers import realtime_consumer

        sqs = boto3.client("sqs", region_name=REGION)
        total = 0
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return total
            event = lambda_events.sqs_event(messages, self.queue_arn, REGION)
            for _ in range(deliveries):
                result = realtime_consumer(event, lambda_events.lambda_context("realtime"))
                if result.get("batchItemFailures"):
                    raise RuntimeError(f"realtime_consumer failed records: {result}")
            for message in messages:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            total += len(messages)
