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
    queues: dict[str, tuple[str, str]]  # logical -> (url, arn)
    iterators: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_prefix(cls, prefix: str) -> EventPath:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        table = resources.physical(prefix, resources.MESSAGING_TABLE.logical)
        stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queues = {}
        consumed = {c.source for c in resources.CONSUMERS if c.source_kind == "sqs"}
        for queue in resources.QUEUES:
            if queue.logical not in consumed:  # an operator's queue (search-failures)
                continue
            url = sqs.get_queue_url(QueueName=resources.physical(prefix, queue.logical))["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            queues[queue.logical] = (url, arn)
        return cls(stream_arn=stream_arn, queues=queues)

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

    def run_queue(self, logical: str, deliveries: int = 1) -> int:
        """Feed a queue's messages to its consumer (``deliveries`` > 1 replays each batch,
        as SQS's at-least-once delivery may); returns how many messages."""
        from chalicelib.api import consumers

        function = next(
            c.function
            for c in resources.CONSUMERS
            if c.source_kind == "sqs" and c.source == logical
        )
        handler = getattr(consumers, function, None)
        if handler is None:  # a consumer of another blueprint (the contact center's)
            from app import app
            from local.pollers import resolve_handler

            handler = resolve_handler(app, function)
        url, arn = self.queues[logical]
        sqs = boto3.client("sqs", region_name=REGION)
        total = 0
        while True:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return total
            event = lambda_events.sqs_event(messages, arn, REGION)
            for _ in range(deliveries):
                result = handler(event, lambda_events.lambda_context(function))
                if result.get("batchItemFailures"):
                    raise RuntimeError(f"{function} failed records: {result}")
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            total += len(messages)

    def run_realtime(self, deliveries: int = 1) -> int:
        return self.run_queue(resources.REALTIME_QUEUE.logical, deliveries)

    def run_all(self) -> None:
        """Until nothing moves: outbox, then every queue."""
        while self.run_outbox() + sum(self.run_queue(q) for q in self.queues):
            pass
