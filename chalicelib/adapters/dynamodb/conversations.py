"""Conversations, messages and memberships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.hidden_messages import DynamoHiddenMessages
from chalicelib.adapters.dynamodb.keys import (
    META_SK,
    activity_sort,
    conv_pk,
    convs_gsi,
    membership_sk,
    msg_sk,
    number_convs_gsi,
    user_pk,
)
from chalicelib.adapters.dynamodb.mapping import (
    to_conversation,
    to_membership,
    to_message,
)
from chalicelib.adapters.dynamodb.message_log import DynamoMessageLog
from chalicelib.adapters.dynamodb.models import (
    GSI1_KEYS,
    ConversationItem,
    MembershipItem,
    MessageItem,
    conditional_failed,
    get_item,
    page_of,
    shared_connection,
)
from chalicelib.adapters.dynamodb.shared_lines import (
    TX_ITEMS,
    after_members,
    update_member_views,
    view_key,
)
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import (
    IM,
    Conversation,
    Membership,
    Message,
    Page,
)


def membership_item(conversation: Conversation, user_id: str) -> MembershipItem:
    """A new member's view of a conversation: read up to now, listed by activity."""
    return MembershipItem(
        user_pk(user_id),
        membership_sk(conversation.conversation_id),
        company_id=conversation.company_id,
        conversation_id=conversation.conversation_id,
        user_id=user_id,
        read_seq=conversation.last_seq,
        muted=False,
        hidden=False,
        gsi1pk=convs_gsi(user_id),
        gsi1sk=activity_sort(
            conversation.updated_at or conversation.created_at, conversation.conversation_id
        ),
        assignee=conversation.assignee,
        gsi2pk=view_key(conversation, user_id),
    )


