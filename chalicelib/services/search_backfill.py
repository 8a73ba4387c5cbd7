"""Backfill: index the history a stage had before search (or into a new index).

An operator's command (``python -m infra.admin_search backfill``), never a request
or event path. It reads history by the table's key design, company by company:
the company's users (the users index), each user's conversations (their
memberships), each conversation's messages (one partition, in sequence order) —
Queries only. A conversation reached through several members is indexed once.

Resumable: after every bulk write the checkpoint records how far each
conversation got (its last sequence number) and which are done, so a run stopped
anywhere continues where it was; writes are idempotent (a document's id is its
message id), so the overlap of a crash is rewritten, not duplicated. Paced: at
most ``per_second`` documents a second, so the engine and the table keep serving
people. ``since`` re-reads only what changed after a moment (the catch-up pass of
an alias swap).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.domain.search import SearchDocument, document_of
from chalicelib.services.ports import ConversationRepository, DirectoryRepository
from chalicelib.services.search_ports import SearchIndex

PAGE = 200  # users, memberships and messages read per Query
BATCH = 500  # documents per bulk write


@dataclass
class Checkpoint:
    """How far a backfill got: per company, the conversations done and the last
    sequence number indexed of the one in progress. Saved to ``path`` (JSON) when given."""

    path: Path | None = None
    done: dict[str, set[str]] = field(default_factory=dict)
    at: dict[str, int] = field(default_factory=dict)  # conversation → last seq indexed

    @classmethod
    def load(cls, path: Path | None) -> Checkpoint:
        if path is None or not path.exists():
            return cls(path)
        raw = json.loads(path.read_text())
        return cls(
            path,
            {company: set(ids) for company, ids in raw.get("done", {}).items()},
            {conversation: int(seq) for conversation, seq in raw.get("at", {}).items()},
        )

    def save(self) -> None:
        if self.path is None:
            return
        body = {"done": {c: sorted(ids) for c, ids in self.done.items()}, "at": self.at}
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(body))
        os.replace(partial, self.path)  # a reader never sees half a file


@dataclass
class Progress:
    company_id: str
    conversations: int = 0  # done in this run
    documents: int = 0  # written in this run (indexed or removed)
    started: float = field(default_factory=time.monotonic)

    @property
    def per_second(self) -> float:
        return self.documents / max(time.monotonic() - self.started, 1e-6)


class SearchBackfill:
    """Index every message of a company's conversations, resumably and paced."""

    def __init__(
        self,
        index: SearchIndex,
        directory: DirectoryRepository,
        conversations: ConversationRepository,
        checkpoint: Checkpoint,
        *,
        per_second: float = 200.0,
        region_of: Callable[[str], str] = lambda company_id: "US",
        report: Callable[[Progress], None] = lambda progress: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._index = index
        self._directory = directory
        self._repo = conversations
        self._checkpoint = checkpoint
        self._per_second = per_second
        self._region_of = region_of
        self._report = report
        self._sleep = sleep
        self._clock = clock

    def conversations(self, company_id: str, since: str | None = None) -> Iterator[str]:
        """The company's conversations that have a member, each once (the users index,
        then each user's memberships: Queries); with ``since``, only those active since."""
        seen: set[str] = set()
        users_cursor: str | None = None
        while True:
            users = self._directory.list_users(company_id, PAGE, users_cursor)
            for user in users.items:
                cursor: str | None = None
                while True:
                    page = self._repo.list_memberships(user.user_id, PAGE, cursor)
                    for membership in page.items:
                        active = membership.activity_at or ""
                        if since is not None and active and active < since:
                            break  # most recent first: the rest are older still
                        if membership.conversation_id not in seen:
                            seen.add(membership.conversation_id)
                            yield membership.conversation_id
                    else:
                        cursor = page.next_cursor
                        if cursor:
                            continue
                    break
            users_cursor = users.next_cursor
            if not users_cursor:
                return

    def run(self, company_id: str, since: str | None = None) -> Progress:
        progress = Progress(company_id, started=self._clock())
        done = self._checkpoint.done.setdefault(company_id, set())
        for conversation_id in self.conversations(company_id, since):
            if conversation_id in done and since is None:
                continue
            self._conversation(conversation_id, since, progress)
            done.add(conversation_id)
            self._checkpoint.at.pop(conversation_id, None)
            self._checkpoint.save()
            progress.conversations += 1
            self._report(progress)
        return progress

    def _conversation(self, conversation_id: str, since: str | None, progress: Progress) -> None:
        documents: list[SearchDocument] = []
        deletions: list[str] = []
        start = self._checkpoint.at.get(conversation_id, 0) if since is None else 0
        last = start
        cursor: str | None = None
        while True:
            if since is None:  # oldest first from where the checkpoint says
                page = self._repo.list_messages(conversation_id, PAGE, cursor, after_seq=start)
            else:  # newest first, back to ``since``
                page = self._repo.list_messages(conversation_id, PAGE, cursor)
            stop = False
            for message in page.items:
                if since is not None and message.created_at < since:
                    stop = True
                    break
                document = document_of(message, self._region_of(message.company_id))
                if document is None:
                    deletions.append(message.message_id)
                else:
                    documents.append(document)
                last = max(last, message.seq)
                if len(documents) + len(deletions) >= BATCH:
                    self._write(conversation_id, documents, deletions, last, since, progress)
                    documents, deletions = [], []
            cursor = page.next_cursor
            if stop or not cursor:
                break
        if documents or deletions:
            self._write(conversation_id, documents, deletions, last, since, progress)

    def _write(
        self,
        conversation_id: str,
        documents: list[SearchDocument],
        deletions: list[str],
        last: int,
        since: str | None,
        progress: Progress,
    ) -> None:
        began = self._clock()
        self._index.write(documents, deletions)
        written = len(documents) + len(deletions)
        progress.documents += written
        if since is None:
            self._checkpoint.at[conversation_id] = last
            self._checkpoint.save()
        self._report(progress)
        # pace: this batch may take no less than written / per_second seconds
        rest = written / self._per_second - (self._clock() - began)
        if rest > 0:
            self._sleep(rest)
