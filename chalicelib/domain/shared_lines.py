"""Shared lines: a business number several people answer from, and who owns each of
its conversations. Pure rules: which conversations are on a shared line, which of a
member's views ("mine", "unassigned") lists one, and what labels may be.
"""

from __future__ import annotations

from chalicelib.domain.errors import Conflict, ValidationError
from chalicelib.domain.model import SMS, Conversation

NOTE = "note"  # the channel of a private note: stored, shown to the line, never sent
HELD = "message.held"  # internal: a message's pushes held back for the assignee's sake
MINE, UNASSIGNED, ALL = "mine", "unassigned", "all"
VIEWS = (MINE, UNASSIGNED, ALL)
MAX_LABELS = 10
MAX_LABEL_CHARS = 32


def is_shared_line(conversation: Conversation) -> bool:
    """An SMS conversation whose business number more than one person answers from."""
    return conversation.type == SMS and len(conversation.members) > 1


def require_shared_line(conversation: Conversation) -> None:
    if not is_shared_line(conversation):
        raise Conflict(
            "only a conversation on a shared business line has an assignee",
            code="not_a_shared_line",
        )


def require_on_line(conversation: Conversation, user_id: str) -> None:
    if user_id not in conversation.members:
        raise ValidationError(
            "the assignee must be one of the people on this line", code="assignee_not_on_line"
        )


def view_of(conversation: Conversation, user_id: str, assignee: str | None) -> str | None:
    """Which view of ``user_id`` lists the conversation once ``assignee`` owns it:
    ``mine`` for the assignee, ``unassigned`` for everyone on a shared line while no
    one owns it, none otherwise (it is still in everyone's list of all)."""
    if not is_shared_line(conversation):
        return None
    if assignee is None:
        return UNASSIGNED
    return MINE if assignee == user_id else None


def clean_labels(raw: tuple[str, ...]) -> list[str]:
    """Labels as a person types them: trimmed, blank ones dropped, repeats (in any case)
    once, at most ``MAX_LABELS`` of at most ``MAX_LABEL_CHARS`` characters each."""
    labels: list[str] = []
    for value in raw:
        label = " ".join(value.split())
        if not label:
            continue
        if len(label) > MAX_LABEL_CHARS or any(ord(c) < 32 or ord(c) == 127 for c in label):
            raise ValidationError(
                f"a label is one line of at most {MAX_LABEL_CHARS} characters",
                code="invalid_labels",
            )
        if label.casefold() not in {known.casefold() for known in labels}:
            labels.append(label)
    if len(labels) > MAX_LABELS:
        raise ValidationError(f"at most {MAX_LABELS} labels", code="invalid_labels")
    return labels
