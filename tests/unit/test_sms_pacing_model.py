"""SMS pacing under concurrency, modelled: the real ``SmsService.deliver()`` run by
~20 concurrent queue consumers on one number, on a fake clock.

The model plays SQS and Lambda: a queue of texts with visibility timeouts and
receive counts (``maxReceiveCount`` as in ``chalicelib.resources``), consumers
that take one message at a time (the sender's batch size), hand it to
``deliver()`` and, when it raises ``ProviderRetryable``, push its visibility out
by the delay ``chalicelib.api.consumers`` would. ``deliver()``'s sleeps move
that consumer's clock; the fake provider records when each text went out.

What must hold (issue 12): the number sends at ≥ 95% of its rate, no text fails
because of pacing, and no Lambda sleeps long.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.domain.model import BusinessNumber
from chalicelib.domain.sms import ProviderRetryable
from chalicelib.services import sms as sms_service
from chalicelib.services.common import Caller
from tests.support import World, seed_people, send

ALICE = Caller("u-alice", "acme", "admin")
SHOP = "+14155550100"
CONSUMERS = 20
TEXTS = 600
INVOCATION_SECONDS = 0.05  # a consumer's own work around deliver()


@dataclass
class QueuedText:
    data: dict[str, Any]
    visible_at: float = 0.0
    receives: int = 0
    in_flight: bool = False
    done: bool = False


@dataclass
class Figures:
    sent_at: list[float] = field(default_factory=list)
    failed: int = 0
    dead_lettered: int = 0
    bounces: int = 0
    slept: list[float] = field(default_factory=list)

    def share_of_rate(self, rate: float) -> float:
        if len(self.sent_at) < 2:
            return 0.0
        span = max(self.sent_at) - min(self.sent_at)
        return (len(self.sent_at) - 1) / span / rate if span else float("inf")


def requeue_delay(trouble: ProviderRetryable, receives: int, rng: random.Random) -> int:
    """What the SMS consumer does with a text ``deliver()`` handed back."""
    return int(sms_service.requeue_delay(trouble, receives, rng.random))


def run_model(consumers: int = CONSUMERS, texts: int = TEXTS, seed: int = 12) -> Figures:
    figures = Figures()

    def sleep(seconds: float) -> None:
        figures.slept.append(seconds)
        world.now += seconds  # the consumer's own clock moves while it sleeps

    world = World(
        sleep=sleep,
        sms_rate_per_user_per_minute=100_000,
        sms_rate_per_company_per_minute=100_000,
    )
    people = seed_people(world.directory_repo)
    people["alice"].numbers = [SHOP]
    world.directory_repo.put_user(people["alice"])
    world.sms_repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    svc = world.services.sms
    queue: list[QueuedText] = []
    for n in range(texts):
        conversation, _ = svc.start(ALICE, f"+1646555{n:04d}")
        message, _ = send(
            world.services.conversations,
            ALICE,
            conversation.conversation_id,
            f"k{n}",
            "Your order is ready",
        )
        queue.append(QueuedText(message.to_dict()))

    rng = random.Random(seed)
    provider_send = world.providers.send

    def provider(**kwargs: Any) -> Any:
        figures.sent_at.append(world.now)
        return provider_send(**kwargs)

    setattr(world.providers, "send", provider)  # noqa: B010 - record when each text went out
    max_receives = resources.SMS_OUTBOUND_QUEUE.max_receive_count
    start = world.now
    free: list[tuple[float, int]] = [(start, n) for n in range(consumers)]
    heapq.heapify(free)
    while any(not t.done for t in queue):
        at, consumer = heapq.heappop(free)
        ready = [t for t in queue if not t.done and not t.in_flight and t.visible_at <= at]
        if not ready:
            waiting = [t.visible_at for t in queue if not t.done and not t.in_flight]
            heapq.heappush(free, (max(at + 0.1, min(waiting, default=at + 0.1)), consumer))
            continue
        text = min(ready, key=lambda t: t.visible_at)
        text.receives += 1
        if text.receives > max_receives:  # SQS's redrive policy: to the dead-letter queue
            text.done = True
            figures.dead_lettered += 1
            heapq.heappush(free, (at, consumer))
            continue
        world.now = at
        try:
            status = world.services.sms_sender.deliver(
                text.data, final_attempt=text.receives >= max_receives
            )
        except ProviderRetryable as trouble:
            figures.bounces += 1
            text.visible_at = world.now + requeue_delay(trouble, text.receives, rng)
        else:
            text.done = True
            figures.failed += status == "failed"
        heapq.heappush(free, (world.now + INVOCATION_SECONDS, consumer))
    return figures


def test_one_number_under_twenty_consumers_holds_its_rate_with_no_failures() -> None:
    figures = run_model()
    rate = World().services.settings.sms_pacing_local_per_second
    share = figures.share_of_rate(rate)
    print(
        f"\n{CONSUMERS} consumers, {TEXTS} texts at {rate:g}/s: sent {len(figures.sent_at)}, "
        f"failed {figures.failed}, dead-lettered {figures.dead_lettered}, "
        f"bounces {figures.bounces}, {share:.0%} of the rate, "
        f"longest sleep {max(figures.slept, default=0):.1f} s, "
        f"total sleep {sum(figures.slept):.0f} s"
    )
    assert figures.failed == 0 and figures.dead_lettered == 0
    assert len(figures.sent_at) == TEXTS
    assert share >= 0.95
    assert max(figures.slept, default=0) <= 2.0  # Lambdas do not sleep for their slot


@pytest.mark.parametrize("consumers", [1, 5])
def test_few_consumers_also_hold_the_rate(consumers: int) -> None:
    figures = run_model(consumers=consumers, texts=120)
    assert figures.failed == 0 and figures.dead_lettered == 0
    assert figures.share_of_rate(1.0) >= 0.95
