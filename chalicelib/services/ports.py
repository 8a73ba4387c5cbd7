"""Ports: what the services need from the outside world (the SMS ports are in
``chalicelib.services.sms.ports``, the contact center's in
``chalicelib.services.contact_center.ports``, push's in ``chalicelib.services.push_ports``).

Each port has a DynamoDB/AWS adapter in ``chalicelib.adapters`` and an
in-memory fake in ``tests/fakes``; both pass the same contract
tests (``tests/adapters``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.model import (
    Company,
    Connection,
    Contact,
    Conversation,
    Event,
    Membership,
    Message,
    Page,
    User,
)


class DirectoryRepository(Protocol):
    """Companies and their users."""

    def get_company(self, company_id: str) -> Company | None: ...

    def put_company(self, company: Company) -> None: ...

    def get_user(self, user_id: str) -> User | None: ...

    def get_users(self, user_ids: list[str]) -> dict[str, User]:
        """Several users at once (one BatchGetItem); unknown ids are left out."""
        ...

    def put_user(self, user: User) -> None:
        """Create or update a profile's own fields; presence, the photo and ``enabled``
        of a stored profile are kept (they have their own writers)."""
        ...

    def set_enabled(self, user_id: str, enabled: bool) -> User | None:
        """Offboard (False) or restore (True); the profile after, None if there is none."""
        ...

    def list_users(self, company_id: str, limit: int, cursor: str | None) -> Page[User]: ...


@dataclass(frozen=True)
class Identity:
    """An account in the user pool: its ``user_id`` is Cognito's ``sub``."""

    user_id: str
    username: str
    email: str
    status: str  # Cognito's: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED
    enabled: bool


class IdentityProvider(Protocol):
    """The user pool (Cognito): accounts, their invitations and their sessions."""

    def invite(self, username: str, email: str, name: str, metadata: Mapping[str, str]) -> Identity:
        """A new account whose temporary password goes out by email (the invitation's
        words come from the CustomMessage trigger, given ``metadata``); Conflict
        ``username_taken`` when the username exists, ``email_taken`` when another
        account signs in with that email."""
        ...

    def find(self, username: str) -> Identity | None: ...

    def username_of(self, user_id: str) -> str | None:
        """The username of the account whose ``sub`` is ``user_id``, None if none."""
        ...

    def set_enabled(self, username: str, enabled: bool) -> None:
        """A disabled account cannot sign in or refresh; unknown usernames are ignored."""
        ...

    def sign_out_everywhere(self, username: str) -> None:
        """Revoke every refresh token of the account; unknown usernames are ignored."""
        ...

    def revoke(self, refresh_token: str) -> None:
        """Revoke one device's refresh token; a token already invalid is ignored."""
        ...


class ContactRepository(Protocol):
    """A user's personal contacts."""

    def list_contacts(self, owner_id: str, limit: int, cursor: str | None) -> Page[Contact]: ...

    def get_contact(self, owner_id: str, contact_id: str) -> Contact | None: ...

    def put_contact(self, contact: Contact) -> None:
        """Create or replace, with its numbers; Conflict ``contact_number_taken`` (and
        nothing changed) when one of them is on another of the owner's contacts."""
        ...

    def delete_contact(self, owner_id: str, contact_id: str) -> bool: ...

    def contacts_by_numbers(self, owner_id: str, numbers: list[str]) -> dict[str, dict[str, str]]:
        """``{number: {"id", "name"}}`` of the owner's contacts with these numbers (one
        BatchGetItem); numbers on no contact are left out."""
        ...

    def suggest_by_name(
        self, owner_id: str, prefix: str, limit: int, cursor: str | None
    ) -> Page[Contact]:
        """Contacts whose folded name (``domain.contacts.fold``) starts with ``prefix``,
        by name."""
        ...

    def suggest_by_number(
        self, owner_id: str, prefix: str, limit: int, cursor: str | None
    ) -> Page[Contact]:
        """Contacts with a number starting with ``prefix`` (``+`` and digits)."""
        ...


