"""A burst on DynamoDB (moto) with real threads: 60 customers text one queue served
by 5 agents with a cap of 6, while several routers run at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import bootstrap as composition
from chalicelib.domain.contact_center import OFFERED, WAITING, AgentProfile, Channel, Queue
from chalicelib.domain.model import BusinessNumber, User
from chalicelib.domain.sms import InboundSms
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.commands import EndInteraction
from tests import fakes
from tests.fakes import MemoryDeduplicator
from tests.fakes.contact_center import MemoryRoutingQueue
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)
from tests.support import seed_people, settings, verifier

CHANNEL = "+14155550180"
AGENTS = [f"u-agent{n}" for n in range(5)]
CAP = 6
CUSTOMERS = [f"+1415555{4000 + n}" for n in range(60)]


class TickingClock:
    """Epoch seconds that move forward a little on every reading (arrival order is
    strict), and jump when the test says so; timers fall due against it."""

    def __init__(self) -> None:
        self._now = 1_800_000_000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self._now += 0.0001
            return self._now


@pytest.fixture
def center(serial_dynamodb: None) -> Iterator[dict[str, Any]]:  # noqa: F811
    clock = TickingClock()
    routing = MemoryRoutingQueue(clock)
    services = composition.bootstrap(
        settings(),
        publisher=fakes.MemoryPublisher(),
        sender=fakes.MemorySender(),
        verifier=verifier(),
        idempotency=MemoryDeduplicator(),
        providers=lambda name: fakes.MemoryProviders(),
        epoch=clock,
        routing_queue=routing,
    )
    directory = services.adapters.directory
    seed_people(directory)
    for agent_id in AGENTS:
        directory.put_user(
            User(agent_id, "acme", agent_id, f"{agent_id}@acme.test", numbers=[CHANNEL])
        )
    services.adapters.sms.put_number(BusinessNumber(CHANNEL, "acme", users=AGENTS))
    cc = services.contact_center
    cc.repo.put_queue(Queue("q-support", "acme", "Support", skills={"support": 1}))
    cc.repo.put_channel(Channel(CHANNEL, "acme", "q-support"))
    for agent_id in AGENTS:
        cc.repo.put_agent(
            AgentProfile(
                agent_id, "acme", skills={"support": 3}, queues=["q-support"], max_concurrent=CAP
            )
        )
        cc.agents.set_status(Caller(agent_id, "acme"), "available")
    yield {"services": services, "cc": cc, "routing": routing, "clock": clock}


def drain(cc: Any, routing: MemoryRoutingQueue, clock: TickingClock, stop: threading.Event) -> None:
    """One router: handles routing messages that are due; timers (offer timeouts,
    waiting checks) are left for later."""
    later = []
    while True:
        taken = routing.take()
        if not taken:
            if stop.is_set():
                break
            stop.wait(0.01)
            continue
        for message, due in taken:
            if due > clock() + 1:
                later.append((message, due))
                continue
            cc.handle(message)
    for item in later:
        routing.messages.append(item)


def test_a_burst_of_60_never_exceeds_a_cap_assigns_each_once_and_queues_the_rest(
    center: dict[str, Any],
) -> None:
    services, cc, routing, clock = (
        center["services"],
        center["cc"],
        center["routing"],
        center["clock"],
    )
    drain(cc, routing, clock, _set(threading.Event()))  # the agents' "available" triggers
    start = threading.Barrier(len(CUSTOMERS))
    failures: list[BaseException] = []

    def customer(n: int, phone: str) -> None:
        try:
            start.wait()
            services.carrier.inbound(
                InboundSms("twilio", f"SM{n:032d}", phone, CHANNEL, f"help {n}")
            )
        except BaseException as error:  # surfaced below
            failures.append(error)

    stop = threading.Event()
    routers = [threading.Thread(target=drain, args=(cc, routing, clock, stop)) for _ in range(4)]
    texters = [threading.Thread(target=customer, args=(n, p)) for n, p in enumerate(CUSTOMERS)]
    for thread in routers + texters:
        thread.start()
    for thread in texters:
        thread.join()
    stop.set()
    for thread in routers:
        thread.join()
    assert failures == []
    drain(cc, routing, clock, _set(threading.Event()))  # anything the last texts queued

    repo = cc.repo
    interactions = [repo.open_interaction(CHANNEL, phone) for phone in CUSTOMERS]
    assert all(i is not None for i in interactions)  # none lost
    assert len({i.interaction_id for i in interactions}) == 60  # one per customer
    offered = [i for i in interactions if i.state == OFFERED]
    waiting = repo.waiting("acme", "q-support", 100)
    assert len(offered) == 30 and len(waiting) == 30
    assert {i.interaction_id for i in offered}.isdisjoint({i.interaction_id for i in waiting})
    agents = repo.get_agents(AGENTS)
    for agent_id in AGENTS:
        mine = [i for i in offered if i.agent_id == agent_id]
        listed = repo.agent_interactions(agent_id)
        assert len(mine) == CAP and agents[agent_id].load == CAP and agents[agent_id].total == CAP
        assert sorted(i.interaction_id for i in listed) == sorted(i.interaction_id for i in mine)
    # the queue is in arrival order
    assert [i.enqueued_at for i in waiting] == sorted(i.enqueued_at for i in waiting)
    assert all(i.state == WAITING and i.agent_id is None for i in waiting)

    # each freed slot goes to the customer who has waited longest
    for agent_id in AGENTS:
        head = repo.waiting("acme", "q-support", 1)[0]
        caller = Caller(agent_id, "acme")
        ending = repo.agent_interactions(agent_id)[0]
        cc.agents.accept(caller, ending.interaction_id)
        cc.agents.end(caller, ending.interaction_id, EndInteraction(disposition="solved"))
        drain(cc, routing, clock, _set(threading.Event()))
        assigned = repo.get_interaction(head.interaction_id)
        assert (assigned.state, assigned.agent_id) == (OFFERED, agent_id)
        assert repo.get_agent(agent_id).load == CAP
    assert len(repo.waiting("acme", "q-support", 100)) == 25


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event
