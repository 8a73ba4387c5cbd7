"""Contact-center figures for ``make bench``, measured in one run (moto in-process).

1. AWS requests per routed inbound text: the webhook's part (store the text, open
   the interaction, queue its admission), the routing queue's part (admit, choose,
   assign, offer; the event source's receive and batch delete counted) and the
   outbox's part (the offer's event from the table's stream, with the screen pop;
   the event source's GetRecords counted), by service and operation
   (``per_operation``). Routing work queued before the text (the agents becoming
   available) is run first, so only the text's own work is counted. What an event
   source does whether or not a text came (an empty long poll, describing the
   stream's shards every few seconds) is not.
2. Time from an inbound text to its offer under a burst: ``BURST`` customers text
   the demo channel back to back (each webhook answered before the next is sent)
   while three agents are available. The routing queue and the table's stream are
   consumed as on AWS, where an event source hands a message over as soon as it is
   there: the local stack's own pollers (``local.pollers``: long polls, a stream
   poller) run in this process while the texts arrive, never a drain afterwards.
   p50/p95 over the texts that were offered. moto answers in-process, so this is
   the code's own cost plus the pollers' (one interpreter lock for all of it).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from chalicelib import resources
from local.pollers import StreamPoller

BURST = 15  # three agents with room for six each: every text is offered at once
OFFER_DEADLINE_S = 60.0
WATCH_EVERY_S = 0.005


def main() -> dict[str, Any]:
    from local import environment

    environment.use_in_process_moto(quiet=True)
    import boto3
    from moto import mock_aws

    from local.motoserver import patch_moto

    patch_moto()  # the local stack's moto: per-partition queries, item-level rollbacks
    with mock_aws():
        from chalicelib import bootstrap
        from local.provision import provision

        session = boto3.session.Session(region_name="us-east-1")
        provided = provision(session, "texting-test")
        center = Center.seeded(session)
        parts = center.count_one_text()
        waits, cpu = _burst(session, provided, center.publisher, center.text)
        bootstrap.use(None)
    return {
        "inbound": _total(parts["inbound"]),
        "routing": _total(parts["routing"]),
        "outbox": _total(parts["offer_event"]),
        "requests": sum(_total(part) for part in parts.values()),
        "per_operation": {name: _by_operation(part) for name, part in parts.items()},
        "burst": BURST,
        "offered": len(waits),
        "p50_ms": statistics.median(waits) * 1000 if waits else None,
        "p95_ms": waits[max(0, int(len(waits) * 0.95) - 1)] * 1000 if waits else None,
        # the machine's load: wall times stretch when other processes hold the CPUs
        "cpu_ms_per_text": cpu * 1000 / BURST,
        "load_average": os.getloadavg()[0],
    }


@dataclass
class Center:
    """The demo contact center on moto (a stack provisioned as ``texting-test``): one
    channel of a queue with three available agents, no supervisor, the services in
    use by the consumers (``bootstrap.use``). ``tests/api/test_contact_center_cost.py``
    pins what ``count_one_text`` counts."""

    services: Any
    publisher: Any
    session: Any
    channel: str = "+14155550180"

    @classmethod
    def seeded(cls, session: Any) -> Center:
        from chalicelib import bootstrap
        from chalicelib.domain.contact_center import AgentProfile, Channel, Queue
        from chalicelib.domain.model import BusinessNumber, User
        from chalicelib.services.common import Caller
        from tests import fakes
        from tests.support import seed_people, settings, verifier

        publisher = fakes.MemoryPublisher()  # the events are what we time; SNS is not
        services = bootstrap.bootstrap(
            settings(),
            publisher=publisher,
            sender=fakes.MemorySender(),
            verifier=verifier(),
            idempotency=fakes.MemoryDeduplicator(),
            providers=lambda name: fakes.MemoryProviders(),
        )
        bootstrap.use(services)  # the consumers (cc_routing, outbox_stream) run on these
        center = cls(services, publisher, session)
        cc = services.contact_center
        assert cc is not None  # the test settings enable it
        agents = ["u-ann", "u-ben", "u-cat"]
        directory = services.adapters.directory
        seed_people(directory)
        for agent in agents:
            directory.put_user(
                User(agent, "acme", agent, f"{agent}@acme.test", numbers=[center.channel])
            )
        services.adapters.sms.put_number(BusinessNumber(center.channel, "acme", users=agents))
        cc.repo.put_queue(Queue("q-support", "acme", "Support", skills={"support": 1}))
        cc.repo.put_channel(Channel(center.channel, "acme", "q-support"))
        for agent in agents:
            cc.repo.put_agent(
                AgentProfile(agent, "acme", skills={"support": 3}, queues=["q-support"])
            )
            cc.agents.set_status(Caller(agent, "acme"), "available")
        return center

    def text(self, n: int) -> None:
        """Customer ``n`` (a new one) texts the channel."""
        from chalicelib.domain.sms import InboundSms

        phone = f"+1415555{3000 + n:04d}"
        self.services.carrier.inbound(
            InboundSms("twilio", f"SM{n:032d}", phone, self.channel, "where is my order")
        )

    def count_one_text(self) -> dict[str, dict[str, int]]:
        """The AWS requests of one new customer's text, by part (``inbound``,
        ``routing``, ``offer_event``) and ``service:Operation``. The routing the
        agents' availability queued and the seeding's stream records are handled
        first, so only the text's own work is counted."""
        from local.bench import _Meter
        from local.inprocess import EventPath

        path = EventPath.for_prefix("texting-test")
        self.drain()
        path.run_outbox()  # the stream's shards are known from here on
        with _Meter().installed() as meter:
            self.text(0)
            inbound = meter.take()["requests"]
            routed = self.drain(meter)
            _outbox_batch(path)
            outboxed = meter.take()["requests"]
        return {"inbound": inbound, "routing": dict(routed), "offer_event": outboxed}

    def drain(self, meter: Any = None) -> Counter[str]:
        """The routing queue's messages handled, as its event source delivers them
        (``local.pollers``): received in batches of up to 10, deleted per batch once
        handled (DeleteMessageBatch). With ``meter``, the requests of the batches; the
        empty receive that finds the queue drained is left out (an event source polls
        all the time, text or not)."""
        from chalicelib import resources

        sqs = self.session.client("sqs")
        queue_url = sqs.get_queue_url(
            QueueName=resources.physical("texting-test", resources.CC_ROUTING_QUEUE.logical)
        )["QueueUrl"]
        cc = self.services.contact_center
        if meter is not None:
            meter.take()  # the queue's URL, asked once per container on AWS
        counted: Counter[str] = Counter()
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                if meter is not None:
                    meter.take()
                return counted
            for message in got["Messages"]:
                cc.handle(json.loads(message["Body"]))
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(got["Messages"])
                ],
            )
            if meter is not None:
                counted.update(meter.take()["requests"])


