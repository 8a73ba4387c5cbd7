"""Connections and the fan-out to devices, against in-memory adapters."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.model import Event
from tests.support import KEYS, KeyPair, World, seed_people


@pytest.fixture
def world() -> World:
    w = World()
    seed_people(w.directory_repo)
    return w


def test_connect_with_a_valid_token_registers_the_connection(world: World) -> None:
    connection = world.services.connections.connect("c-1", KEYS.token("u-alice"))
    assert connection.user_id == "u-alice" and connection.company_id == "acme"
    assert [c.connection_id for c in world.connection_repo.list_for_user("u-alice")] == ["c-1"]


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-jwt",
        KeyPair("other").token("u-alice"),
        KEYS.token("u-alice", aud="x"),
        KEYS.token("u-alice", token_use="access"),
        KEYS.token("u-alice", exp=1_000_000),
        KEYS.token("u-alice", iss="https://evil.test"),
        KEYS.token("u-nobody"),
    ],
    ids=[
        "none",
        "empty",
        "garbage",
        "unknown-key",
        "wrong-audience",
        "access-token",
        "expired",
        "wrong-issuer",
        "no-profile",
    ],
)
def test_connect_with_a_bad_token_is_refused_and_stores_nothing(world: World, token: str) -> None:
    with pytest.raises(Unauthorized):
        world.services.connections.connect("c-1", token)
    assert world.connection_repo.connections == {}


def test_every_device_of_every_recipient_gets_the_event(world: World) -> None:
    for cid, user in [("a1", "u-alice"), ("a2", "u-alice"), ("b1", "u-bob"), ("c1", "u-carol")]:
        world.services.connections.connect(cid, KEYS.token(user))
    event = Event("e1", "message.created", "acme", ["u-alice", "u-bob"], {"seq": 1}, "conv")
    result = world.services.fanout.deliver(event)
    assert result.delivered == 3
    assert set(world.sender.frames) == {"a1", "a2", "b1"}
    assert world.sender.frames["b1"] == [{"type": "message.created", "data": {"seq": 1}}]


def test_a_gone_connection_is_removed_and_the_others_still_receive(world: World) -> None:
    for cid in ("a1", "a2"):
        world.services.connections.connect(cid, KEYS.token("u-alice"))
    world.services.connections.connect("b1", KEYS.token("u-bob"))
    world.sender.gone.add("a1")
    result = world.services.fanout.deliver(
        Event("e1", "message.created", "acme", ["u-alice", "u-bob"], {}, "conv")
    )
    assert result.gone == ["a1"]
    assert world.connection_repo.get("a1") is None
    assert world.connection_repo.get("a2") is not None and world.connection_repo.get("b1")
    assert set(world.sender.frames) == {"a2", "b1"}


def test_disconnect_removes_exactly_that_connection(world: World) -> None:
    world.services.connections.connect("a1", KEYS.token("u-alice"))
    world.services.connections.connect("a2", KEYS.token("u-alice"))
    world.services.connections.disconnect("a1")
    assert [c.connection_id for c in world.connection_repo.list_for_user("u-alice")] == ["a2"]


def test_devices_are_posted_to_at_once_not_one_after_another(world: World) -> None:
    """Ten devices of one user: every post is under way before any finishes (a
    barrier of ten only opens if the posts run side by side)."""
    import threading

    for n in range(10):
        world.services.connections.connect(f"d{n}", KEYS.token("u-bob"))
    barrier = threading.Barrier(10, timeout=10)
    real_send = world.sender.send

    def slow_send(connection_id: str, frame: dict[str, object]) -> None:
        barrier.wait()  # raises BrokenBarrierError if the posts come one at a time
        real_send(connection_id, frame)

    world.sender.send = slow_send  # type: ignore[method-assign]
    result = world.services.fanout.deliver(
        Event("e1", "message.created", "acme", ["u-bob"], {"seq": 1}, "conv")
    )
    assert result.delivered == 10
    assert len(world.sender.frames) == 10


# -- the head repair read ------------------------------------------------------------


def _message_event(world: World, head_seq: int | None) -> tuple[Event, list[str]]:
    """A stored message (seq 1) whose head the send did move; counts head reads."""
    from tests.support import create_im, send

    alice = world.services.connections.caller(
        world.services.connections.connect("a1", KEYS.token("u-alice"))
    )
    conv, _ = create_im(world.services.conversations, alice, ["u-bob"])
    message, _ = send(world.services.conversations, alice, conv["id"], "k1", "hello")
    reads: list[str] = []
    real_get = world.conversation_repo.get

    def get(conversation_id: str):  # type: ignore[no-untyped-def]
        reads.append(conversation_id)
        return real_get(conversation_id)

    world.conversation_repo.get = get  # type: ignore[method-assign]
    event = Event(
        f"message.created:{message.message_id}:created",
        "message.created",
        "acme",
        ["u-alice", "u-bob"],
        message.to_dict(),
        conv["id"],
        head_seq=head_seq,
    )
    return event, reads


def test_no_head_read_when_the_outbox_saw_the_head_current(world: World) -> None:
    event, reads = _message_event(world, head_seq=1)
    world.services.fanout.deliver(event)
    assert reads == []


@pytest.mark.parametrize("head_seq", [None, 0])
def test_the_head_is_read_when_unknown_or_behind(world: World, head_seq: int | None) -> None:
    event, reads = _message_event(world, head_seq)
    world.services.fanout.deliver(event)
    assert reads == [event.conversation_id]


def test_the_head_the_outbox_saw_travels_with_the_event_but_not_in_its_frame() -> None:
    event = Event("e1", "message.created", "acme", ["u-bob"], {"seq": 3}, "c1", head_seq=3)
    assert Event.from_dict(event.to_dict()).head_seq == 3
    assert event.frame() == {"type": "message.created", "data": {"seq": 3}}
    assert "head_seq" not in Event("e2", "typing", "acme", [], {}).to_dict()
    assert Event.from_dict({**event.to_dict(), "head_seq": "3"}).head_seq is None


def test_a_connect_that_races_an_offboarding_is_not_left_open(world: World) -> None:
    """The profile read said enabled, then the offboarding listed (and closed) the
    person's connections before this one was added: the connect reads again and
    refuses, leaving nothing behind for the fan-out."""
    directory = world.directory_repo
    reads = {"n": 0}
    real_get_user = directory.get_user

    def get_user(user_id: str):  # type: ignore[no-untyped-def]
        reads["n"] += 1
        if reads["n"] == 2:  # between the two reads, the offboarding ran
            directory.set_enabled(user_id, False)
        return real_get_user(user_id)

    directory.get_user = get_user  # type: ignore[method-assign]
    with pytest.raises(Unauthorized) as refused:
        world.services.connections.connect("c-race", KEYS.token("u-bob"))
    assert refused.value.code == "account_disabled"
    assert world.connection_repo.list_for_user("u-bob") == []
