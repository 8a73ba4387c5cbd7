"""Quiet hours: automated texts to US numbers only between 8am and 8pm in the
recipient's time (the zone from the area code, the narrower window where an area code
spans two), a person's text and an answer to the customer's own text never held."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain import quiet_hours
from chalicelib.domain.model import BusinessNumber
from chalicelib.domain.quiet_hours import AREA_ZONES, ZONES, hold_until
from chalicelib.domain.sms import InboundSms
from chalicelib.services.common import Caller
from chalicelib.services.sms.sender import QuietHoursHold, requeue_delay
from tests.support import World, seed_people, send


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "number, now, until",
    [
        # New York (Eastern, daylight time in July: UTC-4)
        ("+12125550100", "2026-07-01T11:59", "2026-07-01T12:00"),  # 7:59am: waits a minute
        ("+12125550100", "2026-07-01T12:00", None),  # 8:00am
        ("+12125550100", "2026-07-01T23:59", None),  # 7:59pm
        ("+12125550100", "2026-07-02T00:00", "2026-07-02T12:00"),  # 8:00pm: never after
        # New York in January (standard time, UTC-5)
        ("+12125550100", "2026-01-15T12:30", "2026-01-15T13:00"),
        # San Francisco (Pacific)
        ("+14155550100", "2026-07-01T14:00", "2026-07-01T15:00"),
        # Phoenix keeps no daylight time: 8am there is 15:00 UTC all year
        ("+16025550100", "2026-07-01T14:30", "2026-07-01T15:00"),
        ("+16025550100", "2026-01-15T14:30", "2026-01-15T15:00"),
        # Honolulu (UTC-10), San Juan (UTC-4), Guam (UTC+10)
        ("+18085550100", "2026-07-01T17:00", "2026-07-01T18:00"),
        ("+17875550100", "2026-07-01T11:00", "2026-07-01T12:00"),
        ("+16715550100", "2026-07-01T10:00", "2026-07-01T22:00"),
        # Florida's panhandle (850: Central and Eastern): 8am Central, 8pm Eastern
        ("+18505550100", "2026-07-01T12:30", "2026-07-01T13:00"),  # 8:30am ET, 7:30am CT
        ("+18505550100", "2026-07-01T13:00", None),
        ("+18505550100", "2026-07-01T23:59", None),  # 7:59pm ET
        ("+18505550100", "2026-07-02T00:30", "2026-07-02T13:00"),  # 8:30pm ET, 7:30pm CT
        # Idaho (208: Mountain and Pacific)
        ("+12085550100", "2026-07-01T14:30", "2026-07-01T15:00"),  # 8:30am MT, 7:30am PT
        # A toll-free or unknown area code: 8am Pacific to 8pm Eastern
        ("+18005550100", "2026-07-01T14:00", "2026-07-01T15:00"),
        ("+18005550100", "2026-07-02T00:00", "2026-07-02T15:00"),
        # The night daylight time starts (8 March 2026): 8am EDT is 12:00 UTC
        ("+12125550100", "2026-03-08T11:00", "2026-03-08T12:00"),
        # ... and the night it ends (1 November 2026): 8am EST is 13:00 UTC
        ("+12125550100", "2026-11-01T12:00", "2026-11-01T13:00"),
    ],
)
def test_an_automated_text_waits_for_8am_to_8pm_in_the_recipients_time(
    number: str, now: str, until: str | None
) -> None:
    country = "GU" if number.startswith("+1671") else "US"
    expected = utc(until) if until else None
    assert hold_until(utc(now), number, country) == expected


def test_numbers_outside_the_us_are_not_held() -> None:
    night = utc("2026-07-01T06:00")  # 2am in Toronto
    assert hold_until(night, "+14165550100", "CA") is None
    assert hold_until(night, "+442071838750", "GB") is None


def test_every_area_code_of_the_table_has_a_window_every_day() -> None:
    """Each code's zones are within a few hours of each other, so 8am-8pm overlaps."""
    for code, zones in AREA_ZONES.items():
        assert len(code) == 3 and code.isdigit()
        for month in (1, 7):
            morning = utc(f"2026-{month:02d}-10T00:00")
            opened = quiet_hours.next_open(morning, tuple(ZONES[z] for z in zones))
            assert quiet_hours.open_at(opened, tuple(ZONES[z] for z in zones)), code
            assert (opened - morning).total_seconds() < 36 * 3600, code


# -- the sender holds automated texts -----------------------------------------------------

ALICE = Caller("u-alice", "acme", "admin")
SHOP, CUSTOMER = "+14155550100", "+14155552671"  # World's clock: midnight in San Francisco


