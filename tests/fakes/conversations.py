"""In-memory conversation repository."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from chalicelib.domain.errors import ConcurrentUpdate, Conflict
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
        return copy.deepcopy(stored)

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        key = (message.conversation_id, message.sender, message.client_id)
        if key in self.client_keys:
            raise Conflict("this client_id was already used")
        stored = self.conversations[conversation.conversation_id]
        if stored.last_seq != conversation.last_seq:
            raise ConcurrentUpdate("another message took this sequence number")
        self.messages[(message.conversation_id, message.seq)] = copy.deepcopy(message)
        self.client_keys[key] = message.seq
        stored.last_seq = message.seq
        stored.last_message = message.preview()
        stored.updated_at = message.created_at
        conversation.last_seq, conversation.last_message = stored.last_seq, stored.last_message
        conversation.updated_at = stored.updated_at
        return copy.deepcopy(message)

    def get_message(self, conversation_id: str, seq: int) -> Message | None:
        return copy.deepcopy(self.messages.get((conversation_id, seq)))

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None:
        seq = self.client_keys.get((conversation_id, sender, client_id))
        return self.get_message(conversation_id, seq) if seq is not None else None

    def list_messages(
        self, conversation_id: str, limit: int, cursor: str | None, after_seq: int | None = None
    ) -> Page[Message]:
        seqs = sorted(
            (s for (cid, s) in self.messages if cid == conversation_id), reverse=after_seq is None
        )
        if after_seq is not None:
            seqs = [s for s in seqs if s > after_seq]
        keys = [(f"{s:012d}", s) for s in seqs]
        scope = f"messages:{conversation_id}:" + (
            "newest-first" if after_seq is None else f"after:{after_seq}"
        )
        page, next_cursor = _paginate(keys, limit, cursor, scope, descending=after_seq is None)
        return Page(
            [copy.deepcopy(self.messages[(conversation_id, s)]) for _, s in page], next_cursor
        )

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

    def touch_members(
        self, conversation: Conversation, activity_at: str, sender: str | None = None
    ) -> None:
        for user_id in conversation.members:
            m = self.memberships.get((user_id, conversation.conversation_id))
            if m is not None and m.activity_at <= activity_at:
                m.activity_at = activity_at
                m.hidden = False
            if m is not None and user_id == sender:
                m.read_seq = max(m.read_seq, conversation.last_seq)

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
