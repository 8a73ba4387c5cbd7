"""The moto server the local stack runs, in a process of its own, with fixes for how we use it.

0. It runs in a child process (``LocalMotoServer``): in the stack's process it
   would share one interpreter lock with the gateway, the handlers and the
   pollers, and every DynamoDB request would stall all of them.
1. DynamoDB requests are serialised. moto's DynamoDB backend has no locking
   (a write that lands while another thread iterates a partition can fail with
   "dictionary changed size during iteration"); one lock around DynamoDB and
   DynamoDB Streams calls makes moto behave like a single DynamoDB node. Every
   other service stays concurrent (SQS long polls must not block others).
   Holding one lock is only affordable because each request is cheap, hence:
2. Queries read one partition. moto 5.2.1 answers every Query — on the table or
   on a secondary index — by sorting *every item of the table* and filtering
   (1 to 2 s per query at 30k items). ``patch_moto`` keeps, per table and index, a
   map from partition key to items, updated on every put, update, delete and
   transaction, and hands moto's query only that partition.
3. Transactions copy what they touch. moto's ``TransactWriteItems`` deep-copies
   each table it touches to roll back a cancelled transaction (the app's
   get-or-create relies on cancellation): time and memory in proportion to
   everything stored, on every send. ``patch_moto`` instead keeps a copy of each
   item the transaction names and puts those back on cancellation. The table's
   stream is cut back to its length before the transaction, as DynamoDB never
   emits records for a cancelled transaction.
4. moto never expires DynamoDB Streams shard iterators (AWS does after 15
   minutes) and a stream poller creates several per second; the middleware
   prunes old ones, under the same lock, so a long ``make dev`` does not leak.
   Nor does it trim stream records (AWS does after 24 hours): the records every
   live iterator has passed are dropped at the same time.
5. Requests are routed to their backend from a cache (moto lists its package
   directory and tries every service's URL patterns on each request).
   Items are built in linear time: moto re-sums the size of every attribute
   each time it adds one (most of the cost of a write).
6. ``POST /_local/seed`` bulk-loads items without stream records (the load
   test's "100k items stored long ago"), one request per thousand items.
7. A port that cannot be bound is reported to the caller instead of killing the
   server thread and leaving ``start()`` waiting forever.
8. DynamoDB and Streams requests skip Flask and moto's generic request set-up
   (``local.moto_fast.FastDynamoDB``): the middleware fills in what moto's
   ``setup_class`` would (the body parsed once, by moto's parser; region and
   account from the SigV4 header) and calls moto's own ``call_action``, so
   answers and errors are moto's, byte for byte. Requests it does not reproduce
   exactly (a CORS origin, a query string, a compressed or empty body, an
   unsigned request) take the stock path; ``LOCAL_MOTO_FAST=0`` sends every
   request there. Most of a GetItem's CPU was this set-up, not the read.
9. Expressions are parsed once per text (``local.moto_fast``): a condition's
   tree is cached with its placeholders unbound and each request binds its own
   names and values; an update expression's tree is cached as is (moto's
   validator copies it before changing anything). The validator's copy is made
   attribute by attribute, its walkers' node classes computed once; a JSON
   error no longer renders the XML body it replaces; handler methods are listed
   once per class and request ids drawn in one call.
10. Key values are compared as they are: moto converted both values (a chain of
   type tests, a ``Decimal`` for numbers) on every comparison and hash; sorting a
   partition for a Query now converts each key value once.
11. The HTTP server formats no request line for a logger that drops it, formats
   the Date header once a second, does not wait up to 10 ms for leftover body
   bytes after a body read in full, and reads plain request headers without the
   e-mail parser (``local.moto_fast.parse_headers``; anything unusual still goes
   through it).

The patches replace moto internals, so they are written for one moto version
(``local.moto_fast.MOTO_VERSION``, pinned in requirements-dev.txt). On any other, ``patch_moto``
raises ``MotoVersionError`` naming both versions, and the stack (and every test
fixture that patches moto) fails at start-up instead of running on stock moto.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import importlib
import io
import json
import logging
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import werkzeug.serving
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

from local.cognito_tap import MOTO_ENV, CognitoTap
from local.moto_fast import (
    FastDynamoDB,
    install_header_parser,
    patch_moto_fast,
    require_moto_version,
    sorted_by_primary_key,
)

log = logging.getLogger("local.motoserver")

REPO_ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 10.0

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ITERATORS_KEPT = 256
PRUNE_EVERY = 512  # Streams requests between two prunes
FAST_ENV = "LOCAL_MOTO_FAST"  # "0": every request takes moto's stock path (to compare)

_local = threading.local()  # the candidate items of the query running on this thread


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


def trim_stream_records() -> int:
    """Forget the stream records every reader has read past: those below the oldest
    position of any live shard iterator of their shard. moto keeps a table's stream
    records for ever (about 90 KB per IM, six records with both images), so a long
    ``make dev`` grew without bound; DynamoDB trims after 24 hours. Sequence numbers
    do not change: the shard's starting number moves up by what is cut, as
    DynamoDB's does. A shard nobody reads is left whole.

    Call only while no Streams request is running, after ``prune_stream_iterators``
    (``SerialisedDynamoDB`` does). Returns how many records were dropped."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    oldest: dict[int, int] = {}
    shards: dict[int, Any] = {}
    for _, _, backend in dynamodbstreams_backends.iter_backends():
        for iterator in backend.shard_iterators.values():  # type: ignore[attr-defined]
            shard = iterator.stream_shard
            position = int(iterator.sequence_number)
            shards[id(shard)] = shard
            oldest[id(shard)] = min(oldest.get(id(shard), position), position)
    dropped = 0
    for key, shard in shards.items():
        cut = min(oldest[key] - int(shard.starting_sequence_number), len(shard.items))
        if cut > 0:
            del shard.items[:cut]
            shard.starting_sequence_number += cut
            dropped += cut
    return dropped


