"""The message log on DynamoDB (moto) with real threads: many people writing into one
group at once all succeed, with a bounded number of requests each, and the send's
cost does not depend on the group's size."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap as composition
from chalicelib.domain.model import User
from chalicelib.services.common import Caller
from tests import fakes
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)
from tests.support import RequestMeter, create_im, seed_people, send, settings, verifier

# A send: BatchGetItem conversation (visibility) + client key (replay check),
# UpdateItem counter, TransactWriteItems (message + client key), UpdateItem head,
# UpdateItem the writer's entry and read horizon. Nothing else, however busy.
REQUESTS_PER_SEND = 5


@pytest.fixture
def world(serial_dynamodb: None) -> Iterator[tuple[Any, RequestMeter]]:  # noqa: F811
    import botocore.client

    services = composition.bootstrap(
        settings(max_group_members=100),
        publisher=fakes.MemoryPublisher(),
        sender=fakes.MemorySender(),
        verifier=verifier(),
        idempotency=fakes.MemoryDeduplicator(),
        providers=lambda name: fakes.MemoryProviders(),
    )
    directory = services.adapters.directory
    seed_people(directory)
    for n in range(60):
        directory.put_user(User(f"u-w{n}", "acme", f"Writer {n:02d}", f"w{n}@acme.test"))
    meter = RequestMeter()
    original = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = meter(original)  # type: ignore[method-assign]
    try:
        yield services, meter
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def _group(services: Any, size: int) -> str:
    alice = Caller("u-alice", "acme")
    members = [f"u-w{n}" for n in range(size - 1)]
    conversation, _ = create_im(services.conversations, alice, members, name="Busy")
    send(services.conversations, alice, conversation["id"], "warm", "warm-up")  # caches
    return str(conversation["id"])


@pytest.mark.parametrize("writers", [20, pytest.param(60, marks=pytest.mark.slow)])
def test_many_writers_into_one_group_all_succeed_with_bounded_requests(
    world: tuple[Any, RequestMeter], writers: int
) -> None:
    services, meter = world
    conversation_id = _group(services, writers + 1)
    meter.take()
    start = threading.Barrier(writers)
    results: dict[int, Any] = {}
    failures: list[BaseException] = []

    def write(n: int) -> None:
        start.wait()
        try:
            results[n] = send(
                services.conversations,
                Caller(f"u-w{n}", "acme"),
                conversation_id,
                f"c{n}",
                f"message {n}",
            )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert all(created for _, created in results.values())
    seqs = sorted(message.seq for message, _ in results.values())
    assert seqs == list(range(2, writers + 2))  # every number once, none lost (1: warm-up)
    per_send = meter.take()
    assert len(per_send) == writers
    assert {sum(c.values()) for c in per_send.values()} == {REQUESTS_PER_SEND}, per_send

    alice = Caller("u-alice", "acme")
    page, through = services.conversations.catch_up(alice, conversation_id, 0, 100, None)
    assert [m.seq for m in page.items] == list(range(1, writers + 2)) and through == writers + 1
    texts = Counter(m.text for m in page.items)
    assert all(texts[f"message {n}"] == 1 for n in range(writers))  # each exactly once
    head = services.conversations.get(alice, conversation_id)
    assert head["last_seq"] == writers + 1 and head["last_message"]["seq"] == writers + 1


def test_a_send_costs_the_same_in_a_group_of_2_and_of_50(world: tuple[Any, RequestMeter]) -> None:
    services, meter = world
    costs = {}
    for size in (2, 50):
        conversation_id = _group(services, size)
        meter.take()
        send(services.conversations, Caller("u-alice", "acme"), conversation_id, "k", "hello")
        costs[size] = sum(sum(c.values()) for c in meter.take().values())
    assert costs == {2: REQUESTS_PER_SEND, 50: REQUESTS_PER_SEND}
