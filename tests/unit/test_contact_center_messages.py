"""The routing queue's messages: typed, decoded once from the queue's JSON body, and
dispatched by type through one table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.contact_center_messages import (
    KINDS,
    Admit,
    BadRoutingMessage,
    IdleCheck,
    OfferTimeout,
    QueueFlush,
    Route,
    RoutingMessage,
    UnknownRoutingMessage,
    WaitingCheck,
    WrapUpEnd,
    decode,
    encode,
)
from chalicelib.services.contact_center import HANDLERS
from tests.contact_center_support import CUSTOMER, SUPPORT, world

EVERY_KIND: list[RoutingMessage] = [
    Admit("ix_1"),
    Admit("ix_1", "acme", "q-support"),
    Route("acme", ("q-sales", "q-support")),
    WaitingCheck("ix_1", 2),
    WaitingCheck("ix_1"),
    OfferTimeout("ix_1", 3),
    IdleCheck("ix_1"),
    WrapUpEnd("ix_1"),
    QueueFlush("acme", "q-support", 7),
]


@pytest.mark.parametrize("message", EVERY_KIND, ids=lambda m: type(m).__name__)
def test_every_message_survives_its_json_body(message: RoutingMessage) -> None:
    body = json.loads(json.dumps(encode(message)))
    assert decode(body) == message


def test_the_wire_format_is_the_one_messages_in_flight_use() -> None:
    """A deploy must understand the bodies the previous code queued (timers wait up
    to 15 minutes): the kinds and field names are unchanged."""
    assert decode({"kind": "route", "company_id": "acme", "queue_ids": ["q-a"]}) == Route(
        "acme", ("q-a",)
    )
    assert decode({"kind": "waiting_check", "interaction_id": "ix_9"}) == WaitingCheck("ix_9")
    assert decode({"kind": "admit", "interaction_id": "ix_9"}) == Admit("ix_9")
    assert encode(OfferTimeout("ix_1", 3)) == {
        "kind": "offer_timeout",
        "interaction_id": "ix_1",
        "offer_no": 3,
    }


def test_every_kind_has_a_handler_and_every_handler_a_kind() -> None:
    assert set(HANDLERS) == set(KINDS.values())
    assert {type(m) for m in EVERY_KIND} == set(KINDS.values())


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "offer_timeout", "interaction_id": "ix_1"},  # offer_no missing
        {"kind": "offer_timeout", "interaction_id": "ix_1", "offer_no": "3"},
        {"kind": "offer_timeout", "interaction_id": "ix_1", "offer_no": True},
        {"kind": "route", "company_id": "acme", "queue_ids": "q-support"},
        {"kind": "route", "company_id": "", "queue_ids": ["q-support"]},
        {"kind": "admit", "interaction_id": 12},
        ["admit"],
        "admit",
    ],
)
def test_a_malformed_body_is_refused(body: Any) -> None:
    with pytest.raises(BadRoutingMessage) as refused:
        decode(body)
    assert not isinstance(refused.value, UnknownRoutingMessage)


def test_an_unknown_kind_is_told_apart_from_a_malformed_one() -> None:
    with pytest.raises(UnknownRoutingMessage):
        decode({"kind": "retired_kind", "interaction_id": "ix_1"})
    with pytest.raises(UnknownRoutingMessage):
        decode({"interaction_id": "ix_1"})


def test_an_unknown_kind_is_dropped_and_changes_nothing() -> None:
    w = world()
    w.text(CUSTOMER)
    before = list(w.cc_repo.changes)
    w.cc.handle({"kind": "retired_kind", "company_id": "acme"})
    assert w.cc_repo.changes == before
    assert w.routing_queue.take() != []  # (the text's own messages, untouched)


def test_a_malformed_message_raises_so_sqs_retries_it_then_keeps_it_in_its_dlq() -> None:
    w = world()
    with pytest.raises(BadRoutingMessage):
        w.cc.handle({"kind": "admit"})


def test_a_routed_text_publishes_its_queue_from_the_queues_the_handler_returned() -> None:
    w = world()
    w.text(CUSTOMER)
    w.runner.run()
    kinds = [m["kind"] for m in w.runner.handled]
    assert kinds[0] == "admit"
    published = w.cc_repo.queue_state("acme", SUPPORT)
    assert published is not None and published.seq == 1
