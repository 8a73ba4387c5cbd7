"""The search index on SQLite's FTS5: the local stack's default engine.

Why a second adapter: the local stack's OpenSearch-protocol engine (osmem) reads
every posting of every clause, so one common word costs a fixed share of the whole
index on every keystroke (p95 over 100,000 messages above the 100 ms goal;
docs/architecture.md, "Search"). FTS5 ships with Python's standard library, is a
mature engine, and intersects posting lists the way Lucene does. It cannot serve a
Lambda (no shared disk), so AWS always runs ``opensearch.py``; one contract suite
(``tests/adapters/test_search_index_contract.py``) holds both adapters to the same
behaviour, and the production adapter still runs on osmem in the tests and on
request in the local stack (``SEARCH_LOCAL_ENGINE=osmem``).

Layout (one file per index): ``docs`` holds each message's fields, its text and its
time as epoch milliseconds; the FTS5 table ``words`` holds, under the same rowid,
the analyzed terms (``search_analysis.analyze``), the conversation, and the emoji
and E.164 numbers. Every token is written as ``x`` + the hex of its UTF-8, so no
query text is ever FTS5 syntax and prefixes stay prefixes. Scope is a clause of the
match (the conversations, so FTS5 intersects them with the words) and a per-row
check of message ranges; the company is a column test. Newest first, then the
message id, as on OpenSearch; the cursor is ``[created_ms, doc_id]``, its sort values.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.adapters.search_analysis import highlight, terms
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.search import (
    ParsedQuery,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchRequest,
    highlight_html,
    plain_fragment,
)
from chalicelib.services.search_ports import IndexHealth, SearchUnavailable

# bump with any change to the tables or the analysis: a file of another version is
# refused (the local stack makes a new one at every start)
SCHEMA_VERSION = 2  # 2: folding as ASCII folding does, kana voicing marks, ';' in numbers
MATCH_SCOPE_MAX = 200  # conversations asked inside the match; more: a column test
BUSY_TIMEOUT_MS = 5000
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS docs (
        rowid INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL UNIQUE,
        company_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        channel TEXT NOT NULL,
        sender TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        text TEXT NOT NULL
    )""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(
        terms, conversation, keys, tokenize = 'ascii', prefix = '3 5 7', detail = full
    )""",
)


def _token(term: str) -> str:
    return "x" + term.encode("utf-8", "surrogatepass").hex()


def _phrase(tokens: list[str], prefix: bool = False) -> str:
    return '"' + " ".join(_token(t) for t in tokens) + '"' + (" *" if prefix else "")


def epoch_ms(instant: str) -> int:
    """An ISO-8601 instant ("…Z", with an offset, or none: UTC, as OpenSearch reads
    it) as epoch milliseconds."""
    try:
        parsed = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("not an ISO-8601 instant", code="invalid_date") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp() * 1000)


def match_expression(query: ParsedQuery) -> str | None:
    """The FTS5 expression of the words, phrases, prefix, emoji and numbers (all must
    match); None when a part has no terms at all (it can match nothing)."""
    parts: list[str] = []
    for word in query.words:
        tokens = terms(word)
        if not tokens:
            return None
        parts += [_phrase([t]) for t in tokens]  # every term, in any order (operator and)
    for phrase in query.phrases:
        tokens = terms(phrase)
        if not tokens:
            return None
        parts.append(_phrase(tokens))
    if query.prefix:
        tokens = terms(query.prefix)
        if not tokens:
            return None
        parts.append(_phrase(tokens, prefix=True))
    text = f"terms : ({' AND '.join(parts)})" if parts else ""
    keys = [_phrase([f"s{s}"]) for s in query.symbols] + [_phrase([f"p{p}"]) for p in query.phones]
    if keys:
        text = " AND ".join(([text] if text else []) + [f"keys : ({' AND '.join(keys)})"])
    return text or None


