"""A contact center to test against: the demo-like setup (a channel, Support and
Sales queues, agents) on the in-memory World, and a runner for the routing queue
that keeps delayed messages (timers) until the test moves the clock past them."""

from __future__ import annotations

from typing import Any

from chalicelib.bootstrap import bootstrap
from chalicelib.domain.contact_center import AgentProfile, Channel, Interaction, Queue
from chalicelib.domain.model import BusinessNumber, Message, User, sms_conversation_id
from chalicelib.domain.sms import InboundSms
from chalicelib.services.common import Caller
from tests import fakes
from tests.fakes.contact_center import MemoryContactCenterRepository, MemoryRoutingQueue
from tests.support import World, seed_people, settings, verifier

CHANNEL = "+14155550180"
SUPPORT, SALES = "q-support", "q-sales"
CUSTOMER, OTHER = "+14155552671", "+14155552672"


class RoutingRunner:
    """Runs the routing queue's messages; a delayed one waits until ``now`` reaches it."""

    def __init__(self, queue: MemoryRoutingQueue, contact_center: Any, clock: Any) -> None:
        self.queue = queue
        self.cc = contact_center
        self.clock = clock  # () -> epoch seconds
        self.pending: list[tuple[float, int, dict[str, Any]]] = []
        self._n = 0
        self.handled: list[dict[str, Any]] = []

    def _collect(self) -> None:
        for message, due in self.queue.take():
            self._n += 1
            self.pending.append((due, self._n, message))

    def run(self, limit: int = 10_000) -> int:
        """Handle every message that is due (and those they enqueue); returns how many."""
        done = 0
        while done < limit:
            self._collect()
            due = sorted(p for p in self.pending if p[0] <= self.clock())
            if not due:
                return done
            first = due[0]
            self.pending.remove(first)
            self.handled.append(first[2])
            self.cc.handle(first[2])
            done += 1
        raise AssertionError("routing did not settle")

    def timers(self, kind: str) -> list[dict[str, Any]]:
        self._collect()
        return [m for _, _, m in self.pending if m.get("kind") == kind]


class CenterWorld(World):
    """World + a contact center on the fake repository (or the one given)."""

    def __init__(self, repo: Any = None, **overrides: Any) -> None:
        super().__init__(**overrides)
        self.cc_repo = repo or MemoryContactCenterRepository(lambda: self.now)
        self.routing_queue = MemoryRoutingQueue(lambda: self.now)
        self.handled_repo = fakes.MemoryHandledInteractions()  # search's records
        self.services = bootstrap(
            settings(**overrides),
            directory=self.directory_repo,
            contacts=self.contact_repo,
            conversations=self.conversation_repo,
            connections=self.connection_repo,
            publisher=self.publisher,
            sender=self.sender,
            verifier=verifier(),
            presence=self.presence_repo,
            sms=self.sms_repo,
            compliance=self.compliance_repo,
            registration_source=self.registration_source,
            sms_account=fakes.FakeSmsAccount(),
            providers=lambda name: self.providers,
            sleep=self.slept.append,
            notifications=self.notification_repo,
            push=self.push,
            media=self.media,
            idempotency=self.dedup,
            clock=self.clock,
            epoch=lambda: self.now,
            contact_center=self.cc_repo,
            routing_queue=self.routing_queue,
            handled_interactions=self.handled_repo,
        )
        self.cc = self.services.contact_center
        self.runner = RoutingRunner(self.routing_queue, self.cc, lambda: self.now)
        self._texts = 0

    def text(self, phone: str, body: str = "hello", to: str = CHANNEL) -> str | None:
        """An external phone texts the channel (as the webhook would hand it over)."""
        self._texts += 1
        return self.services.carrier.inbound(
            InboundSms("twilio", f"SM{self._texts:030d}", phone, to, body)
        )

    def caller(self, user_id: str) -> Caller:
        user = self.directory_repo.get_user(user_id)
        assert user is not None
        return Caller(user.user_id, user.company_id, user.role)

    def outbox(self) -> None:
        """What the table's stream and the outbox do on AWS: every stored change of the
        fake repository becomes the events the contact center derives from it."""
        changes = list(self.cc_repo.changes)
        del self.cc_repo.changes[: len(changes)]
        for kind, old, new in changes:
            self.publisher.publish(self.cc.events.from_change(kind, old, new))

    def events(self, kind: str, agent_id: str | None = None) -> list[Any]:
        self.outbox()
        return [
            e
            for e in self.publisher.events
            if e.type == kind and (agent_id is None or agent_id in e.recipients)
        ]


def seed_center(
    repo: Any,
    directory: Any,
    sms_repo: Any,
    agents: dict[str, dict[str, Any]] | None = None,
    **queue_settings: Any,
) -> dict[str, User]:
    """acme runs a contact center on CHANNEL: Support (skill support ≥ 2) and Sales
    (sales ≥ 1); bob is skilled for support, carol for both, alice (admin) supervises."""
    people = seed_people(directory)
    agents = agents or {
        "u-bob": {"skills": {"support": 3}, "queues": [SUPPORT]},
        "u-carol": {"skills": {"support": 2, "sales": 4}, "queues": [SUPPORT, SALES]},
    }
    sms_repo.put_number(BusinessNumber(CHANNEL, "acme", users=sorted(agents)))
    for user_id in agents:
        user = directory.get_user(user_id) or User(user_id, "acme", user_id, f"{user_id}@acme.test")
        user.numbers = [CHANNEL]
        directory.put_user(user)
    repo.put_queue(Queue(SUPPORT, "acme", "Support", skills={"support": 2}, **queue_settings))
    repo.put_queue(Queue(SALES, "acme", "Sales", skills={"sales": 1}, **queue_settings))
    repo.put_channel(Channel(CHANNEL, "acme", SUPPORT))
    for user_id, profile in agents.items():
        repo.put_agent(AgentProfile(user_id, "acme", name=user_id, **profile))
    repo.put_agent(AgentProfile("u-alice", "acme", name="Alice", role="supervisor"))
    return people


def world(repo: Any = None, **queue_settings: Any) -> CenterWorld:
    """A CenterWorld seeded with the demo-like center (queue settings for both queues)."""
    w = CenterWorld(repo=repo)
    seed_center(w.cc_repo, w.directory_repo, w.sms_repo, **queue_settings)
    return w


def available(w: CenterWorld, *user_ids: str) -> None:
    for user_id in user_ids:
        w.cc.agents.set_status(w.caller(user_id), "available")


def only_open(w: CenterWorld, phone: str = CUSTOMER) -> Interaction:
    found = w.cc_repo.open_interaction(CHANNEL, phone)
    assert found is not None
    return found  # type: ignore[no-any-return]


def replies(w: CenterWorld, phone: str = CUSTOMER) -> list[Message]:
    """The automatic replies stored in the customer's conversation with the channel."""
    page = w.conversation_repo.list_messages(
        sms_conversation_id(CHANNEL, phone), 100, None, after_seq=0
    )
    return [m for m in page.items if m.direction == "outbound"]


def reply_texts(w: CenterWorld, phone: str = CUSTOMER) -> list[str]:
    return [m.text for m in replies(w, phone)]
