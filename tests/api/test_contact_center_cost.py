"""What one routed contact-center text costs in AWS requests, counted on moto.

A new customer texts a channel whose queue has three available agents (no
supervisor): the webhook, the routing queue's ``admit`` (which makes the offer)
and the outbox's batch (the offer's event with its screen pop), each counted by
operation exactly as ``make bench`` counts them (``local/bench_cc.py``). A change
that spends a request more fails here; one that saves a request updates the
figures below and in docs/contact-center.md ("Cost of one routed inbound text").
"""

from __future__ import annotations

from typing import Any

from chalicelib import bootstrap

INBOUND = {
    "dynamodb:GetItem": 1,  # the business number
    # the channel + the customer's open marker + phone record; the conversation + the
    # text's client key
    "dynamodb:BatchGetItem": 2,
    # the conversation made; the message + its client key; the interaction + its open
    # marker + the new customer's record and phone + the queue's offered figure
    "dynamodb:TransactWriteItems": 3,
    "dynamodb:UpdateItem": 3,  # the message's number, the head, the day's usage
    "sqs:SendMessage": 1,  # admit
}
ROUTING = {
    "sqs:ReceiveMessage": 1,
    "dynamodb:BatchGetItem": 2,  # interaction + queue + queue state; the agents
    "dynamodb:Query": 3,  # the queue's agents, its waiting heads, the company's supervisors
    "dynamodb:TransactWriteItems": 1,  # the offer (interaction + agent's load and list)
    "sqs:SendMessage": 1,  # the offer's timeout
    "sqs:DeleteMessageBatch": 1,
}
OFFER_EVENT = {
    "dynamodbstreams:GetRecords": 1,
    "dynamodb:GetItem": 1,  # the text's conversation (message.created)
    "dynamodb:Query": 2,  # the conversation's monitors; the customer's cases + record
    # the reports' counts of the create and the offer; the agent's idle spell the offer
    # closed (its marker, tallies and month list in one transaction: no read of a clock,
    # the record carries the spell — 27 before, with the clock's GetItem)
    "dynamodb:TransactWriteItems": 3,
}


def test_a_routed_text_from_a_new_customer_costs_26_aws_requests(aws: Any) -> None:
    from local.bench_cc import Center

    center = Center.seeded(aws.session.Session(region_name="us-east-1"))
    try:
        parts = center.count_one_text()
    finally:
        bootstrap.use(None)
    offered = [e for e in center.publisher.events if e.type == "interaction.offered"]
    assert len(offered) == 1  # what was counted is a text routed to an agent
    assert offered[0].data["customer"]["cases"] == []  # with its screen pop
    assert parts == {"inbound": INBOUND, "routing": ROUTING, "offer_event": OFFER_EVENT}
    assert sum(sum(part.values()) for part in parts.values()) == 26
