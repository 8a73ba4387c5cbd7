"""SMS rules: segments and encoding, cost, opt-out keywords, destinations, status order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain import sms
from chalicelib.domain.errors import Forbidden, ValidationError

EMOJI = "\N{GRINNING FACE}"  # outside the BMP: two UTF-16 units


# -- segments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "expected"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_text_splits_at_160_then_153(length: int, expected: int) -> None:
    info = sms.segments("a" * length)
    assert (info.encoding, info.segments, info.characters) == ("GSM-7", expected, length)


def test_a_single_segment_uses_the_whole_160_septets() -> None:
    assert sms.segments("a" * 100).to_dict() == {
        "encoding": "GSM-7",
        "segments": 1,
        "characters": 100,
        "remaining": 60,
        "per_segment": 160,
    }


def test_remaining_counts_what_fits_in_the_last_concatenated_part() -> None:
    info = sms.segments("a" * 161)
    assert (info.remaining, info.per_segment) == (153 * 2 - 161, 153)


@pytest.mark.parametrize("char", list("^{}\\[~]|€\f"))
def test_extension_characters_count_two_septets(char: str) -> None:
    info = sms.segments(char)
    assert (info.encoding, info.characters, info.remaining) == ("GSM-7", 2, 158)


def test_an_extension_character_can_push_a_text_into_a_second_segment() -> None:
    assert sms.segments("a" * 159).segments == 1
    assert sms.segments("a" * 159 + "{").segments == 2


def test_an_escape_sequence_is_never_split_across_parts() -> None:
    # 152 septets then "{": the escape and the brace must travel together, in part two.
    info = sms.segments("a" * 152 + "{" + "a" * 10)
    assert info.characters == 164
    assert (info.segments, info.remaining) == (2, 153 - 12)


def test_the_whole_gsm_basic_table_stays_gsm7() -> None:
    text = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà"
    info = sms.segments(text)
    assert (info.encoding, info.characters) == ("GSM-7", len(text))


def test_one_character_outside_gsm_switches_the_whole_text_to_ucs2() -> None:
    info = sms.segments("Hello " + EMOJI)
    assert (info.encoding, info.characters, info.per_segment) == ("UCS-2", 8, 70)
    assert sms.non_gsm_characters("Hello " + EMOJI + " ç " + EMOJI) == [EMOJI, "ç"]


@pytest.mark.parametrize(("length", "expected"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_text_splits_at_70_then_67(length: int, expected: int) -> None:
    info = sms.segments("ж" * length)
    assert (info.encoding, info.segments, info.characters) == ("UCS-2", expected, length)
    assert info.per_segment == (70 if expected == 1 else 67)


def test_an_emoji_counts_two_utf16_units() -> None:
    assert sms.segments(EMOJI * 35).segments == 1
    info = sms.segments(EMOJI * 36)
    assert (info.characters, info.segments) == (72, 2)


def test_a_surrogate_pair_never_straddles_a_segment_boundary() -> None:
    # 66 units then an emoji: the emoji does not fit the 67-unit part and moves whole.
    info = sms.segments("ж" * 66 + EMOJI + "ж" * 4)
    assert info.characters == 72
    assert (info.segments, info.remaining) == (2, 67 - 6)
    # 33 emoji = 66 units per part; 34 emoji = 68 units cannot fit one part of 67.
    assert sms.segments(EMOJI * 67).segments == 3  # 33 + 33 + 1


def test_empty_text_is_one_empty_segment() -> None:
    assert sms.segments("").to_dict() == {
        "encoding": "GSM-7",
        "segments": 1,
        "characters": 0,
        "remaining": 160,
        "per_segment": 160,
    }


# -- cost ---------------------------------------------------------------------------------


def test_cost_is_the_country_price_per_segment() -> None:
    assert sms.estimate_cost(3, "US") == Decimal("0.0249")
    assert sms.estimate_cost(2, "gb") == Decimal("0.0800")


def test_an_unknown_country_costs_the_default_price() -> None:
    assert sms.estimate_cost(1, "ZW") == sms.DEFAULT_PRICES["*"]
    assert sms.estimate_cost(1, None) == sms.DEFAULT_PRICES["*"]


def test_a_custom_price_table_is_used_and_falls_back_to_its_own_default() -> None:
    prices = {"US": Decimal("0.01"), "*": Decimal("0.5")}
    assert sms.estimate_cost(2, "US", prices) == Decimal("0.02")
    assert sms.estimate_cost(2, "FR", prices) == Decimal("1.0")
    assert sms.estimate_cost(1, "FR", {"US": Decimal("0.01")}) == sms.DEFAULT_PRICES["*"]


def test_negative_segments_are_refused() -> None:
    with pytest.raises(ValueError):
        sms.estimate_cost(-1, "US")


# -- keywords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["STOP", "stop", " Stop \n", "STOPALL", "unsubscribe", "Cancel", "END", "quit"]
)
def test_opt_out_keywords_alone_in_any_case_are_stop(text: str) -> None:
    assert sms.keyword(text) == "stop"


@pytest.mark.parametrize("text", ["START", "unstop", "Yes"])
def test_opt_in_keywords_are_start(text: str) -> None:
    assert sms.keyword(text) == "start"


@pytest.mark.parametrize("text", ["HELP", "info"])
def test_help_keywords_are_help(text: str) -> None:
    assert sms.keyword(text) == "help"


@pytest.mark.parametrize("text", ["Stop.", "STOP!", "'stop'", "¡Stop!", "\uff33\uff34\uff2f\uff30"])
def test_surrounding_punctuation_and_full_width_letters_still_opt_out(text: str) -> None:
    assert sms.keyword(text) == "stop"


@pytest.mark.parametrize(
    "text", ["please stop", "don't stop", "stopp", "S T O P", "", "yes please"]
)
def test_a_keyword_inside_a_sentence_is_not_a_keyword(text: str) -> None:
    assert sms.keyword(text) is None


# -- destinations -------------------------------------------------------------------------


def test_a_destination_is_classified_by_country_and_type() -> None:
    assert sms.classify_destination("+33612345678") == sms.DestinationInfo(
        "+33612345678", "FR", "mobile", True
    )
    assert sms.classify_destination("+18005550100").number_type == "toll_free"
    assert sms.classify_destination("+442079460958").number_type == "fixed_line"


def test_a_non_geographic_number_has_no_country() -> None:
    assert sms.classify_destination("+80012345678").country is None


def test_an_unparseable_destination_is_invalid_phone() -> None:
    with pytest.raises(ValidationError) as error:
        sms.classify_destination("not a number")
    assert error.value.code == "invalid_phone"


@pytest.mark.parametrize("raw", ["12345", "123456", "123 456", "12-345"])
def test_five_and_six_digit_codes_are_short_codes(raw: str) -> None:
    assert sms.is_short_code(raw)


@pytest.mark.parametrize("raw", ["1234", "1234567", "+12345", "+14155550100", "abcde", ""])
def test_other_numbers_are_not_short_codes(raw: str) -> None:
    assert not sms.is_short_code(raw)


def test_an_allowed_mobile_destination_passes_and_says_what_it_is() -> None:
    info = sms.check_outbound("+14155550100", ("US", "CA"))
    assert (info.country, info.valid) == ("US", True)


def test_a_destination_outside_the_allowed_countries_is_forbidden() -> None:
    with pytest.raises(Forbidden) as error:
        sms.check_outbound("+33612345678", ("us", "ca"))
    assert error.value.code == "country_not_allowed"


def test_every_country_is_allowed_with_a_wildcard_and_none_with_an_empty_list() -> None:
    assert sms.check_outbound("+33612345678", ["*"]).country == "FR"
    with pytest.raises(Forbidden):
        sms.check_outbound("+14155550100", [])


@pytest.mark.parametrize("number", ["+19005550100", "+448712345678"])
def test_premium_rate_destinations_are_forbidden(number: str) -> None:
    with pytest.raises(Forbidden) as error:
        sms.check_outbound(number, ["*"])
    assert error.value.code == "premium_number"


def test_a_short_code_destination_is_refused_as_a_bad_request() -> None:
    with pytest.raises(ValidationError) as error:
        sms.check_outbound("55555", ["*"])
    assert error.value.code == "short_code"


def test_an_invalid_number_is_refused_before_any_country_check() -> None:
    with pytest.raises(ValidationError) as error:
        sms.check_outbound("+1415555", ["US"])
    assert error.value.code == "invalid_phone"


# -- status order -------------------------------------------------------------------------


def test_a_status_only_moves_forward_and_the_first_final_one_wins() -> None:
    assert sms.status_advances(None, "queued")
    assert sms.status_advances("queued", "sent")
    assert sms.status_advances("sent", "delivered")
    assert not sms.status_advances("delivered", "sent")  # out of order
    assert not sms.status_advances("delivered", "delivered")  # duplicate
    assert not sms.status_advances("undelivered", "delivered")
    assert not sms.status_advances("sent", "bogus")


def test_provider_errors_have_stable_codes_and_keep_the_provider_code_apart() -> None:
    rejected = sms.ProviderRejected("unsubscribed", provider_code="21610", status=400)
    retryable = sms.ProviderRetryable("slow down", retry_after=3.0)
    assert (rejected.code, rejected.provider_code, rejected.status) == (
        "provider_rejected",
        "21610",
        400,
    )
    assert (retryable.code, retryable.retry_after) == ("provider_unavailable", 3.0)
