"""What one group IM costs in DynamoDB requests, end to end, counted on moto.

Fifty members with two connected devices each; the message goes through the real
request, the table stream → outbox → SNS → SQS and the one fan-out consumer (frames,
list entries, push and missed). The send's cost is flat; the event path's is bounded
per recipient.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from chalicelib import bootstrap
from chalicelib.domain.model import User
from tests.api.test_event_pipeline import Pipeline, pipeline  # noqa: F401  (a fixture)
from tests.api.test_sms import CUSTOMER, inbound, numbers, webhook  # noqa: F401
from tests.api.test_websocket import connect
from tests.support import KEYS, RequestMeter

MEMBERS = 50
DEVICES = 2
SEND_REQUESTS = 5  # see tests/adapters/test_message_log_concurrency.py
# Per recipient: one Query of connections (for frames and push alike) and one
# UpdateItem of the list entry (profiles, memberships and push devices are read in
# batches).
EVENT_PATH_PER_MEMBER = 2
EVENT_PATH_FIXED = 6  # outbox's conversation read, batches, idempotency record


@pytest.fixture
def meter() -> Iterator[RequestMeter]:
    counting = RequestMeter()
    original = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = counting(original)  # type: ignore[method-assign]
    try:
        yield counting
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def _total(taken: dict[int, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in taken.values():
        total.update(counts)
    return total


def test_a_group_im_to_50_members_on_2_devices_each_costs_a_bounded_number_of_requests(
    pipeline: Pipeline,  # noqa: F811
    meter: RequestMeter,
) -> None:
    directory = bootstrap.services().adapters.directory
    others = [f"u-m{n}" for n in range(MEMBERS - 1)]
    for user_id in others:
        directory.put_user(User(user_id, "acme", f"Member {user_id}", f"{user_id}@acme.test"))
    for user_id in ["u-alice", *others]:
        for device in range(DEVICES):
            assert connect(f"{user_id}-{device}", KEYS.token(user_id))["statusCode"] == 200
    conversation = pipeline.call(
        "POST", "/conversations", "u-alice", {"type": "im", "members": others, "name": "All"}
    )
    path = f"/conversations/{conversation['id']}/messages"
    # the first message to a user builds their push-devices item once (from the DEVICE
    # items registered before it existed): measure the steady state, the second
    pipeline.call("POST", path, "u-alice", {"client_id": "k0", "text": "first"})
    pipeline.path.run_all()
    pipeline.sender.frames.clear()
    meter.take()

    sent = pipeline.call("POST", path, "u-alice", {"client_id": "k1", "text": "hello all"})
    send_cost = _total(meter.take())
    pipeline.run_outbox()
    outbox_cost = _total(meter.take())
    pipeline.path.run_realtime()
    fanout_cost = _total(meter.take())

    delivered = [
        cid
        for cid, frames in pipeline.sender.frames.items()
        if any(f["type"] == "message.created" and f["data"]["id"] == sent["id"] for f in frames)
    ]
    assert len(delivered) == MEMBERS * DEVICES  # every device of every member, once
    event_path = sum((outbox_cost + fanout_cost).values())
    print(
        f"\nDynamoDB requests, group IM to {MEMBERS} members x {DEVICES} devices: "
        f"send {sum(send_cost.values())} {dict(send_cost)}; outbox {dict(outbox_cost)}; "
        f"fan-out {dict(fanout_cost)}; "
        f"event path total {event_path}"
    )
    assert sum(send_cost.values()) == SEND_REQUESTS + 1  # + the authorizer's profile read
    assert event_path <= EVENT_PATH_PER_MEMBER * MEMBERS + EVENT_PATH_FIXED
    # each member's connections read once; nobody has a push device: one batch read
    # of devices, no memberships or profiles
    assert fanout_cost["Query"] == MEMBERS
    assert fanout_cost["BatchGetItem"] == 1
    # the outbox saw the conversation's head at this message: no head-repair read
    assert fanout_cost["GetItem"] == 0
    # the list entries moved off the request path, into the fan-out
    bob_view = pipeline.call("GET", "/conversations?limit=1", others[0], None)
    assert bob_view["items"][0]["id"] == conversation["id"]


def test_an_sms_send_and_an_inbound_text_cost_a_fixed_number_of_requests(
    numbers: Any,  # noqa: F811  (the fixture)
    meter: RequestMeter,
) -> None:
    """Measured with warm caches (the company's settings), as for every request but a
    container's first; the figures are in docs/architecture.md."""
    texting = numbers
    conversation = json.loads(
        texting.call("POST", "/conversations", "alice", {"type": "sms", "to": CUSTOMER}).body
    )
    path = f"/conversations/{conversation['id']}/messages"
    texting.call("POST", path, "alice", {"client_id": "warm", "text": "warm-up"})
    webhook(texting, "/webhooks/twilio/sms", inbound("SMwarm", "warm-up"))
    meter.take()
    sent = texting.call("POST", path, "alice", {"client_id": "k1", "text": "Your table is ready"})
    send_cost = _total(meter.take())
    received = webhook(texting, "/webhooks/twilio/sms", inbound("SM1", "On my way"))
    inbound_cost = _total(meter.take())
    assert sent.status_code == 202 and received.status_code == 200
    print(
        f"\nDynamoDB requests: SMS send {sum(send_cost.values())} {dict(send_cost)}; "
        f"inbound text {sum(inbound_cost.values())} {dict(inbound_cost)}"
    )
    assert sum(send_cost.values()) <= 16 and sum(inbound_cost.values()) <= 14
