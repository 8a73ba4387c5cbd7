"""In-memory adapters: the same ports as the DynamoDB ones, for unit tests.

They pass the same contract tests as the real adapters (tests/adapters), so a
service tested against them behaves the same on DynamoDB.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from chalicelib.adapters.dynamodb import decode_cursor, encode_cursor
from chalicelib.domain.errors import ConcurrentUpdate, Conflict, ConnectionGone, PushRejected
from chalicelib.domain.model import (
    BusinessNumber,
    Company,
    Connection,
    Contact,
    Conversation,
    Device,
    Event,
    Membership,
    Message,
    Missed,
    Page,
    Policy,
    User,
)
from chalicelib.domain.sms import ProviderSend, status_rank


def _paginate(
    keys: list[Any], limit: int, cursor: str | None, scope: str, descending: bool = False
) -> tuple[list[Any], str | None]:
    """Pages over (sort key, item) pairs already sorted in the list's order."""
    start = decode_cursor(cursor, scope, ("k",), {})
    if start is not None:
        after = start["k"]["S"]
        keys = [k for k in keys if (k[0] < after if descending else k[0] > after)]
    page = keys[:limit]
    next_cursor = encode_cursor({"k": page[-1][0]}, scope) if len(keys) > limit else None
    return page, next_cursor


class MemoryDirectoryRepository:
    def __init__(self) -> None:
        self.companies: dict[str, Company] = {}
        self.users: dict[str, User] = {}

    def get_company(self, company_id: str) -> Company | None:
        return copy.deepcopy(self.companies.get(company_id))

    def put_company(self, company: Company) -> None:
        self.companies[company.company_id] = copy.deepcopy(company)

    def get_user(self, user_id: str) -> User | None:
        return copy.deepcopy(self.users.get(user_id))

    def get_users(self, user_ids: list[str]) -> dict[str, User]:
        return {u: copy.deepcopy(self.users[u]) for u in user_ids if u in self.users}

    def put_user(self, user: User) -> None:
        self.users[user.user_id] = copy.deepcopy(user)

    def list_users(self, company_id: str, limit: int, cursor: str | None) -> Page[User]:
        keys = sorted(
            (f"{u.name.lower()}#{u.user_id}", u)
            for u in self.users.values()
            if u.company_id == company_id
        )
        page, next_cursor = _paginate(keys, limit, cursor, f"users:{company_id}")
        return Page([copy.deepcopy(u) for _, u in page], next_cursor)


class MemoryContactRepository:
    def __init__(self) -> None:
        self.contacts: dict[tuple[str, str], Contact] = {}

    def list_contacts(self, owner_id: str, limit: int, cursor: str | None) -> Page[Contact]:
        keys = sorted((cid, c) for (owner, cid), c in self.contacts.items() if owner == owner_id)
        page, next_cursor = _paginate(keys, limit, cursor, f"contacts:{owner_id}")
        return Page([copy.deepcopy(c) for _, c in page], next_cursor)

    def get_contact(self, owner_id: str, contact_id: str) -> Contact | None:
        return copy.deepcopy(self.contacts.get((owner_id, contact_id)))

    def put_contact(self, contact: Contact) -> None:
        self.contacts[(contact.owner_id, contact.contact_id)] = copy.deepcopy(contact)

    def delete_contact(self, owner_id: str, contact_id: str) -> bool:
        return self.contacts.pop((owner_id, contact_id), None) is not None


