"""The web client on the local stack: the built single-page app and its ``config.json``.

``make dev`` builds ``web/`` (``npm ci && npm run build`` into ``web/dist``); the
stack serves it under ``/app/`` on its one HTTP port, so the page, the REST API
and the WebSocket share one origin (no CORS needed; on AWS the same is had with
one CloudFront distribution in front of both). ``config.json`` is generated from the running stack: the API
URLs and the Cognito pool and app-client ids (public values, no secret).

The page reads ``config.json`` at start-up, so one build serves every stage: a
deployment puts the same files in S3 with a ``config.json`` made from the
stack's outputs.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from aiohttp import web

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
PREFIX = "/app/"
NOT_BUILT = (
    "<!doctype html><html lang=en><title>Web client not built</title>"
    "<p>The web client is not built: run <code>make web</code> (npm ci and a Vite build "
    "into web/dist), then reload.</p></html>"
)


def client_config(
    *,
    rest_url: str,
    ws_url: str,
    region: str,
    cognito: dict[str, str],
    cognito_endpoint: str,
    search: bool = False,
) -> dict[str, Any]:
    """What the page needs to sign in and reach the APIs (all public values); ``search``
    is whether the stage runs with search (the page shows its box only then)."""
    return {
        "rest_url": rest_url,
        "ws_url": ws_url,
        "region": region,
        "cognito": {
            "user_pool_id": cognito["user_pool_id"],
            "client_id": cognito["client_id"],
            # On AWS: https://cognito-idp.<region>.amazonaws.com/ ; locally moto.
            "endpoint": cognito_endpoint,
        },
        "search": search,
    }


def _file_response(path: Path, *, cache: str) -> web.FileResponse:
    kind, _ = mimetypes.guess_type(path.name)
    headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    if kind:
        headers["Content-Type"] = kind
    return web.FileResponse(path, headers=headers)


def register_web(app: web.Application, config: dict[str, Any], dist: Path = WEB_DIST) -> str:
    """Serve the client under ``/app/`` on ``app``; returns the path (for ``web_url``).

    aiohttp resolves the longest matching prefix first, so these routes win over
    the REST catch-all that is already registered.
    """
    root = dist.resolve()
    body = json.dumps(config, indent=2).encode()

    async def config_json(request: web.Request) -> web.Response:
        return web.Response(
            body=body, content_type="application/json", headers={"Cache-Control": "no-store"}
        )

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX)

    async def asset(request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        index = root / "index.html"
        if not index.exists():
            return web.Response(status=503, text=NOT_BUILT, content_type="text/html")
        candidate = (root / tail).resolve() if tail else index
        if not candidate.is_relative_to(root) or not candidate.is_file():
            # The app routes with the URL hash, so any other path is simply not found.
            if tail.startswith("assets/") or "." in tail.rsplit("/", 1)[-1]:
                raise web.HTTPNotFound()
            candidate = index
        # Hashed asset names never change content; the page and config must not be cached.
        cache = (
            "public, max-age=31536000, immutable"
            if candidate.parent.name == "assets"
            else "no-cache"
        )
        return _file_response(candidate, cache=cache)

    app.router.add_get(PREFIX + "config.json", config_json)
    app.router.add_get(PREFIX.rstrip("/"), redirect)
    app.router.add_get(PREFIX + "{tail:.*}", asset)
    return PREFIX


def bundle_sizes(dist: Path = WEB_DIST) -> dict[str, Any]:
    """The built JavaScript, raw and gzipped: the employee app (what index.html loads),
    the lazily loaded pages and the service worker (``sw.js``). ``make bench`` reports
    it (goal: the employee app ≤ 50 KB gzipped)."""
    import gzip
    import re

    index = dist / "index.html"
    if not index.exists():
        return {"error": f"{index} missing: run make web"}
    entry = set(re.findall(r'src="\./(assets/[^"]+\.js)"', index.read_text()))
    entry |= set(re.findall(r'href="\./(assets/[^"]+\.js)"', index.read_text()))  # preloads
    sizes: dict[str, Any] = {"employee_app": {"raw": 0, "gzip": 0}, "lazy": {}}
    for path in sorted((dist / "assets").glob("*.js")):
        data = path.read_bytes()
        figures = {"raw": len(data), "gzip": len(gzip.compress(data, compresslevel=9))}
        relative = f"assets/{path.name}"
        if relative in entry:
            for key in ("raw", "gzip"):
                sizes["employee_app"][key] += figures[key]
        else:
            sizes["lazy"][path.name] = figures
    worker = dist / "sw.js"
    if worker.exists():
        data = worker.read_bytes()
        sizes["service_worker"] = {
            "raw": len(data),
            "gzip": len(gzip.compress(data, compresslevel=9)),
        }
    return sizes
