"""API Gateway on one local port: REST, WebSocket and the WebSocket Management API.

On AWS three things sit in front of the Lambda functions: the REST API (with
the Cognito token authorizer), the WebSocket API (``$connect``,
``$default``, ``$disconnect`` routes) and the Management API the fan-out posts
frames through. This module emulates the three with aiohttp, invoking the real
Chalice handlers (in a thread pool: the app uses blocking boto3), so the code
that runs locally is the code that is deployed.

Routes on the one port:

- ``/ws``: WebSocket API (``ws://host:port/ws?token=...``).
- ``/@connections/{id}``: Management API (``POST`` send, ``GET`` info,
  ``DELETE`` close), the ``endpoint_url`` of boto3's ``apigatewaymanagementapi``.
- ``/_sim...``: the SMS carrier simulator (``local/simulator.py``, mounted by the stack).
- ``/_faults/...``: fault injection for ``make faults`` (a consumer killed
  mid-batch, connections gone stale without ``$disconnect``).
- everything else: the REST API, through ``chalice.local.LocalGateway``.

As on API Gateway, a token authorizer's answer (allow or deny, and its context)
is cached per token for the authorizer's ``ttl_seconds``; ``chalice local``
calls the authorizer on every request. Every error the gateway answers itself
(no route, a path aiohttp cannot route, a body over its limit) has the
contract's JSON shape, as API Gateway's gateway responses have on AWS. A
WebSocket message over 128 KB closes the connection with 1009 (message too big),
as API Gateway does; the function never sees it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import WSMsgType, web
from aiohttp.abc import AbstractAccessLogger
from chalice.app import Chalice, ChaliceAuthorizer
from chalice.config import Config
from chalice.local import (
    ForbiddenError,
    InvalidAuthorizerError,
    LocalChalice,
    LocalGateway,
    LocalGatewayException,
    NotAuthorizedError,
)
from multidict import CIMultiDict

from local import lambda_events

log = logging.getLogger("local.gateway")

STAGE = "local"
API_ID = "local"
MAX_POST_BYTES = 128 * 1024  # API Gateway's limit for one PostToConnection payload
MAX_MESSAGE_BYTES = 128 * 1024  # API Gateway's limit for one client message: over it, 1009
MAX_REQUEST_LINE = 10240  # API Gateway's bound on a request's line (with its headers): 414
PARSER_LINE_BYTES = 8 * MAX_REQUEST_LINE  # aiohttp's own bound, above it (a text answer)
EVERYTHING = r"[\s\S]*"  # a path tail, newlines (%0A) included: ``.*`` stops at them
AUTH_CACHE_ENTRIES = 10_000  # tokens remembered per authorizer (oldest forgotten first)

WsHandler = Callable[[dict[str, Any], Any], Any]


class ConsumerFaults(Protocol):
    """Where the consumers run: ``local.pollers.FAULTS`` in this process, or
    ``local.consumers.ConsumersProcess`` (RuntimeError: not running; ValueError: not
    a function name)."""

    def kill(self, function: str) -> None: ...

    def armed(self, function: str) -> bool: ...


def error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def json_error(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status, body=error_body(code, message), content_type="application/json"
    )


_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
}


@web.middleware
async def json_errors(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
    """aiohttp's own error answers (plain text ``404: Not Found`` and the like) in the
    contract's shape, as API Gateway's gateway responses are mapped on AWS."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _CODES.get(error.status, "client_error" if error.status < 500 else "internal_error")
        message = error.reason if error.status < 500 else "an internal error occurred"
        return json_error(error.status, code, message)


@web.middleware
async def request_line_limit(
    request: web.Request, handler: Callable[..., Any]
) -> web.StreamResponse:
    """A request line over API Gateway's limit is a 414 in the contract's shape (aiohttp
    is given a higher bound of its own, ``PARSER_LINE_BYTES``, so that it lets it
    through to here instead of answering in plain text)."""
    if len(request.method) + len(request.raw_path) + len(" HTTP/1.1") > MAX_REQUEST_LINE:
        return json_error(414, "uri_too_long", "the request line is over 10240 bytes")
    return await handler(request)


