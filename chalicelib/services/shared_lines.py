"""Shared lines with an owner: assign a conversation of a shared business line to one of
the people on it, label it, list a member's views, and write private notes.

Who may: the people on the line, who are exactly the conversation's members (a
number's users are its SMS conversations' members), so the conversation's own
visibility rule answers everyone else with a 404. Every change is conditional on the
conversation's version: of two people assigning at once one wins, the other gets a
409 ``assignment_changed`` with the conversation as it now is, and the stream tells
every member (``conversation.updated``).
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.errors import ConcurrentUpdate, Conflict, ValidationError
from chalicelib.domain.model import SMS, Conversation, Event, Membership, Message, Page
from chalicelib.domain.shared_lines import (
    ALL,
    NOTE,
    VIEWS,
    clean_labels,
    require_on_line,
    require_shared_line,
)
from chalicelib.services.common import Caller
from chalicelib.services.conversations import ConversationService
from chalicelib.services.messages import ChannelFields, Draft


class SharedLineRepository(Protocol):
    """Assignments, labels and views of a shared line's conversations."""

    def assign(self, conversation: Conversation, assignee: str | None) -> Conversation:
        """Set or remove the assignee (copied onto every member's entry, with their view)
        if ``conversation.version`` is current; else ConcurrentUpdate."""
        ...

    def settle_views(self, conversation: Conversation) -> None:
        """Members' copies that an assignment cut off midway left behind (a line too
        large for one transaction) follow the conversation; nothing when none differ."""
        ...

    def set_labels(self, conversation: Conversation, labels: list[str]) -> Conversation:
        """Replace the labels if ``conversation.version`` is current; else ConcurrentUpdate."""
        ...

    def list_view(
        self, user_id: str, view: str, limit: int, cursor: str | None
    ) -> Page[Membership]:
        """A member's ``mine`` or ``unassigned`` entries, most recent activity first."""
        ...


class HeldPushes(Protocol):
    """Pushes held back for a while: the event comes back to the fan-out later."""

    def hold(self, event: Event, delay_seconds: int) -> None:
        """Deliver ``event`` (type ``message.held``) to the fan-out after the delay."""
        ...


class NotePolicy:
    """A private note: a message of the ``note`` channel, stored ``sent`` and shown to
    the people on the line. The SMS sender only ever takes ``sms`` messages that are
    ``outbound`` and ``queued``, so a note never reaches a provider or the customer."""

    def admit(self, conversation: Conversation, draft: Draft) -> ChannelFields:
        if conversation.type != SMS:
            raise Conflict("notes are for texting conversations", code="not_an_sms_conversation")
        if draft.media:
            raise ValidationError("a note is text only", code="invalid_media")
        return ChannelFields(channel=NOTE)

    def recorded(self, message: Message) -> None:
        """A note costs nothing: no usage to count."""


class SharedLineService:
    """Assign, label and list a shared line's conversations."""

    def __init__(self, conversations: ConversationService, lines: SharedLineRepository) -> None:
        self._conversations = conversations
        self._lines = lines

    def assign(self, caller: Caller, conversation_id: str, assignee: str | None) -> dict[str, Any]:
        conversation = self._conversations.visible(caller, conversation_id)
        require_shared_line(conversation)
        if assignee is not None:
            require_on_line(conversation, assignee)
        if conversation.assignee != assignee:
            try:
                conversation = self._lines.assign(conversation, assignee)
            except ConcurrentUpdate:
                raise Conflict(
                    "someone else changed the assignment just now; see who has it",
                    code="assignment_changed",
                ) from None
        else:  # asked again, perhaps after a cut-off: every member's copy catches up
            self._lines.settle_views(conversation)
        return self._conversations.get(caller, conversation.conversation_id)

    def set_labels(
        self, caller: Caller, conversation_id: str, raw: tuple[str, ...]
    ) -> dict[str, Any]:
        labels = clean_labels(raw)
        for _ in range(3):  # a label change races only with other changes: retry on top
            conversation = self._conversations.visible(caller, conversation_id)
            if conversation.type != SMS:
                raise Conflict(
                    "labels are for texting conversations", code="not_an_sms_conversation"
                )
            if conversation.labels == labels:
                break
            try:
                self._lines.set_labels(conversation, labels)
                break
            except ConcurrentUpdate:
                continue
        else:
            raise ConcurrentUpdate("the conversation kept changing; try again")
        return self._conversations.get(caller, conversation_id)

    def list_view(
        self, caller: Caller, view: str, limit: int, cursor: str | None
    ) -> Page[dict[str, Any]]:
        if view not in VIEWS:
            raise ValidationError(f"view must be one of {', '.join(VIEWS)}", code="invalid_view")
        if view == ALL:
            return self._conversations.list_for(caller, limit, cursor)
        page = self._lines.list_view(caller.user_id, view, limit, cursor)
        return self._conversations.views_of(caller, page)
