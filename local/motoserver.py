"""The moto server the local stack runs in a thread, with fixes for how we use it.

1. DynamoDB requests are serialised. moto's DynamoDB backend has no locking:
   ``TransactWriteItems`` deep-copies each table it touches and, when the
   transaction is cancelled (the app's get-or-create relies on exactly that),
   *replaces* the table with the copy. A write that lands from another thread
   in between is silently lost, and a concurrent deep copy can fail with
   "dictionary changed size during iteration". One lock around DynamoDB and
   DynamoDB Streams calls makes moto behave like a (slow) single DynamoDB node.
   Every other service stays concurrent (SQS long polls must not block others).
2. moto never expires DynamoDB Streams shard iterators (AWS does after 15
   minutes) and a stream poller creates several per second; the middleware
   prunes old ones, under the same lock, so a long ``make dev`` does not leak.
3. Cancelled transactions keep the table's stream (``keep_streams_on_rollback``).
   moto's rollback swaps in a deep copy of the whole table, stream included:
   the copy gets slower with every record ever written (a send took 50 ms
   after a hundred messages, growing linearly), iterators handed out before
   keep reading the discarded stream, and that stream still holds records of
   the cancelled writes. Instead the stream is shared with the copy and cut
   back to its length before the transaction, as DynamoDB behaves.
4. A port that cannot be bound is reported to the caller instead of killing the
   server thread and leaving ``start()`` waiting forever.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

log = logging.getLogger("local.motoserver")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ITERATORS_KEPT = 256
PRUNE_EVERY = 512  # Streams requests between two prunes


def prune_stream_iterators(keep: int = ITERATORS_KEPT) -> int:
    """Forget all but the newest ``keep`` shard iterators of moto's Streams backends.

    Call only while no Streams request is running (``SerialisedDynamoDB`` does).
    Returns how many were dropped.
    """
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dropped = 0
    for _, _, backend in dynamodbstreams_backends.iter_backends():
        iterators = backend.shard_iterators  # type: ignore[attr-defined]
        excess = len(iterators) - keep
        for arn in list(iterators)[: max(0, excess)]:
            del iterators[arn]
            dropped += 1
    return dropped


def keep_streams_on_rollback() -> bool:
    """Patch moto's ``TransactWriteItems`` as described above; idempotent.

    Returns False (and changes nothing) if this moto version's internals differ.
    """
    try:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import StreamShard
    except ImportError:
        return False
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_keeps_streams", False):
        return True

    def share_on_deepcopy(shard: Any, memo: dict[int, Any]) -> Any:
        return shard

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        shards = [
            (name, shard, len(shard.items))
            for name, table in self.tables.items()
            if isinstance(shard := getattr(table, "stream_shard", None), StreamShard)
            and isinstance(getattr(shard, "items", None), list)
        ]
        try:
            original(self, transact_items)
        except Exception:
            for name, shard, length in shards:
                del shard.items[length:]  # records of the cancelled writes
                table = self.tables.get(name)
                if table is not None and table.stream_shard is shard:
                    shard.table = table  # the restored copy now owns the stream
            raise

    transact_write_items._keeps_streams = True  # type: ignore[attr-defined]
    StreamShard.__deepcopy__ = share_on_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    return True


class SerialisedDynamoDB:
    """WSGI middleware: one DynamoDB (or Streams) request at a time."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._stream_calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            # Consume the body inside the lock: the backend work may be lazy.
            body = list(self._app(environ, start_response))
            if target.startswith("DynamoDBStreams"):
                self._stream_calls += 1
                if self._stream_calls % PRUNE_EVERY == 0:
                    prune_stream_iterators()
            return body


class LocalMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` with serialised DynamoDB and a reported bind failure."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 5000) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self._bind_error: OSError | None = None

    def _server_entry(self) -> None:
        app = SerialisedDynamoDB(DomainDispatcherApplication(create_backend_app))
        try:
            self._server = make_server(self._ip_address, self._port, app, threaded=True)
        except OSError as error:
            self._bind_error = error
            self._server_ready_event.set()
            return
        except SystemExit:
            # werkzeug prints its own message and exits when the port is busy.
            self._bind_error = OSError(errno.EADDRINUSE, f"port {self._port} is already in use")
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()

    def start(self) -> None:
        if not keep_streams_on_rollback():
            log.warning(
                "could not patch moto transactions; streams may misbehave after a "
                "cancelled transaction"
            )
        super().start()
        if self._bind_error is not None:
            self._thread = None
            raise self._bind_error

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        super().stop()
