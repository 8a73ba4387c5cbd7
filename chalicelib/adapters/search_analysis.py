"""Text analysis for the embedded search engine (``sqlite_search.py``): the same
tokens the OpenSearch mapping's ``folded`` analyzer makes (``opensearch.ANALYSIS``),
and the highlight OpenSearch returns, computed in Python.

- **Words** as Unicode word segmentation finds them (Lucene's standard tokenizer):
  letters, decimal digits and ``_`` run together; ``.``, ``'`` and U+2019 stay inside
  a word between two letters or two digits ("e.g", "don't", "3.14"), ``:`` between
  letters, ``,`` or ``;`` between digits ("1,000"); anything else separates.
- **Folding**: case, then accents where ASCII folding removes them: a letter that
  decomposes to an ASCII letter loses its marks (café → cafe, Grüße → grusse,
  full-width letters → ASCII), and the Latin letters Unicode does not decompose are
  mapped (ø → o, æ → ae, ł → l); Greek, Cyrillic and other scripts keep their marks.
- **Chinese, Japanese, Korean**: a run of Han, kana or Hangul is cut into
  overlapping pairs of characters (``cjk_bigram``; a lone character is itself),
  width-normalised first (NFKC: a half-width kana and its voicing mark are one
  character) but never decomposed, so ガ stays ガ.

Positions count tokens, so a phrase is consecutive positions here as in Lucene.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from dataclasses import dataclass

from chalicelib.domain.search import MARK_CLOSE, MARK_OPEN, ParsedQuery

# Letters NFKD leaves alone that ASCII folding maps (Lucene's ASCIIFoldingFilter)
_LATIN = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "ŧ": "t",
        "þ": "th",
        "ŋ": "n",
        "\u017f": "s",  # long s
        "ƒ": "f",
        "ĳ": "ij",
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",
    }
)
_JOINERS = frozenset(".'\u2019")  # inside a word of letters, or of digits
_VOICING = frozenset("\uff9e\uff9f\u3099\u309a")  # kana voicing marks (full, half width)
FRAGMENT_CHARS = 160
_LEAD_CHARS = 40  # context kept before the first match of a long text


@functools.lru_cache(maxsize=8192)
def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana (ー included)
        or 0x3400 <= code <= 0x4DBF  # Han extension A
        or 0x4E00 <= code <= 0x9FFF  # Han
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x1100 <= code <= 0x11FF  # Hangul jamo
        or 0xF900 <= code <= 0xFAFF  # Han compatibility
        or 0xFF66 <= code <= 0xFF9F  # half-width katakana
        or 0x20000 <= code <= 0x2FA1F  # Han extensions B to F, compatibility supplement
    )


@functools.lru_cache(maxsize=8192)
def _is_word(char: str) -> bool:
    """Letters, decimal digits, marks and connectors (``_``): not ², ½ or CJK."""
    category = unicodedata.category(char)
    return (category[0] in "LM" or category in ("Nd", "Pc")) and not is_cjk(char)


def _joins(text: str, at: int) -> bool:
    """Whether ``text[at]`` sits inside a word: ``.``, ``'`` or U+2019 between two
    letters or two digits, ``:`` between letters, ``,`` or ``;`` between digits."""
    if at + 1 >= len(text) or not (_is_word(text[at - 1]) and _is_word(text[at + 1])):
        return False
    char, before, after = text[at], text[at - 1], text[at + 1]
    letters = before.isalpha() and after.isalpha()
    digits = before.isdecimal() and after.isdecimal()
    if char in _JOINERS:
        return letters or digits
    return (char == ":" and letters) or (char in ",;" and digits)


def fold_word(word: str) -> str:
    """Case, then what ASCII folding maps: a letter whose compatibility decomposition
    starts with an ASCII letter loses its marks (é → e, ǅ → dz, ﬁ → fi, full-width
    Latin → ASCII), as do the Latin letters in ``_LATIN``; other scripts keep theirs
    (й, έ and Devanagari stay as written)."""
    text = word.casefold().translate(_LATIN)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1  # a letter and the marks that follow it
        cluster = text[i:j]
        decomposed = unicodedata.normalize("NFKD", cluster)
        if decomposed and decomposed[0].translate(_LATIN)[:1] < "\x80":  # ǿ is ø + ́
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
        else:
            out.append(unicodedata.normalize("NFC", cluster))
        i = j
    return "".join(out).translate(_LATIN)


def _cjk_chars(run: str, at: int) -> list[tuple[str, int, int]]:
    """A run of CJK characters width-normalised (NFKC) with each character's offsets:
    a half-width kana and its voicing mark (ｶﾞ) become one character (ガ), as
    ``cjk_width`` joins them before the pairs are made."""
    out: list[tuple[str, int, int]] = []
    i, n = 0, len(run)
    while i < n:
        j = i + 1
        while j < n and run[j] in _VOICING:
            j += 1
        for char in unicodedata.normalize("NFKC", run[i:j]):
            out.append((char, at + i, at + j))
        i = j
    return out


@dataclass(frozen=True)
class Token:
    term: str
    start: int  # offsets in the analyzed text
    end: int


def analyze(text: str) -> list[Token]:
    """The tokens of ``text`` in order (a token's index is its position)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if is_cjk(char):
            j = i
            while j < n and is_cjk(text[j]):
                j += 1
            chars = _cjk_chars(text[i:j], i)
            if len(chars) == 1:
                tokens.append(Token(*chars[0]))
            for (a, start, _), (b, _, end) in itertools.pairwise(chars):
                tokens.append(Token(a + b, start, end))
            i = j
            continue
        if not _is_word(char):
            i += 1
            continue
        j = i + 1
        while j < n:
            if _is_word(text[j]):
                j += 1
                continue
            if _joins(text, j):
                j += 2
                continue
            break
        term = fold_word(text[i:j])
        if term:
            tokens.append(Token(term, i, j))
        i = j
    return tokens


def terms(text: str) -> list[str]:
    return [token.term for token in analyze(text)]


# -- highlight ------------------------------------------------------------------------


def _runs(doc: list[str], wanted: list[str], prefix_last: bool) -> list[int]:
    """Start positions where ``wanted`` occurs in ``doc`` consecutively (the last
    term as a prefix when ``prefix_last``)."""
    found = []
    size = len(wanted)
    for start in range(len(doc) - size + 1):
        if all(doc[start + k] == wanted[k] for k in range(size - 1)) and (
            doc[start + size - 1].startswith(wanted[-1])
            if prefix_last
            else doc[start + size - 1] == wanted[-1]
        ):
            found.append(start)
    return found


def marked_positions(doc: list[str], query: ParsedQuery) -> set[int]:
    """Which token positions of a matching document the highlight marks: every
    occurrence of a word's terms, each occurrence of a phrase, and the words the
    prefix begins (emoji and numbers are matched elsewhere: never marked)."""
    marked: set[int] = set()
    singles = {term for word in query.words for term in terms(word)}
    marked |= {p for p, term in enumerate(doc) if term in singles}
    for phrase in query.phrases:
        wanted = terms(phrase)
        if wanted:
            for start in _runs(doc, wanted, False):
                marked |= set(range(start, start + len(wanted)))
    if query.prefix:
        wanted = terms(query.prefix)
        if wanted:
            for start in _runs(doc, wanted, True):
                marked |= set(range(start, start + len(wanted)))
    return marked


def highlight(text: str, query: ParsedQuery) -> str | None:
    """``text`` (at most FRAGMENT_CHARS of it, from a little before the first match)
    with its matches between MARK_OPEN and MARK_CLOSE; None when nothing is marked."""
    text = text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    tokens = analyze(text)
    positions = marked_positions([t.term for t in tokens], query)
    if not positions:
        return None
    spans: list[list[int]] = []
    for p in sorted(positions):
        start, end = tokens[p].start, tokens[p].end
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)  # overlapping bigrams: one mark
        else:
            spans.append([start, end])
    begin = 0
    if len(text) > FRAGMENT_CHARS:
        # a little before the first match, and a whole fragment even near the end
        begin = max(0, min(spans[0][0] - _LEAD_CHARS, len(text) - FRAGMENT_CHARS))
        if begin and not text[begin - 1].isspace():
            space = text.find(" ", begin, spans[0][0])  # start at a word, not inside one
            begin = space + 1 if space >= 0 else begin
    end = min(len(text), begin + FRAGMENT_CHARS)
    out, at = [], begin
    for start, stop in spans:
        if start >= end:
            break
        stop = min(stop, end)
        if start < begin:
            continue
        out += [text[at:start], MARK_OPEN, text[start:stop], MARK_CLOSE]
        at = stop
    out.append(text[at:end])
    return "".join(out)
