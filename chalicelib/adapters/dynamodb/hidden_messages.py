"""What a member deleted for themselves ("delete for me" of one message), and the own
list preview a hide leaves them (domain/membership.py)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys import hidden_sk, membership_sk, user_pk
from chalicelib.adapters.dynamodb.models import (
    HiddenMessageItem,
    MembershipItem,
    get_item,
    shared_connection,
)
from chalicelib.domain.errors import NotFound


class DynamoHiddenMessages:
    """A member's hidden messages: ``USER#{user}`` / ``HIDDEN#{conv}#{seq}``."""

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
        """One TransactWrite: Put the hidden marker if absent + Update the membership
        (``preview`` when given, ``hides`` + 1) if it exists and ``hides`` is still the
        count read. A cancelled one is explained by two consistent reads, never by the
        order of cancellation reasons (emulators disagree on it)."""
        item = HiddenMessageItem(
            user_pk(user_id),
            hidden_sk(conversation_id, seq),
            user_id=user_id,
            company_id=company_id,
            conversation_id=conversation_id,
            seq=seq,
            view=view,
        )
        member = MembershipItem(user_pk(user_id), membership_sk(conversation_id))
        counted = (
            MembershipItem.hides.does_not_exist() | (MembershipItem.hides == 0)
            if hides == 0
            else MembershipItem.hides == hides
        )
        actions: list[Any] = [MembershipItem.hides.add(1)]
        if preview is not None:
            actions.append(MembershipItem.preview.set(preview))
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(item, condition=HiddenMessageItem.pk.does_not_exist())
                tx.update(member, actions=actions, condition=MembershipItem.pk.exists() & counted)
        except TransactWriteError:
            if get_item(HiddenMessageItem, item.pk, item.sk, consistent=True) is not None:
                return True  # hidden already: its preview and its event went out then
            if get_item(MembershipItem, member.pk, member.sk, consistent=True) is None:
                raise NotFound("no such conversation", code="conversation_not_found") from None
            return False  # another hide, or another write to the membership, got in first
        return True

    def hidden_seqs(
        self, user_id: str, conversation_id: str, low: int, high: int, consistent: bool = False
    ) -> set[int]:
        if high < low:
            return set()
        return {
            int(i.seq)
            for i in HiddenMessageItem.query(
                user_pk(user_id),
                HiddenMessageItem.sk.between(
                    hidden_sk(conversation_id, low), hidden_sk(conversation_id, high)
                ),
                attributes_to_get=["seq"],
                consistent_read=consistent,
            )
        }