# -- secondary indexes that do not walk the table -------------------------------------


class _Indexes:
    """Per table: for each secondary index, its partitions (index hash key values →
    the items in it, by primary key) and where each item sits, kept in step with
    every write. Built from the table on first use; rebuilt if moto ever replaces
    the table's item store (a restore)."""

    def __init__(self, table: Any) -> None:
        self.store_id = id(table.items)
        self.hash_attrs: dict[str, tuple[str, ...]] = {
            index.name: tuple(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
            for index in table.all_indexes()
        }
        self.partitions: dict[str, dict[tuple[Any, ...], dict[Any, Any]]] = {
            name: {} for name in self.hash_attrs
        }
        self.placed: dict[str, dict[Any, tuple[Any, ...]]] = {name: {} for name in self.hash_attrs}
        for partition in list(table.items.values()):
            for item in partition.values() if table.range_key_attr else [partition]:
                self.place(item.hash_key, item.range_key, item)

    def place(self, hash_key: Any, range_key: Any, item: Any | None) -> None:
        primary = (hash_key, range_key)
        for name, attrs in self.hash_attrs.items():
            placed = self.placed[name]
            old = placed.pop(primary, None)
            if old is not None:
                members = self.partitions[name].get(old)
                if members is not None:
                    members.pop(primary, None)
                    if not members:
                        del self.partitions[name][old]
            if item is None:
                continue
            values = tuple(item.attrs.get(attr) for attr in attrs)
            if any(v is None for v in values):
                continue  # a sparse index holds only items with every key attribute
            self.partitions[name].setdefault(values, {})[primary] = item
            placed[primary] = values


def _indexes(table: Any) -> _Indexes | None:
    if not table.all_indexes():
        return None
    indexes: _Indexes | None = table.__dict__.get("_local_indexes")
    if (
        indexes is None
        or indexes.store_id != id(table.items)
        or set(indexes.hash_attrs) != {i.name for i in table.all_indexes()}
    ):
        indexes = _Indexes(table)
        table.__dict__["_local_indexes"] = indexes
    return indexes


def _reindex(table: Any, hash_key: Any, range_key: Any) -> None:
    indexes: _Indexes | None = table.__dict__.get("_local_indexes")
    if indexes is None:
        return  # built, from the items as they are, on the first index query
    if indexes.store_id != id(table.items):
        table.__dict__.pop("_local_indexes", None)
        return
    indexes.place(hash_key, range_key, table.get_item(hash_key, range_key))


def _candidates(table: Any, hash_key: Any, index_name: str | None, conditions: Any) -> list[Any]:
    """The items a query can match: one partition of the table or of an index."""
    if index_name is None:
        partition = table.items.get(hash_key) if hash_key is not None else None
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    indexes = _indexes(table)
    if indexes is None or index_name not in indexes.hash_attrs:
        raise LookupError(index_name)  # let moto answer (it raises the right error)
    given = dict(conditions or [])
    attrs = indexes.hash_attrs[index_name]
    if not attrs or any(a not in given for a in attrs):
        raise LookupError(index_name)
    members = indexes.partitions[index_name].get(tuple(given[a] for a in attrs), {})
    return list(members.values())


def _patch_indexes(table_cls: Any, backend_cls: Any) -> None:
    original_query = table_cls.query
    original_all_items = table_cls.all_items
    original_put = table_cls.put_item
    original_delete = table_cls.delete_item
    original_update = backend_cls.update_item

    def all_items(self: Any) -> list[Any]:
        scoped = getattr(_local, "candidates", None)
        if scoped is not None and scoped[0] is self:
            return sorted_by_primary_key(scoped[1])
        return original_all_items(self)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        try:
            candidates = _candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        except LookupError:
            return original_query(self, hash_key, *args, **kwargs)
        _local.candidates = (self, candidates)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _local.candidates = None

    def put_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, *args, **kwargs)
        _reindex(self, item.hash_key, item.range_key)
        return item

    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        try:
            return original_delete(self, hash_key, range_key)
        finally:
            _reindex(self, hash_key, range_key)

    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kw: Any) -> Any:
        try:
            return original_update(self, table_name, key, *args, **kw)
        finally:  # moto updates the item in place; a failure may have changed it half-way
            table = self.tables.get(table_name)
            if table is not None:
                hash_key, range_key = _primary(table, key)
                if hash_key is not None:
                    _reindex(table, hash_key, range_key)

    table_cls.all_items = all_items
    table_cls.query = query
    table_cls.put_item = put_item
    table_cls.delete_item = delete_item
    backend_cls.update_item = update_item


