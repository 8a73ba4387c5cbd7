"""Search: find any message the caller may read, and keep the index fed.

Permissions first: the index holds every message of every company, so it never
decides who may read what. ``SearchService`` builds the caller's scope from
DynamoDB at query time (``search_scope.py``: their memberships, which cover shared
lines and the contact-center threads they hold now, each after the member's "delete
for me" horizon; and the contact-center interactions they handled or, as a
supervisor, their queues handled, each as the range of messages it held), asks the
index only inside it, then re-checks every hit against the scope, the conversation
and the message as stored before returning it. A member removed from a group, a
conversation hidden, a message deleted a moment ago: none of them is returned,
whatever the index still says.

``SearchIndexer`` turns stream records into index writes; writes the engine refused
are kept on a failure queue for ``redrive`` (docs/deploy.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import FeatureDisabled, ValidationError
from chalicelib.domain.model import Conversation, Message, parse_message_id
from chalicelib.domain.search import (
    SearchDocument,
    SearchHit,
    SearchRequest,
    day_bounds,
    decode_cursor,
    document_of,
    encode_cursor,
    parse_query,
)
from chalicelib.domain.search_scope import Scope
from chalicelib.services.common import Caller
from chalicelib.services.ports import ConversationRepository
from chalicelib.services.search_ports import SearchIndex
from chalicelib.services.search_scope import ScopeReader

WRITE_BACKOFF_S = (0.2, 0.5)  # an indexer's in-place retries before a change is kept
CHANNELS = ("im", "sms")


@dataclass(frozen=True)
class SearchCommand:
    q: str
    conversation_id: str | None = None
    channel: str | None = None
    sender: str | None = None
    after: str | None = None  # YYYY-MM-DD, included
    before: str | None = None  # YYYY-MM-DD, included
    cursor: str | None = None
    limit: int = 20


class SearchService:
    """``GET /search``: scope from DynamoDB, match in the index, re-check each hit."""

    def __init__(
        self,
        index: SearchIndex | None,
        conversations: ConversationRepository,
        region_of: Callable[[str], str] = lambda company_id: "US",
        scopes: ScopeReader | None = None,
    ) -> None:
        self._index = index
        self._repo = conversations
        self._region_of = region_of
        self._scopes = scopes or ScopeReader(conversations)

    @property
    def enabled(self) -> bool:
        return self._index is not None

    def scope(self, caller: Caller) -> Scope:
        """What the caller may find now (``services/search_scope.py``)."""
        return self._scopes.scope(caller)

    def search(self, caller: Caller, command: SearchCommand) -> dict[str, Any]:
        if self._index is None:
            raise FeatureDisabled("search is not enabled on this stage", code="search_disabled")
        if command.channel is not None and command.channel not in CHANNELS:
            raise ValidationError("channel must be im or sms", code="invalid_channel")
        query = parse_query(command.q, self._region_of(caller.company_id))
        after, before = day_bounds(command.after, command.before)
        cursor = decode_cursor(command.cursor) if command.cursor else None
        if query.empty:
            return {"items": [], "next_cursor": None}
        scope = self.scope(caller)
        if command.conversation_id is not None:
            scope = scope.only(command.conversation_id)
        page = self._index.search(
            SearchRequest(
                company_id=caller.company_id,
                conversation_ids=scope.whole,
                ranges=scope.ranges,
                query=query,
                channel=command.channel,
                sender=command.sender,
                after=after,
                before=before,
                limit=command.limit,
                cursor=cursor,
            )
        )
        items = self._rechecked(caller, scope, page.hits)
        next_cursor = encode_cursor(page.hits[-1].sort) if page.more and page.hits else None
        return {"items": items, "next_cursor": next_cursor}

    def _rechecked(
        self, caller: Caller, scope: Scope, hits: Iterable[SearchHit]
    ) -> list[dict[str, Any]]:
        """Only hits the scope allows (its conversation, inside its range), whose
        conversation is of the caller's company with the caller still a member when a
        membership granted it, and whose message is stored and not deleted (the index
        may be a moment behind). Two batch reads for the page: the conversations,
        then the messages."""
        allowed = []
        for hit in hits:
            seq = parse_message_id(hit.conversation_id, hit.doc_id)
            if seq is not None and scope.allows(hit.conversation_id, seq):
                allowed.append((hit, seq))
        conversations = self._repo.get_many({h.conversation_id for h, _ in allowed})
        readable = [
            (hit, seq)
            for hit, seq in allowed
            if _readable(
                caller, conversations.get(hit.conversation_id), hit.conversation_id in scope.members
            )
        ]
        messages = self._repo.get_messages([(h.conversation_id, seq) for h, seq in readable])
        items = []
        for hit, seq in readable:
            message = messages.get((hit.conversation_id, seq))
            if message is None or message.deleted or message.company_id != caller.company_id:
                continue
            items.append(
                {
                    "conversation_id": hit.conversation_id,
                    "message": message.to_dict(),
                    "highlight": hit.highlight,
                }
            )
        return items


def _readable(caller: Caller, conversation: Conversation | None, as_member: bool) -> bool:
    return (
        conversation is not None
        and conversation.company_id == caller.company_id
        and (not as_member or caller.user_id in conversation.members)
    )


@dataclass(frozen=True)
class IndexChange:
    """One message to (re)index from the table, or to remove: what a failure keeps."""

    conversation_id: str
    seq: int

    @property
    def message_id(self) -> str:
        return f"{self.conversation_id}.{self.seq}"


class SearchIndexer:
    """Stream records → index writes, one bulk request a batch.

    A message is indexed as it is stored now (inserted, edited) and removed when it
    is deleted or gone; replaying a record writes the same document again.
    ``failed`` receives the changes of a write the engine refused, for redrive.
    """

    def __init__(
        self,
        index: SearchIndex,
        conversations: ConversationRepository,
        failed: Callable[[list[IndexChange]], None],
        region_of: Callable[[str], str] = lambda company_id: "US",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._index = index
        self._repo = conversations
        self._failed = failed
        self._region_of = region_of
        self._sleep = sleep

    def apply(self, changes: list[tuple[IndexChange, Message | None]]) -> int:
        """Write the batch (retried twice, briefly); if the engine still refuses, hand
        every change to ``failed`` and return 0. Returns the writes made."""
        documents: dict[str, SearchDocument] = {}
        deletions: dict[str, None] = {}
        for change, message in changes:  # in stream order: the last state of each wins
            doc = document_of(message, self._region_of(message.company_id)) if message else None
            if doc is None:
                documents.pop(change.message_id, None)
                deletions[change.message_id] = None
            else:
                deletions.pop(change.message_id, None)
                documents[change.message_id] = doc
        from chalicelib.services.search_ports import SearchUnavailable

        for attempt, pause in enumerate((*WRITE_BACKOFF_S, None)):
            try:
                self._index.write(list(documents.values()), list(deletions))
                return len(documents) + len(deletions)
            except SearchUnavailable:
                if pause is None:  # kept for redrive: one bad write never holds the stream
                    self._failed([change for change, _ in changes])
                    return 0
                self._sleep(pause * (attempt + 1))
        return 0

    def redrive(self, changes: list[IndexChange]) -> int:
        """Index each change as the table holds it now (the failure queue's redrive)."""
        current = [(c, self._repo.get_message(c.conversation_id, c.seq)) for c in changes]
        return self.apply(current)
