"""The local simulator's Web Push service (contract.md, "Web Push").

A subscription whose endpoint is ``{simulator_url}/push/{name}`` delivers here: the
app POSTs each push (encrypted, with its VAPID token), as it would to a browser
vendor's push service, and the simulator keeps it:

- ``POST {simulator_url}/push/{name}``: stored (its headers, and its body in base64),
  answered ``201 Created`` with a ``Location`` — or ``410 Gone`` once the name was
  made gone, as a push service answers for an unsubscribed browser (the app then
  forgets the device);
- ``GET {simulator_url}/push/{name}``: ``{"items": [{"headers": {...}, "body":
  "<base64>"}]}``, oldest first;
- ``POST {simulator_url}/push/{name}/gone``: from now on that name answers 410 (a test
  proves pruning with it).

Nothing here decrypts: the tests read a push with the subscription's private key, as
the browser would.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

from aiohttp import web

from chalicelib.domain.webpush import LOCAL_NAME

MAX_PUSH_BYTES = 8192  # a push body is at most 4 KB; anything larger is refused (413)
KEPT_HEADERS = ("TTL", "Urgency", "Topic", "Content-Encoding", "Content-Type", "Authorization")


class PushService:
    """What every name received, and the names made gone."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self._ids = itertools.count(1)

    def reset(self) -> None:
        self.received.clear()
        self.gone.clear()

    @staticmethod
    def _name(request: web.Request) -> str:
        name = request.match_info["name"]
        if not LOCAL_NAME.fullmatch(name):
            raise web.HTTPNotFound()
        return name

    async def receive(self, request: web.Request) -> web.Response:
        name = self._name(request)
        if name in self.gone:
            return web.Response(status=410)
        data = await request.content.read(MAX_PUSH_BYTES + 1)
        if len(data) > MAX_PUSH_BYTES:
            return web.Response(status=413)
        headers = {h: request.headers[h] for h in KEPT_HEADERS if h in request.headers}
        item = {"headers": headers, "body": base64.b64encode(data).decode("ascii")}
        self.received.setdefault(name, []).append(item)
        location = f"{request.path}/messages/{next(self._ids)}"
        return web.Response(status=201, headers={"Location": location})

    async def list(self, request: web.Request) -> web.Response:
        return web.json_response({"items": list(self.received.get(self._name(request), []))})

    async def make_gone(self, request: web.Request) -> web.Response:
        self.gone.add(self._name(request))
        return web.json_response({"name": request.match_info["name"], "gone": True})


def register_push_service(
    app: web.Application, service: PushService, *, prefix: str = "/_sim"
) -> None:
    """Add the push service's routes under ``prefix``."""
    app.router.add_route("POST", f"{prefix}/push/{{name}}", service.receive)
    app.router.add_route("GET", f"{prefix}/push/{{name}}", service.list)
    app.router.add_route("POST", f"{prefix}/push/{{name}}/gone", service.make_gone)
