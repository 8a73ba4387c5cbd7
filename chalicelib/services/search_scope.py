"""The caller's search scope, read from DynamoDB at query time.

Memberships (the conversations they are in and have not hidden: groups, 1:1s, the
SMS conversations of their shared lines, the contact-center threads they hold now)
and handled interactions (the ones they answered; a supervisor also those answered
from the queues their routing profile lists; an admin those of every queue of the
company). Every read is a Query or GetItem bounded by a count, never by history.

For an admin, each queue's handled interactions (and the company's queue list) are
kept for ``QUEUE_READS_TTL_S`` in the warm function: a search is sent per pause in
typing, and an admin's scope reads every queue of the company, so without it one
admin typing a word cost a Query per queue per search. What is kept only ever grants
less than a fresh read would (a handled record is only added to, never withdrawn; who
the caller is, their role and their memberships are read every time), and they are
kept per admin, so an admin's first search reads afresh and a newly handled
interaction is found at most ``QUEUE_READS_TTL_S`` late.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from chalicelib.domain.contact_center import SUPERVISOR
from chalicelib.domain.model import Membership
from chalicelib.domain.search import MAX_SCOPE
from chalicelib.domain.search_scope import HandledInteraction, Scope, build_scope
from chalicelib.services.common import Caller
from chalicelib.services.ports import ConversationRepository

if TYPE_CHECKING:
    from chalicelib.services.contact_center.ports import ContactCenterRepository
    from chalicelib.services.search_handled import HandledInteractions

SCOPE_PAGE = 500  # memberships read per Query while building the scope
MAX_RANGES = 300  # conversations searched in part: each is two clauses of the query
HANDLED_READ = 200  # handled interactions read per agent and per queue (the newest)
QUEUE_READS_TTL_S = 3.0  # an admin's queue reads are kept this long (a word being typed)
QUEUE_READS_KEPT = 500  # queues kept at most; past it the oldest reads are dropped


class ScopeReader:
    """Builds a ``Scope``: at most ``MAX_SCOPE`` whole conversations (the most recent)
    and ``MAX_RANGES`` parts of conversations."""

    def __init__(
        self,
        conversations: ConversationRepository,
        handled: HandledInteractions | None = None,
        contact_center: ContactCenterRepository | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repo = conversations
        self._handled = handled
        self._cc = contact_center
        self._clock = clock
        # (company, admin, queue or "" for the queue list) -> (read at, what was read)
        self._kept: dict[tuple[str, str, str], tuple[float, list[Any]]] = {}

    def scope(self, caller: Caller) -> Scope:
        handled = self._handled_by(caller)
        return build_scope(
            self._memberships(caller),
            handled,
            MAX_SCOPE,
            MAX_RANGES,
            hidden=self._hidden(caller, handled),
        )

    def _memberships(self, caller: Caller) -> list[Membership]:
        found: list[Membership] = []
        cursor: str | None = None
        while len(found) < MAX_SCOPE:
            page = self._repo.list_memberships(caller.user_id, SCOPE_PAGE, cursor)
            found += [m for m in page.items if not m.hidden]
            cursor = page.next_cursor
            if not cursor:
                break
        return found

    def _hidden(self, caller: Caller, handled: list[HandledInteraction]) -> set[str]:
        """The handled conversations the caller hid: their list leaves hidden ones out,
        so the caller's memberships of those conversations are read (one BatchGetItem
        per 100; nothing when nothing was handled)."""
        wanted = list(dict.fromkeys(h.conversation_id for h in handled))
        if not wanted:
            return set()
        found = self._repo.memberships_in(caller.user_id, wanted)
        return {c for c, m in found.items() if m.hidden}

    def _handled_by(self, caller: Caller) -> list[HandledInteraction]:
        """Newest answer first. Nothing for someone who is not in the contact center
        (one GetItem tells), so an ordinary search pays one read for this."""
        if self._handled is None or self._cc is None:
            return []
        agent = self._cc.get_agent(caller.user_id)
        if agent is not None and agent.company_id != caller.company_id:
            agent = None
        queues: list[str] = []
        if caller.is_admin:
            queues = self._kept_read(
                caller,
                "",
                lambda: [q.queue_id for q in self._cc.list_queues(caller.company_id)],  # type: ignore[union-attr]
            )
        elif agent is not None and agent.role == SUPERVISOR:
            queues = list(agent.queues)
        found: dict[tuple[str, float], HandledInteraction] = {}
        if agent is not None:
            for h in self._handled.by_agent(caller.user_id, HANDLED_READ):
                found[(h.interaction_id, h.answered_at)] = h
        handled = self._handled
        for queue_id in dict.fromkeys(queues):
            read = partial(handled.by_queue, caller.company_id, queue_id, HANDLED_READ)
            # only an admin's reads are kept: they read every queue; a supervisor's few
            # queues are read fresh, so what their agents just ended is found at once
            kept = self._kept_read(caller, queue_id, read) if caller.is_admin else None
            for h in read() if kept is None else kept:
                found[(h.interaction_id, h.answered_at)] = h
        mine = (h for h in found.values() if h.company_id == caller.company_id)
        return sorted(mine, key=lambda h: h.answered_at, reverse=True)

    def _kept_read(self, caller: Caller, queue_id: str, read: Callable[[], list[Any]]) -> list[Any]:
        """``read()``, or what it returned to this caller less than ``QUEUE_READS_TTL_S``
        ago (kept per caller: anyone's first search reads afresh)."""
        now = self._clock()
        key = (caller.company_id, caller.user_id, queue_id)
        kept = self._kept.get(key)
        if kept is not None and now - kept[0] < QUEUE_READS_TTL_S:
            return kept[1]
        value = read()
        if len(self._kept) >= QUEUE_READS_KEPT:
            for old in sorted(self._kept, key=lambda k: self._kept[k][0])[: QUEUE_READS_KEPT // 2]:
                del self._kept[old]
        self._kept[key] = (now, value)
        return value
