"""The search index on the OpenSearch REST protocol.

Why not ``opensearch-py``: the few calls this needs (``_bulk``, ``_search``, index
and alias management, ``_cluster/health``) are plain JSON over HTTPS, and urllib3 and
botocore's SigV4 signer are already in the Lambda package; the client and the
``requests`` stack it pulls in would add about 4 MB unzipped for no behaviour
(docs/architecture.md, "Search"). On AWS every request is signed with the
function's role (service ``es``); locally the same code talks, unsigned, to the
local stack's OpenSearch-protocol engine.

Readers and writers use the alias (``settings.search_index``); the physical index
behind it is ``{alias}-v{N}``, so a mapping change is a new index, a backfill into
it and an alias swap (docs/deploy.md).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from chalicelib.domain.search import (
    MARK_CLOSE,
    MARK_OPEN,
    ParsedQuery,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchRequest,
    fold,
    highlight_html,
    plain_fragment,
)
from chalicelib.domain.search_scope import OPEN_END
from chalicelib.services.search_ports import IndexHealth, SearchUnavailable

MAPPING_VERSION = 1  # bump with any change below: a new index, backfilled, then swapped

ANALYSIS: dict[str, Any] = {
    "analyzer": {
        # case and accent folding (café = cafe, Grüße = grusse), full-width forms,
        # Chinese/Japanese/Korean as overlapping bigrams (no dictionary needed)
        "folded": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["cjk_width", "lowercase", "cjk_bigram", "asciifolding"],
        }
    }
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "doc_id": {"type": "keyword"},
        "company_id": {"type": "keyword"},
        "conversation_id": {"type": "keyword"},
        "seq": {"type": "long"},
        "channel": {"type": "keyword"},
        "sender": {"type": "keyword"},
        "created_at": {"type": "date"},
        "text": {"type": "text", "analyzer": "folded"},
        "symbols": {"type": "keyword"},  # emoji, which text analyzers drop
        "phones": {"type": "keyword"},  # numbers in the text, E.164
    },
}
FRAGMENT_CHARS = 160
MAX_LISTED_RANGE = 500  # a part of a conversation this short is asked by its message ids
MAX_LISTED_IDS = 10_000  # ids in one query at most (OpenSearch's own limit is 65,536)
_PLAIN_WORD = re.compile(r"[a-z0-9]+")  # one token as the analyzer makes it, already folded
TIMEOUT_S = 5.0


def index_body(shards: int = 1, replicas: int = 0) -> dict[str, Any]:
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "analysis": ANALYSIS,
        },
        "mappings": MAPPINGS,
    }


def versioned(alias: str, version: int = MAPPING_VERSION) -> str:
    return f"{alias}-v{version}"


def _prefix_clause(prefix: str) -> dict[str, Any]:
    """The word being typed. A plain ASCII word (after folding: the usual case) is
    one ``prefix`` term query on the indexed tokens: about half the time of
    ``match_phrase_prefix`` over common words (docs/architecture.md, "Measured"),
    with no cap on the words it expands to. Anything the analyzer could split or fold
    differently (punctuation, CJK, letters such as ø that ASCII folding maps but
    Unicode decomposition does not) keeps ``match_phrase_prefix``, which analyzes it."""
    folded = fold(prefix)
    # letters and digits only: folding maps "x²" to "x2", but the analyzer drops "²"
    if _PLAIN_WORD.fullmatch(folded) and all(_letter_or_digit(c) for c in prefix):
        return {"prefix": {"text": {"value": folded}}}
    return {"match_phrase_prefix": {"text": {"query": prefix, "max_expansions": 50}}}


def _letter_or_digit(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def _clauses(query: ParsedQuery) -> list[dict[str, Any]]:
    """Every word, phrase, emoji and number must match; the prefix too."""
    must: list[dict[str, Any]] = [
        {"match": {"text": {"query": word, "operator": "and"}}} for word in query.words
    ]
    must += [{"match_phrase": {"text": {"query": phrase}}} for phrase in query.phrases]
    if query.prefix:
        must.append(_prefix_clause(query.prefix))
    must += [{"term": {"symbols": symbol}} for symbol in query.symbols]
    must += [{"term": {"phones": number}} for number in query.phones]
    return must


def _scope_clause(request: SearchRequest) -> dict[str, Any]:
    """Whole conversations by id. Parts of conversations (an interaction handled, a
    "delete for me" horizon) by their message ids when they are bounded and short
    (a handled interaction: ids are term lookups, which every engine answers
    quickly); a part open at its end whose start is near (a horizon after a few
    hundred messages) as its conversation but the ids before it; else as their
    conversation and sequence range (a range clause, which osmem evaluates over
    every document, about 0.1 s each over 100,000 messages; Lucene intersects it
    with the conversation's postings)."""
    should: list[dict[str, Any]] = []
    if request.conversation_ids:
        should.append({"terms": {"conversation_id": list(request.conversation_ids)}})
    listed: list[str] = []
    for r in request.ranges:
        size = r.last - r.first + 1
        if size <= MAX_LISTED_RANGE and len(listed) + size <= MAX_LISTED_IDS:
            listed += [f"{r.conversation_id}.{seq}" for seq in range(r.first, r.last + 1)]
            continue
        if r.last == OPEN_END and r.first - 1 <= MAX_LISTED_RANGE:
            before = [f"{r.conversation_id}.{seq}" for seq in range(r.first)]
            should.append(
                {
                    "bool": {
                        "filter": [{"term": {"conversation_id": r.conversation_id}}],
                        "must_not": [{"terms": {"doc_id": before}}] if before else [],
                    }
                }
            )
            continue
        should.append(
            {
                "bool": {
                    "filter": [
                        {"term": {"conversation_id": r.conversation_id}},
                        {"range": {"seq": {"gte": r.first, "lte": r.last}}},
                    ]
                }
            }
        )
    if listed:
        should.append({"terms": {"doc_id": listed}})
    if len(should) == 1:
        return should[0]
    return {"bool": {"should": should or [{"terms": {"doc_id": []}}], "minimum_should_match": 1}}


def search_body(request: SearchRequest) -> dict[str, Any]:
    """The ``_search`` body: scope and filters first (never scored), then the words.

    The company is not a clause: the scope's conversations are the company's own (a
    conversation id is a random or company-derived id), and a ``company_id`` term
    matches nearly every document of a large company, which an engine that evaluates
    each clause over the whole index (the local one) pays for on every keystroke (half
    its time over 100,000 messages; docs/architecture.md, "Measured"). The company is
    still checked: each hit's ``company_id`` comes back and ``search`` drops any other
    company's, so an id shared by two companies never leaks either way."""
    filters: list[dict[str, Any]] = [_scope_clause(request)]
    if request.channel:
        filters.append({"term": {"channel": request.channel}})
    if request.sender:
        filters.append({"term": {"sender": request.sender}})
    if request.after or request.before:
        span = {"gte": request.after} if request.after else {}
        if request.before:
            span["lt"] = request.before
        filters.append({"range": {"created_at": span}})
    body: dict[str, Any] = {
        "size": request.limit + 1,
        "query": {"bool": {"filter": filters, "must": _clauses(request.query)}},
        # newest first; the message id makes the order total, so a cursor (the last
        # hit's sort values) never repeats or skips a hit. _score is left out on purpose:
        # a float sent back in search_after must compare equal to the engine's own, which
        # not every OpenSearch-protocol engine guarantees (docs/architecture.md)
        "sort": [{"created_at": "desc"}, {"doc_id": "desc"}],
        "track_total_hits": False,  # never shown: counting every match is wasted work
        "_source": ["company_id", "conversation_id", "seq", "text"],
        "highlight": {
            "pre_tags": [MARK_OPEN],
            "post_tags": [MARK_CLOSE],
            "fields": {"text": {"number_of_fragments": 1, "fragment_size": FRAGMENT_CHARS}},
        },
    }
    if request.cursor:
        body["search_after"] = list(request.cursor)
    return body


def _hit(raw: dict[str, Any]) -> SearchHit:
    source = raw.get("_source") or {}
    fragments = (raw.get("highlight") or {}).get("text") or []
    text = str(source.get("text", ""))
    return SearchHit(
        doc_id=str(raw["_id"]),
        conversation_id=str(source.get("conversation_id", "")),
        seq=int(source.get("seq", 0)),
        highlight=highlight_html(fragments[0]) if fragments else plain_fragment(text),
        sort=tuple(raw.get("sort") or ()),
    )


Transport = Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]]


