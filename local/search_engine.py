"""The local stack's search engine: an OpenSearch-protocol server on loopback.

By default an in-memory ``osmem-server`` (requirements-dev.txt) is started and
stopped with the stack. The way out, if that package goes away or misbehaves:
set ``SEARCH_ENDPOINT`` to any OpenSearch (a local ``opensearch`` process, say)
and the stack uses it instead; ``SEARCH_ENABLED=false`` runs the stack without
search, as a stage with the flag off.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

# osmem is a Go program: a less eager garbage collector (Go's GOGC, 100 by default)
# cut its query p95 by about a quarter over 100,000 messages, for more memory
# (docs/architecture.md, "Measured"); a GOGC already set is kept
OSMEM_GOGC = "400"


def start_osmem() -> Any:
    """An in-memory osmem-server on a free loopback port (its process inherits the
    environment, so GOGC is set around the start and put back after)."""
    from osmem_server import OsmemServer

    before = os.environ.get("GOGC")
    os.environ["GOGC"] = before or OSMEM_GOGC
    try:
        return OsmemServer.start(japanese=False, addr="127.0.0.1:0")
    finally:
        if before is None:
            del os.environ["GOGC"]


class LocalSearch:
    """What ``start`` started (``server`` is None when the engine was given)."""

    def __init__(self, endpoint: str, server: Any = None) -> None:
        self.endpoint = endpoint
        self.server = server

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def start(prefix: str, env: MutableMapping[str, str] | None = None) -> LocalSearch | None:
    """Start (or find) the engine, create the index behind its alias, and set the
    environment the app's settings read. None when search is off."""
    from chalicelib.adapters.opensearch import OpenSearchIndex
    from chalicelib.settings import _flag

    env = os.environ if env is None else env
    if not _flag(env.get("SEARCH_ENABLED"), True):
        env["SEARCH_ENABLED"] = "false"
        return None
    given = env.get("SEARCH_ENDPOINT", "")
    if given:
        local = LocalSearch(given)
    else:
        server = start_osmem()
        local = LocalSearch(server.url, server)
    alias = env.get("SEARCH_INDEX") or f"{prefix}-messages"
    OpenSearchIndex(local.endpoint, alias).ensure()
    env.update(
        {
            "SEARCH_ENABLED": "true",
            "SEARCH_ENDPOINT": local.endpoint,
            "SEARCH_INDEX": alias,
            "SEARCH_SIGV4": "false",
        }
    )
    return local