class ConversationRepository(Protocol):
    """Conversations, their messages, and each member's own view of them."""

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        """Store a new conversation and its memberships; if the id exists, return the stored one.

        Returns (conversation, created).
        """
        ...

    def get(self, conversation_id: str) -> Conversation | None: ...

    def get_many(self, conversation_ids: Iterable[str]) -> dict[str, Conversation]: ...

    def replace_members(
        self, conversation: Conversation, members: list[str], name: str
    ) -> Conversation:
        """Change members/name if ``conversation.version`` is still current (else ConcurrentUpdate)."""
        ...

    def take_seq(self, conversation_id: str) -> int:
        """The conversation's next sequence number, from an atomic counter: concurrent
        callers never get the same number and never conflict."""
        ...

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        """Store ``message`` (its seq taken with ``take_seq``) with its client key,
        atomically, then move the head forward (``advance_head``).

        Raises Conflict if the (sender, client_id) pair is already stored, and
        ConcurrentUpdate if ``message.seq`` is occupied (a placeholder put there).
        """
        ...

    def advance_head(self, conversation: Conversation, message: Message) -> bool:
        """last_seq, the preview and updated_at follow the highest stored message:
        moved only if ``message.seq`` is higher (False otherwise)."""
        ...

    def fill_gap(self, conversation: Conversation, seq: int, at: str) -> bool:
        """Put a placeholder at a number whose message will never be stored (never
        listed, never an event); False if the number is occupied."""
        ...

    def messages_after(
        self,
        conversation_id: str,
        after_seq: int,
        limit: int,
        cursor: str | None,
        settled_before: str,
    ) -> tuple[Page[Message], int]:
        """Catch-up: stored messages after ``after_seq``, oldest first, stepping over
        placeholders and stopping before a number still in flight. A hole followed by
        a message created before ``settled_before`` is a send that died: it gets a
        placeholder and is stepped over. Returns the page and ``through``: every
        number up to it is accounted for (ask from it next)."""
        ...

    def get_message(self, conversation_id: str, seq: int) -> Message | None: ...

    def get_messages(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Message]:
        """Stored messages by (conversation, seq), in one batch read (search's re-check);
        placeholders and missing numbers are absent from the answer."""
        ...

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None: ...

    def get_for_send(
        self, conversation_id: str, sender: str, client_id: str
    ) -> tuple[Conversation | None, int | None]:
        """The conversation and the number ``(sender, client_id)`` already holds (None:
        not sent before), in one strongly consistent read (a send's first step)."""
        ...

    def list_messages(
        self,
        conversation_id: str,
        limit: int,
        cursor: str | None,
        after_seq: int | None = None,
        above_seq: int = 0,
        consistent: bool = False,
    ) -> Page[Message]:
        """Newest first, only messages after ``above_seq`` (a member's ``cleared_seq``);
        with ``after_seq``, the stored messages after it, oldest first. ``consistent``:
        a strongly consistent Query (a hide's choice of the member's own preview)."""
        ...

    def mark_deleted(self, conversation_id: str, seq: int, deleted_at: str) -> Message | None: ...

    def get_membership(self, user_id: str, conversation_id: str) -> Membership | None: ...

    def get_memberships(self, conversation_id: str, user_ids: list[str]) -> dict[str, Membership]:
        """Several members' views of one conversation at once (BatchGetItem); users who
        are not members are left out."""
        ...

    def memberships_in(self, user_id: str, conversation_ids: list[str]) -> dict[str, Membership]:
        """One user's memberships of several conversations (BatchGetItem), hidden ones
        included; conversations they are not in are left out."""
        ...

    def list_memberships(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        """Visible conversations of a user, most recent activity first."""
        ...

    def touch_member(self, user_id: str, conversation_id: str, activity_at: str) -> bool:
        """Move one member's list entry up to ``activity_at`` and unhide it; never back
        (False when it was already there or later)."""
        ...

    def touch_sender(self, user_id: str, conversation_id: str, seq: int, activity_at: str) -> None:
        """The writer's entry moves up and their read horizon reaches ``seq`` (one
        write when both move; each forward only)."""
        ...

    def advance_read(self, user_id: str, conversation_id: str, seq: int) -> bool:
        """Move the read horizon forward only; False if it was already at or past ``seq``."""
        ...

    def set_flags(
        self,
        user_id: str,
        conversation_id: str,
        *,
        muted: bool | None = None,
        hidden: bool | None = None,
    ) -> None: ...

    def clear(self, user_id: str, conversation_id: str, seq: int) -> None:
        """ "Delete for me" up to ``seq``: ``cleared_seq`` and the read horizon move
        forward to it (never back) and the conversation leaves the member's list."""
        ...

    def hide_message(
        self,
        user_id: str,
        company_id: str,
        conversation_id: str,
        seq: int,
        view: dict[str, Any],
        preview: dict[str, Any] | None = None,
        hides: int = 0,
    ) -> bool:
        """One member deletes message ``seq`` for themselves; ``view`` is what their
        devices are told. ``preview`` (their own list preview, ``{"through_seq",
        "seq"}``) is written in the same transaction, which holds only while the
        membership's ``hides`` is still ``hides`` (and counts one more), so a member's
        hides write one at a time. True: hidden, now or before (idempotent: the first
        hide's preview stays). False: nothing written, the membership changed since it
        was read or another write to it got in the way (read again and retry). Raises
        NotFound (``conversation_not_found``) when the caller is not a member (left)."""
        ...

    def hidden_seqs(
        self, user_id: str, conversation_id: str, low: int, high: int, consistent: bool = False
    ) -> set[int]:
        """The seqs from ``low`` to ``high`` (both included) the member hid: one Query
        of that range (a page's), whatever the history's length."""
        ...


class ConnectionRepository(Protocol):
    """Live WebSocket connections, indexed per user (never scanned) and by expiry."""

    def add(self, connection: Connection) -> None: ...

    def touch(self, connection: Connection, deadline: int) -> None:
        """Move the liveness deadline (both the per-user and the lookup item)."""
        ...

    def set_background(self, connection: Connection, background: bool) -> None: ...

    def get(self, connection_id: str) -> Connection | None: ...

    def remove(self, connection_id: str) -> Connection | None: ...

    def list_for_user(self, user_id: str) -> list[Connection]: ...

    def expired(self, now: int, limit: int) -> list[Connection]:
        """Connections past their deadline that were never closed."""
        ...

    def watch(self, connection: Connection, user_ids: list[str]) -> None:
        """Replace the set of users whose presence this connection follows."""
        ...

    def watchers(self, user_id: str) -> list[str]:
        """Connection ids following ``user_id``'s presence."""
        ...


class PresenceRepository(Protocol):
    """A user's chosen status and liveness (on the profile, so lists read it for free)."""

    def set_choice(
        self, user_id: str, status: str, message: str, expires_at: str | None, now: str
    ) -> None: ...

    def set_online(self, user_id: str, online: bool, online_until: int, now: str) -> bool:
        """Store liveness; returns whether the user was online before."""
        ...

    def set_photo(self, user_id: str, key: str) -> None: ...


class MediaStore(Protocol):
    """Uploads by presigned URL and short-lived download links (S3)."""

    def presigned_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int, filename: str = ""
    ) -> dict[str, Any]:
        """A form that uploads exactly this key, type and file name ("": none)."""
        ...

    def describe(self, key: str) -> dict[str, Any] | None:
        """``{"content_type", "size", "filename"}`` of an uploaded object ("" when it has
        no file name), or None."""
        ...

    def download_url(self, key: str, expires_in: int, filename: str = "") -> str:
        """A short-lived link; with ``filename``, a download saves under that name."""
        ...

    def copy(self, source: str, destination: str) -> None: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def s3_url(self, key: str) -> str:
        """``s3://bucket/key``, for providers that read media from S3 themselves."""
        ...


