"""``make faults`` texts simulated phones: every number it makes must be one the app
accepts (a run once drew an exchange starting with 1 and stopped at the first text)."""

from __future__ import annotations

import phonenumbers

from local.faults import phone_number


def test_every_run_texts_valid_distinct_numbers() -> None:
    for run in range(0, 16**6, 16**6 // 997):
        numbers = [phone_number(run, n) for n in range(12)]
        assert len(set(numbers)) == 12
        for number in numbers:
            assert phonenumbers.is_valid_number(phonenumbers.parse(number)), (run, number)
    # runs the old formula (exchange run % 900 + 100) sent to an invalid exchange
    assert all(phone_number(run, 0)[5] in "23456789" for run in range(0, 900, 7))
