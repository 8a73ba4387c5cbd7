"""State machine, hours of operation, estimated wait, figures, settings validation, canned replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.contact_center import (
    ACTIVE,
    ENDED,
    OFFERED,
    STATES,
    TRANSITIONS,
    WAITING,
    WRAP_UP,
    check_transition,
    estimate_wait_s,
)
from chalicelib.domain.contact_center_config import (
    check_hours,
    check_skills,
    check_timezone,
    is_open,
)
from chalicelib.domain.contact_center_records import (
    CannedReply,
    DayFigures,
    average_handle_s,
    fill_template,
    service_level,
)
from chalicelib.domain.errors import Conflict, ValidationError


def at(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (WAITING, OFFERED),
        (WAITING, ACTIVE),
        (OFFERED, ACTIVE),
        (OFFERED, WAITING),
        (ACTIVE, WRAP_UP),
        (ACTIVE, WAITING),
        (ACTIVE, ENDED),
        (WRAP_UP, ENDED),
    ],
)
def test_allowed_transitions(current: str, new: str) -> None:
    check_transition(current, new)


def test_every_other_transition_is_refused() -> None:
    for current in STATES:
        for new in STATES:
            if new in TRANSITIONS[current]:
                continue
            with pytest.raises(Conflict) as refused:
                check_transition(current, new)
            assert refused.value.code == "invalid_state"
    assert TRANSITIONS[ENDED] == frozenset()


def test_hours_are_read_in_the_queues_time_zone() -> None:
    hours = {"mon": "09:00-17:00"}
    # Monday 2026-01-05, 16:30 UTC = 08:30 in New York: closed; 14:30 UTC = 09:30: open
    assert not is_open(hours, "America/New_York", at("2026-01-05T13:30:00+00:00"))
    assert is_open(hours, "America/New_York", at("2026-01-05T14:30:00+00:00"))
    assert not is_open(hours, "America/New_York", at("2026-01-05T22:00:00+00:00"))  # 17:00
    assert not is_open(hours, "America/New_York", at("2026-01-06T15:00:00+00:00"))  # tuesday
    assert is_open({}, "UTC", at("2026-01-06T03:00:00+00:00"))  # no hours: always open
    assert is_open({"mon": "00:00-24:00"}, "UTC", at("2026-01-05T23:59:00+00:00"))


def test_bad_settings_are_refused_with_their_codes() -> None:
    with pytest.raises(ValidationError) as bad:
        check_hours({"monday": "09:00-17:00"})
    assert bad.value.code == "invalid_hours"
    with pytest.raises(ValidationError):
        check_hours({"mon": "17:00-09:00"})
    # only 24:00 closes past 23:59; only ASCII digits (Python's \d matches others);
    # no trailing newline: each would pass the check and then fail every routing
    for span in ("09:00-24:30", "0\u0669:0\u0660-1\u0667:0\u0660", "09:00-17:00\n"):
        with pytest.raises(ValidationError):
            check_hours({"mon": span})
    check_hours({"mon": "09:00-24:00"})
    with pytest.raises(ValidationError) as bad:
        check_skills({"support": 6})
    assert bad.value.code == "invalid_skills"
    with pytest.raises(ValidationError):
        check_skills({"support": True})
    with pytest.raises(ValidationError):
        check_skills(["support"])
    with pytest.raises(ValidationError) as bad:
        check_timezone("Mars/Olympus")
    assert bad.value.code == "invalid_timezone"
    assert check_skills({"support": 1, "sales": 5}) == {"support": 1, "sales": 5}


def test_estimated_wait_grows_with_position_and_shrinks_with_slots() -> None:
    assert estimate_wait_s(0, 300, 6) == 0
    assert estimate_wait_s(1, 300, 6) == 300
    assert estimate_wait_s(7, 300, 6) == 600
    assert estimate_wait_s(7, 300, 12) == 300
    assert estimate_wait_s(3, 300, 0) == 900  # nobody available: one slot assumed


def test_handle_time_average_over_recent_days_falls_back_when_nothing_was_handled() -> None:
    days = [DayFigures(handled=2, handle_total_s=400), DayFigures(handled=2, handle_total_s=200)]
    assert average_handle_s(days) == 150
    assert average_handle_s([DayFigures()], fallback=99) == 99


def test_service_level_and_day_figures() -> None:
    assert service_level(0, 0) is None
    assert service_level(3, 4) == 75.0
    day = DayFigures(answered=4, wait_total_s=100, within_service_level=3)
    assert day.to_dict()["average_wait_s"] == 25.0
    assert day.to_dict()["service_level"] == 75.0


def test_canned_replies_match_shortcut_or_words_and_fill_placeholders() -> None:
    reply = CannedReply(
        "r1", "acme", "refund", "Refund policy", "Hi {customer_name}, {agent_name} here."
    )
    assert reply.matches("/ref") and reply.matches("REF") and reply.matches("policy refund")
    assert not reply.matches("shipping")
    assert reply.render({"customer_name": "Ann", "agent_name": "Bob"}) == "Hi Ann, Bob here."
    assert fill_template("{unknown} {x}", {"x": 1}) == "{unknown} 1"
