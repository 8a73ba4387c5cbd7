"""Conversations, messages and memberships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.keys import (
    META_SK,
    MSG_PREFIX,
    activity_sort,
    client_sk,
    conv_pk,
    convs_gsi,
    membership_sk,
    msg_sk,
    number_convs_gsi,
    user_pk,
)
from chalicelib.adapters.dynamodb.mapping import (
    pending_index,
    to_conversation,
    to_membership,
    to_message,
)
from chalicelib.adapters.dynamodb.models import (
    GSI1_KEYS,
    TABLE_KEYS,
    ClientKeyItem,
    ConversationItem,
    MembershipItem,
    MessageItem,
    conditional_failed,
    get_item,
    page_of,
    shared_connection,
)
from chalicelib.domain.errors import ConcurrentUpdate, Conflict
from chalicelib.domain.model import (
    Conversation,
    Membership,
    Message,
    Page,
)
from chalicelib.domain.sms import status_rank


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
    )


class DynamoConversationRepository:
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
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(item, condition=ConversationItem.pk.does_not_exist())
                for user_id in conversation.members:
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
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(
                    ConversationItem(conv_pk(conversation.conversation_id), META_SK),
                    actions=[
                        ConversationItem.members.set(members),
                        ConversationItem.name.set(name),
                        ConversationItem.version.set(now_version),
                    ],
                    condition=ConversationItem.version == conversation.version,
                )
                for user_id in added:
                    tx.save(membership_item(conversation, user_id))
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
        return conversation

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        preview = message.preview()
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(
                    ConversationItem(conv_pk(conversation.conversation_id), META_SK),
                    actions=[
                        ConversationItem.last_seq.set(message.seq),
                        ConversationItem.last_message.set(preview),
                        ConversationItem.updated_at.set(message.created_at),
                    ],
                    condition=ConversationItem.last_seq == conversation.last_seq,
                )
                tx.save(
                    MessageItem(
                        conv_pk(message.conversation_id),
                        msg_sk(message.seq),
                        conversation_id=message.conversation_id,
                        company_id=message.company_id,
                        seq=message.seq,
                        client_id=message.client_id,
                        sender=message.sender,
                        text=message.text,
                        status=message.status,
                        created_at=message.created_at,
                        deleted=False,
                        entities=message.entities or None,
                        channel=message.channel,
                        direction=message.direction,
                        segments=message.segments,
                        encoding=message.encoding,
                        status_rank=status_rank(message.status),
                        media=message.media or None,
                        **pending_index(message),
                    ),
                    condition=MessageItem.pk.does_not_exist(),
                )
                tx.save(
                    ClientKeyItem(
                        conv_pk(message.conversation_id),
                        client_sk(message.sender, message.client_id),
                        seq=message.seq,
                    ),
                    condition=ClientKeyItem.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            # Ask the table rather than trusting the order of cancellation reasons
            # (emulators disagree on it): is it our key, or just a lost race?
            if (
                self.find_by_client_id(message.conversation_id, message.sender, message.client_id)
                is not None
            ):
                raise Conflict("this client_id was already used") from exc
            raise ConcurrentUpdate("another message took this sequence number") from exc
        conversation.last_seq = message.seq
        conversation.last_message = preview
        conversation.updated_at = message.created_at
        return message

    def get_message(self, conversation_id: str, seq: int) -> Message | None:
        item = get_item(MessageItem, conv_pk(conversation_id), msg_sk(seq), consistent=True)
        return to_message(item) if item else None

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None:
        key = get_item(
            ClientKeyItem, conv_pk(conversation_id), client_sk(sender, client_id), consistent=True
        )
        return self.get_message(conversation_id, int(key.seq)) if key else None

    def list_messages(
        self, conversation_id: str, limit: int, cursor: str | None, after_seq: int | None = None
    ) -> Page[Message]:
        pk = conv_pk(conversation_id)
        tag = "messages:newest-first" if after_seq is None else f"messages:after:{after_seq}"
        start = decode_cursor(cursor, tag, TABLE_KEYS, {"pk": pk})
        condition: Any
        if after_seq is None:
            condition = MessageItem.sk.startswith(MSG_PREFIX)
            forward = False
        else:
            condition = MessageItem.sk.between(msg_sk(after_seq + 1), msg_sk(10**12 - 1))
            forward = True
        items = list(
            MessageItem.query(
                pk, condition, scan_index_forward=forward, limit=limit + 1, last_evaluated_key=start
            )
        )
        page, next_cursor = page_of(items, limit, TABLE_KEYS, tag)
        return Page([to_message(i) for i in page], next_cursor)

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

    def touch_members(
        self, conversation: Conversation, activity_at: str, sender: str | None = None
    ) -> None:
        sort_key = activity_sort(activity_at, conversation.conversation_id)
        for user_id in conversation.members:
            item = MembershipItem(user_pk(user_id), membership_sk(conversation.conversation_id))
            actions: list[Any] = [
                MembershipItem.gsi1pk.set(convs_gsi(user_id)),
                MembershipItem.gsi1sk.set(sort_key),
                MembershipItem.hidden.set(False),
            ]
            newer = MembershipItem.gsi1sk.does_not_exist() | (MembershipItem.gsi1sk <= sort_key)
            if user_id == sender:
                # Sending reads everything up to one's own message: one write, not two,
                # and the outbox sees it is a send, not a read receipt.
                read = MembershipItem.read_seq < conversation.last_seq
                try:
                    item.update(
                        actions=[*actions, MembershipItem.read_seq.set(conversation.last_seq)],
                        condition=MembershipItem.pk.exists() & newer & read,
                    )
                    continue
                except UpdateError as exc:
                    if not conditional_failed(exc):
                        raise
            try:
                item.update(actions=actions, condition=MembershipItem.pk.exists() & newer)
            except UpdateError as exc:
                if not conditional_failed(exc):
                    raise

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
