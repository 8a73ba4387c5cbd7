"""A supervisor's move, the agent's reject and the offer's timeout racing on the same
interactions, on DynamoDB (moto) with real threads: each ends with exactly one owner
(one agent's list or the queue's waiting index, never both, never two agents), and
no agent's load or total passes their cap. A move or a take-over racing the agent's
accept ends with one owner who is the only member of the conversation."""

from __future__ import annotations

import threading
import time
from typing import Any

from chalicelib.domain.contact_center import ACTIVE, OFFERED, WAITING, AgentProfile
from chalicelib.domain.errors import DomainError
from chalicelib.domain.model import User
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.commands import TransferInteraction
from chalicelib.services.contact_center.routing import RoutingService
from tests.adapters.test_contact_center_concurrency import AGENTS, CHANNEL, center  # noqa: F401
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)

FROM, TO = AGENTS[0], AGENTS[1]
TO_CAP = 4  # fewer than the offers raced: some moves must be refused
SUPERVISOR = "u-sup"


def test_move_reject_and_timeout_race_to_exactly_one_owner_within_every_cap(
    center: dict[str, Any],  # noqa: F811
) -> None:
    services, cc = center["services"], center["cc"]
    repo = cc.repo
    services.adapters.directory.put_user(User(SUPERVISOR, "acme", "Sup", "sup@acme.test"))
    repo.put_agent(
        AgentProfile(SUPERVISOR, "acme", role="supervisor", queues=["q-support"], skills={})
    )
    for agent_id in AGENTS[1:]:
        cc.agents.set_status(Caller(agent_id, "acme"), "away")
    repo.put_agent(
        AgentProfile(TO, "acme", skills={"support": 3}, queues=[], max_concurrent=TO_CAP)
    )
    phones = [f"+1415555{5000 + n}" for n in range(6)]
    for n, phone in enumerate(phones):
        services.carrier.inbound(_text(n, phone))
    center["routing"].take()  # admissions dropped: routed by hand, to FROM only
    routing: RoutingService = cc.routing
    routing.route("acme", ["q-support"])
    offers = [repo.open_interaction(CHANNEL, p) for p in phones]
    assert all(o is not None and (o.state, o.agent_id) == (OFFERED, FROM) for o in offers)
    cc.agents.set_status(Caller(TO, "acme"), "available")

    start = threading.Barrier(len(offers) * 3)
    unexpected: list[BaseException] = []

    def race(action: Any) -> None:
        try:
            start.wait()
            action()
        except DomainError:
            pass  # a lost race answers 4xx (agent_unavailable, invalid_state, ...)
        except BaseException as error:  # surfaced below
            unexpected.append(error)

    actions = []
    for offer in offers:
        ix, no = offer.interaction_id, offer.offer_no
        actions += [
            lambda ix=ix: cc.supervision.transfer(
                Caller(SUPERVISOR, "acme"), ix, TransferInteraction(agent_id=TO)
            ),
            lambda ix=ix: cc.agents.reject(Caller(FROM, "acme"), ix),
            lambda ix=ix, no=no: cc.routing.offer_timeout(ix, no),
        ]
    threads = [threading.Thread(target=race, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unexpected == []

    final = [repo.get_interaction(o.interaction_id) for o in offers]
    waiting = {i.interaction_id for i in repo.waiting("acme", "q-support", 100)}
    listed = {a: {i.interaction_id for i in repo.agent_interactions(a)} for a in (FROM, TO)}
    for interaction in final:
        owners = [a for a, ids in listed.items() if interaction.interaction_id in ids]
        in_queue = interaction.interaction_id in waiting
        assert len(owners) + int(in_queue) == 1, (interaction, owners, in_queue)
        if interaction.state == OFFERED:
            assert owners == [TO] and interaction.agent_id == TO
        else:
            assert interaction.state == WAITING and in_queue and interaction.agent_id is None
    agents = repo.get_agents([FROM, TO])
    assert (agents[FROM].load, agents[FROM].total) == (0, 0)
    moved = [i for i in final if i.state == OFFERED]
    assert 1 <= len(moved) <= TO_CAP
    assert agents[TO].load == agents[TO].total == len(moved)


def test_a_move_or_a_take_over_racing_an_accept_ends_with_its_one_owner_the_only_member(
    center: dict[str, Any],  # noqa: F811
) -> None:
    services, cc = center["services"], center["cc"]
    repo = cc.repo
    services.adapters.directory.put_user(User(SUPERVISOR, "acme", "Sup", "sup@acme.test"))
    repo.put_agent(
        AgentProfile(SUPERVISOR, "acme", role="supervisor", queues=["q-support"], skills={})
    )
    for agent_id in AGENTS[1:]:
        cc.agents.set_status(Caller(agent_id, "acme"), "away")
    phones = [f"+1415555{6000 + n}" for n in range(6)]
    for n, phone in enumerate(phones):
        services.carrier.inbound(_text(100 + n, phone))
    center["routing"].take()
    cc.routing.route("acme", ["q-support"])
    offers = [repo.open_interaction(CHANNEL, p) for p in phones]
    assert all(o is not None and (o.state, o.agent_id) == (OFFERED, FROM) for o in offers)
    cc.agents.set_status(Caller(TO, "acme"), "available")
    moved, taken = offers[:3], offers[3:]

    def accept_once_offered(ix: str) -> None:
        """TO accepts as soon as the move has offered it to them (polls, with a deadline)."""
        deadline = time.monotonic() + 30
        while True:
            try:
                cc.agents.accept(Caller(TO, "acme"), ix)
                return
            except DomainError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    # (action, whether it may lose the race: FROM's accept after a hand-over is a 4xx)
    actions: list[tuple[Any, bool]] = []
    for offer in moved:
        ix = offer.interaction_id
        actions += [
            (
                lambda ix=ix: cc.supervision.transfer(
                    Caller(SUPERVISOR, "acme"), ix, TransferInteraction(agent_id=TO)
                ),
                False,
            ),
            (lambda ix=ix: cc.agents.accept(Caller(FROM, "acme"), ix), True),
            (lambda ix=ix: accept_once_offered(ix), False),
        ]
    for offer in taken:
        ix = offer.interaction_id
        actions += [
            (lambda ix=ix: cc.supervision.barge(Caller(SUPERVISOR, "acme"), ix), False),
            (lambda ix=ix: cc.agents.accept(Caller(FROM, "acme"), ix), True),
        ]
    start = threading.Barrier(len(actions))
    unexpected: list[BaseException] = []
    lost: list[BaseException] = []

    def race(action: Any, may_lose: bool) -> None:
        try:
            start.wait()
            action()
        except DomainError as error:
            if not may_lose:
                lost.append(error)
        except BaseException as error:
            unexpected.append(error)

    threads = [threading.Thread(target=race, args=pair) for pair in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unexpected == [] and lost == []

    conversations = services.adapters.conversations
    everyone = (FROM, TO, SUPERVISOR)
    listed = {a: {i.interaction_id for i in repo.agent_interactions(a)} for a in everyone}
    for offer, owner in [(o, TO) for o in moved] + [(o, SUPERVISOR) for o in taken]:
        stored = repo.get_interaction(offer.interaction_id)
        assert (stored.state, stored.agent_id) == (ACTIVE, owner)
        holders = [a for a, ids in listed.items() if stored.interaction_id in ids]
        assert holders == [owner]
        assert conversations.get(stored.conversation_id).members == [owner], stored
    agents = repo.get_agents(everyone)
    assert (agents[FROM].load, agents[FROM].total) == (0, 0)
    assert agents[TO].total == len(moved) and agents[SUPERVISOR].total == len(taken)


def _text(n: int, phone: str) -> Any:
    from chalicelib.domain.sms import InboundSms

    return InboundSms("twilio", f"SM{n:032d}", phone, CHANNEL, f"help {n}")
