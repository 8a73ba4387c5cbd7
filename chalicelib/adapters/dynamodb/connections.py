"""WebSocket connections and presence subscriptions."""

from __future__ import annotations

import time
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys import (
    CONN_PREFIX,
    CONN_SK,
    LIVE_SHARDS,
    before_deadline,
    conn_pk,
    conn_sk,
    deadline_sort,
    live_pk,
    live_shard,
    user_pk,
    watch_pk,
)
from chalicelib.adapters.dynamodb.mapping import (
    to_connection,
)
from chalicelib.adapters.dynamodb.models import (
    ConnectionItem,
    WatchItem,
    conditional_failed,
    get_item,
    shared_connection,
)
from chalicelib.domain.model import (
    Connection,
)

CONNECTION_TTL_SECONDS = 3 * 60 * 60  # API Gateway's 2-hour limit, plus an hour to sweep


class DynamoConnectionRepository:
    """WebSocket connections: per-user items (listed per recipient, and indexed by expiry
    for the sweeper) plus a lookup item per connection id."""

    def _items(self, connection: Connection) -> tuple[ConnectionItem, ConnectionItem]:
        attrs: dict[str, Any] = dict(
            connection_id=connection.connection_id,
            user_id=connection.user_id,
            company_id=connection.company_id,
            connected_at=connection.connected_at,
            device_id=connection.device_id,
            background=connection.background,
            deadline=connection.deadline,
            expires_at=int(time.time()) + CONNECTION_TTL_SECONDS,
        )
        per_user = ConnectionItem(
            user_pk(connection.user_id),
            conn_sk(connection.connection_id),
            gsi1pk=live_shard(connection.connection_id),
            gsi1sk=deadline_sort(connection.deadline, connection.connection_id),
            **attrs,
        )
        return per_user, ConnectionItem(conn_pk(connection.connection_id), CONN_SK, **attrs)

    def add(self, connection: Connection) -> None:
        per_user, lookup = self._items(connection)
        with TransactWrite(connection=shared_connection()) as tx:
            tx.save(per_user)
            tx.save(lookup)

    def touch(self, connection: Connection, deadline: int) -> None:
        """Push the liveness deadline out on both items, together."""
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(
                    ConnectionItem(user_pk(connection.user_id), conn_sk(connection.connection_id)),
                    actions=[
                        ConnectionItem.deadline.set(deadline),
                        ConnectionItem.gsi1sk.set(
                            deadline_sort(deadline, connection.connection_id)
                        ),
                    ],
                    condition=ConnectionItem.pk.exists(),
                )
                tx.update(
                    ConnectionItem(conn_pk(connection.connection_id), CONN_SK),
                    actions=[ConnectionItem.deadline.set(deadline)],
                    condition=ConnectionItem.pk.exists(),
                )
        except TransactWriteError:
            pass  # the connection was closed meanwhile: nothing to keep alive

    def set_background(self, connection: Connection, background: bool) -> None:
        for pk, sk in (
            (user_pk(connection.user_id), conn_sk(connection.connection_id)),
            (conn_pk(connection.connection_id), CONN_SK),
        ):
            try:
                ConnectionItem(pk, sk).update(
                    actions=[ConnectionItem.background.set(background)],
                    condition=ConnectionItem.pk.exists(),
                )
            except UpdateError as exc:
                if not conditional_failed(exc):
                    raise

    def get(self, connection_id: str) -> Connection | None:
        item = get_item(ConnectionItem, conn_pk(connection_id), CONN_SK)
        if item is None or item.user_id is None or item.deadline < time.time():
            return None
        return to_connection(item)

    def remove(self, connection_id: str) -> Connection | None:
        item = get_item(ConnectionItem, conn_pk(connection_id), CONN_SK, consistent=True)
        if item is None:
            return None
        with TransactWrite(connection=shared_connection()) as tx:
            tx.delete(ConnectionItem(user_pk(item.user_id), conn_sk(connection_id)))
            tx.delete(ConnectionItem(conn_pk(connection_id), CONN_SK))
        for watched in item.watching or []:
            WatchItem(watch_pk(watched), conn_sk(connection_id)).delete()
        return to_connection(item)

    def list_for_user(self, user_id: str) -> list[Connection]:
        now = time.time()
        return [
            to_connection(i)
            for i in ConnectionItem.query(
                user_pk(user_id), ConnectionItem.sk.startswith(CONN_PREFIX), consistent_read=True
            )
            if i.deadline >= now  # past its deadline, it is gone (the sweeper removes it)
        ]

    def expired(self, now: int, limit: int) -> list[Connection]:
        """Connections whose deadline passed without a $disconnect (the sweeper's work)."""
        found: list[Connection] = []
        for shard in range(LIVE_SHARDS):
            found += [
                to_connection(i)
                for i in ConnectionItem.gsi1.query(
                    live_pk(shard), ConnectionItem.gsi1sk < before_deadline(now), limit=limit
                )
            ]
        return found

    def watch(self, connection: Connection, user_ids: list[str]) -> None:
        """Replace what this connection watches (presence subscriptions)."""
        lookup = get_item(
            ConnectionItem, conn_pk(connection.connection_id), CONN_SK, consistent=True
        )
        if lookup is None:
            return
        before = set(lookup.watching or [])
        for watched in before - set(user_ids):
            WatchItem(watch_pk(watched), conn_sk(connection.connection_id)).delete()
        with WatchItem.batch_write() as batch:
            for watched in user_ids:
                batch.save(
                    WatchItem(
                        watch_pk(watched),
                        conn_sk(connection.connection_id),
                        connection_id=connection.connection_id,
                        watcher_id=connection.user_id,
                        expires_at=int(time.time()) + 2 * 60 * 60,
                    )
                )
        try:
            lookup.update(
                actions=[ConnectionItem.watching.set(list(user_ids))],
                condition=ConnectionItem.pk.exists(),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise

    def watchers(self, user_id: str) -> list[str]:
        now = time.time()
        return [
            w.connection_id
            for w in WatchItem.query(watch_pk(user_id), WatchItem.sk.startswith(CONN_PREFIX))
            if w.expires_at >= now
        ]