def new_connection_id() -> str:
    """An API Gateway-looking connection id: 16 characters, base64 of 11 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_thread_safe(app: Any) -> None:
    """Give the Chalice app a per-thread ``current_request``, as ``chalice local`` does.

    A Lambda instance serves one request at a time, so Chalice keeps the
    current request on the app object; this server runs requests in parallel
    threads, which would otherwise see each other's requests.
    """
    if isinstance(app, LocalChalice):
        return
    cls = type(app)
    bases = (LocalChalice,) if cls is Chalice else (LocalChalice, cls)
    app.__class__ = type(f"ThreadLocal{cls.__name__}", bases, {})


# -- REST ---------------------------------------------------------------------------------


class CachingAuthorizer(ChaliceAuthorizer):
    """A token authorizer whose answers are kept per token for ``ttl_seconds``, as
    API Gateway keeps them: within that time a request with the same token is
    answered from the cache (the policy is still checked against the route, as
    API Gateway checks a cached policy), so a profile deleted or a role changed
    shows only after the TTL there and here alike. A TTL of 0 caches nothing."""

    def __init__(self, inner: ChaliceAuthorizer, clock: Callable[[], float] = time.monotonic):
        super().__init__(inner.name, inner.func, inner.scopes)
        self.config = inner.config
        self.inner = inner
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    @property
    def ttl_seconds(self) -> int:
        return int(getattr(self.config, "ttl_seconds", 0) or 0)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        token = str(event.get("authorizationToken") or "")
        if self.ttl_seconds <= 0 or not token:
            return self.inner(event, context)
        now = self._clock()
        with self._lock:
            cached = self._answers.get(token)
        if cached is not None and cached[0] > now:
            return _copied(cached[1])
        answer = self.inner(event, context)
        if isinstance(answer, dict):
            with self._lock:
                self._answers[token] = (now + self.ttl_seconds, _copied(answer))
                self._answers.move_to_end(token)
                while len(self._answers) > AUTH_CACHE_ENTRIES:
                    self._answers.popitem(last=False)
        return answer


def _copied(answer: dict[str, Any]) -> dict[str, Any]:
    """The gateway adds to an answer's context: each request gets its own copy."""
    return json.loads(json.dumps(answer))


def cache_authorizers(app: Any) -> int:
    """Put every route's token authorizer behind one cache per authorizer (what API
    Gateway does with an authorizer's TTL). Returns how many routes use one."""
    caches: dict[int, CachingAuthorizer] = {}
    routes = 0
    for methods in app.routes.values():
        for entry in methods.values():
            authorizer = entry.authorizer
            if isinstance(authorizer, ChaliceAuthorizer) and not isinstance(
                authorizer, CachingAuthorizer
            ):
                if id(authorizer) not in caches:
                    caches[id(authorizer)] = CachingAuthorizer(authorizer)
                entry.authorizer = caches[id(authorizer)]
                routes += 1
    return routes


def gateway_error(error: Exception) -> web.Response:
    """API Gateway's own errors, in the contract's error shape.

    On AWS the infrastructure stack configures API Gateway "Gateway Responses"
    to the same statuses and bodies: ACCESS_DENIED and UNAUTHORIZED (the
    authorizer denied, or no token) become 401 ``unauthorized``;
    MISSING_AUTHENTICATION_TOKEN (no such route) becomes 404 ``not_found``;
    AUTHORIZER_FAILURE and the rest keep their status with an ``error`` body.
    """
    if isinstance(error, NotAuthorizedError):
        return json_error(401, "unauthorized", "a valid Bearer IdToken is required")
    if isinstance(error, ForbiddenError):
        kind = {k.lower(): v for k, v in error.headers.items()}.get("x-amzn-errortype")
        if kind == "AccessDeniedException":
            return json_error(401, "unauthorized", "a valid Bearer IdToken is required")
        return json_error(404, "not_found", "no such route")
    if isinstance(error, InvalidAuthorizerError):
        return json_error(500, "internal_error", "the authorizer failed")
    if isinstance(error, LocalGatewayException):
        return json_error(error.CODE or 500, "gateway_error", "the request failed")
    return json_error(500, "internal_error", "an internal error occurred")


