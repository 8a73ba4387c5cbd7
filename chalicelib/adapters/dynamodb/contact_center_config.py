"""The contact center's set-up items that admins write and remove: canned replies (with
a copy per scope, so an agent's replies are Queries on keys made for them) and the
deletes of queues, channels and replies. Mixed into ``DynamoContactCenterRepository``."""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Iterator

from pynamodb.exceptions import DeleteError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb.contact_center_items import ChannelItem, ConfigItem, cc_fields
from chalicelib.adapters.dynamodb.keys import co_pk
from chalicelib.adapters.dynamodb.keys_contact_center import (
    CANNED_PREFIX,
    CHANNEL_SK,
    canned_scope_pk,
    canned_sk,
    cc_queue_sk,
    channel_pk,
)
from chalicelib.adapters.dynamodb.models import conditional_failed, get_item, shared_connection
from chalicelib.domain.contact_center_records import CannedReply
from chalicelib.domain.errors import ConcurrentUpdate
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


def _reply(item: ConfigItem) -> CannedReply:
    return CannedReply(**cc_fields(CannedReply, item.data))


class ConfigStore:
    """Canned replies and the removal of set-up items, on the messaging table."""

    # -- canned replies ----------------------------------------------------------------

    def put_canned(self, reply: CannedReply) -> None:
        """The reply and its copy in each of its scopes, in one transaction conditional
        on the reply being as read (two admins saving it at once: one gets
        ConcurrentUpdate), so the copies never outlive a scope it left."""
        key = (co_pk(reply.company_id), canned_sk(reply.reply_id))
        stored = get_item(ConfigItem, *key, consistent=True)
        before = set(_reply(stored).scopes()) if stored else set()
        data = dataclasses.asdict(reply)
        try:
            with TransactWrite(connection=shared_connection()) as tx:
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


__all__ = ["ConfigStore", "canned_after", "canned_cursor", "first_matching"]
