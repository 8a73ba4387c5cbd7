"""In-memory conversation repository."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import ConcurrentUpdate, Conflict, NotFound, ValidationError
from chalicelib.domain.model import (
    Conversation,
    Membership,
    Message,
    Page,
)
from tests.fakes.paging import _paginate


class MemoryConversationRepository:
    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[tuple[str, int], Message] = {}
        self.client_keys: dict[tuple[str, str, str], int] = {}
        self.memberships: dict[tuple[str, str], Membership] = {}
        self.counters: dict[str, int] = {}
        self.gaps: dict[tuple[str, int], str] = {}  # placeholders: (conversation, seq) → at
        self.hidden: dict[tuple[str, str, int], dict[str, object]] = {}  # (user, conv, seq)

    def _new_membership(self, conversation: Conversation, user_id: str) -> Membership:
        return Membership(
            user_id=user_id,
            conversation_id=conversation.conversation_id,
            company_id=conversation.company_id,
            read_seq=conversation.last_seq,
            activity_at=conversation.updated_at or conversation.created_at,
        )

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        existing = self.conversations.get(conversation.conversation_id)
        if existing is not None:
            return copy.deepcopy(existing), False
        self.conversations[conversation.conversation_id] = copy.deepcopy(conversation)
        for user_id in conversation.members:
            self.memberships[(user_id, conversation.conversation_id)] = self._new_membership(
                conversation, user_id
            )
        return copy.deepcopy(conversation), True

    def get(self, conversation_id: str) -> Conversation | None:
        return copy.deepcopy(self.conversations.get(conversation_id))

    def get_many(self, conversation_ids: Iterable[str]) -> dict[str, Conversation]:
        return {
            cid: copy.deepcopy(self.conversations[cid])
            for cid in conversation_ids
            if cid in self.conversations
        }

    def replace_members(
        self, conversation: Conversation, members: list[str], name: str
    ) -> Conversation:
        stored = self.conversations[conversation.conversation_id]
        if stored.version != conversation.version:
            raise ConcurrentUpdate("the conversation changed meanwhile")
        for user_id in members:
            if user_id not in stored.members:
                self.memberships[(user_id, stored.conversation_id)] = self._new_membership(
                    stored, user_id
                )
        for user_id in stored.members:
            if user_id not in members:
                self.memberships.pop((user_id, stored.conversation_id), None)
        stored.members = list(members)
        stored.name = name
        stored.version += 1
        if stored.assignee not in members:  # an assignee who left the line loses it
            stored.assignee = None
        for user_id in members:
            self.memberships[(user_id, stored.conversation_id)].assignee = stored.assignee
        return copy.deepcopy(stored)

    def take_seq(self, conversation_id: str) -> int:
        stored = self.conversations.get(conversation_id)
        if stored is None:
            raise NotFound("no such conversation", code="conversation_not_found")
        self.counters[conversation_id] = self.counters.get(conversation_id, stored.last_seq) + 1
        return self.counters[conversation_id]

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        key = (message.conversation_id, message.sender, message.client_id)
        if key in self.client_keys:
            raise Conflict("this client_id was already used")
        slot = (message.conversation_id, message.seq)
        if slot in self.messages or slot in self.gaps:
            raise ConcurrentUpdate("this sequence number is taken")
        self.messages[slot] = copy.deepcopy(message)
        self.client_keys[key] = message.seq
        self.advance_head(conversation, message)
        return copy.deepcopy(message)

    def advance_head(self, conversation: Conversation, message: Message) -> bool:
        stored = self.conversations[conversation.conversation_id]
        if stored.last_seq >= message.seq:
            return False
        stored.last_seq = message.seq
        stored.last_message = message.preview()
        stored.updated_at = message.created_at
        if message.seq > conversation.last_seq:
            conversation.last_seq, conversation.last_message = stored.last_seq, stored.last_message
            conversation.updated_at = stored.updated_at
        return True

    def fill_gap(self, conversation: Conversation, seq: int, at: str) -> bool:
        slot = (conversation.conversation_id, seq)
        if slot in self.messages or slot in self.gaps:
            return False
        self.gaps[slot] = at
        return True

    def get_message(self, conversation_id: str, seq: int) -> Message | None:
        return copy.deepcopy(self.messages.get((conversation_id, seq)))

    def get_messages(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Message]:
        return {k: copy.deepcopy(self.messages[k]) for k in keys if k in self.messages}

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None:
        seq = self.client_keys.get((conversation_id, sender, client_id))
        return self.get_message(conversation_id, seq) if seq is not None else None

    def get_for_send(
        self, conversation_id: str, sender: str, client_id: str
    ) -> tuple[Conversation | None, int | None]:
        return self.get(conversation_id), self.client_keys.get((conversation_id, sender, client_id))

    def list_messages(
        self,
        conversation_id: str,
        limit: int,
        cursor: str | None,
        after_seq: int | None = None,
        above_seq: int = 0,
        consistent: bool = False,
    ) -> Page[Message]:
        # With after_seq: the stored messages after it, oldest first, holes stepped over
        # (a transcript, not a catch-up: see messages_after).
        newest_first = after_seq is None
        floor = after_seq if after_seq is not None else above_seq
        seqs = sorted(
            (s for (cid, s) in self.messages if cid == conversation_id and s > floor),
            reverse=newest_first,
        )
        keys = [(f"{s:012d}", s) for s in seqs]
        order = f"newest-first:{above_seq}" if newest_first else f"oldest-first:{after_seq}"
        scope = f"messages:{conversation_id}:{order}"
        page, next_cursor = _paginate(keys, limit, cursor, scope, descending=newest_first)
        return Page(
            [copy.deepcopy(self.messages[(conversation_id, s)]) for _, s in page], next_cursor
        )

    def messages_after(
        self,
        conversation_id: str,
        after_seq: int,
        limit: int,
        cursor: str | None,
        settled_before: str,
    ) -> tuple[Page[Message], int]:
        scope = f"messages:{conversation_id}:after:{after_seq}"
        start = decode_cursor(cursor, scope, ("k",), {})
        expected = after_seq + 1
        if start is not None:
            raw = start["k"]["S"]
            if not (raw.isdigit() and len(raw) == 12):
                raise ValidationError("cursor is not valid", code="invalid_cursor")
            expected = int(raw) + 1
        taken = sorted(
            {
                s
                for (cid, s) in [*self.messages, *self.gaps]
                if cid == conversation_id and s >= expected
            }
        )
        out: list[Message] = []
        for seq in taken:
            at = (
                self.gaps.get((conversation_id, seq))
                or self.messages[(conversation_id, seq)].created_at
            )
            while seq > expected:  # a hole: in flight, or lost
                if at >= settled_before:
                    return Page(out, None), expected - 1
                self.gaps[(conversation_id, expected)] = at
                expected += 1
            if (conversation_id, seq) in self.messages:
                if len(out) == limit:
                    return Page(
                        out, encode_cursor({"k": f"{expected - 1:012d}"}, scope)
                    ), expected - 1
                out.append(copy.deepcopy(self.messages[(conversation_id, seq)]))
            expected += 1
        return Page(out, None), expected - 1

    def mark_deleted(self, conversation_id: str, seq: int, deleted_at: str) -> Message | None:
        message = self.messages.get((conversation_id, seq))
        if message is None:
            return None
        if not message.deleted:
            message.deleted, message.deleted_at, message.text = True, deleted_at, ""
            message.entities = []
            stored = self.conversations[conversation_id]
            if stored.last_seq == seq:
                stored.last_message = message.preview()
        return copy.deepcopy(message)

    def get_membership(self, user_id: str, conversation_id: str) -> Membership | None:
        return copy.deepcopy(self.memberships.get((user_id, conversation_id)))

    def get_memberships(self, conversation_id: str, user_ids: list[str]) -> dict[str, Membership]:
        return {
            u: copy.deepcopy(self.memberships[(u, conversation_id)])
            for u in user_ids
            if (u, conversation_id) in self.memberships
        }

    def memberships_in(self, user_id: str, conversation_ids: list[str]) -> dict[str, Membership]:
        return {
            c: copy.deepcopy(self.memberships[(user_id, c)])
            for c in conversation_ids
            if (user_id, c) in self.memberships
        }

    def list_memberships(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        keys = sorted(
            (
                (f"{m.activity_at}#{m.conversation_id}", m)
                for (uid, _), m in self.memberships.items()
                if uid == user_id and not m.hidden
            ),
            key=lambda k: k[0],
            reverse=True,
        )
        page, next_cursor = _paginate(
            keys, limit, cursor, f"memberships:{user_id}", descending=True
        )
        return Page([copy.deepcopy(m) for _, m in page], next_cursor)

    def touch_member(self, user_id: str, conversation_id: str, activity_at: str) -> bool:
        m = self.memberships.get((user_id, conversation_id))
        if m is None or m.activity_at >= activity_at:
            return False
        m.activity_at, m.hidden = activity_at, False
        return True

    def touch_sender(self, user_id: str, conversation_id: str, seq: int, activity_at: str) -> None:
        m = self.memberships.get((user_id, conversation_id))
        if m is None:
            return
        if m.activity_at <= activity_at:
            m.activity_at, m.hidden = activity_at, False
        m.read_seq = max(m.read_seq, seq)

    def advance_read(self, user_id: str, conversation_id: str, seq: int) -> bool:
        m = self.memberships.get((user_id, conversation_id))
        if m is None or m.read_seq >= seq:
            return False
        m.read_seq = seq
        return True

    def set_flags(
        self,
        user_id: str,
        conversation_id: str,
        *,
        muted: bool | None = None,
        hidden: bool | None = None,
    ) -> None:
        m = self.memberships[(user_id, conversation_id)]
        if muted is not None:
            m.muted = muted
        if hidden is not None:
            m.hidden = hidden

    def clear(self, user_id: str, conversation_id: str, seq: int) -> None:
        m = self.memberships.get((user_id, conversation_id))
        if m is None:
            return
        m.cleared_seq = max(m.cleared_seq, seq)
        m.read_seq = max(m.read_seq, seq)
        m.hidden = True

    def hide_message(
        self,
        user_id: str,
        company_id: str,
        conversation_id: str,
        seq: int,
        view: dict[str, Any],
        preview: dict[str, Any] | None = None,
        hides: int = 0,
    ) -> bool:
        key = (user_id, conversation_id, seq)
        if key in self.hidden:
            return True
        membership = self.memberships.get((user_id, conversation_id))
        if membership is None:
            raise NotFound("no such conversation", code="conversation_not_found")
        if membership.hides != hides:
            return False
        self.hidden[key] = copy.deepcopy(view)
        membership.hides += 1
        if preview is not None:
            membership.preview = copy.deepcopy(preview)
        return True

    def hidden_seqs(
        self, user_id: str, conversation_id: str, low: int, high: int, consistent: bool = False
    ) -> set[int]:
        return {
            s
            for (u, c, s) in self.hidden
            if u == user_id and c == conversation_id and low <= s <= high
        }


class MemorySharedLines:
    """Assignments, labels and views over a ``MemoryConversationRepository``."""

    def __init__(self, repo: MemoryConversationRepository) -> None:
        self.repo = repo

    def _current(self, conversation: Conversation) -> Conversation:
        stored = self.repo.conversations[conversation.conversation_id]
        if stored.version != conversation.version:
            raise ConcurrentUpdate("the conversation changed meanwhile")
        stored.version += 1
        return stored

    def assign(self, conversation: Conversation, assignee: str | None) -> Conversation:
        stored = self._current(conversation)
        stored.assignee = assignee
        for user_id in stored.members:
            self.repo.memberships[(user_id, stored.conversation_id)].assignee = assignee
        return copy.deepcopy(stored)

    def settle_views(self, conversation: Conversation) -> None:
        """The fake writes every copy with the conversation: none is ever behind."""

    def set_labels(self, conversation: Conversation, labels: list[str]) -> Conversation:
        stored = self._current(conversation)
        stored.labels = list(labels)
        return copy.deepcopy(stored)

    def list_view(
        self, user_id: str, view: str, limit: int, cursor: str | None
    ) -> Page[Membership]:
        from chalicelib.domain.shared_lines import view_of

        keys = sorted(
            (
                (f"{m.activity_at}#{m.conversation_id}", m)
                for (uid, cid), m in self.repo.memberships.items()
                if uid == user_id
                and view_of(self.repo.conversations[cid], user_id, m.assignee) == view
            ),
            key=lambda k: k[0],
            reverse=True,
        )
        page, next_cursor = _paginate(
            keys, limit, cursor, f"view:{view}:{user_id}", descending=True
        )
        return Page([copy.deepcopy(m) for _, m in page], next_cursor)
