"""The contact center's set-up items that admins write and remove: canned replies (with
a copy per scope, so an agent's replies are Queries on keys made for them) and the
deletes of queues, channels and replies. Mixed into ``DynamoContactCenterRepository``."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb.contact_center_batched import queue_of
from chalicelib.adapters.dynamodb.contact_center_items import ChannelItem, ConfigItem, cc_fields
from chalicelib.adapters.dynamodb.keys import co_pk
from chalicelib.adapters.dynamodb.keys_contact_center import (
    CANNED_PREFIX,
    CC_QUEUE_PREFIX,
    CHANNEL_SK,
    canned_scope_pk,
    canned_sk,
    cc_queue_sk,
    channel_pk,
    company_channels_gsi,
)
from chalicelib.adapters.dynamodb.models import conditional_failed, get_item, shared_connection
from chalicelib.domain.contact_center import Channel, Queue
from chalicelib.domain.contact_center_records import CannedReply
from chalicelib.domain.errors import ConcurrentUpdate, NotFound
from chalicelib.domain.model import Page

CANNED_LIST = "canned"  # the cursor's tag: a reply id, the last one answered
PAGE_READ = 100  # items a Query reads per request while looking for matches


def canned_cursor(reply_id: str | None) -> str | None:
    return encode_cursor({"k": reply_id}, CANNED_LIST) if reply_id else None


def canned_after(cursor: str | None) -> str | None:
    """The reply id a cursor continues after (any cursor but ours: 400 invalid_cursor)."""
    start = decode_cursor(cursor, CANNED_LIST, ("k",), {})
    return start["k"]["S"] if start else None


def first_matching(
    replies: Iterator[CannedReply], keep: Callable[[CannedReply], bool], limit: int
) -> Page[CannedReply]:
    """``limit`` replies ``keep`` holds, each once (they come in reply-id order), and a
    cursor when one more was found."""
    found: list[CannedReply] = []
    last = None
    for reply in replies:
        if reply.reply_id == last:
            continue  # the same reply seen in a second scope
        last = reply.reply_id
        if not keep(reply):
            continue
        if len(found) == limit:
            return Page(found, canned_cursor(found[-1].reply_id))
        found.append(reply)
    return Page(found, None)


def check_queues(tx: TransactWrite, company_id: str, queue_ids: Iterable[str]) -> int:
    """In a transaction: each of the queues exists (a queue deleted meanwhile refuses
    the whole write, so nothing new names it). PynamoDB sends checks first: they are
    the transaction's first items. Returns how many there are."""
    named = list(dict.fromkeys(queue_ids))
    for queue_id in named:
        tx.condition_check(
            ConfigItem, co_pk(company_id), cc_queue_sk(queue_id), condition=ConfigItem.pk.exists()
        )
    return len(named)


def refused_check(exc: TransactWriteError, checks: int) -> bool:
    """Whether one of the transaction's first ``checks`` items (its checks) failed."""
    reasons = getattr(exc.cause, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons[:checks])


@contextmanager
def queue_refusals(checks: int) -> Iterator[None]:
    """Around a transaction whose first ``checks`` items are ``check_queues``: a queue
    deleted meanwhile is NotFound(``queue_not_found``); any other refusal goes on."""
    try:
        yield
    except TransactWriteError as exc:
        if refused_check(exc, checks):
            raise NotFound("no such queue", code="queue_not_found") from exc
        raise


def _reply(item: ConfigItem) -> CannedReply:
    return CannedReply(**cc_fields(CannedReply, item.data))


