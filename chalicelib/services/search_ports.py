"""The search index port: what the search service and the indexer need from an engine.

Two adapters ship: ``chalicelib.adapters.opensearch`` (the stage's OpenSearch domain,
signed; in the tests and on request in the local stack, an OpenSearch-protocol
engine) and ``chalicelib.adapters.sqlite_search`` (the local stack's default: SQLite
FTS5 in a file). ``tests/adapters/test_search_index_contract.py`` holds both to this
port and ``test_search_engines_agree.py`` to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.errors import DomainError
from chalicelib.domain.search import SearchDocument, SearchPage, SearchRequest


class SearchUnavailable(DomainError):
    """The engine did not answer, or answered with an error: the request may be retried."""

    code = "search_unavailable"


@dataclass(frozen=True)
class IndexHealth:
    status: str  # green, yellow, red (the engine's word), or "unreachable"
    documents: int
    index: str  # the physical index the alias points at ("" when none)


class SearchIndex(Protocol):
    """A full-text index of messages.

    Scope is the caller's: ``search`` matches only inside ``request.company_id`` and
    ``request.conversation_ids``, whatever the query says. Writes are idempotent
    (a document's id is its message id), so a stream record replayed or a backfill
    run twice leaves one document.
    """

    def write(self, documents: list[SearchDocument], deletions: list[str]) -> None:
        """Index ``documents`` and remove the documents of ``deletions`` (message ids);
        raises SearchUnavailable naming nothing when any of them failed."""
        ...

    def search(self, request: SearchRequest) -> SearchPage:
        """Matches newest first (relevance breaks ties), ``request.limit`` at most."""
        ...

    def refresh(self) -> None:
        """Make every acknowledged write searchable now (tests, the end of a backfill)."""
        ...

    def health(self) -> IndexHealth: ...
