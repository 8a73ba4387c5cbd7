"""One member's own view of a conversation: unread, mute, hide, "delete for me".

Invariants: a member's ``cleared_seq`` only moves forward, and no message up to it
is ever shown to them again (history, catch-up, sync, ``last_message``, a single
message); a message they hid for themselves is never shown to them again; the
other members see both as before. Every read that applies these costs what its
page costs: the membership is one item, and the hidden messages of a page are
one Query of the page's range.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.membership import member_view, preview_after_hiding, shown_preview
from chalicelib.domain.model import SMS, Conversation, Membership, Message, Page
from chalicelib.services.ports import ContactRepository, ConversationRepository

# How far back a hide looks for the message the member's list shows instead: one page.
# Past it (a member who hid all of the newest) the list shows no message.
PREVIEW_LOOKBACK = 20


class MemberState:
    """Applies a member's own state to what they read, and changes it."""

    def __init__(
        self, repo: ConversationRepository, contacts: ContactRepository | None = None
    ) -> None:
        self._repo = repo
        self._contacts = contacts

    @staticmethod
    def view(conversation: Conversation, membership: Membership | None) -> dict[str, Any]:
        return member_view(conversation, membership)

    def with_contacts(self, user_id: str, views: list[dict[str, Any]]) -> None:
        """SMS conversations name the member's own contact of the external number (one
        batch read a page)."""
        numbers = [v.get("external_number", "") for v in views if v["type"] == SMS]
        if self._contacts is None or not numbers:
            return
        found = self._contacts.contacts_by_numbers(user_id, numbers)
        for view in views:
            if view["type"] == SMS:
                view["contact"] = found.get(view.get("external_number", ""))

    def cleared(self, user_id: str, conversation_id: str) -> int:
        membership = self._repo.get_membership(user_id, conversation_id)
        return membership.cleared_seq if membership else 0

    def visible_page(self, user_id: str, page: Page[Message], cleared: int = 0) -> Page[Message]:
        """A page without the messages the member deleted for themselves."""
        seqs = [m.seq for m in page.items]
        if not seqs:
            return page
        conversation_id = page.items[0].conversation_id
        hidden = self._repo.hidden_seqs(user_id, conversation_id, min(seqs), max(seqs))
        kept = [m for m in page.items if m.seq > cleared and m.seq not in hidden]
        return Page(kept, page.next_cursor)

    def shows(self, user_id: str, message: Message) -> bool:
        """Whether the member may still see this one message."""
        if message.seq <= self.cleared(user_id, message.conversation_id):
            return False
        return not self._repo.hidden_seqs(
            user_id, message.conversation_id, message.seq, message.seq
        )

    def clear(self, user_id: str, conversation: Conversation) -> None:
        self._repo.clear(user_id, conversation.conversation_id, conversation.last_seq)

    def hide(self, user_id: str, conversation: Conversation, message: Message) -> dict[str, Any]:
        """Hide one message for the member; when it is the one their list shows, the
        same write stores what their list shows instead (one page read here, so that a
        list read costs nothing more)."""
        view = hidden_view(message)
        self._repo.hide_message(
            user_id,
            message.company_id,
            message.conversation_id,
            message.seq,
            view,
            preview=self._preview_after_hiding(user_id, conversation, message.seq),
        )
        return view

    def deleted(self, conversation: Conversation, message: Message) -> None:
        """A message deleted for everyone leaves the members' own previews too (the
        conversation's own one follows in the repository). Only a message below the
        last can be one: one batch read of the members' views, then a write for each
        member whose preview shows it."""
        if message.seq >= conversation.last_seq:
            return
        views = self._repo.get_memberships(conversation.conversation_id, conversation.members)
        for membership in views.values():
            own = membership.preview
            if shown_preview(conversation, membership) is None or own is None:
                continue
            if (own.get("message") or {}).get("id") == message.message_id:
                self._repo.set_preview(
                    membership.user_id,
                    conversation.conversation_id,
                    {**own, "message": message.preview()},
                )

    def _preview_after_hiding(
        self, user_id: str, conversation: Conversation, seq: int
    ) -> dict[str, Any] | None:
        membership = self._repo.get_membership(user_id, conversation.conversation_id)
        if membership is None or seq <= membership.cleared_seq:
            return None
        if seq != int((shown_preview(conversation, membership) or {}).get("seq", -1)):
            return None  # not what the list shows: nothing to read
        newest = self._repo.list_messages(
            conversation.conversation_id, PREVIEW_LOOKBACK, None, above_seq=membership.cleared_seq
        ).items
        seqs = [m.seq for m in newest]
        hidden = (
            self._repo.hidden_seqs(user_id, conversation.conversation_id, min(seqs), max(seqs))
            if seqs
            else set()
        )
        return preview_after_hiding(conversation, membership, seq, newest, hidden)


def hidden_view(message: Message) -> dict[str, Any]:
    """A message as the member who hid it is told of it: no text, no attachments."""
    return {**message.to_dict(), "text": "", "entities": [], "media": [], "hidden": True}
