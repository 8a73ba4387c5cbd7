"""The outbound SMS pipeline's timing rules: pacing per number, retry backoff, the
72-hour reconciler — against in-memory adapters and a hand-moved clock."""

from __future__ import annotations

import pytest

from chalicelib.domain.model import BusinessNumber
from chalicelib.domain.sms import ProviderRetryable
from chalicelib.services.common import Caller
from chalicelib.services.sms.sender import (
    RETRY_MAX_SECONDS,
    PacingDelay,
    requeue_delay,
    retry_delay,
)
from tests.support import World, seed_people, send

ALICE = Caller("u-alice", "acme", "admin")
SHOP, TOLL_FREE, CUSTOMER = "+14155550100", "+18885550100", "+14155552671"


@pytest.fixture
def world() -> World:
    w = World()
    people = seed_people(w.directory_repo)
    people["alice"].numbers = [SHOP, TOLL_FREE]
    w.directory_repo.put_user(people["alice"])
    w.sms_repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    w.sms_repo.put_number(BusinessNumber(TOLL_FREE, "acme", type="toll_free", users=["u-alice"]))
    return w


def queue_text(world: World, text: str, from_: str = SHOP, key: str = "k") -> dict:
    conversation, _ = world.services.sms.start(ALICE, CUSTOMER, from_)
    message, _ = send(world.services.conversations, ALICE, conversation.conversation_id, key, text)
    return message.to_dict()


def test_a_local_number_sends_one_segment_a_second(world: World) -> None:
    texts = [queue_text(world, f"text {n}", key=f"k{n}") for n in range(3)]
    for data in texts:
        world.services.sms_sender.deliver(data)
    assert len(world.providers.sent) == 3
    assert world.slept == [1.0, 2.0]  # the second waits a second, the third two


def test_a_toll_free_number_sends_three_segments_a_second(world: World) -> None:
    long_text = "x" * 306  # two segments
    data = [queue_text(world, long_text, TOLL_FREE, key=f"k{n}") for n in range(2)]
    for each in data:
        world.services.sms_sender.deliver(each)
    assert world.slept == [pytest.approx(2 / 3)]


def test_a_busy_number_books_each_text_a_slot_and_the_queue_hands_it_back_then(
    world: World,
) -> None:
    texts = [queue_text(world, "x" * 1530, key=f"k{n}") for n in range(3)]  # ten segments each
    world.services.sms_sender.deliver(texts[0])  # the number is free: out now
    waits = []
    for data in texts[1:]:
        with pytest.raises(PacingDelay) as err:
            world.services.sms_sender.deliver(data)
        waits.append(err.value.retry_after)
        assert requeue_delay(err.value, 1, lambda: 1.0) == int(err.value.retry_after)
    assert waits == [pytest.approx(10.0), pytest.approx(20.0)]  # one slot after another
    world.now += 5
    with pytest.raises(PacingDelay) as early:  # back too soon: the same slot, not a new one
        world.services.sms_sender.deliver(texts[2])
    assert early.value.retry_after == pytest.approx(15.0)
    world.now += 5
    world.services.sms_sender.deliver(texts[1])  # its slot
    world.now += 10
    world.services.sms_sender.deliver(texts[2])
    assert len(world.providers.sent) == 3
    assert world.slept == []  # nobody slept for a slot