class MemoryConversationRepository:
    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[tuple[str, int], Message] = {}
        self.client_keys: dict[tuple[str, str, str], int] = {}
        self.memberships: dict[tuple[str, str], Membership] = {}

    def _new_membership(self, conversation: Conversation, user_id: str) -> Membership:
        return Membership(
            user_id=user_id,
            conversation_id=conversation.conversation_id,
            company_id=conversation.company_id,
            read_seq=conversation.last_seq,
            activity_at=conversation.updated_at or conversation.created_at,
        )

    def create(self, conversation: Conversation) -> tuple[Conversation, bool]:
        existing = self.conversations.get(conversation.conversation_id)
        if existing is not None:
            return copy.deepcopy(existing), False
        self.conversations[conversation.conversation_id] = copy.deepcopy(conversation)
        for user_id in conversation.members:
            self.memberships[(user_id, conversation.conversation_id)] = self._new_membership(
                conversation, user_id
            )
        return copy.deepcopy(conversation), True

    def get(self, conversation_id: str) -> Conversation | None:
        return copy.deepcopy(self.conversations.get(conversation_id))

    def get_many(self, conversation_ids: Iterable[str]) -> dict[str, Conversation]:
        return {
            cid: copy.deepcopy(self.conversations[cid])
            for cid in conversation_ids
            if cid in self.conversations
        }

    def replace_members(
        self, conversation: Conversation, members: list[str], name: str
    ) -> Conversation:
        stored = self.conversations[conversation.conversation_id]
        if stored.version != conversation.version:
            raise ConcurrentUpdate("the conversation changed meanwhile")
        for user_id in members:
            if user_id not in stored.members:
                self.memberships[(user_id, stored.conversation_id)] = self._new_membership(
                    stored, user_id
                )
        for user_id in stored.members:
            if user_id not in members:
                self.memberships.pop((user_id, stored.conversation_id), None)
        stored.members = list(members)
        stored.name = name
        stored.version += 1
        return copy.deepcopy(stored)

    def append_message(self, conversation: Conversation, message: Message) -> Message:
        key = (message.conversation_id, message.sender, message.client_id)
        if key in self.client_keys:
            raise Conflict("this client_id was already used")
        stored = self.conversations[conversation.conversation_id]
        if stored.last_seq != conversation.last_seq:
            raise ConcurrentUpdate("another message took this sequence number")
        self.messages[(message.conversation_id, message.seq)] = copy.deepcopy(message)
        self.client_keys[key] = message.seq
        stored.last_seq = message.seq
        stored.last_message = message.preview()
        stored.updated_at = message.created_at
        conversation.last_seq, conversation.last_message = stored.last_seq, stored.last_message
        conversation.updated_at = stored.updated_at
        return copy.deepcopy(message)

    def get_message(self, conversation_id: str, seq: int) -> Message | None:
        return copy.deepcopy(self.messages.get((conversation_id, seq)))

    def find_by_client_id(
        self, conversation_id: str, sender: str, client_id: str
    ) -> Message | None:
        seq = self.client_keys.get((conversation_id, sender, client_id))
        return self.get_message(conversation_id, seq) if seq is not None else None

    def list_messages(
        self, conversation_id: str, limit: int, cursor: str | None, after_seq: int | None = None
    ) -> Page[Message]:
        seqs = sorted(
            (s for (cid, s) in self.messages if cid == conversation_id), reverse=after_seq is None
        )
        if after_seq is not None:
            seqs = [s for s in seqs if s > after_seq]
        keys = [(f"{s:012d}", s) for s in seqs]
        scope = f"messages:{conversation_id}:" + (
            "newest-first" if after_seq is None else f"after:{after_seq}"
        )
        page, next_cursor = _paginate(keys, limit, cursor, scope, descending=after_seq is None)
        return Page(
            [copy.deepcopy(self.messages[(conversation_id, s)]) for _, s in page], next_cursor
        )

    def mark_deleted(self, conversation_id: str, seq: int, deleted_at: str) -> Message | None:
        message = self.messages.get((conversation_id, seq))
        if message is None:
            return None
        if not message.deleted:
            message.deleted, message.deleted_at, message.text = True, deleted_at, ""
            message.entities = []
            stored = self.conversations[conversation_id]
            if stored.last_seq == seq:
                stored.last_message = message.preview()
        return copy.deepcopy(message)

    def get_membership(self, user_id: str, conversation_id: str) -> Membership | None:
        return copy.deepcopy(self.memberships.get((user_id, conversation_id)))

    def list_memberships(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        keys = sorted(
            (
                (f"{m.activity_at}#{m.conversation_id}", m)
                for (uid, _), m in self.memberships.items()
                if uid == user_id and not m.hidden
            ),
            key=lambda k: k[0],
            reverse=True,
        )
        page, next_cursor = _paginate(
            keys, limit, cursor, f"memberships:{user_id}", descending=True
        )
        return Page([copy.deepcopy(m) for _, m in page], next_cursor)

    def touch_members(
        self, conversation: Conversation, activity_at: str, sender: str | None = None
    ) -> None:
        for user_id in conversation.members:
            m = self.memberships.get((user_id, conversation.conversation_id))
            if m is not None and m.activity_at <= activity_at:
                m.activity_at = activity_at
                m.hidden = False
            if m is not None and user_id == sender:
                m.read_seq = max(m.read_seq, conversation.last_seq)

    def advance_read(self, user_id: str, conversation_id: str, seq: int) -> bool:
        m = self.memberships.get((user_id, conversation_id))
        if m is None or m.read_seq >= seq:
            return False
        m.read_seq = seq
        return True

    def set_flags(
        self,
        user_id: str,
        conversation_id: str,
        *,
        muted: bool | None = None,
        hidden: bool | None = None,
    ) -> None:
        m = self.memberships[(user_id, conversation_id)]
        if muted is not None:
            m.muted = muted
        if hidden is not None:
            m.hidden = hidden


class MemoryConnectionRepository:
    def __init__(self, epoch: Callable[[], float] = time.time) -> None:
        self.connections: dict[str, Connection] = {}
        self.watching: dict[str, list[str]] = {}  # connection -> watched users
        self._epoch = epoch

    def add(self, connection: Connection) -> None:
        self.connections[connection.connection_id] = copy.deepcopy(connection)

    def touch(self, connection: Connection, deadline: int) -> None:
        if connection.connection_id in self.connections:
            self.connections[connection.connection_id].deadline = deadline

    def set_background(self, connection: Connection, background: bool) -> None:
        if connection.connection_id in self.connections:
            self.connections[connection.connection_id].background = background

    def get(self, connection_id: str) -> Connection | None:
        found = self.connections.get(connection_id)
        if found is None or found.deadline < self._epoch():
            return None
        return copy.deepcopy(found)

    def remove(self, connection_id: str) -> Connection | None:
        self.watching.pop(connection_id, None)
        return self.connections.pop(connection_id, None)

    def list_for_user(self, user_id: str) -> list[Connection]:
        now = self._epoch()
        return [
            copy.deepcopy(c)
            for c in self.connections.values()
            if c.user_id == user_id and c.deadline >= now
        ]

    def expired(self, now: int, limit: int) -> list[Connection]:
        return [copy.deepcopy(c) for c in self.connections.values() if c.deadline < now][:limit]

    def watch(self, connection: Connection, user_ids: list[str]) -> None:
        if connection.connection_id in self.connections:
            self.watching[connection.connection_id] = list(user_ids)

    def watchers(self, user_id: str) -> list[str]:
        return [
            cid
            for cid, users in self.watching.items()
            if user_id in users and cid in self.connections
        ]


class MemoryPresenceRepository:
    """Presence on the profiles of a MemoryDirectoryRepository, like the real one."""

    def __init__(self, directory: MemoryDirectoryRepository) -> None:
        self._directory = directory

    def set_choice(
        self, user_id: str, status: str, message: str, expires_at: str | None, now: str
    ) -> None:
        presence = self._directory.users[user_id].presence
        presence.status, presence.message = status, message
        presence.message_expires_at, presence.updated_at = expires_at, now

    def set_online(self, user_id: str, online: bool, online_until: int, now: str) -> bool:
        presence = self._directory.users[user_id].presence
        was = presence.online
        if was != online:
            presence.updated_at = now
        presence.online, presence.online_until = online, online_until
        return was

    def set_photo(self, user_id: str, key: str) -> None:
        self._directory.users[user_id].photo_key = key


class MemoryNotificationRepository:
    def __init__(self) -> None:
        self.devices_by_user: dict[str, dict[str, Device]] = {}
        self.missed_by_user: dict[str, dict[str, Missed]] = {}
        self.typing_until: dict[tuple[str, str], float] = {}
        self.token_owners: dict[tuple[str, str], tuple[str, str]] = {}

    def put_device(self, device: Device) -> None:
        self.devices_by_user.setdefault(device.user_id, {})[device.device_id] = copy.deepcopy(
            device
        )

    def get_device(self, user_id: str, device_id: str) -> Device | None:
        return copy.deepcopy(self.devices_by_user.get(user_id, {}).get(device_id))

    def delete_device(self, user_id: str, device_id: str) -> None:
        self.devices_by_user.get(user_id, {}).pop(device_id, None)

    def devices(self, user_id: str) -> list[Device]:
        return [copy.deepcopy(d) for d in self.devices_by_user.get(user_id, {}).values()]

    def claim_token(
        self, platform: str, token: str, user_id: str, device_id: str
    ) -> tuple[str, str] | None:
        previous = self.token_owners.get((platform, token))
        self.token_owners[(platform, token)] = (user_id, device_id)
        return previous

    def add_missed(self, user_id: str, conversation_id: str, seq: int, at: str) -> None:
        entry = self.missed_by_user.setdefault(user_id, {}).setdefault(
            conversation_id, Missed(conversation_id, 0, 0)
        )
        entry.count += 1
        entry.last_seq, entry.updated_at = seq, at

    def missed(self, user_id: str) -> list[Missed]:
        return [copy.deepcopy(m) for m in self.missed_by_user.get(user_id, {}).values()]

    def restore_missed(self, user_id: str, missed: list[Missed]) -> None:
        for entry in missed:
            stored = self.missed_by_user.setdefault(user_id, {}).setdefault(
                entry.conversation_id,
                Missed(entry.conversation_id, 0, entry.last_seq, entry.updated_at),
            )
            stored.count += entry.count

    def claim_missed(self, user_id: str) -> list[Missed] | None:
        return list(self.missed_by_user.pop(user_id, {}).values())

    def allow_typing(self, conversation_id: str, user_id: str, now: float, every: float) -> bool:
        key = (conversation_id, user_id)
        if self.typing_until.get(key, 0) > now:
            return False
        self.typing_until[key] = now + every
        return True


class MemoryPushGateway:
    """Records pushes; endpoints in ``dead`` are rejected like a disabled SNS endpoint."""

    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []
        self.registered: dict[str, str] = {}
        self.dead: set[str] = set()

    def register(self, platform: str, token: str, user_id: str) -> str:
        endpoint = f"endpoint/{platform}/{token}"
        self.registered[endpoint] = user_id
        return endpoint

    def unregister(self, endpoint: str) -> None:
        self.registered.pop(endpoint, None)

    def push(self, endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        if endpoint in self.dead:
            raise PushRejected("the device endpoint is disabled")
        self.pushed.append(
            {"endpoint": endpoint, "platform": platform, "silent": silent, **payload}
        )


class MemoryMediaStore:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}

    def presigned_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        return {"method": "POST", "url": "memory://upload", "fields": {"key": key}}

    def describe(self, key: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.objects.get(key))

    def copy(self, source: str, destination: str) -> None:
        self.objects[destination] = copy.deepcopy(self.objects[source])

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = {"content_type": content_type, "size": len(data), "data": data}

    def s3_url(self, key: str) -> str:
        return f"s3://memory/{key}"

    def download_url(self, key: str, expires_in: int) -> str:
        return f"memory://{key}?expires_in={expires_in}"


class MemorySmsRepository:
    def __init__(self, conversations: MemoryConversationRepository) -> None:
        self.numbers: dict[str, BusinessNumber] = {}
        self.opt_outs: dict[tuple[str, str], bool] = {}
        self.audit: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.provider_ids: dict[tuple[str, str], tuple[str, int]] = {}
        self.rates: dict[tuple[str, int], int] = {}
        self.policy_store: dict[tuple[str, str], Policy] = {}
        self.pace: dict[str, float] = {}
        self.booked: dict[tuple[str, str], float] = {}  # (number, text id) -> slot
        self.usage_rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._conversations = conversations

    def get_number(self, e164: str) -> BusinessNumber | None:
        return copy.deepcopy(self.numbers.get(e164))

    def put_number(self, number: BusinessNumber) -> None:
        self.numbers[number.e164] = copy.deepcopy(number)

    def numbers_of_company(self, company_id: str) -> list[BusinessNumber]:
        return [
            copy.deepcopy(n)
            for n in sorted(self.numbers.values(), key=lambda n: n.e164)
            if n.company_id == company_id
        ]

    def conversations_of_number(self, e164: str) -> list[str]:
        return [
            c.conversation_id
            for c in self._conversations.conversations.values()
            if c.business_number == e164
        ]

    def put_policy(self, policy: Policy) -> None:
        self.policy_store[(policy.company_id, policy.policy_id)] = copy.deepcopy(policy)

    def get_policy(self, company_id: str, policy_id: str) -> Policy | None:
        return copy.deepcopy(self.policy_store.get((company_id, policy_id)))

    def policies(self, company_id: str) -> list[Policy]:
        return [
            copy.deepcopy(p)
            for (cid, _), p in sorted(self.policy_store.items())
            if cid == company_id
        ]

    def numbers_of(self, user: User) -> list[BusinessNumber]:
        return [copy.deepcopy(self.numbers[n]) for n in user.numbers if n in self.numbers]

    def opted_out(self, business: str, external: str) -> bool:
        return self.opt_outs.get((business, external), False)

    def set_opt_out(
        self, business: str, external: str, opted_out: bool, keyword: str, source: str, at: str
    ) -> bool:
        if self.opted_out(business, external) == opted_out:
            return False
        self.opt_outs[(business, external)] = opted_out
        self.audit.setdefault((business, external), []).append(
            {"opted_out": opted_out, "keyword": keyword, "at": at, "source": source}
        )
        return True

    def opt_out_history(self, business: str, external: str) -> list[dict[str, Any]]:
        return list(self.audit.get((business, external), []))

    def map_provider_message(
        self, provider: str, provider_id: str, conversation_id: str, seq: int
    ) -> None:
        self.provider_ids[(provider, provider_id)] = (conversation_id, seq)

    def find_provider_message(self, provider: str, provider_id: str) -> tuple[str, int] | None:
        return self.provider_ids.get((provider, provider_id))

    def take_rate(self, key: str, window: int, limit: int) -> bool:
        count = self.rates.get((key, window), 0)
        if count >= limit:
            return False
        self.rates[(key, window)] = count + 1
        return True

    def add_usage(
        self, company_id: str, user_id: str | None, day: str, direction: str, segments: int
    ) -> None:
        for scope in ["company"] + ([user_id] if user_id else []):
            row = self.usage_rows.setdefault(
                (company_id, day, scope),
                {
                    "day": day,
                    "scope": scope,
                    "outbound": {"messages": 0, "segments": 0},
                    "inbound": {"messages": 0, "segments": 0},
                },
            )
            row[direction]["messages"] += 1
            row[direction]["segments"] += segments

    def usage(self, company_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(row)
            for (cid, day, _), row in sorted(self.usage_rows.items())
            if cid == company_id and first_day <= day <= last_day
        ]

    def claim_send(self, conversation_id: str, seq: int) -> bool:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is None or message.status != "queued" or message.deleted:
            return False
        message.status = "sending"
        return True

    def release_send(self, conversation_id: str, seq: int) -> None:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is not None and message.status == "sending" and not message.provider_message_id:
            message.status = "queued"

    def set_provider_id(self, conversation_id: str, seq: int, provider_message_id: str) -> None:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is not None:
            message.provider_message_id = provider_message_id

    def take_pace(
        self, e164: str, cost_seconds: float, now: float, max_wait: float, key: str | None = None
    ) -> float:
        if key is not None and (e164, key) in self.booked:
            return self.booked[e164, key] - now
        slot = max(now, self.pace.get(e164, 0.0))
        if slot - now > max_wait and key is None:
            return slot - now
        self.pace[e164] = slot + cost_seconds
        if key is not None:
            self.booked[e164, key] = slot
        return slot - now

    def stale_pending(self, before: str, limit: int) -> list[tuple[str, int]]:
        return [
            (m.conversation_id, m.seq)
            for m in self._conversations.messages.values()
            if m.channel == "sms"
            and m.direction == "outbound"
            and status_rank(m.status) < 3
            and m.created_at < before
        ][:limit]

    def advance_status(
        self,
        conversation_id: str,
        seq: int,
        status: str,
        provider_message_id: str | None = None,
        error_code: str | None = None,
    ) -> bool:
        message = self._conversations.messages.get((conversation_id, seq))
        if message is None or status_rank(message.status) >= status_rank(status):
            return False
        message.status = status
        if provider_message_id:
            message.provider_message_id = provider_message_id
        if error_code:
            message.error_code = error_code
        return True


class MemoryProviders:
    """A fake carrier: records sends; ``fail_with`` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail_with: list[Exception] = []
        self._ids: dict[str, str] = {}

    def send(
        self,
        from_: str,
        to: str,
        body: str,
        idempotency_key: str,
        media_urls: Sequence[str] = (),
    ) -> ProviderSend:
        if self.fail_with:
            raise self.fail_with.pop(0)
        if idempotency_key not in self._ids:  # the provider's own idempotency
            self._ids[idempotency_key] = f"SM{len(self._ids):032d}"
            self.sent.append(
                {
                    "from": from_,
                    "to": to,
                    "body": body,
                    "key": idempotency_key,
                    "media_urls": list(media_urls),
                }
            )
        return ProviderSend(self._ids[idempotency_key], "queued")


class MemoryPublisher:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, events: list[Event]) -> None:
        self.events.extend(events)


class MemorySender:
    """Records frames per connection; connections in ``gone`` answer like a 410."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.closed: list[str] = []

    def send(self, connection_id: str, frame: dict[str, Any]) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(f"connection {connection_id} is gone")
        self.frames.setdefault(connection_id, []).append(copy.deepcopy(frame))

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)


class MemoryFetcher:
    """Serves inbound media from a dict of url -> (bytes, content type)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    def fetch(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        from chalicelib.domain.errors import ValidationError

        if url not in self.files:
            raise ValidationError("the media could not be fetched", code="media_unavailable")
        data, content_type = self.files[url]
        if len(data) > max_bytes:
            raise ValidationError("the media is too large", code="media_too_large")
        return data, content_type
