"""Seed many conversations straight into the local stack's table (run as a subprocess).

``python -m tests.browser.seed <aws_endpoint_url> <owner_id> <member_id> <count>``

Creating 1,000 conversations through ``POST /conversations`` takes minutes on
moto: each create is a TransactWriteItems, and moto deep-copies the whole table
for every transaction, so each one is slower than the last. The rows written
here are the ones ``DynamoConversationRepository.create`` writes (the
conversation and one membership per member), batch-written. It runs in its own
process so binding the models to the stack's table leaks into no other test.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime, timedelta

from chalicelib import resources
from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb.conversations import membership_item
from chalicelib.adapters.dynamodb.keys import META_SK, conv_pk
from chalicelib.adapters.dynamodb.models import ConversationItem, MembershipItem
from chalicelib.domain.model import Conversation


def seed(endpoint: str, owner: str, member: str, count: int) -> None:
    table = resources.physical(resources.DEFAULT_PREFIX, resources.MESSAGING_TABLE.logical)
    dynamodb.bind_models(table, "us-east-1", host=endpoint)
    found = dynamodb.DynamoDirectoryRepository().get_user(owner)
    assert found is not None, f"no user {owner}"
    company = found.company_id
    start = datetime.now(UTC) - timedelta(days=1)
    with (
        ConversationItem.batch_write() as conversations,
        MembershipItem.batch_write() as members,
    ):
        for n in range(1, count + 1):
            at = (
                (start + timedelta(seconds=n))
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z")
            )
            conversation = Conversation(
                conversation_id=f"g{uuid.uuid4().hex}",
                company_id=company,
                type="im",
                members=[owner, member],
                created_by=owner,
                created_at=at,
                updated_at=at,
                name=f"Project {n:04d}",
            )
            conversations.save(
                ConversationItem(
                    conv_pk(conversation.conversation_id),
                    META_SK,
                    conversation_id=conversation.conversation_id,
                    company_id=company,
                    type="im",
                    members=conversation.members,
                    name=conversation.name,
                    created_by=owner,
                    created_at=at,
                    updated_at=at,
                    last_seq=0,
                    version=0,
                )
            )
            for user_id in conversation.members:
                members.save(membership_item(conversation, user_id))


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
