"""A member's own list preview: it names a message (never copies its text) and stands
while the conversation's head is where it was when written."""

from __future__ import annotations

from chalicelib.domain.membership import (
    hides_what_is_shown,
    member_view,
    own_preview_key,
    preview_after_hiding,
)
from chalicelib.domain.model import Conversation, Membership, Message


def message(seq: int, text: str = "", channel: str = "im") -> Message:
    return Message(
        conversation_id="g1",
        company_id="acme",
        seq=seq,
        client_id=f"k{seq}",
        sender="u-alice",
        text=text or f"text {seq}",
        created_at="2026-01-01T00:00:00.000Z",
        channel=channel,
    )


def conversation(last: int) -> Conversation:
    return Conversation(
        conversation_id="g1",
        company_id="acme",
        type="im",
        members=["u-alice", "u-bob"],
        created_by="u-alice",
        created_at="2026-01-01T00:00:00.000Z",
        last_seq=last,
        last_message=message(last).preview(),
    )


def bob(preview: dict[str, object] | None = None) -> Membership:
    return Membership("u-bob", "g1", "acme", read_seq=3, preview=preview)


def test_a_preview_names_its_channel_so_a_note_shows_as_one() -> None:
    assert message(2, "called back", channel="note").preview()["channel"] == "note"


def test_an_own_preview_shows_the_message_read_with_the_list_while_the_head_stands() -> None:
    own = bob({"through_seq": 3, "seq": 2})
    assert own_preview_key(conversation(3), own) == ("g1", 2)
    deleted = {("g1", 2): {**message(2).preview(), "text": "", "deleted": True}}
    assert member_view(conversation(3), own, deleted)["last_message"]["deleted"] is True
    assert member_view(conversation(3), own, {("g1", 2): None})["last_message"] is None
    # the next message makes it stale: the conversation's own preview shows again
    assert own_preview_key(conversation(4), own) is None
    assert member_view(conversation(4), own)["last_message"]["seq"] == 4


def test_a_preview_stored_with_its_text_before_is_read_again_by_its_seq() -> None:
    old = bob({"through_seq": 3, "message": {"id": "g1.2", "seq": 2, "text": "stale copy"}})
    assert own_preview_key(conversation(3), old) == ("g1", 2)
    assert member_view(conversation(3), old, {("g1", 2): None})["last_message"] is None


def test_hiding_a_message_stored_before_the_head_reaches_it_names_the_one_before() -> None:
    # message 4 is stored; the conversation's head still says 3
    assert hides_what_is_shown(conversation(3), bob(), 4)
    newest = [message(4), message(3), message(2)]
    assert preview_after_hiding(conversation(3), bob(), 4, newest, set()) == {
        "through_seq": 4,
        "seq": 3,
    }
    assert not hides_what_is_shown(conversation(3), bob(), 2)  # not the one shown