def _prepare(db: sqlite3.Connection, path: str) -> None:
    """The tables and WAL mode, once per file. A file holding anything else (another
    schema version, another program's tables) is refused before anything is written
    to it, never read with the wrong analysis. Retried while another process does the
    same (switching to WAL can fail at once on a lock rather than wait)."""
    for attempt in range(50):
        try:
            _check_version(db, path)
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                if _check_version(db, path) == 0:  # still empty: this process makes it
                    for statement in SCHEMA:
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return
        except sqlite3.OperationalError as error:
            # the extended code's low byte is the primary one (SQLITE_BUSY_RECOVERY is busy)
            busy = error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            if not busy or attempt == 49:
                raise
            time.sleep(0.02)


def _check_version(db: sqlite3.Connection, path: str) -> int:
    """0 for an empty file, SCHEMA_VERSION for one of ours; anything else is refused."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    (tables,) = db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if (version, bool(tables)) in ((0, False), (SCHEMA_VERSION, True)):
        return int(version)
    raise sqlite3.DatabaseError(f"{path} is not a search index of schema version {SCHEMA_VERSION}")


class SqliteSearchIndex:
    """``SearchIndex`` in one SQLite file; safe across threads (one connection each)."""

    def __init__(self, path: str, alias: str, *, create: bool = True) -> None:
        """``create=False`` (the operator's tool) opens only a file that is there: a
        mistyped path is unreachable, not a new empty index."""
        self.path = path
        self.alias = alias
        self.create = create
        self._local = threading.local()
        self._ready = False
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            if self.create:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                target, uri = self.path, False
            else:
                target, uri = f"{Path(self.path).absolute().as_uri()}?mode=rw", True
            db = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, uri=uri
            )
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            with self._lock:
                if not self._ready:
                    _prepare(db, self.path)
                    self._ready = True
        except (sqlite3.Error, OSError) as error:
            raise SearchUnavailable(
                f"the search engine did not answer ({type(error).__name__})"
            ) from error
        self._local.db = db
        return db

    @property
    def name(self) -> str:
        """The index behind the alias, as ``health`` reports it."""
        return f"{self.alias}-v{SCHEMA_VERSION}"

    def ensure(self) -> str:
        """Make the file, its tables and WAL mode now (before several processes open
        it: switching to WAL does not wait for a lock); returns the index's name."""
        self._db()
        return self.name

    # -- the port --------------------------------------------------------------------

    def write(self, documents: list[SearchDocument], deletions: list[str]) -> None:
        if not documents and not deletions:
            return
        try:
            rows = self._rows(documents)
        except (ValueError, UnicodeError, OverflowError) as error:
            raise SearchUnavailable(
                f"the search engine refused {len(documents)} writes ({type(error).__name__})"
            ) from error
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for doc_id in deletions:
                    self._remove(db, doc_id)
                for fields, (created_ms, text), indexed in rows:
                    self._remove(db, fields[0])
                    rowid = db.execute(
                        "INSERT INTO docs (doc_id, company_id, conversation_id, seq, channel,"
                        " sender, created_ms, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (*fields, created_ms, text),
                    ).lastrowid
                    db.execute(
                        "INSERT INTO words (rowid, terms, conversation, keys) VALUES (?, ?, ?, ?)",
                        (rowid, *indexed),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, UnicodeError, OverflowError) as error:
            raise SearchUnavailable(
                f"the search engine refused {len(rows) + len(deletions)} writes "
                f"({type(error).__name__})"
            ) from error

    @staticmethod
    def _remove(db: sqlite3.Connection, doc_id: str) -> None:
        found = db.execute("SELECT rowid FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        if found:
            db.execute("DELETE FROM words WHERE rowid = ?", found)
            db.execute("DELETE FROM docs WHERE rowid = ?", found)

    @staticmethod
    def _rows(documents: list[SearchDocument]) -> list[tuple[Any, ...]]:
        return [
            (
                (d.doc_id, d.company_id, d.conversation_id, d.seq, d.channel, d.sender),
                (epoch_ms(d.created_at), d.text),
                (
                    " ".join(_token(t) for t in terms(d.text)),
                    _token(d.conversation_id),
                    " ".join(
                        [_token(f"s{s}") for s in d.symbols] + [_token(f"p{p}") for p in d.phones]
                    ),
                ),
            )
            for d in documents
        ]

    def search(self, request: SearchRequest) -> SearchPage:
        if not (request.conversation_ids or request.ranges) or request.query.empty:
            return SearchPage([], False)
        words = match_expression(request.query)
        if words is None:
            return SearchPage([], False)
        asked = dict.fromkeys(
            [*request.conversation_ids, *(r.conversation_id for r in request.ranges)]
        )
        if len(asked) <= MATCH_SCOPE_MAX:
            # inside the match: FTS5 intersects the scope's postings with the words'
            scope = " OR ".join(_phrase([c]) for c in asked)
            where = ["words MATCH ?", "d.company_id = ?"]
            args: list[Any] = [f"{words} AND conversation : ({scope})", request.company_id]
        else:
            # an OR of hundreds of conversations costs FTS5 more than testing each match
            where = [
                "words MATCH ?",
                "d.company_id = ?",
                "d.conversation_id IN (SELECT value FROM json_each(?))",
            ]
            args = [words, request.company_id, json.dumps(list(asked))]
        if request.channel:
            where.append("d.channel = ?")
            args.append(request.channel)
        if request.sender:
            where.append("d.sender = ?")
            args.append(request.sender)
        if request.after:
            where.append("d.created_ms >= ?")
            args.append(epoch_ms(request.after))
        if request.before:
            where.append("d.created_ms < ?")
            args.append(epoch_ms(request.before))
        if request.cursor is not None:
            created, doc_id = _cursor(request.cursor)
            where.append("(d.created_ms < ? OR (d.created_ms = ? AND d.doc_id < ?))")
            args += [created, created, doc_id]
        db = self._db()
        if request.ranges:
            whole = set(request.conversation_ids)
            ranges: dict[str, list[tuple[int, int]]] = {}
            for r in request.ranges:
                ranges.setdefault(r.conversation_id, []).append((r.first, r.last))

            def in_scope(conversation: str, seq: int) -> bool:
                return conversation in whole or any(
                    first <= seq <= last for first, last in ranges.get(conversation, ())
                )

            db.create_function("in_scope", 2, in_scope, deterministic=True)
            where.append("in_scope(d.conversation_id, d.seq)")
        sql = (
            "SELECT d.doc_id, d.conversation_id, d.seq, d.text, d.created_ms"
            " FROM words JOIN docs d ON d.rowid = words.rowid WHERE "
            + " AND ".join(where)
            + " ORDER BY d.created_ms DESC, d.doc_id DESC LIMIT ?"
        )
        try:
            rows = db.execute(sql, (*args, request.limit + 1)).fetchall()
        except (sqlite3.Error, UnicodeError, OverflowError) as error:
            raise SearchUnavailable(
                f"the search engine answered an error ({type(error).__name__})"
            ) from error
        hits = [
            SearchHit(
                doc_id=doc_id,
                conversation_id=conversation,
                seq=int(seq),
                highlight=_fragment(text, request.query),
                sort=(int(created_ms), doc_id),
            )
            for doc_id, conversation, seq, text, created_ms in rows[: request.limit]
        ]
        return SearchPage(hits, len(rows) > request.limit)

    def refresh(self) -> None:
        """Nothing to do: a committed write is searchable at once."""

    def health(self) -> IndexHealth:
        try:
            (count,) = self._db().execute("SELECT count(*) FROM docs").fetchone()
        except (sqlite3.Error, SearchUnavailable):
            return IndexHealth("unreachable", 0, "")
        return IndexHealth("green", int(count), self.name)


def _cursor(cursor: tuple[Any, ...]) -> tuple[int, str]:
    """This adapter's sort values (``[created_ms, doc_id]``; ``decode_cursor`` has
    checked each value), else the API's 400."""
    if len(cursor) == 2 and type(cursor[0]) is int and isinstance(cursor[1], str):
        return cursor[0], cursor[1]
    raise ValidationError("cursor is not one this API gave", code="invalid_cursor")


def _fragment(text: str, query: ParsedQuery) -> str:
    marked = highlight(text, query)
    return highlight_html(marked) if marked is not None else plain_fragment(text)
