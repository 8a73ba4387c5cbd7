"""The whole event path in one process: table stream → outbox → SNS → SQS → fan-out → devices.

Real adapters on moto (SNS publisher, Powertools idempotency); only the
WebSocket sender is a fake that records frames per connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.aws import SnsEventPublisher
from chalicelib.adapters.idempotency import PowertoolsDeduplicator
from local.inprocess import EventPath
from tests import fakes
from tests.api.test_websocket import connect
from tests.support import KEYS, seed_people, send, settings, verifier

REGION = "us-east-1"


@dataclass
class Pipeline:
    client: Any
    sender: fakes.MemorySender
    path: EventPath

    def call(self, method: str, path: str, who: str, payload: Any) -> Any:
        headers = {"Authorization": f"Bearer {KEYS.token(who)}", "Content-Type": "application/json"}
        body = json.dumps(payload).encode() if payload is not None else b""
        response = self.client.http.request(method, path, headers=headers, body=body)
        return json.loads(response.body) if response.body else None

    def run_outbox(self) -> int:
        return self.path.run_outbox()

    def run_realtime(self, redeliver: bool = False) -> int:
        return self.path.run_realtime(deliveries=2 if redeliver else 1)

    def frames(self, connection_id: str, event_type: str) -> list[dict[str, Any]]:
        return [
            f["data"] for f in self.sender.frames.get(connection_id, []) if f["type"] == event_type
        ]


@pytest.fixture
def pipeline(aws: Any) -> Iterator[Pipeline]:
    from chalice.test import Client

    from app import app

    sender = fakes.MemorySender()
    config = settings()
    topic = boto3.client("sns", region_name=REGION).create_topic(Name="texting-test-events")[
        "TopicArn"
    ]
    services = bootstrap.bootstrap(
        config,
        publisher=SnsEventPublisher(topic),
        sender=sender,
        verifier=verifier(),
        idempotency=PowertoolsDeduplicator(config.idempotency_table, 3600),
    )
    bootstrap.use(services)
    seed_people(services.adapters.directory)
    with Client(app, stage_name="local") as client:
        yield Pipeline(client, sender, EventPath.for_prefix("texting-test"))
    bootstrap.use(None)


def test_a_message_reaches_every_device_of_both_users_once(pipeline: Pipeline) -> None:
    for conn, user in [
        ("alice-phone", "u-alice"),
        ("alice-desk", "u-alice"),
        ("bob-desk", "u-bob"),
        ("carol-desk", "u-carol"),
    ]:
        assert connect(conn, KEYS.token(user))["statusCode"] == 200
    conv = pipeline.call("POST", "/conversations", "u-alice", {"type": "im", "members": ["u-bob"]})
    sent = pipeline.call(
        "POST",
        f"/conversations/{conv['id']}/messages",
        "u-alice",
        {"client_id": "k1", "text": "hello"},
    )
    pipeline.run_outbox()
    pipeline.run_realtime(redeliver=True)  # SQS delivers at least once
    for device in ("alice-phone", "alice-desk", "bob-desk"):
        created = pipeline.frames(device, "message.created")
        assert [m["id"] for m in created] == [sent["id"]], device
        assert created[0]["text"] == "hello" and created[0]["seq"] == 1
    assert pipeline.frames("carol-desk", "message.created") == []


def test_read_horizon_reaches_the_other_member_and_the_readers_other_devices(
    pipeline: Pipeline,
) -> None:
    for conn, user in [("alice-desk", "u-alice"), ("bob-phone", "u-bob"), ("bob-desk", "u-bob")]:
        connect(conn, KEYS.token(user))
    conv = pipeline.call("POST", "/conversations", "u-alice", {"type": "im", "members": ["u-bob"]})
    pipeline.call(
        "POST",
        f"/conversations/{conv['id']}/messages",
        "u-alice",
        {"client_id": "k1", "text": "hello"},
    )
    pipeline.call("POST", f"/conversations/{conv['id']}/read", "u-bob", {"seq": 1})
    pipeline.run_outbox()
    pipeline.run_realtime()
    for device in ("alice-desk", "bob-phone", "bob-desk"):
        reads = [r for r in pipeline.frames(device, "conversation.read") if r["user_id"] == "u-bob"]
        assert reads and reads[-1]["seq"] == 1 and reads[-1]["unread_count"] == 0, device


def test_deleting_a_message_tells_everyone_with_message_updated(pipeline: Pipeline) -> None:
    connect("bob-desk", KEYS.token("u-bob"))
    conv = pipeline.call("POST", "/conversations", "u-alice", {"type": "im", "members": ["u-bob"]})
    sent = pipeline.call(
        "POST",
        f"/conversations/{conv['id']}/messages",
        "u-alice",
        {"client_id": "k1", "text": "oops"},
    )
    pipeline.call("DELETE", f"/conversations/{conv['id']}/messages/{sent['id']}", "u-alice", {})
    pipeline.run_outbox()
    pipeline.run_realtime()
    updated = pipeline.frames("bob-desk", "message.updated")
    assert [(u["id"], u["deleted"], u["text"]) for u in updated] == [(sent["id"], True, "")]


def test_group_changes_reach_added_and_removed_members(pipeline: Pipeline) -> None:
    connect("carol-desk", KEYS.token("u-carol"))
    group = pipeline.call(
        "POST",
        "/conversations",
        "u-alice",
        {"type": "im", "members": ["u-bob", "u-carol"], "name": "Ops"},
    )
    pipeline.call("DELETE", f"/conversations/{group['id']}/members/u-carol", "u-alice", {})
    pipeline.run_outbox()
    pipeline.run_realtime()
    updates = pipeline.frames("carol-desk", "conversation.updated")
    assert updates[0]["id"] == group["id"] and "u-carol" in updates[0]["members"]
    assert updates[-1]["removed"] == ["u-carol"]


def test_a_crash_before_publishing_loses_nothing(pipeline: Pipeline) -> None:
    """The message is in the table; its event waits in the stream until the outbox runs."""
    connect("bob-desk", KEYS.token("u-bob"))
    conv = pipeline.call("POST", "/conversations", "u-alice", {"type": "im", "members": ["u-bob"]})
    pipeline.call(
        "POST",
        f"/conversations/{conv['id']}/messages",
        "u-alice",
        {"client_id": "k1", "text": "survives"},
    )
    # (no outbox run here: the process "crashed" after the write)
    assert pipeline.frames("bob-desk", "message.created") == []
    pipeline.run_outbox()
    pipeline.run_realtime()
    assert [m["text"] for m in pipeline.frames("bob-desk", "message.created")] == ["survives"]


def test_a_send_is_one_event_not_also_a_read_receipt(pipeline: Pipeline) -> None:
    connect("bob-desk", KEYS.token("u-bob"))
    conv = pipeline.call("POST", "/conversations", "u-alice", {"type": "im", "members": ["u-bob"]})
    pipeline.run_outbox()
    pipeline.run_realtime()
    pipeline.sender.frames.clear()
    pipeline.call(
        "POST", f"/conversations/{conv['id']}/messages", "u-alice", {"client_id": "k", "text": "x"}
    )
    pipeline.run_outbox()
    pipeline.run_realtime()
    assert [f["type"] for f in pipeline.sender.frames["bob-desk"]] == ["message.created"]
    alice_view = pipeline.call("GET", f"/conversations/{conv['id']}", "u-alice", None)
    assert alice_view["unread_count"] == 0 and alice_view["read_seq"] == 1


def test_presence_changes_reach_subscribed_co_workers(pipeline: Pipeline) -> None:
    from app import ws_message
    from tests.api.test_websocket import ws_event

    connect("alice-desk", KEYS.token("u-alice"))
    ws_message(
        ws_event(
            "$default",
            "alice-desk",
            json.dumps({"action": "presence.subscribe", "user_ids": ["u-bob"]}),
        ),
        None,
    )
    snapshot = pipeline.frames("alice-desk", "presence.snapshot")
    assert snapshot[0]["users"]["u-bob"]["status"] == "offline"
    pipeline.path.run_all()
    connect("bob-phone", KEYS.token("u-bob"))  # bob comes online
    pipeline.path.run_all()
    changes = [
        c for c in pipeline.frames("alice-desk", "presence.changed") if c["user_id"] == "u-bob"
    ]
    assert [c["presence"]["status"] for c in changes] == ["available"]
    pipeline.call("PUT", "/me/presence", "u-bob", {"status": "busy", "message": "Demo"})
    pipeline.path.run_all()
    last = pipeline.frames("alice-desk", "presence.changed")[-1]
    assert (last["user_id"], last["presence"]["status"], last["presence"]["message"]) == (
        "u-bob",
        "busy",
        "Demo",
    )


def test_missed_messages_reach_the_first_device_that_connects(pipeline: Pipeline) -> None:
    conv = pipeline.call("POST", "/conversations", "u-alice", {"type": "im", "members": ["u-bob"]})
    for n in range(3):
        pipeline.call(
            "POST",
            f"/conversations/{conv['id']}/messages",
            "u-alice",
            {"client_id": f"k{n}", "text": f"while you were out {n}"},
        )
    pipeline.path.run_all()  # bob has no device: the fan-out counts them missed
    connect("bob-desk", KEYS.token("u-bob"))
    pipeline.path.run_all()
    connect("bob-phone", KEYS.token("u-bob"))
    pipeline.path.run_all()
    (missed,) = pipeline.frames("bob-desk", "notification.missed")
    assert missed["total"] == 3 and missed["conversations"][0]["last_seq"] == 3
    assert pipeline.frames("bob-phone", "notification.missed") == []
    listed = pipeline.call("GET", "/conversations", "u-bob", None)
    assert listed["items"][0]["unread_count"] == 3


def test_end_user_messaging_texts_and_delivery_events_arrive_through_its_topic(
    pipeline: Pipeline,
) -> None:
    """AWS End User Messaging publishes to SNS; the app reads it through SQS."""
    from chalicelib import bootstrap as boot
    from chalicelib.domain.model import BusinessNumber

    services = boot.services()
    services.adapters.sms.put_number(
        BusinessNumber("+14155550177", "acme", provider="eum", users=["u-alice"])
    )
    connect("alice-desk", KEYS.token("u-alice"))
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="texting-test-sms-events")["TopicArn"]
    inbound = {
        "originationNumber": "+14155552671",
        "destinationNumber": "+14155550177",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": "Do you deliver?",
        "inboundMessageId": "in-0001",
        "previousPublishedMessageId": "",
    }
    for _ in range(2):  # SNS may deliver twice
        sns.publish(TopicArn=topic, Message=json.dumps(inbound))
    pipeline.path.run_queue("sms-events")
    pipeline.path.run_all()
    texts = [
        m
        for m in pipeline.frames("alice-desk", "message.created")
        if m["text"] == "Do you deliver?"
    ]
    assert len(texts) == 1 and texts[0]["sender"] == "+14155552671"
    conversation_id = texts[0]["conversation_id"]
    from chalicelib.services.common import Caller

    user = services.directory.user("u-alice")
    user.numbers = ["+14155550177"]
    services.adapters.directory.put_user(user)
    reply, _ = send(
        services.conversations,
        Caller("u-alice", "acme", "admin"),
        conversation_id,
        "r1",
        "Yes, within 5 miles",
    )
    services.adapters.sms.map_provider_message("eum", "out-0001", conversation_id, reply.seq)
    services.adapters.sms.advance_status(conversation_id, reply.seq, "sending")
    delivered = {
        "eventType": "TEXT_DELIVERED",
        "isFinal": True,
        "messageId": "out-0001",
        "destinationPhoneNumber": "+14155552671",
        "messageStatus": "DELIVERED",
        "eventTimestamp": 1700000000000,
        "originationPhoneNumber": "+14155550177",
    }
    sns.publish(TopicArn=topic, Message=json.dumps(delivered))
    pipeline.path.run_queue("sms-events")
    stored = services.adapters.conversations.get_message(conversation_id, reply.seq)
    assert stored is not None and stored.status == "delivered"


def test_a_registration_needing_updates_reaches_the_companys_admins_through_the_outbox(
    pipeline: Pipeline,
) -> None:
    """The poller only writes the registration; the table's stream tells the admins."""
    from chalicelib.domain.compliance import Registration

    services = bootstrap.services()
    for conn, user in [("alice-desk", "u-alice"), ("bob-desk", "u-bob"), ("dave-desk", "u-dave")]:
        assert connect(conn, KEYS.token(user))["statusCode"] == 200
    pipeline.run_outbox()
    pipeline.run_realtime()
    services.registrations.record(
        Registration("campaign-1", "acme", "campaign", "twilio", "pending", "QE1")
    )
    pipeline.run_outbox()  # pending: nobody needs telling
    pipeline.run_realtime()
    assert pipeline.frames("alice-desk", "registration.needs_updates") == []
    changed = Registration(
        "campaign-1", "acme", "campaign", "twilio", "needs_updates", "QE1", "FAILED", "no opt-in"
    )
    services.registrations.record(changed)
    pipeline.run_outbox()
    pipeline.run_realtime(redeliver=True)
    [told] = pipeline.frames("alice-desk", "registration.needs_updates")  # once, to the admin
    assert (told["id"], told["reason"]) == ("campaign-1", "no opt-in")
    assert pipeline.frames("bob-desk", "registration.needs_updates") == []  # not an admin
    assert pipeline.frames("dave-desk", "registration.needs_updates") == []  # another company
