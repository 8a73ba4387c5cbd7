"""A conversation as one member sees it: their read horizon, mute, hide and what they
deleted for themselves ("delete for me").

A member who hides the message their list shows gets their own preview: which message
the list shows instead, never its text (``Membership.preview`` is
``{"through_seq", "seq"}``). It stands while the conversation's ``last_seq`` is still
``through_seq``; the text is read when the list is (``own_preview_keys``), so a message
deleted for everyone or hidden since then never shows its text from a stale copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.domain.model import Conversation, Membership, Message

# What ``shown_preview`` is told of the messages own previews point at: (conversation
# id, seq) → the message's preview as the member may see it, or None (gone, or hidden
# by the member since). A key left out was not read.
Resolved = Mapping[tuple[str, int], dict[str, Any] | None]


def member_view(
    conversation: Conversation, membership: Membership | None, resolved: Resolved | None = None
) -> dict[str, Any]:
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
    body["last_message"] = shown_preview(conversation, membership, resolved or {})
    return body


def own_preview(conversation: Conversation, membership: Membership | None) -> dict[str, Any] | None:
    """The member's own preview while it stands (the conversation has not moved on and
    they have not deleted it all for themselves), else None."""
    if membership is None or membership.preview is None:
        return None
    if membership.cleared_seq and conversation.last_seq <= membership.cleared_seq:
        return None
    own = membership.preview
    return own if int(own.get("through_seq", -1)) == conversation.last_seq else None


def own_preview_key(
    conversation: Conversation, membership: Membership | None
) -> tuple[str, int] | None:
    """The message an own preview shows, to be read with the list (None: nothing to read)."""
    own = own_preview(conversation, membership)
    seq = own.get("seq", (own.get("message") or {}).get("seq")) if own else None
    return None if seq is None else (conversation.conversation_id, int(seq))


def shown_seq(conversation: Conversation, membership: Membership | None) -> int | None:
    """Which message the member's list shows (None: no message)."""
    if membership and membership.cleared_seq and conversation.last_seq <= membership.cleared_seq:
        return None
    if own_preview(conversation, membership) is not None:
        key = own_preview_key(conversation, membership)
        return None if key is None else key[1]
    last = conversation.last_message
    return int(last["seq"]) if last and last.get("seq") is not None else None


def shown_preview(
    conversation: Conversation, membership: Membership | None, resolved: Resolved
) -> dict[str, Any] | None:
    """The last message as this member's list shows it. With an own preview standing,
    the message it names as ``resolved`` has it: a message deleted for everyone shows
    as deleted (no text); one the member hid since, or one not read, shows none."""
    if membership is None:
        return conversation.last_message
    if membership.cleared_seq and conversation.last_seq <= membership.cleared_seq:
        return None
    if own_preview(conversation, membership) is None:
        return conversation.last_message
    key = own_preview_key(conversation, membership)
    found = resolved.get(key) if key else None
    return dict(found) if found else None


def resolve(keys: Iterable[tuple[str, int]], shown: Mapping[tuple[str, int], Message]) -> Resolved:
    """``Resolved`` from the messages still shown to the member (read for ``keys``)."""
    return {k: shown[k].preview() if k in shown else None for k in keys}


def hides_what_is_shown(
    conversation: Conversation, membership: Membership, hidden_seq: int
) -> bool:
    """Whether hiding ``hidden_seq`` changes what the member's list shows: it is the one
    shown, or one stored a moment before the conversation's head reaches it (the list
    will show it then)."""
    if hidden_seq <= membership.cleared_seq:
        return False
    return hidden_seq > conversation.last_seq or shown_seq(conversation, membership) == hidden_seq


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
    if not hides_what_is_shown(conversation, membership, hidden_seq):
        return None
    head = max(conversation.last_seq, hidden_seq)
    own: dict[str, Any] = {"through_seq": head}
    for message in newest:
        if message.seq <= head and message.seq != hidden_seq and message.seq not in hidden:
            own["seq"] = message.seq
            break
    return own
