"""The one fan-out consumer: frames to live devices, push to the others, "missed" for
users with no live device — driven through ``realtime_consumer`` as Lambda invokes it
(an SQS batch), on in-memory adapters."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap, resources
from chalicelib.api.consumers import realtime_consumer
from chalicelib.domain.model import Connection, Event
from chalicelib.services.common import Caller
from local import lambda_events
from tests.support import KEYS, World, create_im, seed_people, send

ALICE = Caller("u-alice", "acme", "admin")
BOB = Caller("u-bob", "acme")
CAROL = Caller("u-carol", "acme")
QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:texting-test-realtime"


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    seed_people(w.directory_repo)
    bootstrap.use(w.services)
    yield w
    bootstrap.use(None)


def message_event(world: World, conversation: dict[str, Any], text: str) -> Event:
    message, _ = send(world.services.conversations, ALICE, conversation["id"], text, text)
    return Event(
        f"message.created:{message.message_id}:created",
        "message.created",
        "acme",
        list(conversation["members"]),
        message.to_dict(),
        conversation["id"],
    )


def batch(*events: Event) -> dict[str, Any]:
    messages = [
        {
            "MessageId": f"m-{n}",
            "ReceiptHandle": f"r-{n}",
            "Body": json.dumps(event.to_dict()),
            "Attributes": {"ApproximateReceiveCount": "1"},
        }
        for n, event in enumerate(events)
    ]
    return lambda_events.sqs_event(messages, QUEUE_ARN, "us-east-1")


def consume(*events: Event) -> list[str]:
    """Runs one batch through the consumer; returns the failed records' ids."""
    context = lambda_events.lambda_context("realtime_consumer")
    result = realtime_consumer(batch(*events), context)  # never raises: retries are reported
    return [failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])]


def connect(world: World, connection_id: str, user_id: str, device: str | None = None) -> None:
    world.services.connections.connect(connection_id, KEYS.token(user_id), device)


def frames_of(world: World, connection_id: str) -> list[str]:
    return [f["data"]["text"] for f in world.sender.frames.get(connection_id, [])]


def test_message_created_reaches_devices_by_one_consumer_with_no_second_queue() -> None:
    """The events topic feeds one queue for devices; nothing else consumes a new IM
    but the SMS sender (texts only)."""
    to_devices = [
        s
        for s in resources.SUBSCRIPTIONS
        if s.topic == resources.EVENTS_TOPIC.logical
        and "message.created" in s.filter_policy.get("event_type", [])
        and "sms_outbound" not in s.filter_policy
    ]
    assert [s.queue for s in to_devices] == [resources.REALTIME_QUEUE.logical]
    assert [c.function for c in resources.CONSUMERS if c.source == "realtime"] == [
        "realtime_consumer"
    ]
    assert all("notifications" not in q.logical for q in resources.QUEUES)