def _outbox_batch(path: Any) -> None:
    """The stream's new records to ``outbox_stream``, as its event source reads them
    (``local.pollers.StreamPoller``): one GetRecords per shard, on shards it described
    before (it refreshes them every ``STREAM_REFRESH_SECONDS``, not per batch)."""
    import boto3

    from chalicelib.api.consumers import outbox_stream
    from local import lambda_events

    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    for shard_id, iterator in list(path.iterators.items()):
        out = streams.get_records(ShardIterator=iterator)
        path.iterators[shard_id] = out["NextShardIterator"]
        if out["Records"]:
            event = lambda_events.stream_event(out["Records"], path.stream_arn, "us-east-1")
            result = outbox_stream(event, lambda_events.lambda_context("outbox_stream"))
            if result.get("batchItemFailures"):
                raise RuntimeError(f"outbox_stream failed records: {result}")


def _total(part: dict[str, int]) -> int:
    return sum(part.values())


def _by_operation(part: dict[str, int]) -> dict[str, int]:
    """``{"DynamoDB.Query": 3, ...}``: the meter's ``service:Operation`` counts, named
    as AWS names them, most requested first."""
    names = {"dynamodb": "DynamoDB", "sqs": "SQS", "sns": "SNS", "dynamodbstreams": "Streams"}
    counts: dict[str, int] = {}
    for key, n in sorted(part.items(), key=lambda kv: (-kv[1], kv[0])):
        service, operation = key.split(":", 1)
        counts[f"{names.get(service, service)}.{operation}"] = n
    return counts