class MediaFetcher(Protocol):
    """Downloads a provider's copy of inbound media (so it outlives the provider's)."""

    def fetch(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        """(content, content type); raises ValidationError when too large or unreachable."""
        ...


class RetryScheduler(Protocol):
    """Delays a queued message's next delivery (the consumer's backoff)."""

    def delay(self, queue_arn: str, receipt_handle: str, seconds: int) -> None: ...


class EventPublisher(Protocol):
    """Hands domain events to the fan-out (SNS on AWS)."""

    def publish(self, events: list[Event]) -> None: ...


class ConnectionSender(Protocol):
    """Posts a frame to one WebSocket connection; raises ConnectionGone on 410."""

    def send(self, connection_id: str, frame: dict[str, Any]) -> None: ...

    def close(self, connection_id: str) -> None:
        """Close a connection from the server side (logout); a gone one is fine."""
        ...


class TokenVerifier(Protocol):
    """Verifies a Cognito IdToken and returns its claims, or raises Unauthorized."""

    def verify(self, token: str) -> dict[str, Any]: ...


class Deduplicator(Protocol):
    """Runs a piece of consumer work once per key, across retries and redeliveries."""

    def register_lambda_context(self, context: Any) -> None:
        """Lets an in-progress record expire with the invocation that wrote it."""
        ...

    def run_once(self, key: str, work: Callable[[], Any]) -> Any: ...
