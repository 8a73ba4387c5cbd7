"""A conversation as one member sees it: their read horizon, mute, hide and what they
deleted for themselves ("delete for me")."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.model import Conversation, Membership, Message


def member_view(conversation: Conversation, membership: Membership | None) -> dict[str, Any]:
    """``unread_count`` counts only what the member can still see; ``last_message`` is
    the last one they can still see (null when there is none)."""
    body = conversation.to_dict()
    read_seq = membership.read_seq if membership else 0
    cleared = membership.cleared_seq if membership else 0
    body["read_seq"] = read_seq
    body["unread_count"] = max(0, conversation.last_seq - max(read_seq, cleared))
    body["muted"] = bool(membership and membership.muted)
    body["hidden"] = bool(membership and membership.hidden)
    body["cleared_seq"] = cleared
    body["last_message"] = shown_preview(conversation, membership)
    return body


def shown_preview(
    conversation: Conversation, membership: Membership | None
) -> dict[str, Any] | None:
    """The last message as this member's list shows it. Hiding the one the list shows
    stores the member's own preview beside their membership (``preview_after_hiding``),
    good until the conversation moves on: the list costs no read more per conversation."""
    if membership is None:
        return conversation.last_message
    if membership.cleared_seq and conversation.last_seq <= membership.cleared_seq:
        return None
    own = membership.preview
    if own is not None and int(own.get("through_seq", -1)) == conversation.last_seq:
        message = own.get("message")
        return dict(message) if message else None
    return conversation.last_message


def preview_after_hiding(
    conversation: Conversation,
    membership: Membership,
    hidden_seq: int,
    newest: list[Message],
    hidden: set[int],
) -> dict[str, Any] | None:
    """The member's own preview once they hide message ``hidden_seq``, or None when the
    hide leaves what their list shows alone. ``newest``: the conversation's newest
    messages above their ``cleared_seq``, newest first; ``hidden``: the seqs among them
    the member hid before. With none of ``newest`` left to show, the list shows no
    message (the same as after "delete for me" of the whole conversation)."""
    shown = shown_preview(conversation, membership)
    if shown is None or int(shown.get("seq", -1)) != hidden_seq:
        return None
    own: dict[str, Any] = {"through_seq": conversation.last_seq}
    for message in newest:
        if (
            message.seq <= conversation.last_seq
            and message.seq != hidden_seq
            and message.seq not in hidden
        ):
            own["message"] = message.preview()
            break
    return own
