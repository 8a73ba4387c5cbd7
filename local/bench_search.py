"""`make bench`, search: the figures issue 19 asks for (``local.bench`` prints them).

1. Query latency over 100,000 indexed messages (words of a 5,000-word vocabulary
   with Zipf frequencies): the adapter's search (scope of a typical person: 200
   conversations of their company), p50/p95 of 300 queries of one to three words
   drawn the same way, the last as a prefix (as typed); the same queries by shape
   (``words``: ended with a space, so no prefix; ``phrase``: in quotes); and the same
   typed queries for a supervisor (100 conversations whole and 300 handled
   interactions as sequence ranges) and for the widest scope a search asks (2,000
   conversations whole). Also the index rate. Run on both local engines
   one after the other, the same messages and queries: the local stack's default
   (SQLite FTS5, the headline) and osmem under the OpenSearch adapter AWS runs; and
   whether both found the same hits for every query.
2. Index lag on the local stack: a message sent over REST until the other member's
   ``GET /search`` finds it (polled every 20 ms), p50/p95 of 20 sends, on each
   local engine.
3. AWS requests per search and per indexed batch (moto, metered), and what 1M of
   each costs at us-east-1 list prices.
4. The Lambda package: total, and the share of the search modules (search adds no
   dependency: its adapter speaks HTTP through urllib3, which botocore brings).

Runs in its own interpreter; the last line of its output is the JSON of the figures.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = 100_000
CONVERSATIONS = 5_000
SCOPE = 200
RANGES = 300  # a supervisor's handled interactions (the most the scope holds)
QUERIES = 300
LAG_SAMPLES = 20
# Message text: words drawn from a 5,000-word vocabulary with Zipf frequencies (as
# language has: a few very common words, a long tail), queries drawn the same way.
VOCABULARY = 5_000
ZIPF_S = 1.1
WORDS = [
    "invoice",
    "report",
    "meeting",
    "quote",
    "plumber",
    "delivery",
    "schedule",
    "café",
    "grüße",
    "budget",
    "contract",
    "repair",
    "leak",
    "kitchen",
    "office",
    "payment",
    "refund",
    "order",
    "launch",
    "roadmap",
    "draft",
    "customer",
    "ticket",
    "urgent",
    "tomorrow",
    "friday",
    "morning",
    "address",
    "number",
    "call",
    "back",
    "thanks",
]

# us-east-1 list prices (USD) the cost lines use
LAMBDA_PER_M_REQUESTS = 0.20
LAMBDA_PER_GB_S = 0.0000166667
LAMBDA_GB = 0.5  # lambda_memory_mb 512
APIGW_REST_PER_M = 3.50
DDB_PER_M_READ_UNITS = 0.125
T3_SMALL_PER_HOUR = 0.036
GP3_PER_GB_MONTH = 0.122


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    syllables = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ru",
        "sa",
        "ti",
        "vo",
        "be",
        "da",
        "fe",
        "gi",
        "ho",
        "ju",
        "ly",
    ]
    made = set(WORDS)
    while len(made) < VOCABULARY:
        made.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    words = sorted(made)
    rng.shuffle(words)
    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(len(words))]
    return words, weights


def _document(n: int, rng: random.Random, vocabulary: tuple[list[str], list[float]]) -> Any:
    from chalicelib.domain.search import SearchDocument

    conversation = f"c{n % CONVERSATIONS:05d}"
    words, weights = vocabulary
    text = " ".join(rng.choices(words, weights, k=rng.randint(4, 16)))
    return SearchDocument(
        doc_id=f"{conversation}.{n // CONVERSATIONS + 1}",
        company_id="acme" if n % 10 else "globex",
        conversation_id=conversation,
        seq=n // CONVERSATIONS + 1,
        channel="sms" if n % 3 == 0 else "im",
        sender=f"u{n % 50}",
        created_at=f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T10:{n % 60:02d}:00Z",
        text=text,
        symbols=(),
        phones=(),
    )


def _engine(name: str, documents: list[Any]) -> tuple[Any, Callable[[], None], float]:
    """An empty index on ``name`` (sqlite: the local stack's default; osmem: the
    OpenSearch adapter AWS runs), filled with ``documents``: (index, what ends it,
    seconds): stopping osmem's server, or removing the embedded index's folder."""
    import functools
    import shutil
    import tempfile

    from chalicelib.adapters.opensearch import OpenSearchIndex
    from chalicelib.adapters.sqlite_search import SqliteSearchIndex
    from local.search_engine import start_osmem

    if name == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-search-")
        index: Any = SqliteSearchIndex(f"{folder}/bench-messages.sqlite3", "bench-messages")
        close = functools.partial(shutil.rmtree, folder, ignore_errors=True)
    else:
        server = start_osmem()
        index = OpenSearchIndex(server.url, "bench-messages")
        index.ensure()
        close = server.close
    began = time.perf_counter()
    for start in range(0, len(documents), 2000):
        index.write(documents[start : start + 2000], [])
    index.refresh()
    return index, close, time.perf_counter() - began


def query_latency() -> dict[str, Any]:
    """Both engines over the same messages and the same queries, one after the other;
    the headline figures are the local stack's default engine's (sqlite)."""
    from chalicelib.domain.search import MAX_SCOPE, SearchRequest, parse_query
    from chalicelib.domain.search_scope import SeqRange
    from chalicelib.services.search_ports import SearchUnavailable

    rng = random.Random(19)
    vocabulary = _vocabulary(rng)
    documents = [_document(n, rng, vocabulary) for n in range(DOCUMENTS)]
    # a scope holds only the caller's company's conversations (c…0 are globex's)
    acme = [n for n in range(CONVERSATIONS) if n % 10]
    scope = tuple(f"c{n:05d}" for n in rng.sample(acme, SCOPE))
    # a supervisor: fewer conversations whole, and handled interactions as ranges
    ranged = tuple(SeqRange(f"c{n:05d}", 1 + n % 5, 6 + n % 9) for n in rng.sample(acme, RANGES))
    # the widest scope a search asks (MAX_SCOPE conversations: an admin, a busy person)
    widest = tuple(f"c{n:05d}" for n in rng.sample(acme, MAX_SCOPE))
    typed = []
    for _ in range(QUERIES):
        words = rng.choices(vocabulary[0], vocabulary[1], k=rng.randint(1, 3))
        words[-1] = words[-1][: max(3, len(words[-1]) - rng.randint(0, 3))]
        typed.append(" ".join(words))
    shapes = {
        "typed": [parse_query(q) for q in typed],
        "words": [parse_query(q + " ") for q in typed],
        "phrase": [parse_query(f'"{q}"') for q in typed],
    }

    def measure(name: str) -> tuple[dict[str, Any], list[list[str]]]:
        index, close, indexing_s = _engine(name, documents)
        timeouts = {"person": 0, "supervisor": 0, "admin": 0}
        found: list[list[str]] = []

        def latencies(
            who: str, whole: tuple[str, ...], ranges: tuple[Any, ...], asked: list[Any]
        ) -> list[float]:
            samples = []
            for query in asked:
                request = SearchRequest("acme", whole, query, limit=20, ranges=ranges)
                started = time.perf_counter()
                try:
                    hits = [hit.doc_id for hit in index.search(request).hits]
                except SearchUnavailable:  # the adapter's 5 s timeout: counted, not fatal
                    timeouts[who] += 1
                    hits = ["timeout"]
                samples.append((time.perf_counter() - started) * 1000)
                found.append(hits)
            return samples

        try:
            by_shape = {n: latencies("person", scope, (), asked) for n, asked in shapes.items()}
            supervisor = latencies("supervisor", scope[: SCOPE // 2], ranged, shapes["typed"])
            admin = latencies("admin", widest, (), shapes["typed"])
            documents_indexed = index.health().documents
        finally:
            close()
        samples = by_shape["typed"]
        return {
            "documents": documents_indexed,
            "indexing_s": round(indexing_s, 1),
            "indexed_per_s": round(DOCUMENTS / indexing_s),
            "shapes": {
                shape: {
                    "p50_ms": round(statistics.median(s), 1),
                    "p95_ms": round(_pct(s, 0.95), 1),
                }
                for shape, s in by_shape.items()
            },
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(_pct(samples, 0.95), 1),
            "with_ranges_p50_ms": round(statistics.median(supervisor), 1),
            "with_ranges_p95_ms": round(_pct(supervisor, 0.95), 1),
            "widest_scope_p50_ms": round(statistics.median(admin), 1),
            "widest_scope_p95_ms": round(_pct(admin, 0.95), 1),
            "timeouts": timeouts,
        }, found

    default, default_hits = measure("sqlite")
    protocol, protocol_hits = measure("osmem")
    same = sum(a == b for a, b in zip(default_hits, protocol_hits, strict=True))
    return {
        **default,
        "engine": "sqlite",
        "engines": {"sqlite": default, "osmem": protocol},
        # every query asked of both: the same hits in the same order?
        "same_hits": f"{same} of {len(default_hits)}",
    }


def search_cost() -> dict[str, Any]:
    """Requests one search and one indexer batch of 100 make (moto, in process)."""
    from local import environment

    environment.use_in_process_moto()
    import boto3
    from moto import mock_aws

    from local.bench import _Meter
    from local.search_engine import start_osmem

    server = start_osmem()
    try:
        with mock_aws():
            from chalicelib import bootstrap
            from chalicelib.adapters.opensearch import OpenSearchIndex
            from chalicelib.services.common import Caller
            from chalicelib.services.search import IndexChange, SearchCommand
            from local.motoserver import patch_moto
            from local.provision import provision
            from tests.support import create_im, seed_people, send, settings, verifier

            patch_moto()
            provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
            index = OpenSearchIndex(server.url, "texting-test-messages")
            index.ensure()
            services = bootstrap.bootstrap(settings(), verifier=verifier(), search_index=index)
            bootstrap.use(services)
            seed_people(services.adapters.directory)
            alice = Caller("u-alice", "acme")
            conversation, _ = create_im(services.conversations, alice, ["u-bob"])
            for n in range(100):
                send(services.conversations, alice, conversation["id"], f"b-{n}", f"invoice {n}")
            repo = services.adapters.conversations
            changes = [
                (IndexChange(conversation["id"], seq), repo.get_message(conversation["id"], seq))
                for seq in range(1, 101)
            ]
            indexer = services.search_indexer
            assert indexer is not None
            meter = _Meter()
            meter.install()
            started = time.perf_counter()
            indexer.apply(changes)
            batch_s = time.perf_counter() - started
            batch = meter.take()
            index.refresh()
            started = time.perf_counter()
            page = services.search.search(alice, SearchCommand(q="invoice", limit=20))
            search_s = time.perf_counter() - started
            searched = meter.take()
            bootstrap.use(None)
    finally:
        server.close()
    sum(searched["requests"].values())
    read_units = sum(searched["capacity_units"].values())
    per_search = (
        APIGW_REST_PER_M / 1e6
        + LAMBDA_PER_M_REQUESTS / 1e6
        + LAMBDA_GB * search_s * LAMBDA_PER_GB_S
        + read_units * DDB_PER_M_READ_UNITS / 1e6
    )
    per_batch = LAMBDA_PER_M_REQUESTS / 1e6 + LAMBDA_GB * batch_s * LAMBDA_PER_GB_S
    return {
        "hits": len(page["items"]),
        "search_aws_requests": searched["requests"],
        "search_read_units": read_units,
        "search_engine_requests": 1,
        "batch_aws_requests": batch["requests"],  # stream images: no table read
        "batch_engine_requests": 1,
        "usd_per_1m_searches": round(per_search * 1e6, 2),
        "usd_per_1m_indexed_full_batches": round(per_batch * 1e4, 4),  # 10,000 batches
        "usd_per_1m_indexed_one_per_batch": round(per_batch * 1e6, 2),  # a quiet stream
        "domain_usd_per_month_t3_small": round(T3_SMALL_PER_HOUR * 730 + 10 * GP3_PER_GB_MONTH),
    }


def index_lag() -> dict[str, Any]:
    """Send → searchable on the local stack, on its default engine (sqlite) and on osmem."""
    import os

    default = _index_lag()
    before = os.environ.get("SEARCH_LOCAL_ENGINE")
    os.environ["SEARCH_LOCAL_ENGINE"] = "osmem"
    try:
        protocol = _index_lag()
    finally:
        if before is None:
            del os.environ["SEARCH_LOCAL_ENGINE"]
        else:
            os.environ["SEARCH_LOCAL_ENGINE"] = before
    return {**default, "engine": "sqlite", "engines": {"sqlite": default, "osmem": protocol}}


def _index_lag() -> dict[str, Any]:
    """Send → searchable on a local stack (its stream poller, indexer and engine)."""
    import requests

    from local.launcher import local_stack
    from local.login import id_token

    with local_stack() as running:
        state = running.state

        def token(username: str) -> str:
            return id_token(state, username)

        def session(username: str) -> requests.Session:
            s = requests.Session()
            s.trust_env = False
            s.headers["Authorization"] = f"Bearer {token(username)}"
            return s

        alice, bob = session("alice"), session("bob")
        base = state["rest_url"]
        bob_id = next(u["user_id"] for u in state["users"] if u["username"] == "bob")
        conv = alice.post(f"{base}/conversations", json={"type": "im", "members": [bob_id]})
        conversation = conv.json()["id"]
        samples = []
        for _ in range(LAG_SAMPLES):
            word = f"lag{uuid.uuid4().hex[:10]}"
            started = time.perf_counter()
            alice.post(
                f"{base}/conversations/{conversation}/messages",
                json={"client_id": word, "text": f"bench {word}"},
            ).raise_for_status()
            deadline = started + 30
            while time.perf_counter() < deadline:
                found = bob.get(f"{base}/search", params={"q": word}).json()
                if found.get("items"):
                    break
                time.sleep(0.02)
            samples.append((time.perf_counter() - started) * 1000)
        return {
            "samples": len(samples),
            "p50_ms": round(statistics.median(samples)),
            "p95_ms": round(_pct(samples, 0.95)),
        }


def package_share() -> dict[str, Any]:
    from local.bench import package_size

    size = package_size()
    modules = [
        p
        for p in (ROOT / "chalicelib").rglob("*.py")
        if "search" in p.name or p.name == "opensearch.py"
    ]
    size["search_modules_bytes"] = sum(p.stat().st_size for p in modules)
    size["search_dependencies_bytes"] = 0
    return size


def main() -> None:
    figures = {
        "query": query_latency(),
        "cost": search_cost(),
        "lag": index_lag(),
        "package": package_share(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
