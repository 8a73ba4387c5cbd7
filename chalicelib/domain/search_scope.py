"""Search scope, the pure part: which messages of which conversations a person may
find, as sequence-number ranges. No DynamoDB: ``services/search_scope.py`` reads the
records this folds together.

Three sources grant a conversation: a membership (the whole conversation after the
member's ``cleared_seq``, their "delete for me" horizon), and a handled interaction
(an agent's own, or one of a queue they supervise: the messages from the
interaction's first to the last one there was when it left them). A conversation
granted whole is asked by id alone; one granted in parts is asked range by range.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from chalicelib.domain.model import Membership

OPEN_END = 10**12 - 1  # "to the newest message": sequence numbers have 12 digits


@dataclass(frozen=True)
class SeqRange:
    """Messages ``first``..``last`` (both included) of one conversation."""

    conversation_id: str
    first: int
    last: int = OPEN_END

    def holds(self, seq: int) -> bool:
        return self.first <= seq <= self.last


@dataclass(frozen=True)
class HandledInteraction:
    """A contact-center interaction an agent answered, as search needs it: kept for
    the agent and for the queue it was answered from. ``last_seq`` is the
    conversation's newest message when the agent last had it (at the answer, then
    at the end or release: it only moves forward)."""

    interaction_id: str
    company_id: str
    queue_id: str
    agent_id: str
    conversation_id: str
    answered_at: float
    first_seq: int
    last_seq: int

    def seq_range(self) -> SeqRange | None:
        first = max(1, self.first_seq)
        return (
            SeqRange(self.conversation_id, first, self.last_seq) if self.last_seq >= first else None
        )


@dataclass(frozen=True)
class Scope:
    """What one search may look at: ``whole`` conversations (any message) and
    ``ranges`` (only those messages). A conversation is in one or the other.
    ``members`` are those granted by a membership: the caller must still be a member
    when a hit is re-checked (a handled interaction's part needs no membership)."""

    whole: tuple[str, ...] = ()
    ranges: tuple[SeqRange, ...] = ()
    members: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.whole and not self.ranges

    def conversations(self) -> set[str]:
        return set(self.whole) | {r.conversation_id for r in self.ranges}

    def allows(self, conversation_id: str, seq: int) -> bool:
        if conversation_id in self.whole:
            return True
        return any(r.conversation_id == conversation_id and r.holds(seq) for r in self.ranges)

    def only(self, conversation_id: str) -> Scope:
        """The part of the scope in one conversation (the caller's own filter)."""
        return Scope(
            tuple(c for c in self.whole if c == conversation_id),
            tuple(r for r in self.ranges if r.conversation_id == conversation_id),
            self.members & {conversation_id},
        )


def merge_ranges(ranges: Iterable[SeqRange]) -> list[SeqRange]:
    """Overlapping or touching ranges of a conversation become one."""
    merged: list[SeqRange] = []
    for r in sorted(ranges, key=lambda r: (r.conversation_id, r.first)):
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.conversation_id == r.conversation_id
            and r.first <= last.last + 1
        ):
            merged[-1] = SeqRange(r.conversation_id, last.first, max(last.last, r.last))
        else:
            merged.append(r)
    return merged


def build_scope(
    memberships: Iterable[Membership],
    handled: Iterable[HandledInteraction],
    max_whole: int,
    max_ranges: int,
    hidden: Collection[str] = frozenset(),
) -> Scope:
    """Memberships first (most recent first, as given), then handled interactions
    (most recent first). A member's "delete for me" horizon holds for everything
    the person finds in that conversation: their membership then grants all after
    it, which holds any handled part after it too. A conversation the person hid
    (``hidden``: their memberships that are hidden) grants nothing, a handled part
    of it neither. At most
    ``max_whole`` whole conversations and ``max_ranges`` ranges: the rest are older
    than anything a person scrolls back to."""
    whole: dict[str, None] = {}
    cleared: dict[str, int] = {}
    ranges: list[SeqRange] = []
    for m in memberships:
        if m.conversation_id in whole or m.conversation_id in cleared:
            continue
        if m.cleared_seq > 0:
            cleared[m.conversation_id] = m.cleared_seq
            ranges.append(SeqRange(m.conversation_id, m.cleared_seq + 1))
        elif len(whole) < max_whole:
            whole[m.conversation_id] = None
    for h in handled:
        part = h.seq_range()
        if (
            part is not None
            and part.conversation_id not in whole
            and part.conversation_id not in cleared
            and part.conversation_id not in hidden
        ):
            ranges.append(part)
    return Scope(
        tuple(whole), tuple(merge_ranges(ranges[:max_ranges])), frozenset(whole) | set(cleared)
    )