class ConfigStore:
    """Queues, channels, canned replies and the removal of set-up items, on the
    messaging table."""

    # -- queues and channels -------------------------------------------------------------

    def put_queue(self, queue: Queue) -> None:
        ConfigItem(
            co_pk(queue.company_id), cc_queue_sk(queue.queue_id), data=queue.to_dict()
        ).save()

    def get_queue(self, company_id: str, queue_id: str) -> Queue | None:
        item = get_item(ConfigItem, co_pk(company_id), cc_queue_sk(queue_id))
        return queue_of(company_id, item) if item else None

    def list_queues(self, company_id: str) -> list[Queue]:
        items = ConfigItem.query(co_pk(company_id), ConfigItem.sk.startswith(CC_QUEUE_PREFIX))
        return [Queue(company_id=company_id, **cc_fields(Queue, i.data)) for i in items]

    def put_channel(self, channel: Channel) -> None:
        """The channel, if its queue exists (checked in the same write)."""
        with queue_refusals(1), TransactWrite(connection=shared_connection()) as tx:
            check_queues(tx, channel.company_id, [channel.queue_id])
            tx.save(
                ChannelItem(
                    channel_pk(channel.e164),
                    CHANNEL_SK,
                    company_id=channel.company_id,
                    queue_id=channel.queue_id,
                    gsi1pk=company_channels_gsi(channel.company_id),
                    gsi1sk=channel.e164,
                )
            )

    def get_channel(self, e164: str) -> Channel | None:
        item = get_item(ChannelItem, channel_pk(e164), CHANNEL_SK)
        return Channel(e164, item.company_id, item.queue_id) if item else None

    def list_channels(self, company_id: str) -> list[Channel]:
        items = ChannelItem.gsi1.query(company_channels_gsi(company_id))
        return [Channel(i.gsi1sk, i.company_id, i.queue_id) for i in items]

    # -- canned replies ----------------------------------------------------------------

    def put_canned(self, reply: CannedReply) -> None:
        """The reply and its copy in each of its scopes, in one transaction conditional
        on the reply being as read (two admins saving it at once: one gets
        ConcurrentUpdate), so the copies never outlive a scope it left."""
        key = (co_pk(reply.company_id), canned_sk(reply.reply_id))
        stored = get_item(ConfigItem, *key, consistent=True)
        before = set(_reply(stored).scopes()) if stored else set()
        data = dataclasses.asdict(reply)
        checks = len(set(reply.queues))
        try:
            with queue_refusals(checks), TransactWrite(connection=shared_connection()) as tx:
                check_queues(tx, reply.company_id, reply.queues)
                tx.save(
                    ConfigItem(*key, data=data),
                    condition=ConfigItem.pk.does_not_exist()
                    if stored is None
                    else ConfigItem.data == stored.data,
                )
                for scope in reply.scopes():
                    tx.save(
                        ConfigItem(
                            canned_scope_pk(reply.company_id, scope), reply.reply_id, data=data
                        )
                    )
                for scope in before - set(reply.scopes()):
                    tx.delete(ConfigItem(canned_scope_pk(reply.company_id, scope), reply.reply_id))
        except TransactWriteError as exc:
            raise ConcurrentUpdate("the reply changed meanwhile; try again") from exc

    def canned_page(
        self,
        company_id: str,
        scopes: list[str] | None,
        limit: int,
        cursor: str | None,
        keep: Callable[[CannedReply], bool],
    ) -> Page[CannedReply]:
        """Every reply of the company (``scopes`` None: one Query) or those of ``scopes``
        (a Query per scope, merged by reply id), after ``cursor``, ``limit`` that ``keep``
        holds. Reads go on page by page only while too few were found."""
        after = canned_after(cursor)
        if scopes is None:
            pk = co_pk(company_id)
            start = {"pk": {"S": pk}, "sk": {"S": canned_sk(after)}} if after else None
            items = ConfigItem.query(
                pk,
                ConfigItem.sk.startswith(CANNED_PREFIX),
                last_evaluated_key=start,
                page_size=PAGE_READ,
            )
            return first_matching((_reply(i) for i in items), keep, limit)
        streams = []
        for scope in dict.fromkeys(scopes):
            pk = canned_scope_pk(company_id, scope)
            start = {"pk": {"S": pk}, "sk": {"S": after}} if after else None
            items = ConfigItem.query(pk, last_evaluated_key=start, page_size=PAGE_READ)
            streams.append(_reply(i) for i in items)
        merged = heapq.merge(*streams, key=lambda r: r.reply_id)
        return first_matching(merged, keep, limit)

    def copy_canned(self, company_id: str, after: str | None, limit: int) -> list[str]:
        """The per-scope copies of up to ``limit`` replies after ``after`` (in id
        order), as the replies are: each reply's copies in one transaction conditional
        on the reply as read (one saved meanwhile wrote its own copies: skipped).
        Idempotent. Returns the ids of the replies read; fewer than ``limit``: the end."""
        pk = co_pk(company_id)
        start = {"pk": {"S": pk}, "sk": {"S": canned_sk(after)}} if after else None
        items = ConfigItem.query(
            pk, ConfigItem.sk.startswith(CANNED_PREFIX), last_evaluated_key=start, limit=limit
        )
        read: list[str] = []
        for item in items:
            reply = _reply(item)
            read.append(reply.reply_id)
            try:
                with TransactWrite(connection=shared_connection()) as tx:
                    tx.condition_check(
                        ConfigItem, pk, item.sk, condition=ConfigItem.data == item.data
                    )
                    for scope in reply.scopes():
                        tx.save(
                            ConfigItem(
                                canned_scope_pk(company_id, scope), reply.reply_id, data=item.data
                            )
                        )
            except TransactWriteError as exc:
                if not refused_check(exc, 1):  # the reply changed (or went) meanwhile
                    raise
        return read

    def delete_canned(self, company_id: str, reply_id: str) -> bool:
        """The reply and its copies at once; False when there was none."""
        key = (co_pk(company_id), canned_sk(reply_id))
        stored = get_item(ConfigItem, *key, consistent=True)
        if stored is None:
            return False
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.delete(ConfigItem(*key), condition=ConfigItem.data == stored.data)
                for scope in _reply(stored).scopes():
                    tx.delete(ConfigItem(canned_scope_pk(company_id, scope), reply_id))
        except TransactWriteError as exc:
            raise ConcurrentUpdate("the reply changed meanwhile; try again") from exc
        return True

    # -- removal ---------------------------------------------------------------------------

    def delete_queue(self, company_id: str, queue_id: str) -> bool:
        return _delete(ConfigItem(co_pk(company_id), cc_queue_sk(queue_id)), ConfigItem.pk.exists())

    def delete_channel(self, company_id: str, e164: str) -> bool:
        """The channel if it is the company's; False when it is not (or no longer) one."""
        item = ChannelItem(channel_pk(e164), CHANNEL_SK)
        return _delete(item, ChannelItem.company_id == company_id)


def _delete(item: ConfigItem | ChannelItem, condition: object) -> bool:
    try:
        item.delete(condition=condition)  # type: ignore[arg-type]
    except DeleteError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


__all__ = [
    "ConfigStore",
    "canned_after",
    "canned_cursor",
    "check_queues",
    "first_matching",
    "queue_refusals",
    "refused_check",
]
