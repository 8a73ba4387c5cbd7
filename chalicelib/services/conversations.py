"""Use cases for conversations: create, list, send, read, delete, hide, mute, members."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.errors import (
    ConcurrentUpdate,
    Conflict,
    FeatureDisabled,
    Forbidden,
    NotFound,
    ValidationError,
)
from chalicelib.domain.model import (
    IM,
    Conversation,
    Membership,
    Message,
    Page,
    direct_conversation_id,
    parse_message_id,
)
from chalicelib.domain.shared_lines import NOTE
from chalicelib.services.commands import CreateIm, MarkRead, SendMessage, SyncRequest
from chalicelib.services.common import Caller, Clock, IdFactory
from chalicelib.services.im import ImPolicy
from chalicelib.services.member_state import MemberState
from chalicelib.services.messages import ChannelPolicy, ClientSeq, Draft, MessageLog
from chalicelib.services.ports import (
    ContactRepository,
    ConversationRepository,
    DirectoryRepository,
)
from chalicelib.services.presence import PresenceService
from chalicelib.settings import Settings

MAX_CLIENT_ID = 128
MAX_SYNC_CONVERSATIONS = 50
MAX_SEQ = 10**11  # sequence numbers are stored zero-padded to 12 digits
MAX_GROUP_NAME = 100
_SEQ_RETRIES = 8


class ConversationService:
    """Everything a member does to a conversation.

    Visibility rule: a conversation exists for a caller only if it belongs to
    the caller's company and the caller is a member; otherwise it is a 404, so
    ids of other companies reveal nothing.
    """

    def __init__(
        self,
        conversations: ConversationRepository,
        directory: DirectoryRepository,
        settings: Settings,
        clock: Clock,
        ids: IdFactory,
        log: MessageLog,
        im: ImPolicy,
        policies: Mapping[str, ChannelPolicy],
        presence: PresenceService | None = None,
        contacts: ContactRepository | None = None,
    ) -> None:
        self._repo = conversations
        self._members = MemberState(conversations, contacts)
        self._directory = directory
        self._settings = settings
        self._clock = clock
        self._ids = ids
        self._log = log
        self._im = im
        self._policies = policies  # by conversation type: how each channel admits a message
        self._presence = presence

    # -- reading ----------------------------------------------------------

    def visible(self, caller: Caller, conversation_id: str) -> Conversation:
        return self._visible(caller, self._repo.get(conversation_id) if conversation_id else None)

    @staticmethod
    def _visible(caller: Caller, conversation: Conversation | None) -> Conversation:
        if (
            conversation is None
            or conversation.company_id != caller.company_id
            or caller.user_id not in conversation.members
        ):
            raise NotFound("no such conversation", code="conversation_not_found")
        return conversation

    def view(self, conversation: Conversation, membership: Membership | None) -> dict[str, Any]:
        return self._members.view(conversation, membership)

    def get(self, caller: Caller, conversation_id: str) -> dict[str, Any]:
        conversation = self.visible(caller, conversation_id)
        view = self.view(conversation, self._repo.get_membership(caller.user_id, conversation_id))
        self._with_peer_presence(caller, [view])
        self._members.with_contacts(caller.user_id, [view])
        return view

    def list_for(self, caller: Caller, limit: int, cursor: str | None) -> Page[dict[str, Any]]:
        return self.views_of(caller, self._repo.list_memberships(caller.user_id, limit, cursor))

    def views_of(self, caller: Caller, page: Page[Membership]) -> Page[dict[str, Any]]:
        """A page of the caller's entries as the conversations they see (one batch read)."""
        conversations = self._repo.get_many(m.conversation_id for m in page.items)
        items = self._members.views(
            [
                (conversations[m.conversation_id], m)
                for m in page.items
                if m.conversation_id in conversations
            ]
        )
        self._with_peer_presence(caller, items)
        self._members.with_contacts(caller.user_id, items)
        return Page(items, page.next_cursor)

    def _with_peer_presence(self, caller: Caller, views: list[dict[str, Any]]) -> None:
        """A 1:1 conversation shows the other person's presence (one batch read a page)."""
        if self._presence is None:
            return
        peers = {
            v["id"]: next((m for m in v["members"] if m != caller.user_id), None)
            for v in views
            if v["type"] == IM and not v["group"]
        }
        users = self._directory.get_users([p for p in peers.values() if p])
        for view in views:
            peer = users.get(peers.get(view["id"]) or "")
            if peer is not None:
                view["peer_presence"] = self._presence.view(peer)

    def history(
        self,
        caller: Caller,
        conversation_id: str,
        limit: int,
        cursor: str | None,
        after_seq: int | None = None,
    ) -> Page[Message]:
        """Newest first; or, with ``after_seq``, everything after it, oldest first (catch-up)."""
        if after_seq is not None:
            return self.catch_up(caller, conversation_id, after_seq, limit, cursor)[0]
        self.visible(caller, conversation_id)
        cleared = self._members.cleared(caller.user_id, conversation_id)
        page = self._repo.list_messages(conversation_id, limit, cursor, above_seq=cleared)
        return self._members.visible_page(caller.user_id, page, cleared)

    def catch_up(
        self, caller: Caller, conversation_id: str, after_seq: int, limit: int, cursor: str | None
    ) -> tuple[Page[Message], int]:
        """The messages after ``after_seq``, oldest first, exactly, and ``through``: the
        number every message up to which is accounted for (a device asks from it next;
        it steps over numbers that will never hold a message). Messages the caller
        deleted for themselves are accounted for and left out."""
        self.visible(caller, conversation_id)
        cleared = self._members.cleared(caller.user_id, conversation_id)
        page, through = self._log.after(conversation_id, max(after_seq, cleared), limit, cursor)
        return self._members.visible_page(caller.user_id, page, cleared), through

    def sync(self, caller: Caller, request: SyncRequest) -> dict[str, Any]:
        """What a reconnecting device missed: per conversation, the messages after the
        sequence number it last saw, oldest first, and where the conversation stands."""
        limit = request.limit
        result: dict[str, Any] = {}
        for conversation_id, seen in request.positions.items():
            try:
                conversation = self.visible(caller, conversation_id)
            except NotFound as error:
                result[conversation_id] = {"error": {"code": error.code, "message": error.message}}
                continue
            membership = self._repo.get_membership(caller.user_id, conversation_id)
            cleared = membership.cleared_seq if membership else 0
            page, through = self._log.after(conversation_id, max(seen, cleared), limit, None)
            page = self._members.visible_page(caller.user_id, page, cleared)
            view = self.view(conversation, membership)
            result[conversation_id] = {
                "messages": [m.to_dict() for m in page.items],
                "next_cursor": page.next_cursor,
                "through_seq": through,
                "last_seq": conversation.last_seq,
                "read_seq": view["read_seq"],
                "unread_count": view["unread_count"],
            }
        return {"conversations": result}

    # -- creating ---------------------------------------------------------

    def _member_ids(self, caller: Caller, raw: tuple[str, ...]) -> list[str]:
        if not raw or not all(raw):
            raise ValidationError(
                "members must be a non-empty list of user ids", code="invalid_members"
            )
        members: list[str] = []
        for user_id in raw:
            if user_id != caller.user_id and user_id not in members:
                members.append(user_id)
        if not members:
            raise ValidationError(
                "a conversation needs someone besides you", code="invalid_members"
            )
        if len(members) + 1 > self._settings.max_group_members:
            raise ValidationError(
                f"a group has at most {self._settings.max_group_members} members",
                code="too_many_members",
            )
        for user_id in members:
            user = self._directory.get_user(user_id)
            if user is None or user.company_id != caller.company_id:
                raise NotFound(f"no user {user_id} in your company", code="user_not_found")
        return members

    @staticmethod
    def _group_name(raw: str | None) -> str:
        if raw is None:
            return ""
        if len(raw.strip()) > MAX_GROUP_NAME:
            raise ValidationError(
                f"name must be text of at most {MAX_GROUP_NAME} characters", code="invalid_name"
            )
        return raw.strip()

    def create_im(self, caller: Caller, command: CreateIm) -> tuple[dict[str, Any], bool]:
        """Get-or-create: one 1:1 conversation per pair; a new group otherwise."""
        self._im.require(caller.company_id)
        others = self._member_ids(caller, command.members)
        clean_name = self._group_name(command.name)
        is_group = bool(command.group) or len(others) > 1 or bool(clean_name)
        now = self._clock()
        if is_group:
            conversation_id = self._ids("g")
        else:
            conversation_id = direct_conversation_id(caller.company_id, caller.user_id, others[0])
        conversation = Conversation(
            conversation_id=conversation_id,
            company_id=caller.company_id,
            type=IM,
            members=[caller.user_id, *others],
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
            name=clean_name,
        )
        stored, created = self._repo.create(conversation)
        return self.view(
            stored, self._repo.get_membership(caller.user_id, stored.conversation_id)
        ), created

    # -- members ----------------------------------------------------------

    def _group(self, caller: Caller, conversation_id: str) -> Conversation:
        conversation = self.visible(caller, conversation_id)
        if not conversation.is_group:
            raise Conflict("members can only change in a group conversation", code="not_a_group")
        return conversation

    def add_members(
        self, caller: Caller, conversation_id: str, raw: tuple[str, ...]
    ) -> dict[str, Any]:
        self._im.require(caller.company_id)
        for _ in range(_SEQ_RETRIES):
            conversation = self._group(caller, conversation_id)
            new = [m for m in self._member_ids(caller, raw) if m not in conversation.members]
            members = conversation.members + new
            if len(members) > self._settings.max_group_members:
                raise ValidationError(
                    f"a group has at most {self._settings.max_group_members} members",
                    code="too_many_members",
                )
            if not new:
                return self.get(caller, conversation_id)
            try:
                updated = self._repo.replace_members(conversation, members, conversation.name)
            except ConcurrentUpdate:
                continue
            return self.view(updated, self._repo.get_membership(caller.user_id, conversation_id))
        raise ConcurrentUpdate("the conversation kept changing; try again")

    def remove_member(self, caller: Caller, conversation_id: str, user_id: str) -> dict[str, Any]:
        for _ in range(_SEQ_RETRIES):
            conversation = self._group(caller, conversation_id)
            if user_id not in conversation.members:
                raise NotFound("that user is not a member", code="member_not_found")
            members = [m for m in conversation.members if m != user_id]
            try:
                updated = self._repo.replace_members(conversation, members, conversation.name)
            except ConcurrentUpdate:
                continue
            body = updated.to_dict()
            body["removed"] = [user_id]  # as in the conversation.updated event
            return body
        raise ConcurrentUpdate("the conversation kept changing; try again")

    def rename(self, caller: Caller, conversation_id: str, name: str | None) -> dict[str, Any]:
        clean = self._group_name(name)
        for _ in range(_SEQ_RETRIES):
            conversation = self._group(caller, conversation_id)
            try:
                updated = self._repo.replace_members(conversation, conversation.members, clean)
            except ConcurrentUpdate:
                continue
            return self.view(updated, self._repo.get_membership(caller.user_id, conversation_id))
        raise ConcurrentUpdate("the conversation kept changing; try again")

    # -- messages ---------------------------------------------------------

    def _text(self, raw: str | None) -> str:
        if raw is None:
            raise ValidationError("text is required and must be a string", code="invalid_text")
        if not raw.strip():
            raise ValidationError("text must not be empty", code="empty_text")
        if len(raw) > self._settings.max_text_length:
            raise ValidationError(
                f"text is longer than {self._settings.max_text_length} characters",
                code="text_too_long",
            )
        return raw

    def send(self, caller: Caller, command: SendMessage) -> tuple[Message, bool]:
        """Store a message once per (sender, client_id). Returns (message, created).

        An SMS is stored ``queued`` (with its segments); the outbound pipeline sends it.
        A message with attachments (``media``: upload keys, IM or SMS) may have empty text.
        """
        media = command.media
        body = "" if media and not command.text else self._text(command.text)
        found, client_seq = (
            self._repo.get_for_send(command.conversation_id, caller.user_id, command.client_id)
            if command.conversation_id
            else (None, None)
        )
        conversation = self._visible(caller, found)
        policy = self._policies.get(NOTE if command.note else conversation.type)
        if policy is None:
            raise FeatureDisabled("SMS is not configured", code="sms_disabled")
        draft = Draft(caller.user_id, command.client_id, body, caller, media)
        return self._log.append(conversation, draft, policy, ClientSeq(client_seq))

    def _own_message(
        self, caller: Caller, conversation_id: str, message_id: str, shown: bool = True
    ) -> Message:
        """A message of a conversation the caller is in; ``shown``: one they have not
        deleted for themselves."""
        self.visible(caller, conversation_id)
        seq = parse_message_id(conversation_id, message_id)
        message = self._repo.get_message(conversation_id, seq) if seq is not None else None
        if message is None or (shown and not self._members.shows(caller.user_id, message)):
            raise NotFound("no such message", code="message_not_found")
        return message

    def get_message(self, caller: Caller, conversation_id: str, message_id: str) -> Message:
        return self._own_message(caller, conversation_id, message_id)

    def delete_message(self, caller: Caller, conversation_id: str, message_id: str) -> Message:
        message = self._own_message(caller, conversation_id, message_id)
        if message.sender != caller.user_id:
            raise Forbidden("only its author can delete a message", code="not_author")
        if message.deleted:
            return message
        deleted = self._repo.mark_deleted(conversation_id, message.seq, self._clock())
        return deleted or message

    def hide_message(self, caller: Caller, conversation_id: str, message_id: str) -> dict[str, Any]:
        """ "Delete for me": any member, any message; the others keep it."""
        message = self._own_message(caller, conversation_id, message_id, shown=False)
        return self._members.hide(caller.user_id, self.visible(caller, conversation_id), message)

    # -- per-member state -------------------------------------------------

    def clear(self, caller: Caller, conversation_id: str) -> dict[str, Any]:
        """ "Delete for me" of the whole conversation, up to its last message."""
        conversation = self.visible(caller, conversation_id)
        self._members.clear(caller.user_id, conversation)
        return self.view(conversation, self._repo.get_membership(caller.user_id, conversation_id))

    def read(self, caller: Caller, command: MarkRead) -> dict[str, Any]:
        conversation_id, seq = command.conversation_id, command.seq
        conversation = self.visible(caller, conversation_id)
        if seq > conversation.last_seq:
            raise ValidationError(
                f"seq {seq} is past the last message ({conversation.last_seq})", code="invalid_seq"
            )
        self._repo.advance_read(caller.user_id, conversation_id, seq)
        return self.view(conversation, self._repo.get_membership(caller.user_id, conversation_id))

    def set_flags(
        self,
        caller: Caller,
        conversation_id: str,
        *,
        muted: bool | None = None,
        hidden: bool | None = None,
    ) -> dict[str, Any]:
        if muted is None and hidden is None:
            raise ValidationError("give muted and/or hidden", code="invalid_request")
        conversation = self.visible(caller, conversation_id)
        self._repo.set_flags(caller.user_id, conversation_id, muted=muted, hidden=hidden)
        return self.view(conversation, self._repo.get_membership(caller.user_id, conversation_id))