class DynamoConversationRepository(DynamoHiddenMessages, DynamoMessageLog):
    """Conversations, messages and memberships in the messaging table."""

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        item = ConversationItem(
            conv_pk(conversation.conversation_id),
            META_SK,
            conversation_id=conversation.conversation_id,
            company_id=conversation.company_id,
            type=conversation.type,
            members=list(conversation.members),
            name=conversation.name,
            created_by=conversation.created_by,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at or conversation.created_at,
            last_seq=0,
            last_message=None,
            version=0,
            business_number=conversation.business_number,
            external_number=conversation.external_number,
            gsi1pk=number_convs_gsi(conversation.business_number)
            if conversation.business_number
            else None,
            gsi1sk=conversation.conversation_id if conversation.business_number else None,
        )
        # a line too large for one transaction: the members past it first (a membership
        # without its conversation is listed by no one), then the rest with it
        in_tx = conversation.members[: TX_ITEMS - 1]
        if len(in_tx) < len(conversation.members):
            existing = self.get(conversation.conversation_id)
            if existing is not None:  # get-or-create: never reset anyone's membership
                return existing, False
        with MembershipItem.batch_write() as batch:
            for user_id in conversation.members[TX_ITEMS - 1 :]:
                batch.save(membership_item(conversation, user_id))
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(item, condition=ConversationItem.pk.does_not_exist())
                for user_id in in_tx:
                    tx.save(membership_item(conversation, user_id))
        except TransactWriteError as exc:
            # It exists already (the usual get-or-create), or two people opened the same
            # conversation at the same instant and the other transaction won.
            existing = self.get(conversation.conversation_id)
            if existing is not None:
                return existing, False
            raise ConcurrentUpdate("the conversation is being created; try again") from exc
        return conversation, True

    def get(self, conversation_id: str) -> Conversation | None:
        item = get_item(ConversationItem, conv_pk(conversation_id), META_SK, consistent=True)
        return to_conversation(item) if item else None

    def get_many(self, conversation_ids: Iterable[str]) -> dict[str, Conversation]:
        keys = [(conv_pk(cid), META_SK) for cid in dict.fromkeys(conversation_ids)]
        if not keys:
            return {}
        return {i.conversation_id: to_conversation(i) for i in ConversationItem.batch_get(keys)}

    def replace_members(
        self, conversation: Conversation, members: list[str], name: str
    ) -> Conversation:
        added = [m for m in members if m not in conversation.members]
        removed = [m for m in conversation.members if m not in members]
        now_version = conversation.version + 1
        after = after_members(conversation, members)  # a shared line's views follow
        unassigned = [ConversationItem.assignee.remove()] if conversation.assignee else []
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(
                    ConversationItem(conv_pk(conversation.conversation_id), META_SK),
                    actions=[
                        ConversationItem.members.set(members),
                        ConversationItem.name.set(name),
                        ConversationItem.version.set(now_version),
                        *(unassigned if after.assignee is None else []),
                    ],
                    condition=ConversationItem.version == conversation.version,
                )
                for user_id in added:
                    tx.save(membership_item(after, user_id))
                if after.type != IM:
                    update_member_views(tx, after, [m for m in members if m not in added])
                for user_id in removed:
                    tx.delete(
                        MembershipItem(
                            user_pk(user_id), membership_sk(conversation.conversation_id)
                        )
                    )
        except TransactWriteError as exc:
            raise ConcurrentUpdate("the conversation changed meanwhile") from exc
        conversation.members = list(members)
        conversation.name = name
        conversation.version = now_version
        conversation.assignee = after.assignee
        return conversation

    def mark_deleted(self, conversation_id: str, seq: int, deleted_at: str) -> Message | None:
        item = MessageItem(conv_pk(conversation_id), msg_sk(seq))
        try:
            item.update(
                actions=[
                    MessageItem.deleted.set(True),
                    MessageItem.deleted_at.set(deleted_at),
                    MessageItem.text.set(""),
                    MessageItem.entities.remove(),
                    MessageItem.media.remove(),
                ],
                condition=MessageItem.pk.exists() & (MessageItem.deleted == False),  # noqa: E712
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return self.get_message(conversation_id, seq)
            raise
        message = to_message(item)
        self._refresh_preview(conversation_id, message)
        return message

    def _refresh_preview(self, conversation_id: str, message: Message) -> None:
        """A deleted last message must not linger in the conversation list preview."""
        try:
            ConversationItem(conv_pk(conversation_id), META_SK).update(
                actions=[ConversationItem.last_message.set(message.preview())],
                condition=ConversationItem.last_seq == message.seq,
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise

    def get_membership(self, user_id: str, conversation_id: str) -> Membership | None:
        item = get_item(
            MembershipItem, user_pk(user_id), membership_sk(conversation_id), consistent=True
        )
        return to_membership(item) if item else None

    def get_memberships(self, conversation_id: str, user_ids: list[str]) -> dict[str, Membership]:
        keys = [(user_pk(u), membership_sk(conversation_id)) for u in dict.fromkeys(user_ids)]
        if not keys:
            return {}
        return {i.user_id: to_membership(i) for i in MembershipItem.batch_get(keys)}

    def memberships_in(self, user_id: str, conversation_ids: list[str]) -> dict[str, Membership]:
        keys = [(user_pk(user_id), membership_sk(c)) for c in dict.fromkeys(conversation_ids)]
        if not keys:
            return {}
        return {i.conversation_id: to_membership(i) for i in MembershipItem.batch_get(keys)}

    def list_memberships(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        start = decode_cursor(cursor, "conversations", GSI1_KEYS, {"gsi1pk": convs_gsi(user_id)})
        items = list(
            MembershipItem.gsi1.query(
                convs_gsi(user_id),
                scan_index_forward=False,
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = page_of(items, limit, GSI1_KEYS, "conversations")
        return Page([to_membership(i) for i in page], next_cursor)

    def touch_member(self, user_id: str, conversation_id: str, activity_at: str) -> bool:
        """Move one member's list entry up to ``activity_at`` (and unhide it); never back."""
        sort_key = activity_sort(activity_at, conversation_id)
        try:
            MembershipItem(user_pk(user_id), membership_sk(conversation_id)).update(
                actions=[
                    MembershipItem.gsi1pk.set(convs_gsi(user_id)),
                    MembershipItem.gsi1sk.set(sort_key),
                    MembershipItem.hidden.set(False),
                ],
                condition=MembershipItem.pk.exists()
                & (MembershipItem.gsi1sk.does_not_exist() | (MembershipItem.gsi1sk < sort_key)),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def touch_sender(self, user_id: str, conversation_id: str, seq: int, activity_at: str) -> None:
        """The writer's entry moves up and their read horizon reaches their own message,
        in one write (the outbox sees a send, not a read receipt)."""
        sort_key = activity_sort(activity_at, conversation_id)
        newer = MembershipItem.gsi1sk.does_not_exist() | (MembershipItem.gsi1sk <= sort_key)
        try:
            MembershipItem(user_pk(user_id), membership_sk(conversation_id)).update(
                actions=[
                    MembershipItem.gsi1pk.set(convs_gsi(user_id)),
                    MembershipItem.gsi1sk.set(sort_key),
                    MembershipItem.hidden.set(False),
                    MembershipItem.read_seq.set(seq),
                ],
                condition=MembershipItem.pk.exists() & newer & (MembershipItem.read_seq < seq),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            # a later message moved the entry already, or the horizon is past: each
            # on its own, forward only
            self.advance_read(user_id, conversation_id, seq)
            self.touch_member(user_id, conversation_id, activity_at)

    def advance_read(self, user_id: str, conversation_id: str, seq: int) -> bool:
        item = MembershipItem(user_pk(user_id), membership_sk(conversation_id))
        try:
            item.update(
                actions=[MembershipItem.read_seq.set(seq)],
                condition=MembershipItem.pk.exists() & (MembershipItem.read_seq < seq),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def set_flags(
        self,
        user_id: str,
        conversation_id: str,
        *,
        muted: bool | None = None,
        hidden: bool | None = None,
    ) -> None:
        item = MembershipItem(user_pk(user_id), membership_sk(conversation_id))
        actions: list[Any] = []
        if muted is not None:
            actions.append(MembershipItem.muted.set(muted))
        if hidden is True:
            actions += [MembershipItem.hidden.set(True), MembershipItem.gsi1pk.remove()]
        elif hidden is False:
            actions += [
                MembershipItem.hidden.set(False),
                MembershipItem.gsi1pk.set(convs_gsi(user_id)),
            ]
        if actions:
            item.update(actions=actions, condition=MembershipItem.pk.exists())

    def clear(self, user_id: str, conversation_id: str, seq: int) -> None:
        item = MembershipItem(user_pk(user_id), membership_sk(conversation_id))
        try:
            item.update(
                actions=[
                    MembershipItem.cleared_seq.set(seq),
                    MembershipItem.hidden.set(True),
                    MembershipItem.gsi1pk.remove(),
                ],
                condition=MembershipItem.pk.exists()
                & (
                    MembershipItem.cleared_seq.does_not_exist() | (MembershipItem.cleared_seq < seq)
                ),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            self.set_flags(user_id, conversation_id, hidden=True)  # cleared that far already
            return
        self.advance_read(user_id, conversation_id, seq)  # forward only, on its own
