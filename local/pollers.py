"""Local event source mappings: feed SQS messages and DynamoDB stream records to consumers.

On AWS, Lambda polls the queues and streams and invokes the consumers with
batches, deleting or re-driving by the consumer's ``batchItemFailures``. Here a
thread per consumer does the same, driven by ``chalicelib.resources.CONSUMERS``
and the handlers Chalice registered (``app.event_sources``), so adding a
consumer there adds it here.

Semantics kept from Lambda:

- SQS: successful messages are deleted, failed ones are left to reappear after
  the visibility timeout; moto moves a message to the dead-letter queue once it
  has been received ``maxReceiveCount`` times (the RedrivePolicy). If the
  handler raises, nothing is deleted.
- DynamoDB streams: records are delivered in order per shard; on a failure the
  batch is retried from the first failed record (or whole, if the handler
  raised), with a back-off, before anything later in the shard is read.

And the concurrency Lambda has, so the local stack does not serialise work AWS
would run in parallel:

- SQS: several batches of one queue are handled at once (``SQS_CONCURRENCY``
  workers per queue, as Lambda starts five pollers per SQS event source).
- DynamoDB streams: a batch is split by partition key into up to
  ``STREAM_PARALLELIZATION`` parts handled at once, as Lambda's
  ``ParallelizationFactor`` does; records with one key stay in order, in one part.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3

from chalicelib import resources
from local import lambda_events

log = logging.getLogger("local.pollers")

Handler = Callable[[dict[str, Any], Any], Any]

SQS_WAIT_SECONDS = 5  # long polls (Lambda waits up to 20 s): an idle queue costs little
STREAM_IDLE_SECONDS = 0.1
STREAM_REFRESH_SECONDS = 5.0
RETRY_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)
SQS_CONCURRENCY = 5
STREAM_PARALLELIZATION = 10  # Lambda's maximum ParallelizationFactor


class Faults:
    """Fault injection for ``make faults``: a consumer killed in the middle of a batch.

    ``kill(function)`` arms it: the next batch that consumer's poller receives is
    handed over only in part (its first half, at least one record), then the
    "invocation dies": nothing is deleted, and the whole batch becomes visible
    again at once (as after its visibility timeout, without the wait).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kills: set[str] = set()

    def kill(self, function: str) -> None:
        with self._lock:
            self._kills.add(function)

    def armed(self, function: str) -> bool:
        with self._lock:
            return function in self._kills

    def take_kill(self, function: str) -> bool:
        with self._lock:
            if function in self._kills:
                self._kills.discard(function)
                return True
            return False


FAULTS = Faults()


def resolve_handler(app: Any, function: str) -> Handler:
    """The callable Chalice registered for ``function`` (an event source's handler)."""
    for source in getattr(app, "event_sources", []):
        if source.name == function:
            module_name, _, attribute = source.handler_string.rpartition(".")
            handler: Handler = getattr(importlib.import_module(module_name), attribute)
            return handler
    raise LookupError(f"no event source handler named {function!r} in the Chalice app")


def _backoff(attempt: int) -> float:
    return RETRY_BACKOFF_SECONDS[min(attempt, len(RETRY_BACKOFF_SECONDS) - 1)]


