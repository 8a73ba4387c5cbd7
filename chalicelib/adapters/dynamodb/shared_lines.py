"""A shared line's conversations: who answers each (its assignee), its labels, and each
member's views of them ("mine", "unassigned") as a sparse index on the memberships.

The assignee lives on the conversation (what every device is told) and is copied
onto each member's membership with the view key ``gsi2pk``: the views are a Query of
gsi2, sorted by the list's own activity key, so they cost a page whatever the
history, and the push fan-out learns who answers from the memberships it reads
anyway. Every change is conditional on the conversation's version: one transaction
while the line fits in one (``TX_ITEMS``); a larger line's conversation is written
first and its members' copies follow in transactions of ``TX_ITEMS``, each copy
conditional on being older (``view_version``), so assignments racing each other's
copies end with every member holding the latest.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.keys import META_SK, conv_pk, membership_sk, user_pk, view_gsi
from chalicelib.adapters.dynamodb.mapping import to_membership
from chalicelib.adapters.dynamodb.models import (
    ConversationItem,
    MembershipItem,
    conditional_failed,
    page_of,
    shared_connection,
)
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import Conversation, Membership, Page
from chalicelib.domain.shared_lines import view_of

GSI2_KEYS = ("pk", "sk", "gsi2pk", "gsi1sk")
TX_ITEMS = 100  # DynamoDB's most items in one TransactWriteItems


def view_key(conversation: Conversation, user_id: str) -> str | None:
    """The member's gsi2pk: which of their views lists the conversation (None: none)."""
    view = view_of(conversation, user_id, conversation.assignee)
    return view_gsi(user_id, view) if view else None


def member_view_actions(conversation: Conversation, user_id: str) -> list[Any]:
    """The membership's copy of the assignee and its view key, as update actions."""
    key = view_key(conversation, user_id)
    return [
        MembershipItem.assignee.set(conversation.assignee)
        if conversation.assignee
        else MembershipItem.assignee.remove(),
        MembershipItem.gsi2pk.set(key) if key else MembershipItem.gsi2pk.remove(),
    ]


def update_member_views(tx: TransactWrite, conversation: Conversation, members: list[str]) -> None:
    """Inside a transaction: each existing member's view follows ``conversation``, marked
    with its version (a later spread of an older version leaves it alone)."""
    for user_id in members:
        tx.update(
            MembershipItem(user_pk(user_id), membership_sk(conversation.conversation_id)),
            actions=[
                *member_view_actions(conversation, user_id),
                MembershipItem.view_version.set(conversation.version),
            ],
            condition=MembershipItem.pk.exists(),
        )


def spread_member_views(conversation: Conversation, members: list[str]) -> None:
    """Each member's copy follows ``conversation`` unless it already holds a later version:
    transactions of ``TX_ITEMS``; a batch one copy of which is newer (a later assignment
    got there first) or gone (they left the line) is written copy by copy."""
    version = conversation.version
    newer_kept = MembershipItem.view_version.does_not_exist() | (
        MembershipItem.view_version < version
    )
    for start in range(0, len(members), TX_ITEMS):
        batch = members[start : start + TX_ITEMS]
        updates = [
            (
                MembershipItem(user_pk(user_id), membership_sk(conversation.conversation_id)),
                [
                    *member_view_actions(conversation, user_id),
                    MembershipItem.view_version.set(version),
                ],
            )
            for user_id in batch
        ]
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                for item, actions in updates:
                    tx.update(
                        item, actions=actions, condition=MembershipItem.pk.exists() & newer_kept
                    )
        except TransactWriteError:
            for item, actions in updates:
                try:
                    item.update(actions=actions, condition=MembershipItem.pk.exists() & newer_kept)
                except UpdateError as exc:
                    if not conditional_failed(exc):
                        raise


def after_members(conversation: Conversation, members: list[str]) -> Conversation:
    """The conversation once its members are ``members``: an assignee who left the line
    loses the assignment."""
    assignee = conversation.assignee if conversation.assignee in members else None
    return replace(conversation, members=list(members), assignee=assignee)


class DynamoSharedLines:
    """Assignments, labels and views of a shared line's conversations."""

    def assign(self, conversation: Conversation, assignee: str | None) -> Conversation:
        """Set (or, with None, remove) the assignee if ``conversation.version`` is still
        current: of two people assigning at once exactly one wins, and the other gets
        ConcurrentUpdate."""
        after = replace(conversation, assignee=assignee, version=conversation.version + 1)
        fits = len(after.members) < TX_ITEMS  # the conversation and every member at once
        self._write(
            conversation,
            after,
            [
                ConversationItem.assignee.set(assignee)
                if assignee
                else ConversationItem.assignee.remove()
            ],
            members=fits,
        )
        if not fits:
            spread_member_views(after, after.members)
        return after

    def settle_views(self, conversation: Conversation) -> None:
        """A large line's copies that a cut-off assignment left behind follow the
        conversation (a batch read; writes only for the copies that differ)."""
        if len(conversation.members) < TX_ITEMS:
            return  # written in the conversation's own transaction
        keys = [
            (user_pk(u), membership_sk(conversation.conversation_id)) for u in conversation.members
        ]
        behind = [
            i.user_id
            for i in MembershipItem.batch_get(keys)
            if i.assignee != conversation.assignee or i.gsi2pk != view_key(conversation, i.user_id)
        ]
        if behind:
            spread_member_views(conversation, behind)

    def set_labels(self, conversation: Conversation, labels: list[str]) -> Conversation:
        after = replace(conversation, labels=list(labels), version=conversation.version + 1)
        self._write(
            conversation,
            after,
            [
                ConversationItem.labels.set(list(labels))
                if labels
                else ConversationItem.labels.remove()
            ],
            members=False,
        )
        return after

    @staticmethod
    def _write(
        before: Conversation, after: Conversation, actions: list[Any], members: bool
    ) -> None:
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(
                    ConversationItem(conv_pk(before.conversation_id), META_SK),
                    actions=[*actions, ConversationItem.version.set(after.version)],
                    condition=ConversationItem.version == before.version,
                )
                if members:
                    update_member_views(tx, after, after.members)
        except TransactWriteError as exc:
            raise ConcurrentUpdate("the conversation changed meanwhile") from exc

    def list_view(
        self, user_id: str, view: str, limit: int, cursor: str | None
    ) -> Page[Membership]:
        """One of the member's views, most recent activity first (a Query of gsi2)."""
        key = view_gsi(user_id, view)
        start = decode_cursor(cursor, f"view-{view}", GSI2_KEYS, {"gsi2pk": key})
        items = list(
            MembershipItem.gsi2.query(
                key, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start
            )
        )
        page, next_cursor = page_of(items, limit, GSI2_KEYS, f"view-{view}")
        return Page([to_membership(i) for i in page], next_cursor)