def test_retry_backoff_grows_with_jitter_and_respects_retry_after() -> None:
    assert [retry_delay(n, None, lambda: 1.0) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert retry_delay(20, None, lambda: 1.0) == RETRY_MAX_SECONDS
    assert retry_delay(3, None, lambda: 0.25) == 10  # full jitter: anywhere up to the ceiling
    assert retry_delay(1, 120, lambda: 0.1) == 120  # never sooner than the provider asked


def test_a_provider_refusal_marks_the_text_failed_with_its_code(world: World) -> None:
    from chalicelib.domain.sms import ProviderRejected

    data = queue_text(world, "hello")
    world.providers.fail_with.append(ProviderRejected("invalid To", provider_code="21211"))
    assert world.services.sms_sender.deliver(data) == "failed"
    stored = world.conversation_repo.messages[(data["conversation_id"], data["seq"])]
    assert (stored.status, stored.error_code) == ("failed", "21211")


def test_texts_with_no_final_status_after_72_hours_become_unknown(world: World) -> None:
    data = queue_text(world, "hello")
    world.services.sms_sender.deliver(data)  # sending: the provider never called back
    world.now += 71 * 3600
    assert world.services.sms_sender.reconcile() == 0
    world.now += 2 * 3600
    assert world.services.sms_sender.reconcile() == 1
    stored = world.conversation_repo.messages[(data["conversation_id"], data["seq"])]
    assert stored.status == "unknown"
    assert world.services.sms_sender.reconcile() == 0  # final: never again


def test_a_timeout_is_never_resent_the_text_becomes_unknown(world: World) -> None:
    data = queue_text(world, "hello")
    world.providers.fail_with.append(ProviderRetryable("no answer", ambiguous=True))
    assert world.services.sms_sender.deliver(data) == "unknown"
    assert world.services.sms_sender.deliver(data) == "skipped"  # a redelivery sends nothing
    assert world.providers.sent == []
    stored = world.conversation_repo.messages[(data["conversation_id"], data["seq"])]
    assert (stored.status, stored.error_code) == ("unknown", "provider_timeout")


def test_a_certain_refusal_to_take_it_now_is_retried_then_failed_at_the_last_attempt(
    world: World,
) -> None:
    data = queue_text(world, "hello")
    world.providers.fail_with.append(ProviderRetryable("503", retry_after=5))
    with pytest.raises(ProviderRetryable):
        world.services.sms_sender.deliver(data)
    assert world.conversation_repo.messages[(data["conversation_id"], data["seq"])].status == (
        "queued"
    )  # released for the retry
    world.now += 10
    world.providers.fail_with.append(ProviderRetryable("503"))
    assert world.services.sms_sender.deliver(data, final_attempt=True) == "failed"
    stored = world.conversation_repo.messages[(data["conversation_id"], data["seq"])]
    assert (stored.status, stored.error_code) == ("failed", "provider_unavailable")


def test_a_text_deleted_while_queued_never_goes_out(world: World) -> None:
    data = queue_text(world, "oops")
    world.services.conversations.delete_message(ALICE, data["conversation_id"], data["id"])
    world.services.sms_sender.deliver(data)
    assert world.providers.sent == []


def test_two_attempts_at_once_send_once(world: World) -> None:
    data = queue_text(world, "hello")
    assert world.sms_repo.claim_send(data["conversation_id"], data["seq"]) is True  # attempt 1
    assert world.services.sms_sender.deliver(data) == "skipped"  # attempt 2 finds it claimed
    assert world.providers.sent == []


def test_a_stop_whose_first_attempt_failed_is_recorded_on_the_retry(world: World) -> None:
    from chalicelib.domain.sms import InboundSms

    text = InboundSms(
        provider="twilio", provider_message_id="SM1", from_=CUSTOMER, to=SHOP, body="STOP"
    )
    real = world.sms_repo.set_opt_out
    calls = []

    def failing_once(*args: object, **kwargs: object) -> bool:
        if not calls:
            calls.append(1)
            raise RuntimeError("throttled")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    world.sms_repo.set_opt_out = failing_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        world.services.carrier.inbound(text)
    reply = world.services.carrier.inbound(text)  # the provider retries the webhook
    assert reply is not None and "unsubscribed" in reply
    assert world.sms_repo.opted_out(SHOP, CUSTOMER) is True
    assert world.services.carrier.inbound(text) is None  # and only one confirmation


def test_the_sender_number_defaults_to_the_one_last_used_with_that_contact(world: World) -> None:
    first, _ = world.services.sms.start(ALICE, CUSTOMER)
    assert first.business_number == SHOP  # no history: the user's default (first) number
    world.services.sms.start(ALICE, CUSTOMER, TOLL_FREE)
    other, _ = world.services.sms.start(ALICE, CUSTOMER, TOLL_FREE)
    send(world.services.conversations, ALICE, other.conversation_id, "k", "from toll-free")
    again, created = world.services.sms.start(ALICE, CUSTOMER)
    assert (again.business_number, created) == (TOLL_FREE, False)


def test_an_inbound_text_reads_its_key_once_and_creates_its_conversation_once(
    world: World,
) -> None:
    """The provider id is checked once, read with the conversation of (number, phone)
    in one request (the first text, whose conversation is made now, has nothing to
    check); the conversation is created only for the first text (no cancelled
    transaction)."""
    from chalicelib.domain.sms import InboundSms

    repo = world.conversation_repo
    calls: dict[str, int] = {"get_for_send": 0, "find_by_client_id": 0, "create": 0}
    for name in calls:
        real = getattr(repo, name)

        def counted(*args: object, _real: object = real, _name: str = name) -> object:
            calls[_name] += 1
            return _real(*args)  # type: ignore[operator]

        setattr(repo, name, counted)
    for n in range(3):
        text = InboundSms(
            provider="twilio", provider_message_id=f"SM{n}", from_=CUSTOMER, to=SHOP, body="hi"
        )
        world.services.carrier.inbound(text)
    world.services.carrier.inbound(text)  # the provider retries the last webhook
    assert calls == {"get_for_send": 4, "find_by_client_id": 0, "create": 1}
    assert len(world.conversation_repo.messages) == 3


def test_a_replayed_inbound_text_leaves_a_hidden_conversation_hidden(world: World) -> None:
    from chalicelib.domain.model import sms_conversation_id
    from chalicelib.domain.sms import InboundSms

    text = InboundSms(
        provider="twilio", provider_message_id="SM9", from_=CUSTOMER, to=SHOP, body="hi"
    )
    world.services.carrier.inbound(text)
    conversation_id = sms_conversation_id(SHOP, CUSTOMER)
    world.services.conversations.set_flags(ALICE, conversation_id, hidden=True)
    world.services.carrier.inbound(text)  # the carrier redelivers the same text
    membership = world.conversation_repo.get_membership("u-alice", conversation_id)
    assert membership is not None and membership.hidden is True


def test_a_status_callback_that_overtakes_the_provider_id_still_finds_its_text(
    world: World,
) -> None:
    """Twilio may call back before the sender has recorded Twilio's id: our message
    id in the callback URL finds the text, once and for that text only."""
    from chalicelib.domain.sms import StatusUpdate

    data = queue_text(world, "on its way")
    conversation_id, seq = data["conversation_id"], data["seq"]
    assert world.sms_repo.claim_send(conversation_id, seq)  # the sender called Twilio
    update = StatusUpdate("twilio", "SM" + "7" * 32, "delivered", "delivered", final=True)
    assert world.services.carrier.status(update) is False  # without our id: nothing to find
    assert world.services.carrier.status(update, data["id"]) is True
    assert world.conversation_repo.get_message(conversation_id, seq).status == "delivered"
    other = StatusUpdate("twilio", "SM" + "8" * 32, "failed", "failed", final=True)
    assert world.services.carrier.status(other, data["id"]) is False  # not that text's id
    assert world.sms_repo.find_provider_message("twilio", other.provider_message_id) is None
    assert world.services.carrier.status(update, f"{conversation_id}.999") is False
