"""URLs and phone numbers in message text become ranges clients can make clickable."""

from __future__ import annotations

from chalicelib.domain.entities import extract


def spans(text: str, region: str = "US") -> list[tuple[str, str, str]]:
    return [
        (e["type"], text[e["start"] : e["end"]], e.get("url") or e.get("e164"))
        for e in extract(text, region)
    ]


def test_a_us_number_as_people_type_it_is_found_in_a_us_company() -> None:
    assert spans("Call me at (415) 555-2671 today") == [("phone", "(415) 555-2671", "+14155552671")]


def test_the_same_digits_mean_a_different_number_in_another_region() -> None:
    assert spans("ring 020 7946 0958", "GB") == [("phone", "020 7946 0958", "+442079460958")]
    assert spans("ring 020 7946 0958", "US") == []


def test_international_numbers_are_found_anywhere() -> None:
    assert spans("UK office: +44 20 7946 0958.") == [("phone", "+44 20 7946 0958", "+442079460958")]


def test_urls_lose_trailing_punctuation_but_keep_balanced_parentheses() -> None:
    text = "See https://example.com/a?b=1, www.acme.test. And (https://en.wikipedia.org/wiki/A_(b))"
    assert spans(text) == [
        ("url", "https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("url", "www.acme.test", "https://www.acme.test"),
        ("url", "https://en.wikipedia.org/wiki/A_(b)", "https://en.wikipedia.org/wiki/A_(b)"),
    ]


def test_digits_inside_a_url_are_not_a_phone_number() -> None:
    assert spans("https://example.com/call/4155552671") == [
        ("url", "https://example.com/call/4155552671", "https://example.com/call/4155552671")
    ]


def test_plain_text_has_no_entities() -> None:
    assert extract("see you at 3, ok? 2026-11-21") == []


def test_offsets_are_code_points_after_an_emoji() -> None:
    text = "👋 www.acme.test"
    (entity,) = extract(text)
    assert (entity["start"], entity["end"]) == (2, len(text))
