"""Contact-center figures for ``make bench``, measured in one run (moto in-process).

1. AWS requests per routed inbound text: the webhook's part (store the text, open
   the interaction, queue routing) and the routing message's part (choose, assign,
   offer), and the outbox's part (the offer's event from the table's stream, with
   the screen pop), counted by service and operation.
2. Time from the inbound text to its offer under a burst: ``BURST`` customers
   text the demo channel at once while three agents are available; the routing
   queue is drained as the ``cc_routing`` consumer would; p50/p95 over the texts
   that were offered. moto answers in-process, so this is the code's own cost.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

BURST = 15  # three agents with room for six each: every text is offered at once


def main() -> dict[str, Any]:
    from local import environment

    environment.use_in_process_moto(quiet=True)
    import boto3
    from moto import mock_aws

    with mock_aws():
        from chalicelib import bootstrap
        from chalicelib.domain.contact_center import AgentProfile, Channel, Queue
        from chalicelib.domain.model import BusinessNumber, User
        from chalicelib.domain.sms import InboundSms
        from chalicelib.services.common import Caller
        from local.bench import _Meter
        from local.provision import provision
        from tests import fakes
        from tests.support import seed_people, settings, verifier

        provided = provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
        publisher = fakes.MemoryPublisher()  # the events are what we time; SNS is not
        services = bootstrap.bootstrap(
            settings(),
            publisher=publisher,
            sender=fakes.MemorySender(),
            verifier=verifier(),
            idempotency=fakes.MemoryDeduplicator(),
            providers=lambda name: fakes.MemoryProviders(),
        )
        bootstrap.use(services)  # the outbox (outbox_stream) runs on these services
        from local.inprocess import EventPath

        cc = services.contact_center
        assert cc is not None
        channel, agents = "+14155550180", ["u-ann", "u-ben", "u-cat"]
        directory = services.adapters.directory
        seed_people(directory)
        for agent in agents:
            directory.put_user(User(agent, "acme", agent, f"{agent}@acme.test", numbers=[channel]))
        services.adapters.sms.put_number(BusinessNumber(channel, "acme", users=agents))
        cc.repo.put_queue(Queue("q-support", "acme", "Support", skills={"support": 1}))
        cc.repo.put_channel(Channel(channel, "acme", "q-support"))
        for agent in agents:
            cc.repo.put_agent(
                AgentProfile(agent, "acme", skills={"support": 3}, queues=["q-support"])
            )
            cc.agents.set_status(Caller(agent, "acme"), "available")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = provided["queues"]["cc-routing"]

        def drain() -> list[dict[str, Any]]:
            handled: list[dict[str, Any]] = []
            while True:
                got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
                if not got.get("Messages"):
                    return handled
                for message in got["Messages"]:
                    body = json.loads(message["Body"])
                    cc.handle(body)
                    handled.append(body)
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

        def text(n: int) -> None:
            phone = f"+1415555{3000 + n:04d}"
            services.carrier.inbound(
                InboundSms("twilio", f"SM{n:032d}", phone, channel, "where is my order")
            )

        path = EventPath.for_prefix("texting-test")
        path.run_outbox()  # the seeding's records
        meter = _Meter()
        meter.install()
        text(0)
        inbound = meter.take()
        drain()
        routed = meter.take()
        path.run_outbox()
        outboxed = meter.take()
        sent_at: dict[str, float] = {}
        offered_at: dict[str, float] = {}
        seen = len(publisher.events)
        for n in range(1, BURST + 1):
            sent_at[f"+1415555{3000 + n:04d}"] = time.perf_counter()
            text(n)
        while len(offered_at) < BURST:
            if not drain():
                break
            path.run_outbox()  # events come from the table's stream
            now = time.perf_counter()
            for event in publisher.events[seen:]:
                if event.type == "interaction.offered":
                    offered_at.setdefault(str(event.data["customer"]["phone"]), now)
            seen = len(publisher.events)
        waits = sorted(offered_at[p] - sent_at[p] for p in offered_at if p in sent_at)
        bootstrap.use(None)
    return {
        "inbound": inbound["requests"],
        "routing": routed["requests"],
        "outbox": outboxed["requests"],
        "burst": BURST,
        "offered": len(waits),
        "p50_ms": statistics.median(waits) * 1000 if waits else None,
        "p95_ms": waits[max(0, int(len(waits) * 0.95) - 1)] * 1000 if waits else None,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
