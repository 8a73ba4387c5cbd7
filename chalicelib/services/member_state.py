"""One member's own view of a conversation: unread, mute, hide, "delete for me".

Invariants: a member's ``cleared_seq`` only moves forward, and no message up to it
is ever shown to them again (history, catch-up, sync, ``last_message``, a single
message); a message they hid for themselves is never shown to them again; the
other members see both as before. Every read that applies these costs what its
page costs: the membership is one item, and the hidden messages of a page are
one Query of the page's range. A member's own list preview names a message, never
copies its text: a page of the list reads the messages those previews name in one
consistent BatchGetItem, and only when some row has one (domain/membership.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import ConcurrentUpdate, NotFound
from chalicelib.domain.membership import (
    hides_what_is_shown,
    member_view,
    own_preview_key,
    preview_after_hiding,
    resolve,
)
from chalicelib.domain.model import SMS, Conversation, Membership, Message, Page
from chalicelib.services.ports import ContactRepository, ConversationRepository

# How far back a hide looks for the message the member's list shows instead: one page.
# Past it (a member who hid all of the newest) the list shows no message.
PREVIEW_LOOKBACK = 20
# A hide writes only if none of the member's other hides (nor another write to their
# membership) got in since it read: it reads again and tries again, this many times.
HIDE_ATTEMPTS = 5


class MemberState:
    """Applies a member's own state to what they read, and changes it."""

    def __init__(
        self, repo: ConversationRepository, contacts: ContactRepository | None = None
    ) -> None:
        self._repo = repo
        self._contacts = contacts

    def view(self, conversation: Conversation, membership: Membership | None) -> dict[str, Any]:
        return self.views([(conversation, membership)])[0]

    def views(self, rows: list[tuple[Conversation, Membership | None]]) -> list[dict[str, Any]]:
        """Each conversation as its member sees it. Rows whose own preview stands name
        the message to show: those messages are read in one consistent BatchGetItem
        (one key a row, so at most 100 for the largest page; no read when no row has
        one), so a message deleted for everyone since shows as deleted, with no text."""
        keys = [key for c, m in rows if (key := own_preview_key(c, m)) is not None]
        resolved = resolve(keys, self._repo.get_messages(keys)) if keys else {}
        return [member_view(c, m, resolved) for c, m in rows]

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
        same write names the one it shows instead. The member's hides write one at a
        time (``hides``): one that lost the race reads again, so two at once never
        leave a hidden message in the preview nor move it back to an older head."""
        view = hidden_view(message)
        conversation_id = message.conversation_id
        for attempt in range(HIDE_ATTEMPTS):
            if attempt:
                conversation = self._repo.get(conversation_id) or conversation
            membership = self._repo.get_membership(user_id, conversation_id)
            if membership is None:
                raise NotFound("no such conversation", code="conversation_not_found")
            preview = self._preview_after_hiding(user_id, conversation, membership, message.seq)
            if self._repo.hide_message(
                user_id,
                message.company_id,
                conversation_id,
                message.seq,
                view,
                preview=preview,
                hides=membership.hides,
            ):
                return view
        raise ConcurrentUpdate("the conversation changed meanwhile; try again")

    def _preview_after_hiding(
        self, user_id: str, conversation: Conversation, membership: Membership, seq: int
    ) -> dict[str, Any] | None:
        """One consistent page of the newest messages and of their hidden range, read
        only when the hidden message is the one the list shows (or will, once the
        conversation's head reaches it)."""
        if not hides_what_is_shown(conversation, membership, seq):
            return None  # not what the list shows: nothing to read
        newest = self._repo.list_messages(
            conversation.conversation_id,
            PREVIEW_LOOKBACK,
            None,
            above_seq=membership.cleared_seq,
            consistent=True,
        ).items
        seqs = [m.seq for m in newest]
        hidden = (
            self._repo.hidden_seqs(
                user_id, conversation.conversation_id, min(seqs), max(seqs), consistent=True
            )
            if seqs
            else set()
        )
        return preview_after_hiding(conversation, membership, seq, newest, hidden)


def hidden_view(message: Message) -> dict[str, Any]:
    """A message as the member who hid it is told of it: no text, no attachments."""
    return {**message.to_dict(), "text": "", "entities": [], "media": [], "hidden": True}