def _burst(session: Any, provided: Any, publisher: Any, text: Any) -> tuple[list[float], float]:
    """The burst, with the routing queue and the stream consumed by the local stack's
    pollers as the texts arrive: the seconds from each text to its offer (sorted), and
    the CPU seconds the process spent meanwhile."""
    from app import app
    from local import pollers

    stop = threading.Event()
    routing = pollers.SqsPoller(
        function="cc_routing",
        handler=pollers.resolve_handler(app, "cc_routing"),
        queue_url=provided["queues"]["cc-routing"],
        queue_arn=provided["queue_arns"]["cc-routing"],
        batch_size=10,
        region="us-east-1",
        stop=stop,
        session=session,
    )
    outbox = FromNow(
        function="outbox_stream",
        handler=pollers.resolve_handler(app, "outbox_stream"),
        stream_arn=provided["streams"][resources.MESSAGING_TABLE.logical],
        batch_size=100,
        region="us-east-1",
        stop=stop,
        session=session,
    )
    _serial_dynamodb()
    routing.start()
    outbox.start()
    deadline = time.monotonic() + OFFER_DEADLINE_S
    while not (outbox.shards and all(s.iterator for s in outbox.shards.values())):
        if time.monotonic() > deadline:
            raise RuntimeError("the stream poller did not start")
        time.sleep(WATCH_EVERY_S)
    sent_at: dict[str, float] = {}
    offered_at: dict[str, float] = {}
    seen = len(publisher.events)

    def watch() -> None:
        nonlocal seen
        while len(offered_at) < BURST and time.monotonic() < deadline:
            events = publisher.events[seen:]
            seen += len(events)
            now = time.perf_counter()
            for event in events:
                if event.type == "interaction.offered":
                    offered_at.setdefault(str(event.data["customer"]["phone"]), now)
            time.sleep(WATCH_EVERY_S)

    cpu_before = time.process_time()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for n in range(1, BURST + 1):
        sent_at[f"+1415555{3000 + n:04d}"] = time.perf_counter()
        text(n)
    watcher.join(max(0.0, deadline - time.monotonic()))
    cpu = time.process_time() - cpu_before  # every thread: webhooks, consumers, outbox
    stop.set()
    routing.join(10)
    outbox.join(10)
    return sorted(offered_at[p] - sent_at[p] for p in offered_at if p in sent_at), cpu


def _serial_dynamodb() -> None:
    """One DynamoDB request at a time, as the local stack's moto server serves them
    (``local.motoserver``): moto's DynamoDB backend has no locking, and DynamoDB
    applies each request atomically. Other services stay concurrent."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        if "DynamoDB" not in str(request.headers.get("X-Amz-Target", b"") or b""):
            return original(self, request)
        with lock:
            return original(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


class FromNow(StreamPoller):
    """The outbox's stream poller, reading from the burst on (``LATEST``): the records
    written before it are the first part's, delivered already."""

    def _iterator(self, shard: Any) -> str | None:
        if shard.last_sequence is not None:
            return super()._iterator(shard)
        iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard.shard_id, ShardIteratorType="LATEST"
        ).get("ShardIterator")
        return str(iterator) if iterator else None


if __name__ == "__main__":
    print(json.dumps(main()))