class OpenSearchIndex:
    """``SearchIndex`` over HTTP(S). ``sign`` signs every request with SigV4 (AWS);
    ``transport`` may be passed by tests (method, url, body, headers → status, body)."""

    def __init__(
        self,
        endpoint: str,
        alias: str,
        *,
        region: str = "us-east-1",
        sign: bool = False,
        service: str = "es",
        transport: Transport | None = None,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self.alias = alias
        self._region = region
        self._sign = sign
        self._service = service
        self._transport = transport
        self._pool: Any = None
        self._credentials: Any = None

    # -- HTTP ----------------------------------------------------------------------

    def _send(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self._transport is not None:
            return self._transport(method, url, body, headers)
        if self._pool is None:
            import urllib3

            self._pool = urllib3.PoolManager(
                maxsize=10, retries=False, timeout=urllib3.Timeout(total=TIMEOUT_S)
            )
        response = self._pool.request(method, url, body=body, headers=headers)
        return response.status, response.data

    def _signed(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        if self._credentials is None:
            import boto3

            self._credentials = boto3.Session().get_credentials()
        request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        request.headers["Host"] = urlsplit(url).netloc
        SigV4Auth(self._credentials.get_frozen_credentials(), self._service, self._region).add_auth(
            request
        )
        return dict(request.headers.items())

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        ndjson: str | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        """One call; an unreachable engine or an unexpected status is SearchUnavailable
        (the engine's reason is kept for the log, never a document's text)."""
        url = f"{self._endpoint}{path}"
        data = (
            ndjson.encode()
            if ndjson is not None
            else (None if body is None else json.dumps(body).encode())
        )
        headers = {
            "Content-Type": "application/x-ndjson" if ndjson is not None else "application/json"
        }
        if self._sign:
            headers = self._signed(method, url, data, headers)
        try:
            status, raw = self._send(method, url, data, headers)
        except Exception as error:  # connection refused, timeout, TLS: all "not now"
            raise SearchUnavailable(
                f"the search engine did not answer ({type(error).__name__})"
            ) from error
        if status not in ok:
            reason = _reason(raw)
            raise SearchUnavailable(f"the search engine answered {status} ({reason})")
        return json.loads(raw) if raw else {}

    # -- the port ------------------------------------------------------------------

    def write(self, documents: list[SearchDocument], deletions: list[str]) -> None:
        if not documents and not deletions:
            return
        lines: list[str] = []
        for doc in documents:
            lines.append(json.dumps({"index": {"_index": self.alias, "_id": doc.doc_id}}))
            lines.append(json.dumps({"doc_id": doc.doc_id, **doc.to_source()}, ensure_ascii=False))
        for doc_id in deletions:
            lines.append(json.dumps({"delete": {"_index": self.alias, "_id": doc_id}}))
        answer = self.request("POST", "/_bulk", ndjson="\n".join(lines) + "\n")
        if answer.get("errors"):
            failed = [
                (op, result)
                for item in answer.get("items", [])
                for op, result in item.items()
                # deleting what is not there is done already
                if result.get("status", 200) >= 300
                and not (op == "delete" and result.get("status") == 404)
            ]
            if failed:
                raise SearchUnavailable(
                    f"the search engine refused {len(failed)} of {len(lines)} writes "
                    f"({failed[0][1].get('error', {}).get('type', 'error')})"
                )

    def search(self, request: SearchRequest) -> SearchPage:
        if not (request.conversation_ids or request.ranges) or request.query.empty:
            return SearchPage([], False)
        answer = self.request("POST", f"/{quote(self.alias)}/_search", search_body(request))
        raw_hits = answer.get("hits", {}).get("hits", [])
        hits = [
            _hit(raw)
            for raw in raw_hits[: request.limit]
            if (raw.get("_source") or {}).get("company_id") == request.company_id
        ]
        return SearchPage(hits, len(raw_hits) > request.limit)

    def refresh(self) -> None:
        self.request("POST", f"/{quote(self.alias)}/_refresh")

    def health(self) -> IndexHealth:
        try:
            aliases = self.request("GET", f"/_alias/{quote(self.alias)}", ok=(200, 404))
            index = next((name for name in aliases if name != "error" and name != "status"), "")
            health = self.request(
                "GET", f"/_cluster/health/{quote(self.alias)}", ok=(200, 404, 408)
            )
            count = self.request("GET", f"/{quote(self.alias)}/_count", ok=(200, 404))
        except SearchUnavailable:
            return IndexHealth("unreachable", 0, "")
        return IndexHealth(str(health.get("status", "red")), int(count.get("count", 0)), index)

    # -- index management (the operator's commands, the local stack) ----------------

    def exists(self, index: str) -> bool:
        status = self.request("GET", f"/{quote(index)}", ok=(200, 404))
        return "error" not in status

    def create(self, index: str, shards: int = 1, replicas: int = 0) -> bool:
        """Create a physical index with this module's mapping; False if it was there."""
        if self.exists(index):
            return False
        self.request("PUT", f"/{quote(index)}", index_body(shards, replicas))
        return True

    def point_alias(self, index: str) -> str | None:
        """Move the alias to ``index`` in one atomic action; returns the index it left."""
        current = self.request("GET", f"/_alias/{quote(self.alias)}", ok=(200, 404))
        previous = next((n for n in current if n not in ("error", "status")), None)
        actions: list[dict[str, Any]] = []
        if previous and previous != index:
            actions.append({"remove": {"index": previous, "alias": self.alias}})
        if previous != index:
            actions.append({"add": {"index": index, "alias": self.alias}})
            self.request("POST", "/_aliases", {"actions": actions})
        return previous

    def ensure(self, shards: int = 1, replicas: int = 0) -> str:
        """The alias exists and points at an index (created at MAPPING_VERSION if none)."""
        current = self.request("GET", f"/_alias/{quote(self.alias)}", ok=(200, 404))
        found = next((n for n in current if n not in ("error", "status")), None)
        if found:
            return str(found)
        index = versioned(self.alias)
        self.create(index, shards, replicas)
        self.point_alias(index)
        return index


def _reason(raw: bytes) -> str:
    try:
        error = json.loads(raw).get("error", {})
    except (ValueError, AttributeError):
        return "no JSON"
    if isinstance(error, dict):
        return str(error.get("type", "error"))
    return "error"
