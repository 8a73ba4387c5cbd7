# ruff: noqa: F811 - ``repos`` is the imported fixture, named as tests take it
"""The contract of what a member deletes for themselves and of contacts' numbers: the
DynamoDB repositories (on moto) and the fakes behave alike."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.domain.contacts import Contact, Phone
from chalicelib.domain.errors import Conflict, NotFound
from tests.adapters.test_repository_contract import conversation, message, repos  # noqa: F401


def contact(cid: str, name: str, *numbers: str, owner: str = "u-alice") -> Contact:
    return Contact(cid, owner, "acme", name, [Phone(n) for n in numbers], "t", "t")


def test_clear_moves_forward_only_hides_and_reads(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    conv, _ = repo.create(conversation())
    for seq in (1, 2, 3):
        repo.append_message(conv, message(conv, seq, f"k{seq}"))
    repo.clear("u-bob", "g1", 2)
    bob = repo.get_membership("u-bob", "g1")
    assert (bob.cleared_seq, bob.read_seq, bob.hidden) == (2, 2, True)
    assert "g1" not in [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items]
    repo.clear("u-bob", "g1", 1)
    assert repo.get_membership("u-bob", "g1").cleared_seq == 2
    assert repo.get_membership("u-alice", "g1").cleared_seq == 0
    newest = repo.list_messages("g1", 10, None, above_seq=2)
    assert [m.seq for m in newest.items] == [3]
    repo.touch_member("u-bob", "g1", "2026-02-01T00:00:00.000Z")  # a new message arrives
    assert "g1" in [m.conversation_id for m in repo.list_memberships("u-bob", 10, None).items]


def test_hidden_messages_are_found_by_range_per_member(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    repo.create(conversation())
    repo.create(conversation("g2"))
    assert repo.hide_message("u-bob", "acme", "g1", 2, {"id": "g1.2", "hidden": True})
    assert repo.hide_message("u-bob", "acme", "g1", 2, {"id": "g1.2", "hidden": True})
    assert repo.hide_message("u-bob", "acme", "g1", 40, {"id": "g1.40", "hidden": True}, hides=1)
    assert repo.hide_message("u-bob", "acme", "g2", 3, {"id": "g2.3", "hidden": True})
    assert repo.hidden_seqs("u-bob", "g1", 1, 10) == {2}
    assert repo.hidden_seqs("u-bob", "g1", 1, 100) == {2, 40}
    assert repo.hidden_seqs("u-alice", "g1", 1, 100) == set()
    assert repo.hidden_seqs("u-bob", "g1", 3, 2) == set()


def test_a_hide_writes_the_members_own_preview_once(repos: dict[str, Any]) -> None:
    repo = repos["conversations"]
    repo.create(conversation())
    own = {"through_seq": 3, "seq": 2}
    assert repo.hide_message("u-bob", "acme", "g1", 3, {"id": "g1.3"}, preview=own)
    bob = repo.get_membership("u-bob", "g1")
    assert (bob.preview, bob.hides) == (own, 1)
    assert repo.get_membership("u-alice", "g1").preview is None
    # a repeated hide is harmless: the preview written then stays
    assert repo.hide_message("u-bob", "acme", "g1", 3, {"id": "g1.3"}, preview={}, hides=1)
    assert repo.get_membership("u-bob", "g1").preview == own
    assert repo.hidden_seqs("u-bob", "g1", 1, 10) == {3}
    # and a hide with nothing shown before it
    assert repo.hide_message("u-alice", "acme", "g1", 3, {"id": "g1.3"}, preview={"through_seq": 3})
    assert repo.get_membership("u-alice", "g1").preview == {"through_seq": 3}


def test_a_hide_read_before_another_one_of_the_members_writes_nothing(
    repos: dict[str, Any],
) -> None:
    # Given bob's hide of 3 was counted while a second hide had read the count before it
    repo = repos["conversations"]
    repo.create(conversation())
    assert repo.hide_message("u-bob", "acme", "g1", 3, {"id": "g1.3"}, preview={"through_seq": 3})
    # Then the second one writes neither its marker nor its preview: it reads again
    stale = repo.hide_message(
        "u-bob", "acme", "g1", 2, {"id": "g1.2"}, preview={"through_seq": 3, "seq": 2}, hides=0
    )
    assert stale is False
    assert repo.hidden_seqs("u-bob", "g1", 1, 10) == {3}
    assert repo.get_membership("u-bob", "g1").preview == {"through_seq": 3}
    assert repo.hide_message("u-bob", "acme", "g1", 2, {"id": "g1.2"}, hides=1)
    assert repo.hidden_seqs("u-bob", "g1", 1, 10) == {2, 3}


def test_a_hide_by_someone_who_left_is_not_found_and_writes_nothing(
    repos: dict[str, Any],
) -> None:
    repo = repos["conversations"]
    repo.create(conversation())
    with pytest.raises(NotFound) as raised:
        repo.hide_message("u-carol", "acme", "g1", 1, {"id": "g1.1"}, preview={"through_seq": 1})
    assert raised.value.code == "conversation_not_found"
    assert repo.hidden_seqs("u-carol", "g1", 1, 10) == set()
    assert repo.get_membership("u-carol", "g1") is None


def test_a_hide_cancelled_by_a_conflicting_write_to_the_membership_asks_for_a_retry(
    tables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB cancels a transaction that meets another one on the same item
    (``TransactionConflict``; moto never conflicts): nothing is written and the hide
    answers False, so the service reads again and retries rather than failing (500)."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
    from pynamodb.transactions import TransactWrite

    from chalicelib.adapters.dynamodb import hidden_messages as adapter

    class ConflictingWrite(TransactWrite):
        def _commit(self) -> Any:
            reasons = [None, CancellationReason("TransactionConflict")]
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "x"}}
            cause = VerboseClientError(error, "TransactWriteItems", cancellation_reasons=reasons)
            raise TransactWriteError("cancelled", cause=cause)

    repo = dynamodb.DynamoConversationRepository()
    repo.create(conversation())
    monkeypatch.setattr(adapter, "TransactWrite", ConflictingWrite)
    assert repo.hide_message("u-bob", "acme", "g1", 1, {"id": "g1.1"}) is False
    monkeypatch.undo()
    assert repo.hidden_seqs("u-bob", "g1", 1, 10) == set()
    assert repo.hide_message("u-bob", "acme", "g1", 1, {"id": "g1.1"}) is True


def test_a_contact_is_found_by_any_of_its_numbers(repos: dict[str, Any]) -> None:
    contacts = repos["contacts"]
    contacts.put_contact(contact("k1", "Pat Lee", "+14155552671", "+14155550142"))
    found = contacts.contacts_by_numbers("u-alice", ["+14155550142", "+19999999999"])
    assert found == {"+14155550142": {"id": "k1", "name": "Pat Lee"}}
    assert contacts.contacts_by_numbers("u-bob", ["+14155550142"]) == {}
    assert contacts.contacts_by_numbers("u-alice", []) == {}


def test_a_number_is_on_one_contact_of_an_owner(repos: dict[str, Any]) -> None:
    contacts = repos["contacts"]
    contacts.put_contact(contact("k1", "Pat", "+14155552671", "+14155550142"))
    with pytest.raises(Conflict) as refused:
        contacts.put_contact(contact("k2", "Sam", "+14155550142"))
    assert refused.value.code == "contact_number_taken"
    assert contacts.get_contact("u-alice", "k2") is None
    contacts.put_contact(contact("k2", "Sam", "+14155550142", owner="u-bob"))  # another owner
    contacts.put_contact(contact("k1", "Pat", "+14155552671"))  # drops the second number
    contacts.put_contact(contact("k2", "Sam", "+14155550142"))
    assert contacts.contacts_by_numbers("u-alice", ["+14155550142"])["+14155550142"]["id"] == "k2"
    assert contacts.delete_contact("u-alice", "k2") is True
    assert contacts.contacts_by_numbers("u-alice", ["+14155550142"]) == {}


def test_suggestions_by_name_and_number_prefix(repos: dict[str, Any]) -> None:
    contacts = repos["contacts"]
    contacts.put_contact(contact("k1", "Pat Lee", "+14155552671"))
    contacts.put_contact(contact("k2", "Patricia", "+12125550100"))
    contacts.put_contact(contact("k3", "Zoë", "+14155550142"))
    by_name = contacts.suggest_by_name("u-alice", "pat", 10, None)
    assert [c.name for c in by_name.items] == ["Pat Lee", "Patricia"]
    assert [c.name for c in contacts.suggest_by_name("u-alice", "zoe", 10, None).items] == ["Zoë"]
    by_number = contacts.suggest_by_number("u-alice", "+1415", 10, None)
    assert sorted(c.name for c in by_number.items) == ["Pat Lee", "Zoë"]
    first = contacts.suggest_by_number("u-alice", "+1415", 1, None)
    assert len(first.items) == 1 and first.next_cursor
    rest = contacts.suggest_by_number("u-alice", "+1415", 1, first.next_cursor)
    assert {c.name for c in first.items + rest.items} == {"Pat Lee", "Zoë"}
    assert contacts.suggest_by_name("u-bob", "pat", 10, None).items == []
