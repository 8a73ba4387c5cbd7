"""Search, the pure part: what a query means, what a message is indexed as, how a
highlight is shown. No engine, no AWS: the port and the adapters live elsewhere.

A query is parsed here into words, quoted phrases and an optional prefix, never
passed on as query-string syntax: ``*``, ``AND``, ``field:value`` or a stray quote
are only characters to look for, so no input can widen what an engine matches.
"""

from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.model import Message
from chalicelib.domain.search_scope import SeqRange

MAX_QUERY = 256  # characters of q: a search box, not a document
MAX_TERMS = 16  # words and phrases together
MAX_SCOPE = 2000  # conversations one search considers (the caller's most recent)
# Engines are asked to wrap matches in these private-use characters; the text is
# HTML-escaped afterwards and only these become <mark>…</mark>, so nothing a sender
# typed (including "<mark>") is ever markup.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"

_PHRASE = re.compile(r'"([^"]*)"?')
_PHONE_LIKE = re.compile(r"\+?[\d().\-\s]{7,}\d")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)


def fold(text: str) -> str:
    """Case and accent folding as the engine's analyzer does it (café → cafe, ß → ss)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_symbol(char: str) -> bool:
    """An emoji or other pictograph: text analyzers drop them, so they are indexed apart."""
    return unicodedata.category(char) == "So"


def symbols_of(text: str) -> list[str]:
    return sorted({c for c in text if is_symbol(c)})


def phones_of(text: str, region: str = "US") -> list[str]:
    """Every phone number written in ``text``, in E.164 (however it was typed)."""
    found: set[str] = set()
    if not any(c.isdigit() for c in text):
        return []
    try:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            found.add(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    except Exception:  # a library corner case never stops a message being indexed
        return sorted(found)
    return sorted(found)


def phone_term(raw: str, region: str = "US") -> str | None:
    """The E.164 form of a query fragment that is a phone number, else None."""
    if not _PHONE_LIKE.fullmatch(raw.strip()):
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class ParsedQuery:
    """What a person typed, understood: every word and phrase must match; ``prefix``
    (the last word, while it is being typed) matches any word it begins."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    prefix: str | None = None
    symbols: tuple[str, ...] = ()  # emoji: matched as themselves
    phones: tuple[str, ...] = ()  # E.164 numbers: matched against numbers in the text

    @property
    def empty(self) -> bool:
        return not (self.words or self.phrases or self.prefix or self.symbols or self.phones)


def parse_query(raw: str, region: str = "US") -> ParsedQuery:
    """Words, "phrases", and the last word as a prefix unless the query ends in a space
    or a closing quote. A number as typed becomes its E.164 form."""
    if len(raw) > MAX_QUERY:
        raise ValidationError(f"q must be at most {MAX_QUERY} characters", code="invalid_query")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in raw)
    phones: list[str] = []
    phrases: list[str] = []
    words: list[str] = []
    symbols: list[str] = []
    phrases += _PHRASE.findall(text)
    rest = _PHRASE.sub(" ", text)
    rest = _without_phones(rest, region, phones)
    for phrase in list(phrases):
        number = phone_term(phrase, region)
        if number:
            phrases.remove(phrase)
            phones.append(number)
        elif not _WORD_CHARS.search(phrase):
            phrases.remove(phrase)
            symbols += [c for c in phrase if is_symbol(c)]
    for token in rest.split():
        symbols += [c for c in token if is_symbol(c)]
        number = phone_term(token, region)
        if number:
            phones.append(number)
        elif _WORD_CHARS.search(token):
            words.append(token)
    prefix = None
    tokens = rest.split()
    ends_open = bool(rest) and not rest[-1].isspace()  # a quote's text became a space
    if words and ends_open and tokens[-1] == words[-1]:
        prefix = words.pop()
    parsed = ParsedQuery(
        words=tuple(dict.fromkeys(words)),
        phrases=tuple(dict.fromkeys(p.strip() for p in phrases if p.strip())),
        prefix=prefix,
        symbols=tuple(dict.fromkeys(symbols)),
        phones=tuple(dict.fromkeys(phones)),
    )
    terms = len(parsed.words) + len(parsed.phrases) + len(parsed.symbols) + len(parsed.phones)
    if terms + (1 if prefix else 0) > MAX_TERMS:
        raise ValidationError(f"a search has at most {MAX_TERMS} words", code="invalid_query")
    return parsed


def _inside_a_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] has a letter or digit right before or after it."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or after.isalnum()


