"""A conversation as one member sees it: their read horizon, mute, hide and what they
deleted for themselves ("delete for me")."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.model import Conversation, Membership


def member_view(conversation: Conversation, membership: Membership | None) -> dict[str, Any]:
    """``unread_count`` counts only what the member can still see; ``last_message`` is
    null while the last message is one they deleted for themselves."""
    body = conversation.to_dict()
    read_seq = membership.read_seq if membership else 0
    cleared = membership.cleared_seq if membership else 0
    body["read_seq"] = read_seq
    body["unread_count"] = max(0, conversation.last_seq - max(read_seq, cleared))
    body["muted"] = bool(membership and membership.muted)
    body["hidden"] = bool(membership and membership.hidden)
    body["cleared_seq"] = cleared
    if cleared and conversation.last_seq <= cleared:
        body["last_message"] = None
    return body
