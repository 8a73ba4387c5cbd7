"""The message log's items: the sequence counter, messages, client keys, placeholders.

A send takes its number with one atomic ADD on the conversation's counter (never a
conflict, however many write at once), then stores the message and its client key
in one transaction, then moves the conversation's head (last_seq and preview)
forward only. A number whose message is never stored becomes a placeholder
(``gap``): at once when the send knows (its client id won elsewhere), or when a
catch-up finds the hole older than the settle time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb.keys import (
    MAX_SEQ_SK,
    META_SK,
    MSG_PREFIX,
    client_sk,
    conv_pk,
    msg_sk,
)
from chalicelib.adapters.dynamodb.mapping import pending_index, to_conversation, to_message
from chalicelib.adapters.dynamodb.models import (
    TABLE_KEYS,
    ClientKeyItem,
    ConversationItem,
    MessageItem,
    batch_get_raw,
    conditional_failed,
    get_item,
    shared_connection,
)
from chalicelib.domain.errors import ConcurrentUpdate, Conflict, NotFound, ValidationError
from chalicelib.domain.model import Conversation, Message, Page
from chalicelib.domain.sms import status_rank


def message_item(message: Message) -> MessageItem:
    return MessageItem(
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
    )


class DynamoMessageLog:
    """The log's half of the conversation repository (mixed into it)."""

    def take_seq(self, conversation_id: str) -> int:
        item = ConversationItem(conv_pk(conversation_id), META_SK)
        try:
            item.update(
                actions=[
                    ConversationItem.seq_counter.set(
                        (ConversationItem.seq_counter | ConversationItem.last_seq) + 1
                    )
                ],
                condition=ConversationItem.pk.exists(),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                raise NotFound("no such conversation", code="conversation_not_found") from exc
            raise
        return int(item.seq_counter)

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(message_item(message), condition=MessageItem.pk.does_not_exist())
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
            # (emulators disagree on it): is it our key, or is the number taken?
            if (
                self.find_by_client_id(message.conversation_id, message.sender, message.client_id)
                is not None
            ):
                raise Conflict("this client_id was already used") from exc
            if get_item(
                MessageItem, conv_pk(message.conversation_id), msg_sk(message.seq), consistent=True
            ):
                raise ConcurrentUpdate("this sequence number is taken") from exc
            raise
        self.advance_head(conversation, message)
        return message

    def advance_head(self, conversation: Conversation, message: Message) -> bool:
        """last_seq and the preview follow the highest stored message, forward only."""
        preview = message.preview()
        try:
            ConversationItem(conv_pk(message.conversation_id), META_SK).update(
                actions=[
                    ConversationItem.last_seq.set(message.seq),
                    ConversationItem.last_message.set(preview),
                    ConversationItem.updated_at.set(message.created_at),
                ],
                condition=ConversationItem.pk.exists()
                & (
                    ConversationItem.last_seq.does_not_exist()
                    | (ConversationItem.last_seq < message.seq)
                ),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        if message.seq > conversation.last_seq:
            conversation.last_seq, conversation.last_message = message.seq, preview
            conversation.updated_at = message.created_at
        return True

    def fill_gap(self, conversation: Conversation, seq: int, at: str) -> bool:
        return self._put_gap(conversation.conversation_id, conversation.company_id, seq, at)

    def _put_gap(self, conversation_id: str, company_id: str, seq: int, at: str) -> bool:
        try:
            MessageItem(
                conv_pk(conversation_id),
                msg_sk(seq),
                conversation_id=conversation_id,
                company_id=company_id,
                seq=seq,
                client_id="",
                sender="",
                text="",
                created_at=at,
                deleted=True,
                gap=True,
            ).save(condition=MessageItem.pk.does_not_exist())
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def get_message(self, conversation_id: str, seq: int) -> Message | None:
        item = get_item(MessageItem, conv_pk(conversation_id), msg_sk(seq), consistent=True)
        return to_message(item) if item and not item.gap else None

    def get_messages(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Message]:
        """One consistent BatchGetItem (PynamoDB splits it at 100 keys and asks again
        for any DynamoDB left unprocessed): a message deleted a moment ago reads deleted."""
        wanted = [(conv_pk(c), msg_sk(seq)) for c, seq in dict.fromkeys(keys)]
        if not wanted:
            return {}
        found = (
            to_message(i) for i in MessageItem.batch_get(wanted, consistent_read=True) if not i.gap
        )
        return {(m.conversation_id, m.seq): m for m in found}

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None:
        key = get_item(
            ClientKeyItem, conv_pk(conversation_id), client_sk(sender, client_id), consistent=True
        )
        return self.get_message(conversation_id, int(key.seq)) if key else None

    def get_for_send(
        self, conversation_id: str, sender: str, client_id: str
    ) -> tuple[Conversation | None, int | None]:
        """One consistent BatchGetItem for the conversation and the client key (two
        item types: PynamoDB batches one model at a time)."""
        pk = conv_pk(conversation_id)
        found = batch_get_raw([(pk, META_SK), (pk, client_sk(sender, client_id))], consistent=True)
        meta, key = found.get((pk, META_SK)), found.get((pk, client_sk(sender, client_id)))
        conversation = to_conversation(ConversationItem.from_raw_data(meta)) if meta else None
        return conversation, int(ClientKeyItem.from_raw_data(key).seq) if key else None

    def list_messages(
        self,
        conversation_id: str,
        limit: int,
        cursor: str | None,
        after_seq: int | None = None,
        above_seq: int = 0,
        consistent: bool = False,
    ) -> Page[Message]:
        """Newest first, after ``above_seq``; with ``after_seq``, the stored messages after
        it, oldest first, stepping over holes (a transcript, not a catch-up: see
        ``messages_after``)."""
        pk = conv_pk(conversation_id)
        key_condition: Condition
        if after_seq is None and above_seq:
            if above_seq + 1 > MAX_SEQ_SK:
                return Page([], None)
            tag, forward = f"messages:newest-first:{above_seq}", False
            key_condition = MessageItem.sk.between(msg_sk(above_seq + 1), msg_sk(MAX_SEQ_SK))
        elif after_seq is None:
            tag, key_condition, forward = (
                "messages:newest-first",
                MessageItem.sk.startswith(MSG_PREFIX),
                False,
            )
        else:
            if after_seq + 1 > MAX_SEQ_SK:
                return Page([], None)
            tag, forward = f"messages:oldest-first:{after_seq}", True
            key_condition = MessageItem.sk.between(msg_sk(after_seq + 1), msg_sk(MAX_SEQ_SK))
        start = decode_cursor(cursor, tag, TABLE_KEYS, {"pk": pk})
        items = list(
            MessageItem.query(
                pk,
                key_condition,
                scan_index_forward=forward,
                limit=limit + 1,
                last_evaluated_key=start,
                consistent_read=consistent,
            )
        )
        next_cursor = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            next_cursor = encode_cursor({k: getattr(last, k) for k in TABLE_KEYS}, tag)
        return Page([to_message(i) for i in items if not i.gap], next_cursor)

    def messages_after(
        self,
        conversation_id: str,
        after_seq: int,
        limit: int,
        cursor: str | None,
        settled_before: str,
    ) -> tuple[Page[Message], int]:
        """Catch-up: the stored messages after ``after_seq``, oldest first, never past a
        number still in flight; returns them and ``through``, the position reached."""
        pk = conv_pk(conversation_id)
        tag = f"messages:after:{after_seq}"
        start = decode_cursor(cursor, tag, TABLE_KEYS, {"pk": pk})
        expected = after_seq + 1
        if start is not None:
            expected = _seq_of(start["sk"]["S"]) + 1
        if expected > MAX_SEQ_SK:
            return Page([], None), expected - 1
        raw = list(
            MessageItem.query(
                pk,
                MessageItem.sk.between(msg_sk(expected), msg_sk(MAX_SEQ_SK)),
                limit=limit + 1,
                consistent_read=True,
            )
        )
        out: list[Message] = []
        for item in raw:
            while int(item.seq) > expected:  # a hole: in flight, or lost
                if item.created_at >= settled_before or not self._settle(item, expected):
                    return Page(out, None), expected - 1
                expected += 1
            if not item.gap:
                if len(out) == limit:
                    return Page(out, _after_cursor(pk, expected - 1, tag)), expected - 1
                out.append(to_message(item))
            expected += 1
        more = len(raw) > limit
        return Page(out, _after_cursor(pk, expected - 1, tag) if more else None), expected - 1

    def _settle(self, later: Any, seq: int) -> bool:
        """A hole older than the settle time: its send died; a placeholder closes it (if
        the message landed meanwhile, the next catch-up lists it)."""
        return self._put_gap(later.conversation_id, later.company_id, seq, later.created_at)


def _seq_of(sk: str) -> int:
    digits = sk.removeprefix(MSG_PREFIX)
    if not sk.startswith(MSG_PREFIX) or not digits.isdigit() or len(digits) != 12:
        raise ValidationError("cursor is not valid", code="invalid_cursor")
    return int(digits)


def _after_cursor(pk: str, seq: int, tag: str) -> str:
    return encode_cursor({"pk": pk, "sk": msg_sk(seq)}, tag)
