"""The contact center's events come from stored changes (the table's stream and the
outbox on AWS; ``CenterWorld.outbox`` here), and supervisors' ``queue.updated`` is
throttled per queue with the last state always delivered."""

from __future__ import annotations

from chalicelib.domain.contact_center_records import QUEUE_UPDATE_INTERVAL_S
from chalicelib.domain.model import User
from tests.contact_center_support import CHANNEL, CUSTOMER, SUPPORT, world


def test_services_publish_nothing_themselves_the_outbox_derives_every_event() -> None:
    w = world()
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    w.text(CUSTOMER)
    w.runner.run()
    assert [e.type for e in w.publisher.events if e.type.startswith("interaction.")] == []
    offered = w.events("interaction.offered", "u-bob")  # the outbox runs here
    assert len(offered) == 1
    data = offered[0].data
    assert data["state"] == "offered" and data["offer_expires_at"]
    assert data["customer"]["phone"] == CUSTOMER and data["customer"]["cases"] == []
    ix = w.cc_repo.open_interaction(CHANNEL, CUSTOMER)
    w.text(CUSTOMER, "anyone?")  # only the customer's last text time changes: no event
    w.cc.agents.reject(w.caller("u-bob"), ix.interaction_id)
    updated = w.events("interaction.updated", "u-bob")
    assert [e.data["state"] for e in updated] == ["waiting"]  # to the agent it left
    assert updated[0].event_id == f"interaction.updated:{ix.interaction_id}:{ix.version + 1}"


def test_replaying_a_change_gives_the_same_event_ids() -> None:
    w = world()
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    w.text(CUSTOMER)
    w.runner.run()
    changes = list(w.cc_repo.changes)
    first = [e.event_id for k, o, n in changes for e in w.cc.events.from_change(k, o, n)]
    again = [e.event_id for k, o, n in changes for e in w.cc.events.from_change(k, o, n)]
    assert first and first == again


def test_a_burst_gives_supervisors_one_update_per_interval_and_then_the_last_state() -> None:
    w = world()
    for n in range(20):
        w.text(f"+1415555{3000 + n}")
        w.runner.run()
        w.now += 0.1  # 20 customers within 2 seconds
    updates = w.events("queue.updated", "u-alice")
    assert len(updates) == 1  # the first change; the rest are held back
    assert [m for m in w.runner.timers("queue_flush")]  # one coalesced flush is armed
    assert len(w.runner.timers("queue_flush")) == 1
    w.now += QUEUE_UPDATE_INTERVAL_S
    w.runner.run()
    updates = w.events("queue.updated", "u-alice")
    assert len(updates) == 2
    assert (updates[-1].data["queue_id"], updates[-1].data["waiting"]) == (SUPPORT, 20)
    w.now += 60  # waiting checks run; nothing changed but they route: at most one each interval
    w.runner.run()
    assert len(w.events("queue.updated", "u-alice")) <= 2 + 60 // QUEUE_UPDATE_INTERVAL_S + 1


def test_a_flush_that_finds_a_later_publication_does_not_publish_twice() -> None:
    w = world()
    w.text(CUSTOMER)
    w.runner.run()
    w.text("+14155552672")
    w.runner.run()  # within the interval: a flush is armed
    [flush] = w.runner.timers("queue_flush")
    w.now += QUEUE_UPDATE_INTERVAL_S + 1
    w.cc.supervisor.publish("acme", [SUPPORT])  # a routing pass publishes first
    w.cc.handle(flush)  # the flush it armed finds a newer publication
    assert len(w.events("queue.updated", "u-alice")) == 2


def test_an_agents_routing_status_shows_in_their_presence_for_co_workers() -> None:
    w = world()
    w.directory_repo.put_user(User("u-gil", "acme", "Gil Gray", "gil@acme.test"))  # not an agent
    dave = w.caller("u-gil")
    assert w.services.directory.co_worker(dave, "u-bob")["presence"]["agent_status"] == "offline"
    assert "agent_status" not in w.services.directory.co_worker(dave, "u-gil")["presence"]
    w.cc.agents.set_status(w.caller("u-bob"), "available")
    assert w.services.directory.co_worker(dave, "u-bob")["presence"]["agent_status"] == "available"
    listed = w.services.directory.list_directory(dave, 50, None).items
    shown = {u["user_id"]: u["presence"].get("agent_status") for u in listed}
    assert shown["u-bob"] == "available" and shown["u-carol"] == "offline"
    assert shown["u-gil"] is None
    w.cc.agents.set_status(w.caller("u-bob"), "away")
    changed = [e for e in w.events("presence.changed") if e.data["user_id"] == "u-bob"]
    assert [e.data["presence"]["agent_status"] for e in changed] == ["available", "away"]
    assert changed[-1].audience == "watchers" and changed[-1].recipients == ["u-bob"]