def lambda_response(response: dict[str, Any]) -> web.Response:
    """A Lambda proxy integration response as an HTTP response."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in (response.get("headers") or {}).items():
        headers[name] = str(value)
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.popall(name, None)
        for value in values:
            headers.add(name, str(value))
    for hop in ("Content-Length", "Transfer-Encoding", "Connection"):
        headers.popall(hop, None)
    # API Gateway's proxy integration answers application/json when the function sets no type.
    headers.setdefault("Content-Type", "application/json")
    body = response.get("body")
    if body is None:
        raw = b""
    elif response.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = body.encode() if isinstance(body, str) else bytes(body)
    return web.Response(status=int(response.get("statusCode", 200)), headers=headers, body=raw)


# -- WebSocket ------------------------------------------------------------------------------


class Connection:
    """One live WebSocket. Frames posted before the upgrade completes are queued."""

    def __init__(self, connection_id: str, source_ip: str, user_agent: str) -> None:
        self.connection_id = connection_id
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.connected_at = _now_iso()
        self.connected_at_ms = int(time.time() * 1000)
        self.last_active_at = self.connected_at
        self.socket: web.WebSocketResponse | None = None
        self.stale = False  # dropped without $disconnect (make faults)
        self._queued: list[bytes] = []
        self._close_requested = False

    @property
    def open(self) -> bool:
        return self.socket is None or not self.socket.closed

    async def attach(self, socket: web.WebSocketResponse) -> None:
        self.socket = socket
        queued, self._queued = self._queued, []
        for data in queued:
            await self.send(data)
        if self._close_requested:
            await self.close()

    async def close(self) -> None:
        """Close from the server side (DeleteConnection); $disconnect follows."""
        if self.socket is None:
            self._close_requested = True
        elif not self.socket.closed:
            await self.socket.close(code=1000, message=b"closed by the server")

    async def send(self, data: bytes) -> None:
        if self.socket is None:
            self._queued.append(data)
            return
        try:
            await self.socket.send_str(data.decode())
        except UnicodeDecodeError:
            await self.socket.send_bytes(data)

    def info(self) -> dict[str, Any]:
        """GetConnection's response body (the wire names are camelCase)."""
        return {
            "connectedAt": self.connected_at,
            "lastActiveAt": self.last_active_at,
            "identity": {"sourceIp": self.source_ip, "userAgent": self.user_agent},
        }


def _gone() -> web.Response:
    return web.Response(
        status=410,
        body=b'{"message":"GoneException"}',
        content_type="application/json",
        headers={"x-amzn-ErrorType": "GoneException"},
    )