def _without_phones(text: str, region: str, found: list[str]) -> str:
    """Numbers written anywhere in ``text`` (spaces and brackets included) go to
    ``found`` in E.164; the rest of the text is returned."""
    if sum(c.isdigit() for c in text) < 7:
        return text
    kept, last = [], 0
    try:
        matches = list(
            phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
        )
    except Exception:  # a library corner case: the digits stay words
        return text
    for match in matches:
        if _inside_a_word(text, match.start, match.end):
            continue  # "lag1234567abc" is one word, as the analyzer indexes it
        found.append(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
        kept.append(text[last : match.start])
        last = match.end
    kept.append(text[last:])
    return " ".join(kept)


def highlight_html(marked: str) -> str:
    """Text with matches between ``MARK_OPEN``/``MARK_CLOSE`` → escaped HTML with <mark>."""
    escaped = html.escape(marked, quote=True)
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


def plain_fragment(text: str, limit: int = 200) -> str:
    """The start of the text, escaped: the fragment when the engine marked nothing."""
    return html.escape(text[:limit], quote=True)


# -- what is indexed ---------------------------------------------------------------


@dataclass(frozen=True)
class SearchDocument:
    """One message as the index holds it. ``doc_id`` is the message id."""

    doc_id: str
    company_id: str
    conversation_id: str
    seq: int
    channel: str
    sender: str
    created_at: str
    text: str
    symbols: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def to_source(self) -> dict[str, Any]:
        return {
            "company_id": self.company_id,
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "channel": self.channel,
            "sender": self.sender,
            "created_at": self.created_at,
            "text": self.text,
            "symbols": list(self.symbols),
            "phones": list(self.phones),
        }


def document_of(message: Message, region: str = "US") -> SearchDocument | None:
    """The document a message is indexed as; None when it has nothing to find
    (deleted, empty, or a placeholder), which means: remove it from the index."""
    if message.deleted or not message.text.strip():
        return None
    return SearchDocument(
        doc_id=message.message_id,
        company_id=message.company_id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        channel=message.channel,
        sender=message.sender,
        created_at=message.created_at,
        text=message.text,
        symbols=tuple(symbols_of(message.text)),
        phones=tuple(phones_of(message.text, region)),
    )


# -- what is asked -------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    """One search, already scoped: ``conversation_ids`` (any message of them) and
    ``ranges`` (only those messages of those conversations) are everything the caller
    may read (the index never decides that), intersected with their own filter."""

    company_id: str
    conversation_ids: tuple[str, ...]
    query: ParsedQuery
    channel: str | None = None
    sender: str | None = None
    after: str | None = None  # ISO instant, inclusive
    before: str | None = None  # ISO instant, exclusive
    limit: int = 20
    cursor: tuple[Any, ...] | None = None  # the engine's sort values of the last hit
    ranges: tuple[SeqRange, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    conversation_id: str
    seq: int
    highlight: str  # HTML-escaped, matches in <mark>…</mark>
    sort: tuple[Any, ...] = field(default=())


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    more: bool  # the engine has more after the last hit


def day_bounds(after: str | None, before: str | None) -> tuple[str | None, str | None]:
    """``after``/``before`` as ISO dates (both days included, UTC) → [start, end)."""

    def day(raw: str, name: str) -> date:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValidationError(
                f"{name} must be a date, YYYY-MM-DD", code="invalid_date"
            ) from None

    start = day(after, "after") if after else None
    end = day(before, "before") if before else None
    if start and end and end < start:
        raise ValidationError("before is earlier than after", code="invalid_date")
    if end and end == date.max:
        end = None  # up to the last day there is: no bound
    return (
        f"{start.isoformat()}T00:00:00.000Z" if start else None,
        f"{date.fromordinal(end.toordinal() + 1).isoformat()}T00:00:00.000Z" if end else None,
    )


def encode_cursor(sort: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(sort)).encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[Any, ...]:
    """A cursor from a previous page: the last hit's sort values as every engine gives
    them (the message's time in epoch milliseconds, then its id), else a 400."""
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeError, RecursionError):
        raise ValidationError("cursor is not one this API gave", code="invalid_cursor") from None
    if not (
        isinstance(value, list)
        and len(value) == 2
        and type(value[0]) is int
        and -(2**63) <= value[0] < 2**63
        and isinstance(value[1], str)
        and 0 < len(value[1]) <= 256
        and not any("\ud800" <= c <= "\udfff" for c in value[1])
    ):
        raise ValidationError("cursor is not one this API gave", code="invalid_cursor")
    return tuple(value)