class Poller:
    """Polls in ``workers`` daemon threads of its own until ``stop`` is set."""

    def __init__(self, name: str, stop: threading.Event, workers: int = 1) -> None:
        self.name = name
        self.stop_event = stop
        self._threads = [
            threading.Thread(
                target=self._run, name=name if workers == 1 else f"{name}#{n}", daemon=True
            )
            for n in range(max(1, workers))
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        log.info("poller %s started", self.name)
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception:
                if self.stop_event.is_set():
                    break
                log.exception("poller %s failed; retrying", self.name)
                self.stop_event.wait(1.0)
        log.info("poller %s stopped", self.name)

    def poll_once(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SqsPoller(Poller):
    """One queue → one consumer, as a Lambda SQS event source mapping."""

    def __init__(
        self,
        *,
        function: str,
        handler: Handler,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        region: str,
        stop: threading.Event,
        session: boto3.session.Session | None = None,
        concurrency: int = SQS_CONCURRENCY,
    ) -> None:
        super().__init__(f"sqs:{function}", stop, workers=concurrency)
        self.function = function
        self.handler = handler
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.batch_size = max(1, min(batch_size, 10))
        self.region = region
        self.sqs = (session or boto3.session.Session()).client("sqs")

    def poll_once(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=SQS_WAIT_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            self.invoke(messages)

    def invoke(self, messages: list[dict[str, Any]]) -> None:
        if FAULTS.take_kill(self.function):
            self._die_mid_batch(messages)
            return
        event = lambda_events.sqs_event(messages, self.queue_arn, self.region)
        try:
            response = self.handler(event, lambda_events.lambda_context(self.function))
        except Exception:
            log.exception("%s raised; %d message(s) will be retried", self.function, len(messages))
            return
        ids = [str(m["MessageId"]) for m in messages]
        failed = lambda_events.failed_item_ids(response, ids)
        if failed is None:
            log.warning(
                "%s returned malformed batchItemFailures; the batch will be retried", self.function
            )
            return
        done = [m for m in messages if m["MessageId"] not in failed]
        if failed:
            log.warning(
                "%s failed %d of %d message(s); they will be retried",
                self.function,
                len(failed),
                len(messages),
            )
        self._delete_messages(done)

    def _die_mid_batch(self, messages: list[dict[str, Any]]) -> None:
        done = messages[: max(1, len(messages) // 2)]
        log.warning(
            "fault: %s killed after %d of %d record(s)", self.function, len(done), len(messages)
        )
        event = lambda_events.sqs_event(done, self.queue_arn, self.region)
        try:
            self.handler(event, lambda_events.lambda_context(self.function))
        finally:
            for message in messages:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )

    def _delete_messages(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            if not chunk:
                continue
            response = self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                log.warning("could not delete %d message(s)", len(response["Failed"]))


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    last_sequence: str | None = None  # the last record handed to the consumer successfully
    iterator: str | None = None  # where the next read starts (None: after last_sequence)
    pending: list[dict[str, Any]] = field(default_factory=list)  # records to retry first
    attempts: int = 0
    retry_at: float = 0.0
    closed: bool = False


class StreamPoller(Poller):
    """One table stream → one consumer, as a Lambda DynamoDB event source mapping.

    Reads follow ``NextShardIterator``; a new iterator (``AFTER_SEQUENCE_NUMBER``
    the last delivered record, or ``TRIM_HORIZON`` before any) is asked for at
    the start, after a failed delivery and when an iterator expires.
    """

    def __init__(
        self,
        *,
        function: str,
        handler: Handler,
        stream_arn: str,
        batch_size: int,
        region: str,
        stop: threading.Event,
        session: boto3.session.Session | None = None,
        parallelization: int = STREAM_PARALLELIZATION,
    ) -> None:
        super().__init__(f"stream:{function}", stop)
        self.parallelization = max(1, parallelization)
        self._parts = ThreadPoolExecutor(self.parallelization, thread_name_prefix=function)
        self.function = function
        self.handler = handler
        self.stream_arn = stream_arn
        self.batch_size = max(1, min(batch_size, 1000))
        self.region = region
        self.streams = (session or boto3.session.Session()).client("dynamodbstreams")
        self.shards: dict[str, _Shard] = {}
        self.hash_key: str | None = None  # the table's partition key (from the stream)
        self._refreshed_at = 0.0

    def poll_once(self) -> None:
        now = time.monotonic()
        if now - self._refreshed_at > STREAM_REFRESH_SECONDS or not self.shards:
            self._refresh_shards()
            self._refreshed_at = now
        delivered = False
        for shard in list(self.shards.values()):
            if self._ready(shard):
                delivered = self._poll_shard(shard) or delivered
        if not delivered:
            self.stop_event.wait(STREAM_IDLE_SECONDS)

    def _refresh_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        self.hash_key = next(
            (
                k["AttributeName"]
                for k in description.get("KeySchema", [])
                if k["KeyType"] == "HASH"
            ),
            None,
        )
        for raw in description.get("Shards", []):
            shard_id = str(raw["ShardId"])
            if shard_id not in self.shards:
                self.shards[shard_id] = _Shard(shard_id, raw.get("ParentShardId"))
                log.info("%s: reading shard %s", self.function, shard_id)

    def _ready(self, shard: _Shard) -> bool:
        """Closed shards are done; a child waits until its parent is drained (ordering)."""
        if shard.closed or time.monotonic() < shard.retry_at:
            return False
        parent = self.shards.get(shard.parent_id or "")
        return parent is None or parent.closed

    def _iterator(self, shard: _Shard) -> str | None:
        request: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        if shard.last_sequence is None:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            request["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            request["SequenceNumber"] = shard.last_sequence
        iterator = self.streams.get_shard_iterator(**request).get("ShardIterator")
        return str(iterator) if iterator else None

    def _read(self, shard: _Shard) -> list[dict[str, Any]]:
        iterator = shard.iterator or self._iterator(shard)
        if iterator is None:
            shard.closed = True
            return []
        try:
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
        except self.streams.exceptions.ExpiredIteratorException:
            shard.iterator = None
            return []
        records: list[dict[str, Any]] = response.get("Records", [])
        shard.iterator = response.get("NextShardIterator")
        if shard.iterator is None and not records:
            shard.closed = True
            log.info("%s: shard %s is closed", self.function, shard.shard_id)
        return records

    def _poll_shard(self, shard: _Shard) -> bool:
        records = shard.pending or self._read(shard)
        if not records:
            return False
        self._deliver(shard, records)
        return True

    def _split(self, records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """The batch in up to ``parallelization`` parts by partition key, each in order."""
        parts: dict[int, list[dict[str, Any]]] = {}
        for record in records:
            keys = record.get("dynamodb", {}).get("Keys", {})
            key = json.dumps(keys.get(self.hash_key) if self.hash_key else keys, sort_keys=True)
            parts.setdefault(zlib.crc32(key.encode()) % self.parallelization, []).append(record)
        return list(parts.values())

    def _invoke(self, records: list[dict[str, Any]]) -> set[str]:
        """Hand one part to the consumer; returns the sequence numbers that failed."""
        event = lambda_events.stream_event(records, self.stream_arn, self.region)
        sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
        try:
            response = self.handler(event, lambda_events.lambda_context(self.function))
            failed = lambda_events.failed_item_ids(response, sequences)
        except Exception:
            log.exception("%s raised on %d record(s)", self.function, len(records))
            failed = None
        return set(sequences) if failed is None else failed

    def _deliver(self, shard: _Shard, records: list[dict[str, Any]]) -> None:
        sequences = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
        parts = self._split(records)
        failed: set[str] = set()
        for part_failed in (
            self._parts.map(self._invoke, parts) if len(parts) > 1 else [self._invoke(records)]
        ):
            failed |= part_failed
        if failed == set():
            shard.last_sequence, shard.pending, shard.attempts = sequences[-1], [], 0
            return
        # Retry from the first failure in shard order (what succeeded after it in
        # another part is delivered again: at least once, never out of order per key).
        first = min(sequences.index(s) for s in failed)
        if first > 0:
            shard.last_sequence = sequences[first - 1]
        shard.pending, shard.iterator = records[first:], None
        shard.retry_at = time.monotonic() + _backoff(shard.attempts)
        shard.attempts += 1
        log.warning(
            "%s: %d record(s) of shard %s will be retried (attempt %d)",
            self.function,
            len(shard.pending),
            shard.shard_id,
            shard.attempts,
        )


@dataclass(frozen=True)
class Sources:
    """Where each logical source lives (from ``local.provision.provision``)."""

    queue_urls: dict[str, str]
    queue_arns: dict[str, str]
    stream_arns: dict[str, str]


def build_pollers(
    app: Any,
    sources: Sources,
    region: str,
    stop: threading.Event,
    session: boto3.session.Session | None = None,
    consumers: tuple[resources.Consumer, ...] = resources.CONSUMERS,
    schedules: tuple[resources.Schedule, ...] = resources.SCHEDULES,
) -> list[Poller]:
    """One poller per consumer of ``chalicelib.resources.CONSUMERS``, one timer per
    ``SCHEDULES`` entry."""
    pollers: list[Poller] = []
    for consumer in consumers:
        handler = resolve_handler(app, consumer.function)
        if consumer.source_kind == "sqs":
            pollers.append(
                SqsPoller(
                    function=consumer.function,
                    handler=handler,
                    queue_url=sources.queue_urls[consumer.source],
                    queue_arn=sources.queue_arns[consumer.source],
                    batch_size=consumer.batch_size,
                    region=region,
                    stop=stop,
                    session=session,
                )
            )
        elif consumer.source_kind == "dynamodb-stream":
            pollers.append(
                StreamPoller(
                    function=consumer.function,
                    handler=handler,
                    stream_arn=sources.stream_arns[consumer.source],
                    batch_size=consumer.batch_size,
                    region=region,
                    stop=stop,
                    session=session,
                )
            )
        else:
            raise ValueError(
                f"unknown source kind {consumer.source_kind!r} for {consumer.function}"
            )
    for schedule in schedules:
        pollers.append(
            SchedulePoller(
                function=schedule.function,
                handler=resolve_handler(app, schedule.function),
                every_seconds=schedule.every_seconds,
                region=region,
                stop=stop,
            )
        )
    return pollers


class SchedulePoller(Poller):
    """Invokes a ``@app.schedule`` function on its timer, as an EventBridge rule would."""

    def __init__(
        self,
        function: str,
        handler: Handler,
        every_seconds: float,
        region: str,
        stop: threading.Event,
    ) -> None:
        super().__init__(f"schedule:{function}", stop)
        self.function = function
        self.handler = handler
        self.every_seconds = every_seconds
        self.region = region

    def poll_once(self) -> None:
        if self.stop_event.wait(self.every_seconds):
            return
        event = {
            "version": "0",
            "id": uuid.uuid4().hex,
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:123456789012:rule/{self.function}"],
            "detail": {},
        }
        self.handler(event, lambda_events.lambda_context(self.function))
