"""The embedded index's text analysis (``chalicelib/adapters/search_analysis.py``)
where it follows Lucene and osmem does not (so the engines-agree test leaves these
out), and its highlight fragment."""

from __future__ import annotations

from chalicelib.adapters.search_analysis import FRAGMENT_CHARS, highlight, terms
from chalicelib.domain.search import MARK_CLOSE, MARK_OPEN, parse_query


def test_half_width_kana_and_their_voicing_marks_are_one_character() -> None:
    assert terms("\uff76\uff9e\uff7d\u4ee3") == terms("ガス代") == ["ガス", "ス代"]
    assert terms("\uff83\uff9e\uff70\uff80") == terms("データ")


def test_korean_is_cut_into_pairs_of_syllables_like_other_cjk_text() -> None:
    assert terms("한국어") == ["한국", "국어"]
    assert terms("京") == ["京"]


def test_folding_removes_marks_that_ascii_folding_removes_and_no_others() -> None:
    assert terms("Café Grüße Ærø İstanbul ǅemal ﬁne ǿre Ǽbler") == [
        "cafe",
        "grusse",
        "aero",
        "istanbul",
        "dzemal",
        "fine",
        "ore",  # ǿ is ø and a mark: folded as ø is
        "aebler",
    ]
    assert terms("καλημέρα мой") == ["καλημέρα", "мой"]  # Greek and Cyrillic keep theirs
    assert terms("ภาษาไทย") == ["ภาษาไทย"]


def test_joined_words_and_numbers() -> None:
    assert terms("don't e.g. 3.14 1,000 1;2 12:30 hello:world x² wi-fi") == [
        "don't",
        "e.g",
        "3.14",
        "1,000",
        "1;2",
        "12",
        "30",
        "hello:world",
        "x",
        "wi",
        "fi",
    ]


def test_a_match_near_the_end_of_a_long_text_still_gets_a_whole_fragment() -> None:
    text = "filler " * 200 + "the needle is here"
    marked = highlight(text, parse_query("needle "))
    assert marked is not None
    assert f"{MARK_OPEN}needle{MARK_CLOSE}" in marked
    shown = marked.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    assert FRAGMENT_CHARS - 10 <= len(shown) <= FRAGMENT_CHARS
    assert shown.endswith("the needle is here")


def test_a_match_far_into_a_long_text_starts_a_little_before_it() -> None:
    text = "filler " * 100 + "the needle is here " + "after " * 100
    marked = highlight(text, parse_query("needle "))
    assert marked is not None
    shown = marked.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    assert shown.index("needle") <= 45
    assert len(shown) == FRAGMENT_CHARS


def test_private_marks_typed_by_a_sender_are_dropped() -> None:
    marked = highlight(f"a {MARK_OPEN}b{MARK_CLOSE} needle", parse_query("needle "))
    assert marked == f"a b {MARK_OPEN}needle{MARK_CLOSE}"