@pytest.fixture
def world() -> World:
    w = World()
    people = seed_people(w.directory_repo)
    people["alice"].numbers = [SHOP]
    w.directory_repo.put_user(people["alice"])
    w.sms_repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    return w


def quiet_hours_on(world: World) -> None:
    from chalicelib.services.commands import Changes

    world.services.texting.update(ALICE, Changes({"quiet_hours": True}))


def queue(world: World, key: str, sender: str = "u-alice") -> dict:
    conversation, _ = world.services.sms.start(ALICE, CUSTOMER, SHOP)
    message, _ = send(world.services.conversations, ALICE, conversation.conversation_id, key, "Hi")
    if sender != "u-alice":  # as a scheduled send, a survey or the contact center stores it
        stored = world.conversation_repo.messages[(conversation.conversation_id, message.seq)]
        stored.sender = sender
    return message.to_dict()


def test_an_automated_text_at_night_waits_for_8am_there(world: World) -> None:
    quiet_hours_on(world)
    data = queue(world, "survey", sender="automation:survey")
    with pytest.raises(QuietHoursHold) as held:
        world.services.sms_sender.deliver(data)
    assert held.value.retry_after == pytest.approx(8 * 3600, abs=1)  # midnight → 8am
    assert requeue_delay(held.value, 1, lambda: 1.0) == pytest.approx(8 * 3600, abs=1)
    assert world.providers.sent == []
    world.now += 8 * 3600  # 8am in San Francisco
    assert world.services.sms_sender.deliver(data) == "sending"
    assert len(world.providers.sent) == 1


def test_a_held_text_on_the_queues_last_attempt_fails_rather_than_go_out_at_night(
    world: World,
) -> None:
    quiet_hours_on(world)
    data = queue(world, "bulk", sender="automation:bulk")
    assert world.services.sms_sender.deliver(data, final_attempt=True) == "failed"
    stored = world.conversation_repo.messages[(data["conversation_id"], data["seq"])]
    assert stored.error_code == "quiet_hours" and world.providers.sent == []


def test_a_persons_text_is_never_held(world: World) -> None:
    quiet_hours_on(world)
    assert world.services.sms_sender.deliver(queue(world, "mine")) == "sending"


def test_quiet_hours_are_off_by_default(world: World) -> None:
    data = queue(world, "survey", sender="automation:survey")
    assert world.services.sms_sender.deliver(data) == "sending"


def test_an_automatic_answer_to_the_customers_own_text_is_never_held(world: World) -> None:
    quiet_hours_on(world)
    world.services.carrier.inbound(InboundSms("twilio", "SM-in-1", CUSTOMER, SHOP, "Open now?"))
    data = queue(world, "closed", sender="contact-center")  # "we are closed" answers it
    assert world.services.sms_sender.deliver(data) == "sending"


def test_an_answer_window_is_24_hours(world: World) -> None:
    quiet_hours_on(world)
    world.services.carrier.inbound(InboundSms("twilio", "SM-in-1", CUSTOMER, SHOP, "Thanks!"))
    world.now += 25 * 3600  # the next night
    data = queue(world, "survey", sender="automation:survey")
    with pytest.raises(QuietHoursHold):
        world.services.sms_sender.deliver(data)


# Found by a review: any inbound of the last 24 hours released any automated text. Only a
# text the recipient sent in this conversation before the automated one was stored does.


def test_a_customers_text_after_an_automated_text_was_queued_does_not_release_it(
    world: World,
) -> None:
    quiet_hours_on(world)
    data = queue(world, "survey", sender="automation:survey")
    world.services.carrier.inbound(InboundSms("twilio", "SM-in-1", CUSTOMER, SHOP, "hi?"))
    with pytest.raises(QuietHoursHold):
        world.services.sms_sender.deliver(data)
    assert world.providers.sent == []


def test_an_inbound_that_is_not_from_the_recipient_does_not_release_it(world: World) -> None:
    quiet_hours_on(world)
    world.services.carrier.inbound(InboundSms("twilio", "SM-in-1", CUSTOMER, SHOP, "Open now?"))
    conversation_id = next(iter(world.conversation_repo.conversations))
    for (cid, _), stored in world.conversation_repo.messages.items():
        if cid == conversation_id and stored.direction == "inbound":
            stored.sender = "+12125550123"  # not the conversation's external number
    data = queue(world, "closed", sender="contact-center")
    with pytest.raises(QuietHoursHold):
        world.services.sms_sender.deliver(data)
