"""The two search adapters answer alike: the local stack's embedded index (SQLite
FTS5, with its analysis in Python) and the OpenSearch adapter (here on osmem) are
given the same awkward messages and asked the same queries, and must return the
same messages in the same order. The contract suite pins each behaviour by name;
this sweeps the tokenizer's corners (joined words, numbers, folding, widths, CJK,
emoji, numbers written in full) where a hand-written analyzer could drift.

Left out on purpose, where osmem departs from Lucene (what AWS runs) and the
embedded analysis follows Lucene: half-width kana with a voicing mark (ｶﾞ is ガ to
Lucene's ``cjk_width``; osmem keeps them apart), Korean by pairs of syllables, Thai
words, a dotted capital I. ``test_search_analysis.py`` pins those."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.sqlite_search import SqliteSearchIndex
from chalicelib.domain.search import (
    SearchDocument,
    SearchRequest,
    parse_query,
    phones_of,
    symbols_of,
)
from chalicelib.services.search_ports import SearchIndex

TEXTS = [
    "don't stop",
    "dont worry",
    "e.g. this",
    "version 3.14 released",
    "1,000 dollars",
    "foo_bar baz",
    "foo.bar",
    "wi-fi down",
    "naïve café",
    "Ærø island",
    "Łódź trip",
    "\uff21\uff22\uff23 full width",  # full-width ABC
    "ｶﾀｶﾅ half",
    "ガス代",
    "カス",
    "東京",
    "京",
    "a 京 b",
    "明天去東京タワーに行きます",
    "straße",
    "STRASSE",
    "x² and ½ cup",
    "ﬁne ligature",
    "emoji 🎉 party",
    "call 415-555-0100 today",
    "U.S.A. trip",
    "hello:world",
    "12:30 meeting",
    "email me@example.com",
    "http://example.com/path?q=1",
    "rock'n'roll",
    "l'été",
    "O\u2019Neil",
    "Привет мир",
    "Ελληνικά",
    "__init__",
    "v1.2 and 1.2.3",
    "#hashtag @mention",
    "lag1234567abc",
    "データ full-width",
    "καλημέρα",
    "мой дом",
    "1;2 and 3;4",
]
QUERIES = [
    *(word + end for text in TEXTS for word in text.split() for end in ("", " ")),
    *(f'"{text}"' for text in TEXTS),
    *(word[:3] for text in TEXTS for word in text.split()),
    "dont ",
    "don ",
    "t ",
    "eg ",
    "314 ",
    "3 ",
    "1000 ",
    "foo ",
    "bar ",
    "wi ",
    "naive ",
    "cafe ",
    "aero ",
    "lodz ",
    "abc ",
    "カタカナ ",
    "ガ",
    "カ",
    "strasse ",
    "x ",
    "x2 ",
    "fine ",
    "12 ",
    "30 ",
    "hello ",
    "example ",
    "com ",
    "rock ",
    "ete ",
    "oneil ",
    "o'neil ",
    "neil ",
    "init ",
    "v1 ",
    "hashtag ",
    "京 ",
    "東 ",
    "タワー ",
    "東京タ",
    "(415) 555-0100",
    "🎉",
    "party 🎉",
    "ガス ",
    "データ ",
    "καλημερα ",
    "мои ",
    "1 ",
    "3;4 ",
    "budget OR *",
    "* ",
]


@pytest.fixture
def engines(search_index: Any, tmp_path: Any) -> tuple[SearchIndex, SearchIndex]:
    embedded = SqliteSearchIndex(str(tmp_path / "search.sqlite3"), "texting-test-messages")
    documents = [
        SearchDocument(
            f"d1.{n}",
            "co1",
            "d1",
            n,
            "im",
            "alice",
            f"2024-05-01T10:{n // 60:02d}:{n % 60:02d}.000Z",
            text,
            tuple(symbols_of(text)),
            tuple(phones_of(text)),
        )
        for n, text in enumerate(TEXTS, start=1)
    ]
    for index in (search_index, embedded):
        index.write(documents, [])
        index.refresh()
    return search_index, embedded


def test_both_engines_find_the_same_messages_in_the_same_order(
    engines: tuple[SearchIndex, SearchIndex],
) -> None:
    opensearch, embedded = engines
    differ = []
    asked = 0
    for q in dict.fromkeys(QUERIES):
        try:
            query = parse_query(q)
        except ValueError:
            continue
        request = SearchRequest("co1", ("d1",), query, limit=50)
        expected = [hit.doc_id for hit in opensearch.search(request).hits]
        got = [hit.doc_id for hit in embedded.search(request).hits]
        asked += 1
        if expected != got:
            differ.append((q, expected, got))
    assert asked > 150
    assert differ == [], "\n".join(map(repr, differ))


def test_both_engines_mark_the_same_words(engines: tuple[SearchIndex, SearchIndex]) -> None:
    opensearch, embedded = engines
    for q in ("stop ", "caf", '"naïve café"', "straße ", "東京 ", "party", "o'neil ", "12:30 "):
        request = SearchRequest("co1", ("d1",), parse_query(q), limit=50)
        expected = [hit.highlight for hit in opensearch.search(request).hits]
        assert expected, q
        assert [hit.highlight for hit in embedded.search(request).hits] == expected, q