def _primary(table: Any, key: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    except (KeyError, TypeError, AttributeError, IndexError):
        return None, None
    return hash_key, range_key


# -- transactions that copy what they touch, not the table -------------------------------


class _NoTableCopies:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``: the only
    tables that module deep-copies are TransactWriteItems' roll-back copies, which
    ``transact_write_items`` below makes unnecessary."""

    def __init__(self, table_cls: type) -> None:
        self._table_cls = table_cls

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, self._table_cls):
            return value  # moto's roll-back then puts back the table itself: a no-op
        return copy.deepcopy(value, memo)


def _patch_transactions(backend_cls: Any, models_module: Any, table_cls: Any) -> None:
    from moto.dynamodb.models.table import StreamShard

    original = backend_cls.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before: list[tuple[Any, Any, Any, Any]] = []  # table, hash key, range key, old item
        for entry in transact_items[:100]:
            try:
                op_type, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
                key = op["Item"] if op_type == "Put" else op["Key"]
            except (StopIteration, AttributeError, KeyError, TypeError):
                continue  # malformed: moto refuses it before writing anything
            if table is None:
                continue
            hash_key, range_key = _primary(table, key)
            if hash_key is None:
                continue
            old = table.get_item(hash_key, range_key)
            before.append((table, hash_key, range_key, copy.deepcopy(old)))
        shards = [
            (shard, len(shard.items))
            for table in {id(t): t for t, *_ in before}.values()
            if isinstance(shard := getattr(table, "stream_shard", None), StreamShard)
        ]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(before):
                if old is None:
                    if table.range_key_attr:
                        table.items.get(hash_key, {}).pop(range_key, None)
                    else:
                        table.items.pop(hash_key, None)
                elif table.range_key_attr:
                    table.items[hash_key][range_key] = old
                else:
                    table.items[hash_key] = old
                _reindex(table, hash_key, range_key)
            for shard, length in shards:
                del shard.items[length:]  # records of the cancelled writes
            raise

    models_module.copy = _NoTableCopies(table_cls)
    backend_cls.transact_write_items = transact_write_items


# -- items built in linear time -----------------------------------------------------


def _patch_item_size(item_cls: Any) -> None:
    """moto re-adds the size of every attribute so far on each attribute it sets
    (quadratic in the attributes, most of the cost of a write); add as it goes."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        limited = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.__init__(limited)
        size = 0
        for key, value in attrs.items():
            typed = DynamoType(value)
            size += bytesize(key) + typed.size()
            if size > 405000:  # moto's limit (DynamoDB's 400 KB, as measured)
                raise ItemSizeTooLarge
            dict.__setitem__(limited, key, typed)
        self.attrs = limited

    item_cls.__init__ = init


# -- requests routed without listing moto's package each time -------------------------


def _patch_routing(dispatcher_cls: Any) -> None:
    """moto finds the backend for every request by listing its own package directory
    (and testing each entry with ``isdir``) and then matching every service's URL
    patterns; the answer for a host never changes, so remember it."""
    original = dispatcher_cls.get_backend_for_host
    cache: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in cache:
            cache[host] = original(self, host)
        return cache[host]

    dispatcher_cls.get_backend_for_host = get_backend_for_host


# -- DynamoDB items answered as they are stored --------------------------------------


_PLAIN_TYPES = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def _plain(value: Any) -> bool:
    """An AttributeValue already in its wire form (no binary: moto keeps those in
    another form than the wire's)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _PLAIN_TYPES:
        return True
    if kind == "M":
        return isinstance(inner, dict) and all(_plain(v) for v in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(_plain(v) for v in inner)
    return False


def _patch_attribute_values(serializer_cls: Any) -> None:
    """moto answers every DynamoDB item by walking the botocore shape of each of its
    attributes (ten members per AttributeValue, each looked up under several
    aliases): two thirds of a GetItem's CPU. moto stores items in their wire form,
    so an attribute without binary is written as it is."""
    original = serializer_cls._serialize_type_structure

    def _serialize_type_structure(
        self: Any, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        if key and shape.name == "AttributeValue" and _plain(value):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    serializer_cls._serialize_type_structure = _serialize_type_structure


# -- the clock read without building datetimes ---------------------------------------


CLOCK_MODULES = (
    "moto.sqs.models",
    "moto.sns.models",
    "moto.dynamodb.models.table",
    "moto.dynamodbstreams.models",
)


def _patch_clock() -> None:
    """moto reads "now" as ``utcnow() - utcfromtimestamp(0)``, two datetimes each
    time, and SQS does it for every message of a queue on every send and receive
    (its approximate counts): a third of an SQS request's CPU. Without an argument
    the answer is ``time.time()``."""
    from moto.core import utils

    slow_time, slow_millis = utils.unix_time, utils.unix_time_millis

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else slow_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else slow_millis(dt)

    for name in CLOCK_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "unix_time", None) is slow_time:
            module.unix_time = unix_time  # type: ignore[attr-defined]
        if getattr(module, "unix_time_millis", None) is slow_millis:
            module.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]


def patch_moto() -> None:
    """Install the patches described above in this process; idempotent.

    Raises ``MotoVersionError`` (naming both versions) on any moto but
    ``MOTO_VERSION``: the patches replace its internals, which change between releases.
    """
    require_moto_version()
    import moto.dynamodb.models as models
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend, "_local_patched", False):
        return
    _patch_indexes(Table, DynamoDBBackend)
    _patch_transactions(DynamoDBBackend, models, Table)
    _patch_item_size(Item)
    _patch_routing(DomainDispatcherApplication)
    _patch_clock()
    _patch_attribute_values(BaseJSONSerializer)
    patch_moto_fast()
    DynamoDBBackend._local_patched = True  # type: ignore[attr-defined]


def patched() -> bool:
    """Whether ``patch_moto`` applied its patches in this process."""
    try:
        from moto.dynamodb.models import DynamoDBBackend
    except ImportError:
        return False
    return bool(getattr(DynamoDBBackend, "_local_patched", False))


SEED_PATH = "/_local/seed"


def seed_items(region: str, table_name: str, items: list[dict[str, Any]]) -> int:
    """Store items as if written long ago: no stream records (DynamoDB keeps them 24
    hours), so a load test's 100k old items do not flood the outbox. Returns how
    many. Call only while no other DynamoDB request runs (``SerialisedDynamoDB``)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
    shard, table.stream_shard = table.stream_shard, None
    try:
        for item in items:
            table.put_item(item)
    finally:
        table.stream_shard = shard
    _indexes(table)  # built now rather than on the next index query
    return len(items)


STATS_PATH = "/_local/stats"


def _buffer_body(environ: dict[str, Any]) -> bytes | None:
    """Read the whole request body now (so a kept-alive connection never holds the
    rest of it), and hand the app a copy. None for a chunked body (left alone)."""
    if "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(data)
    environ[DRAINED] = True
    return data


def operation(environ: dict[str, Any], body: bytes | None) -> str:
    """``service.Operation`` of a signed AWS request (``other`` for anything else)."""
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    scope = authorization.partition("Credential=")[2].split(",")[0].split("/")
    service = scope[3] if len(scope) > 3 else "other"
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return f"{service}.{target.rpartition('.')[2]}"
    query = str(environ.get("QUERY_STRING", ""))
    for source in (query, body.decode("latin-1") if body and b"Action=" in body[:200] else ""):
        for pair in source.split("&"):
            if pair.startswith("Action="):
                return f"{service}.{pair[7:]}"
    return f"{service}.{environ.get('REQUEST_METHOD', '')}"


class SerialisedDynamoDB:
    """WSGI middleware: one DynamoDB (or Streams) request at a time; a count of
    requests by operation (``GET /_local/stats``, what a load test reports per
    message); and ``POST /_local/seed`` (``{"region", "table", "items": [...]}``,
    DynamoDB JSON), the bulk loader of ``seed_items``."""

    def __init__(self, app: WsgiApp, fast: bool | None = None) -> None:
        self._app = app
        if fast is None:
            fast = os.environ.get(FAST_ENV, "1") != "0"
        self._fast = FastDynamoDB() if fast and patched() else None
        self._lock = threading.Lock()
        self._stream_calls = 0
        self._counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == SEED_PATH and method == "POST":
            return self._seed(environ, start_response)
        if path == STATS_PATH and method == "GET":
            with self._counts_lock:
                counts = dict(self._counts)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(counts).encode()]
        body = _buffer_body(environ)
        name = operation(environ, body)
        with self._counts_lock:
            self._counts[name] = self._counts.get(name, 0) + 1
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            answer = self._fast(environ, body) if self._fast is not None else None
            app = self._app if answer is None else answer
            # Consume the body inside the lock: the backend work may be lazy.
            response = list(app(environ, start_response))
            if target.startswith("DynamoDBStreams"):
                self._stream_calls += 1
                if self._stream_calls % PRUNE_EVERY == 0:
                    prune_stream_iterators()
                    trim_stream_records()
            return response

    def _seed(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body: dict[str, Any]
        try:
            request = json.loads(_buffer_body(environ) or b"")
            with self._lock:
                count = seed_items(request["region"], request["table"], request["items"])
            status, body = "200 OK", {"seeded": count}
        except Exception as error:  # a bad request to a local tool: say what, not crash
            status, body = "400 Bad Request", {"error": f"{type(error).__name__}: {error}"}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


DRAINED = "local.body_drained"  # set by the middleware once the body is read
KEEP_ALIVE_IDLE_SECONDS = 300.0


class _AfterBody:
    """The connection's input as the app sees it: empty once the body was read."""

    def __init__(self, stream: Any, drained: Callable[[], bool]) -> None:
        self._stream = stream
        self._drained = drained

    def read(self, size: int = -1) -> bytes:
        return b"" if self._drained() else bytes(self._stream.read(size))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_DATES: dict[int, str] = {}
_handling = threading.local()  # the request this server thread is answering


class _NoLeftovers:
    """A selector that finds nothing to read: what werkzeug's would find after a body
    read in full, but without creating an epoll object and waiting up to 10 ms."""

    def register(self, *args: Any, **kwargs: Any) -> None:
        pass

    def select(self, timeout: float | None = None) -> list[Any]:
        return []

    def close(self) -> None:
        pass


class _Selectors:
    """Stands in for the ``selectors`` module inside ``werkzeug.serving``, whose only
    use is the leftover-body read after each response."""

    def __getattr__(self, name: str) -> Any:
        return getattr(selectors, name)

    def DefaultSelector(self) -> Any:
        drained = getattr(_handling, "drained", None)
        if drained is not None and drained():
            return _NoLeftovers()
        return selectors.DefaultSelector()


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's handler, without its ``Connection: close`` on every response.

    werkzeug closes every connection because ``http.server`` cannot drain a body
    the app left unread; the middleware reads every body in full (``DRAINED``), so
    those connections can stay open: no TCP connect and no new server thread per
    AWS request (each costs the client and the server about a millisecond of CPU).
    An idle connection's thread ends after ``KEEP_ALIVE_IDLE_SECONDS``.
    """

    timeout = KEEP_ALIVE_IDLE_SECONDS
    _environ: dict[str, Any] | None = None

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, the body of every
        # answer on a kept connection waits for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _drained(self) -> bool:
        return self._environ is not None and bool(self._environ.get(DRAINED))

    def run_wsgi(self) -> None:
        # After each response werkzeug reads whatever the client sent next and throws
        # it away (safe only on a connection it closes): once the body was read in
        # full, that read must see nothing, or it would eat the next request; and
        # there is no need to wait for it (``_Selectors``).
        real = self.rfile
        self.rfile = _AfterBody(real, self._drained)  # type: ignore[assignment]
        _handling.drained = self._drained
        try:
            super().run_wsgi()
        finally:
            self.rfile = real
            _handling.drained = None

    def make_environ(self) -> Any:
        environ = super().make_environ()
        self._environ = environ
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats a line per request (the path decoded, colours) and then hands
        # it to a logger that drops it: the stack sets the level to WARNING.
        logger = logging.getLogger("werkzeug")
        if logger.level != logging.NOTSET and not logger.isEnabledFor(logging.INFO):
            return
        super().log_request(code, size)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header of every answer, formatted once per second.
        now = time.time() if timestamp is None else timestamp
        second = int(now)
        if now - second > 0.999:  # may round up to the next second
            return super().date_time_string(now)
        cached = _DATES.get(second)
        if cached is None:
            cached = super().date_time_string(now)
            _DATES.clear()
            _DATES[second] = cached
        return cached

    def send_header(self, keyword: str, value: str) -> None:
        if (
            keyword.lower() == "connection"
            and value.lower() == "close"
            and self.request_version == "HTTP/1.1"
            and self._drained()
            and self.headers.get("Connection", "").lower() != "close"
        ):
            return
        super().send_header(keyword, value)


class ThreadedLocalMotoServer(ThreadedMotoServer):
    """``ThreadedMotoServer`` with serialised DynamoDB and a reported bind failure
    (what ``python -m local.motoserver`` runs)."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 5000) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self._bind_error: OSError | None = None

    def _server_entry(self) -> None:
        # Cognito's account email goes to a mailbox (local.cognito_tap, local.mailbox).
        app = SerialisedDynamoDB(CognitoTap(DomainDispatcherApplication(create_backend_app)))
        werkzeug.serving.selectors = _Selectors()  # type: ignore[assignment]
        install_header_parser()
        try:
            self._server = make_server(
                self._ip_address, self._port, app, threaded=True, request_handler=KeepAliveHandler
            )
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
        patch_moto()
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


class LocalMotoServer:
    """The moto server in a process of its own.

    In the stack's process moto would share one interpreter lock with the API
    Gateway emulation, the app's handlers and the pollers: every DynamoDB request
    (parsing, the backend, serialising the answer) would stall all of them. In a
    child process it runs on the other core. The child is in a session of its own
    (a Ctrl-C reaches the stack, which then stops it, not moto first) and exits
    when its stdin closes, so it never outlives the stack, even one killed hard.
    """

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 5000) -> None:
        self._ip_address = ip_address
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._address: tuple[str, int] | None = None

    def start(self) -> None:
        """Start the child; ``MotoVersionError`` before anything starts on the wrong moto."""
        require_moto_version()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env.update(MOTO_ENV)  # TOTP codes checked, as Cognito does
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.motoserver", self._ip_address, str(self._port)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().split()
        if line[:1] == ["ready"]:
            self._address = (line[1], int(line[2]))
            return
        self.stop()
        if line[:1] == ["error"]:
            raise OSError(int(line[1]), " ".join(line[2:]))
        raise RuntimeError("the moto server process exited before serving")

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._address is not None, "Make sure to call start() first"
        return self._address

    @property
    def url(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # the child's cue to stop
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _serve(host: str, port: int) -> int:
    """The child: serve until stdin closes; the first stdout line says how it went."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedLocalMotoServer(host, port)
    try:
        server.start()
    except OSError as error:
        print(f"error {error.errno or 0} {error.strerror or error}", flush=True)
        return 2
    bound_host, bound_port = server.get_host_and_port()
    print(f"ready {bound_host} {bound_port}", flush=True)
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(4096):
            pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1], int(sys.argv[2])))