def test_one_pass_posts_frames_pushes_and_counts_missed(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-b")
    world.services.notifications.register_device(CAROL, "carol-phone", "fcm", "tok-c")
    connect(world, "carol-desk", "u-carol")  # carol's phone is not connected: pushed
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob", "u-carol"], "Team")
    reads: Counter[str] = Counter()
    list_for_user = world.connection_repo.list_for_user

    def counted(user_id: str) -> list[Connection]:
        reads[user_id] += 1
        return list_for_user(user_id)

    world.connection_repo.list_for_user = counted  # type: ignore[method-assign]
    assert consume(message_event(world, conv, "standup")) == []
    assert frames_of(world, "carol-desk") == ["standup"]
    assert sorted(p["endpoint"] for p in world.push.pushed) == [
        "endpoint/apns/tok-b",
        "endpoint/fcm/tok-c",
    ]
    assert [m.count for m in world.notification_repo.missed("u-bob")] == [1]
    assert world.notification_repo.missed("u-carol") == []  # she has a live device
    # each recipient's connections are read once, for frames and push alike
    assert reads == Counter({"u-alice": 1, "u-bob": 1, "u-carol": 1})


def test_a_user_whose_only_connection_is_gone_counts_the_message_missed(world: World) -> None:
    connect(world, "bob-desk", "u-bob")
    world.sender.gone.add("bob-desk")  # API Gateway answers 410: it vanished
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    assert consume(message_event(world, conv, "hello")) == []
    assert world.connection_repo.get("bob-desk") is None
    assert [m.count for m in world.notification_repo.missed("u-bob")] == [1]


def test_a_redelivery_after_a_failed_push_neither_reposts_nor_pushes_twice(
    world: World,
) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-b")
    world.services.notifications.register_device(CAROL, "carol-phone", "apns", "tok-c")
    connect(world, "alice-desk", "u-alice")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob", "u-carol"], "Team")
    event = message_event(world, conv, "once")
    real_push = world.push.push
    failures = ["endpoint/apns/tok-c"]

    def flaky(endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        if endpoint in failures:
            failures.remove(endpoint)
            raise RuntimeError("push service unavailable")  # not a dead token: retried
        real_push(endpoint, platform, payload, silent)

    world.push.push = flaky  # type: ignore[method-assign]
    assert consume(event) == ["m-0"]
    assert consume(event) == []  # SQS delivers it again
    assert frames_of(world, "alice-desk") == ["once"]  # posted once, not again
    assert sorted(p["endpoint"] for p in world.push.pushed) == [
        "endpoint/apns/tok-b",
        "endpoint/apns/tok-c",
    ]
    assert [m.count for m in world.notification_repo.missed("u-bob")] == [1]
    assert [m.count for m in world.notification_repo.missed("u-carol")] == [1]


def test_a_device_whose_posts_fail_does_not_hold_back_pushes_or_missed_counts(
    world: World,
) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-b")
    connect(world, "alice-desk", "u-alice")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob", "u-carol"], "Team")
    event = message_event(world, conv, "urgent")
    real_send = world.sender.send

    def throttled(connection_id: str, frame: dict[str, Any]) -> None:
        if connection_id == "alice-desk":
            raise RuntimeError("429 from the management API")  # not Gone: retried
        real_send(connection_id, frame)

    world.sender.send = throttled  # type: ignore[method-assign]

    def pushed_and_missed() -> tuple[list[str], list[int], list[int]]:
        return (
            [p["endpoint"] for p in world.push.pushed],
            [m.count for m in world.notification_repo.missed("u-bob")],
            [m.count for m in world.notification_repo.missed("u-carol")],
        )

    expected = (["endpoint/apns/tok-b"], [1], [1])
    assert consume(event) == ["m-0"]  # the frames failed: the record goes back
    assert pushed_and_missed() == expected  # bob pushed, both offline counted, at once
    for _ in range(2):  # the frames keep failing; the retries push and count nothing more
        assert consume(event) == ["m-0"]
    assert pushed_and_missed() == expected


# -- a batch's records side by side ------------------------------------------------


def test_a_slow_record_does_not_delay_the_others_in_its_batch(world: World) -> None:
    """Three conversations' messages in one batch. The first record's post waits until
    the other two records' frames are out: run one after another, it would wait in vain
    (and fail the batch)."""
    for cid, user in [("alice-desk", "u-alice"), ("bob-desk", "u-bob"), ("carol-desk", "u-carol")]:
        connect(world, cid, user)
    events = [
        message_event(world, create_im(world.services.conversations, ALICE, members, name)[0], t)
        for members, name, t in [
            (["u-bob", "u-carol"], "Slow", "slow"),
            (["u-bob"], None, "two"),
            (["u-bob", "u-carol"], "Three", "three"),
        ]
    ]
    others_out = threading.Event()
    real_send = world.sender.send

    def send_frame(connection_id: str, frame: dict[str, Any]) -> None:
        if frame["data"]["text"] == "slow" and not others_out.wait(timeout=5):
            raise TimeoutError("the other records waited behind the slow one")
        real_send(connection_id, frame)
        bob, carol = frames_of(world, "bob-desk"), frames_of(world, "carol-desk")
        if sorted(bob) == ["three", "two"] and carol == ["three"]:  # every other frame
            others_out.set()

    world.sender.send = send_frame  # type: ignore[method-assign]
    assert consume(*events) == []
    assert frames_of(world, "carol-desk")[-1] == "slow"  # it went out, last
    assert sorted(frames_of(world, "bob-desk")) == ["slow", "three", "two"]


def test_records_of_one_conversation_keep_their_order_in_a_batch(world: World) -> None:
    connect(world, "bob-desk", "u-bob")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    events = [message_event(world, conv, text) for text in ("first", "second", "third")]
    real_send = world.sender.send
    later_started = threading.Event()
    overtaken: list[bool] = []

    def send_frame(connection_id: str, frame: dict[str, Any]) -> None:
        if frame["data"]["text"] == "first":  # a slow post: a later record must wait
            overtaken.append(later_started.wait(timeout=1))
        else:
            later_started.set()
        real_send(connection_id, frame)

    world.sender.send = send_frame  # type: ignore[method-assign]
    assert consume(*events) == []
    assert overtaken == [False]
    assert frames_of(world, "bob-desk") == ["first", "second", "third"]


def test_one_failing_record_is_reported_alone(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    connect(world, "bob-desk", "u-bob")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    events = [message_event(world, conv, text) for text in ("one", "broken", "three")]
    real_send = world.sender.send

    def send_frame(connection_id: str, frame: dict[str, Any]) -> None:
        if frame["data"]["text"] == "broken":
            raise RuntimeError("API Gateway answered 500")  # not Gone: retried
        real_send(connection_id, frame)

    world.sender.send = send_frame  # type: ignore[method-assign]
    assert consume(*events) == ["m-1"]
    assert sorted(frames_of(world, "bob-desk")) == ["one", "three"]
    logged = [r for r in caplog.records if "will be retried" in r.getMessage()]
    assert [getattr(r, "record_id", None) for r in logged] == ["m-1"]  # logged once


def test_a_batch_whose_every_record_is_retried_reports_them_and_raises_nothing() -> None:
    """A paced text or a provider's 429 is a planned retry, not a function error: an
    error would set off the function's error alarm, which rolls a release back."""
    from chalice.app import SQSEvent

    from chalicelib.api.consumers import _batch

    def later(record: object) -> None:
        raise RuntimeError("not now")

    messages = [
        {"MessageId": f"m-{n}", "ReceiptHandle": f"r-{n}", "Body": "{}", "Attributes": {}}
        for n in range(2)
    ]
    event = SQSEvent(
        lambda_events.sqs_event(messages, QUEUE_ARN, "us-east-1"),
        lambda_events.lambda_context("sms_sender"),
    )
    result = _batch(event, later)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == ["m-0", "m-1"]