class AccessLogger(AbstractAccessLogger):
    """Method, path and status only: the query string may carry a token."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.0fms", request.method, request.path, response.status, time * 1000
        )


class Gateway:
    """The aiohttp application emulating the three API Gateway surfaces."""

    def __init__(
        self,
        *,
        chalice_app: Any,
        connect: WsHandler,
        message: WsHandler,
        disconnect: WsHandler,
        executor: Executor,
        consumer_faults: ConsumerFaults | None = None,
    ) -> None:
        make_thread_safe(chalice_app)
        cache_authorizers(chalice_app)
        self._rest = LocalGateway(chalice_app, Config())
        self._connect = connect
        self._message = message
        self._disconnect = disconnect
        self._executor = executor
        self._faults = consumer_faults
        self.connections: dict[str, Connection] = {}

    def web_app(self) -> web.Application:
        app = web.Application(
            client_max_size=10 * 1024 * 1024, middlewares=[json_errors, request_line_limit]
        )
        app.router.add_get("/ws", self.websocket)
        app.router.add_post("/@connections/{connection_id}", self.post_to_connection)
        app.router.add_get("/@connections/{connection_id}", self.get_connection)
        app.router.add_delete("/@connections/{connection_id}", self.delete_connection)
        app.router.add_post("/_faults/consumers/{function}/kill", self.kill_consumer)
        app.router.add_get("/_faults/consumers/{function}", self.consumer_fault)
        app.router.add_post("/_faults/connections/stale", self.make_stale)
        app.router.add_route("*", f"/_sim{{tail:{EVERYTHING}}}", self.simulator)
        app.router.add_route("*", f"/{{tail:{EVERYTHING}}}", self.rest)
        app.on_shutdown.append(self._close_all)
        return app

    async def _invoke(self, handler: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, handler, *args)

    # -- REST -------------------------------------------------------------

    async def rest(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()  # what API Gateway's event has, and what Chalice looks up
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        try:
            response = await self._invoke(
                self._rest.handle_request, request.method, request.raw_path, headers, body or None
            )
        except LocalGatewayException as error:
            return gateway_error(error)
        except Exception:
            log.exception(
                "%s %s failed outside the app's error handling", request.method, request.path
            )
            return gateway_error(RuntimeError())
        return lambda_response(response)

    # -- fault injection (make faults; loopback only, like everything here) -----

    async def _fault(self, request: web.Request, arm: bool) -> web.Response:
        function = request.match_info["function"]
        faults = self._faults
        if faults is None:
            from local import pollers

            faults = pollers.FAULTS
        try:
            if arm:
                await asyncio.to_thread(faults.kill, function)
                return web.json_response({"armed": function})
            armed = await asyncio.to_thread(faults.armed, function)
        except ValueError as error:
            return json_error(400, "invalid_function", str(error))
        except RuntimeError as error:  # the consumers' process is not (yet) running
            return json_error(503, "consumers_unavailable", str(error))
        return web.json_response({"function": function, "armed": armed})

    async def kill_consumer(self, request: web.Request) -> web.Response:
        """The named consumer's next batch dies half-way (``local.pollers.Faults``, in
        the process that runs the consumers)."""
        return await self._fault(request, arm=True)

    async def consumer_fault(self, request: web.Request) -> web.Response:
        """Whether the named consumer's fault is still armed (False once it fired)."""
        return await self._fault(request, arm=False)

    async def make_stale(self, request: web.Request) -> web.Response:
        """Drop the connections with the given User-Agent the way a vanished network
        does: the socket closes, no ``$disconnect`` runs, the app still lists them,
        and posts to them answer 410 Gone."""
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        agent = payload.get("user_agent") if isinstance(payload, dict) else None
        if not isinstance(agent, str) or not agent:
            return json_error(400, "invalid_request", "user_agent is required")
        dropped = [c for c in list(self.connections.values()) if c.user_agent == agent]
        for connection in dropped:
            connection.stale = True
            self.connections.pop(connection.connection_id, None)
            if connection.socket is not None and not connection.socket.closed:
                await connection.socket.close(code=1006, message=b"")
        return web.json_response({"stale": [c.connection_id for c in dropped]})

    async def simulator(self, request: web.Request) -> web.Response:
        return json_error(404, "not_found", "no such simulator route")

    # -- WebSocket API ------------------------------------------------------

    def _ws_event(
        self, request: web.Request, connection: Connection, route: str, kind: str, **extra: Any
    ) -> dict[str, Any]:
        now = time.time()
        context: dict[str, Any] = {
            "routeKey": route,
            "eventType": kind,
            "connectionId": connection.connection_id,
            "domainName": request.host,
            "stage": STAGE,
            "apiId": API_ID,
            "requestId": uuid.uuid4().hex,
            "extendedRequestId": uuid.uuid4().hex,
            "connectedAt": connection.connected_at_ms,
            "requestTimeEpoch": int(now * 1000),
            "messageDirection": "IN",
            "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        }
        event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
        if kind == "CONNECT":
            query: dict[str, list[str]] = {}
            for name, value in request.query.items():
                query.setdefault(name, []).append(value)
            event["queryStringParameters"] = {k: v[-1] for k, v in query.items()} or None
            event["multiValueQueryStringParameters"] = query or None
            event["headers"] = dict(request.headers)
            event["multiValueHeaders"] = {k: request.headers.getall(k) for k in request.headers}
        if kind == "MESSAGE":
            context["messageId"] = uuid.uuid4().hex
        event.update(extra)
        return event

    async def _call_ws(self, handler: WsHandler, function: str, event: dict[str, Any]) -> Any:
        return await self._invoke(handler, event, lambda_events.lambda_context(function))

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        # aiohttp closes with 1009 at max_msg_size bytes or more (API Gateway: over 128 KB);
        # no permessage-deflate, which API Gateway does not offer either.
        socket = web.WebSocketResponse(
            heartbeat=30.0, max_msg_size=MAX_MESSAGE_BYTES + 1, compress=False
        )
        if not socket.can_prepare(request).ok:
            return json_error(426, "upgrade_required", "a WebSocket upgrade is required")
        connection = Connection(
            new_connection_id(),
            request.remote or "127.0.0.1",
            request.headers.get("User-Agent", ""),
        )
        self.connections[connection.connection_id] = connection
        try:
            result = await self._call_ws(
                self._connect,
                "ws_connect",
                self._ws_event(request, connection, "$connect", "CONNECT"),
            )
        except Exception:
            self.connections.pop(connection.connection_id, None)
            log.exception("$connect failed")
            return json_error(500, "internal_error", "an internal error occurred")
        result = result if isinstance(result, dict) else {}
        status = int(result.get("statusCode", 200))
        if not 200 <= status < 300:
            # API Gateway refuses the handshake with the $connect route's response.
            self.connections.pop(connection.connection_id, None)
            log.info("$connect refused with %s", status)
            return lambda_response(result)
        try:
            await socket.prepare(request)
            await connection.attach(socket)
            log.info("websocket %s connected", connection.connection_id)
            await self._read_frames(request, connection, socket)
        finally:
            self.connections.pop(connection.connection_id, None)
            if not connection.stale:
                await self._disconnected(request, connection, socket)
        return socket

    async def _read_frames(
        self, request: web.Request, connection: Connection, socket: web.WebSocketResponse
    ) -> None:
        async for frame in socket:
            if frame.type == WSMsgType.ERROR:  # too big: aiohttp has closed it with 1009
                log.info("websocket %s closed: %s", connection.connection_id, frame.data)
                continue
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            connection.last_active_at = _now_iso()
            if frame.type == WSMsgType.TEXT:
                event = self._ws_event(request, connection, "$default", "MESSAGE", body=frame.data)
            else:
                event = self._ws_event(
                    request,
                    connection,
                    "$default",
                    "MESSAGE",
                    body=base64.b64encode(frame.data).decode(),
                    isBase64Encoded=True,
                )
            try:
                await self._call_ws(self._message, "ws_message", event)
            except Exception:
                log.exception("$default failed on %s", connection.connection_id)

    async def _disconnected(
        self, request: web.Request, connection: Connection, socket: web.WebSocketResponse
    ) -> None:
        event = self._ws_event(
            request,
            connection,
            "$disconnect",
            "DISCONNECT",
            disconnectStatusCode=socket.close_code or 1005,
            disconnectReason="",
        )
        try:
            await self._call_ws(self._disconnect, "ws_disconnect", event)
        except Exception:
            log.exception("$disconnect failed on %s", connection.connection_id)
        log.info("websocket %s disconnected", connection.connection_id)

    async def _close_all(self, app: web.Application) -> None:
        for connection in list(self.connections.values()):
            if connection.socket is not None and not connection.socket.closed:
                await connection.socket.close(code=1001, message=b"server shutting down")

    # -- Management API -----------------------------------------------------

    def _live(self, request: web.Request) -> Connection | None:
        connection = self.connections.get(request.match_info["connection_id"])
        return connection if connection is not None and connection.open else None

    async def post_to_connection(self, request: web.Request) -> web.Response:
        connection = self._live(request)
        if connection is None:
            return _gone()
        data = await request.read()
        if len(data) > MAX_POST_BYTES:
            return web.Response(
                status=413,
                body=b'{"message":"PayloadTooLargeException"}',
                content_type="application/json",
                headers={"x-amzn-ErrorType": "PayloadTooLargeException"},
            )
        try:
            await connection.send(data)
        except (ConnectionError, RuntimeError):
            return _gone()
        return web.Response(status=200)

    async def get_connection(self, request: web.Request) -> web.Response:
        connection = self._live(request)
        if connection is None:
            return _gone()
        return web.json_response(connection.info())

    async def delete_connection(self, request: web.Request) -> web.Response:
        connection = self._live(request)
        if connection is None:
            return _gone()
        await connection.close()
        return web.Response(status=204)
