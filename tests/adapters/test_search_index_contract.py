"""The SearchIndex port, held against every adapter that ships: OpenSearch over HTTP
(what AWS runs), here on a real OpenSearch-protocol engine, and SQLite FTS5 (the
local stack's default engine). Ids, order, highlight markers, phrases, prefix,
folding, CJK, emoji, numbers, deletion and scope — never exact scores."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.model import Message
from chalicelib.domain.search import (
    MAX_SCOPE,
    SearchDocument,
    SearchRequest,
    day_bounds,
    document_of,
    parse_query,
)
from chalicelib.domain.search_scope import SeqRange
from chalicelib.services.search_ports import SearchIndex, SearchUnavailable

CO = "co1"


def _message(conversation: str, seq: int, text: str, **kw: Any) -> Message:
    return Message(
        conversation_id=conversation,
        company_id=kw.pop("company", CO),
        seq=seq,
        client_id=f"c{seq}",
        sender=kw.pop("sender", "alice"),
        text=text,
        created_at=kw.pop("created_at", f"2024-05-{seq:02d}T10:00:00.000Z"),
        **kw,
    )


@pytest.fixture(params=["opensearch", "sqlite"])
def index(request: pytest.FixtureRequest, tmp_path: Any) -> SearchIndex:
    if request.param == "sqlite":
        from chalicelib.adapters.sqlite_search import SqliteSearchIndex

        return SqliteSearchIndex(str(tmp_path / "search.sqlite3"), "texting-test-messages")
    return request.getfixturevalue("search_index")


@pytest.fixture
def put(index: SearchIndex) -> Callable[..., None]:
    def put(*messages: Message) -> None:
        docs = [document_of(m) for m in messages]
        index.write([d for d in docs if d is not None], [])
        index.refresh()

    return put


def _ask(index: SearchIndex, q: str, scope: tuple[str, ...] = ("d1", "d2"), **kw: Any) -> list[str]:
    company = kw.pop("company", CO)
    page = index.search(SearchRequest(company, scope, parse_query(q), **kw))
    return [hit.doc_id for hit in page.hits]


def test_every_word_must_match_newest_first(index: SearchIndex, put: Callable[..., None]) -> None:
    put(
        _message("d1", 1, "lunch at noon tomorrow"),
        _message("d1", 2, "lunch is cancelled"),
        _message("d2", 3, "noon lunch it is"),
    )
    assert _ask(index, "lunch ") == ["d2.3", "d1.2", "d1.1"]
    assert _ask(index, "noon lunch ") == ["d2.3", "d1.1"]
    assert _ask(index, "dinner ") == []


def test_quoted_words_match_as_a_phrase(index: SearchIndex, put: Callable[..., None]) -> None:
    put(_message("d1", 1, "the quick brown fox"), _message("d1", 2, "brown and quick"))
    assert _ask(index, '"quick brown"') == ["d1.1"]
    assert _ask(index, '"brown quick"') == []


def test_the_last_word_matches_as_a_prefix_while_typing(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(_message("d1", 1, "quarterly report attached"), _message("d1", 2, "quiet please"))
    assert _ask(index, "quar") == ["d1.1"]
    assert _ask(index, "qu") == ["d1.2", "d1.1"]
    assert _ask(index, "quar ") == []  # a finished word is a whole word


def test_a_prefix_folds_case_and_accents_and_may_span_punctuation(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(
        _message("d1", 1, "Grüße from Søren"),
        _message("d1", 2, "send the e-mail to QA2024"),
        _message("d1", 3, "東京タワー"),
    )
    for typed, found in (
        ("GRÜ", ["d1.1"]),
        ("gru", ["d1.1"]),
        ("Sør", ["d1.1"]),
        ("sor", ["d1.1"]),
        ("e-ma", ["d1.2"]),
        ("qa20", ["d1.2"]),
        ("東京タ", ["d1.3"]),
    ):
        assert _ask(index, typed) == found, typed


def test_case_and_accents_fold(index: SearchIndex, put: Callable[..., None]) -> None:
    put(_message("d1", 1, "Café au lait, Grüße aus Köln"))
    for query in ("cafe ", "CAFÉ ", "grusse ", "koln ", "Köln "):
        assert _ask(index, query) == ["d1.1"], query


def test_chinese_and_japanese_text_is_findable(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(_message("d1", 1, "明天去東京タワーに行きます"), _message("d1", 2, "京都は雨"))
    assert _ask(index, "東京 ") == ["d1.1"]
    assert _ask(index, "タワー ") == ["d1.1"]
    assert _ask(index, "京都 ") == ["d1.2"]


def test_emoji_and_phone_numbers_in_any_format_are_findable(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(
        _message("d1", 1, "party tonight 🎉"),
        _message("d1", 2, "call me at (415) 555-0100"),
        _message("d1", 3, "or +1 212 555 0199"),
    )
    assert _ask(index, "🎉") == ["d1.1"]
    assert _ask(index, "+14155550100") == ["d1.2"]
    assert _ask(index, "415.555.0100") == ["d1.2"]
    assert _ask(index, "2125550199") == ["d1.3"]


def test_digits_inside_a_word_stay_part_of_that_word(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    """A code such as "lag1234567abc" is one word, not a phone number with letters
    around it (the bench's send-to-searchable probe missed one such word in twenty)."""
    put(_message("d1", 1, "bench lag1234567abc"), _message("d1", 2, "ref x4155550100 ok"))
    assert _ask(index, "lag1234567abc") == ["d1.1"]
    assert _ask(index, "lag1234567") == ["d1.1"]  # typed so far
    assert _ask(index, "x4155550100") == ["d1.2"]


def test_the_highlight_marks_matches_and_escapes_everything_else(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(_message("d1", 1, "<b>bold</b> & quick <mark>fox</mark>"))
    [hit] = index.search(SearchRequest(CO, ("d1",), parse_query("fox "))).hits
    assert "<mark>fox</mark>" in hit.highlight
    assert "&lt;b&gt;bold&lt;/b&gt; &amp;" in hit.highlight
    assert "&lt;mark&gt;" in hit.highlight  # what the sender typed is never markup
    assert hit.highlight.count("<mark>") == 1


def test_a_deleted_message_is_gone(index: SearchIndex, put: Callable[..., None]) -> None:
    put(_message("d1", 1, "secret plan"), _message("d1", 2, "another plan"))
    index.write([], ["d1.1", "d9.404"])  # deleting what is absent is fine
    index.refresh()
    assert _ask(index, "plan ") == ["d1.2"]


def test_rewriting_a_document_keeps_one(index: SearchIndex, put: Callable[..., None]) -> None:
    put(_message("d1", 1, "draft one"))
    put(_message("d1", 1, "draft two"))
    assert _ask(index, "draft ") == ["d1.1"]
    assert _ask(index, "one ") == []


def test_scope_never_leaks_other_conversations_or_companies(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(
        _message("d1", 1, "budget numbers"),
        _message("d3", 2, "budget elsewhere"),
        _message("d1", 3, "budget of another company", company="co2"),
    )
    assert _ask(index, "budget ") == ["d1.1"]
    assert _ask(index, "budget ", scope=()) == []
    assert _ask(index, "budget ", company="co2", scope=("d3",)) == []
    for hostile in (
        "budget OR *",
        "* ",
        "company_id:co2 ",
        'budget" OR "a',
        "\\ / ( ) [ ] { } ~ ^",
    ):
        found = _ask(index, hostile)
        assert set(found) <= {"d1.1"}, hostile


def test_ranges_find_only_their_messages_alongside_whole_conversations(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(*(_message(c, n, f"budget {n}") for c in ("d1", "d2", "d3") for n in range(1, 7)))

    def ask(whole: tuple[str, ...], *ranges: SeqRange) -> list[str]:
        request = SearchRequest(CO, whole, parse_query("budget "), ranges=ranges)
        return sorted(hit.doc_id for hit in index.search(request).hits)

    assert ask((), SeqRange("d2", 2, 3)) == ["d2.2", "d2.3"]
    assert ask(("d1",), SeqRange("d2", 5), SeqRange("d3", 1, 1)) == [
        *(f"d1.{n}" for n in range(1, 7)),
        "d2.5",
        "d2.6",
        "d3.1",
    ]
    assert ask((), SeqRange("d2", 4, 3)) == []  # an empty range holds nothing
    other = SearchRequest("co2", (), parse_query("budget "), ranges=(SeqRange("d2", 1),))
    assert index.search(other).hits == []  # another company's range finds nothing


def test_the_largest_scope_finds_exactly_what_it_holds(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    """MAX_SCOPE conversations whole and 300 handled ranges besides (the most a
    supervisor's search asks), around messages in and out of them."""
    put(
        *(_message(f"w{n}", 1, f"ledger {n}") for n in (0, 999, 1999, 2000)),
        *(_message(f"r{n}", seq, f"ledger r{n}.{seq}") for n in (0, 299) for seq in (1, 5, 9)),
    )
    whole = tuple(f"w{n}" for n in range(MAX_SCOPE))
    ranges = tuple(SeqRange(f"r{n}", 2, 8) for n in range(300))
    request = SearchRequest(CO, whole, parse_query("ledger "), ranges=ranges, limit=50)
    assert sorted(hit.doc_id for hit in index.search(request).hits) == sorted(
        ["w0.1", "w999.1", "w1999.1", "r0.5", "r299.5"]
    )


def test_a_horizon_finds_what_follows_it_however_long_the_conversation(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    # Given a conversation with messages early on and after its 700th
    put(
        *(
            _message("d2", n, f"budget {n}", created_at=f"2024-05-01T10:00:00.{n:03d}Z")
            for n in (1, 2, 3, 700, 701, 702)
        )
    )

    def after(first: int) -> list[str]:
        request = SearchRequest(CO, (), parse_query("budget "), ranges=(SeqRange("d2", first),))
        return sorted(hit.doc_id for hit in index.search(request).hits)

    # Then a horizon near the start and one far into it each find only what follows
    assert after(3) == ["d2.3", "d2.700", "d2.701", "d2.702"]
    assert after(701) == ["d2.701", "d2.702"]
    assert after(1) == ["d2.1", "d2.2", "d2.3", "d2.700", "d2.701", "d2.702"]


def test_filters_channel_sender_and_days(index: SearchIndex, put: Callable[..., None]) -> None:
    put(
        _message("d1", 1, "invoice sent"),
        _message("d1", 2, "invoice received", sender="bob"),
        _message("d2", 3, "invoice by text", channel="sms", direction="inbound"),
    )
    assert _ask(index, "invoice ", channel="sms") == ["d2.3"]
    assert _ask(index, "invoice ", sender="bob") == ["d1.2"]
    after, before = day_bounds("2024-05-02", "2024-05-02")
    assert _ask(index, "invoice ", after=after, before=before) == ["d1.2"]


def test_pages_continue_after_the_cursor_without_repeats(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(*[_message("d1", n, f"standup notes {n}") for n in range(1, 8)])
    seen: list[str] = []
    cursor = None
    while True:
        page = index.search(
            SearchRequest(CO, ("d1",), parse_query("standup "), limit=3, cursor=cursor)
        )
        seen += [h.doc_id for h in page.hits]
        if not page.more:
            break
        cursor = page.hits[-1].sort
    assert seen == [f"d1.{n}" for n in range(7, 0, -1)]


def test_an_unreachable_engine_is_search_unavailable() -> None:
    from chalicelib.adapters.opensearch import OpenSearchIndex

    gone = OpenSearchIndex("http://127.0.0.1:9", "nothing")
    with pytest.raises(SearchUnavailable):
        gone.search(SearchRequest(CO, ("d1",), parse_query("x")))
    with pytest.raises(SearchUnavailable):
        gone.write(
            [SearchDocument("d1.1", CO, "d1", 1, "im", "a", "2024-01-01T00:00:00.000Z", "x")], []
        )
    assert gone.health().status == "unreachable"


def test_health_reports_documents_and_the_index_behind_the_alias(
    index: SearchIndex, put: Callable[..., None]
) -> None:
    put(_message("d1", 1, "one"), _message("d1", 2, "two"))
    health = index.health()
    assert health.documents == 2
    assert re.fullmatch(r"texting-test-messages-v[0-9]+", health.index)  # versioned
    assert health.status in ("green", "yellow")
