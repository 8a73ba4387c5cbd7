"""The local stack's search engine.

By default an embedded SQLite FTS5 index (``chalicelib/adapters/sqlite_search.py``)
in a file of its own, made at start and removed at stop: the fastest of the engines
this machine can run (docs/architecture.md, "Search"), held to the same contract
suite as the production adapter. ``SEARCH_LOCAL_ENGINE=osmem`` starts an in-memory
``osmem-server`` (requirements-dev.txt) instead, so the whole stack runs on the
OpenSearch adapter AWS runs; ``SEARCH_ENDPOINT`` set to any OpenSearch (a local
``opensearch`` process, say) uses that, the way out if osmem goes away or
misbehaves; ``SEARCH_ENABLED=false`` runs the stack without search, as a stage with
the flag off.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import MutableMapping
from typing import Any

ENGINES = ("sqlite", "osmem")

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
    """What ``start`` started (``server`` is None when the engine was given; ``folder``
    is the embedded index's, removed at stop)."""

    def __init__(self, endpoint: str, server: Any = None, folder: str | None = None) -> None:
        self.endpoint = endpoint
        self.server = server
        self.folder = folder

    @property
    def engine(self) -> str:
        if self.folder is not None:
            return "sqlite"
        return "osmem" if self.server is not None else "given"

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


OWNER_FILE = "owner.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep(parent: str) -> None:
    """Remove the ``search-*`` folders of stacks that are gone (killed before they
    could remove their own); a running stack's folder is left alone."""
    for name in os.listdir(parent):
        folder = os.path.join(parent, name)
        if not (name.startswith("search-") and os.path.isdir(folder)):
            continue
        try:
            with open(os.path.join(folder, OWNER_FILE)) as owner:
                pid = int(owner.read().strip())
        except (OSError, ValueError):
            continue  # not one of ours, or not written yet
        if not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _own_folder(prefix: str, parent: str | None) -> str:
    """A new folder for this stack's embedded index: ``search-*`` under ``parent``
    (the stack's state folder; folders left by killed stacks are swept first) or a
    temporary one; its owner's pid is written in it."""
    if parent:
        parent = os.path.abspath(parent)
        os.makedirs(parent, exist_ok=True)
        _sweep(parent)
        folder = tempfile.mkdtemp(prefix="search-", dir=parent)
    else:
        folder = tempfile.mkdtemp(prefix=f"{prefix}-search-")
    with open(os.path.join(folder, OWNER_FILE), "w") as owner:
        owner.write(str(os.getpid()))
    return folder


def start(
    prefix: str, env: MutableMapping[str, str] | None = None, state_dir: str | None = None
) -> LocalSearch | None:
    """Start (or find) the engine, create the index behind its alias, and set the
    environment the app's settings read. None when search is off. The embedded index
    lives in a folder of this stack's own (in ``state_dir`` when given), removed at
    stop; an absolute path, since the consumers' process runs in another folder."""
    from chalicelib.adapters.opensearch import OpenSearchIndex
    from chalicelib.adapters.sqlite_search import SqliteSearchIndex
    from chalicelib.bootstrap_adapters import SQLITE_SCHEME
    from chalicelib.settings import _flag

    env = os.environ if env is None else env
    if not _flag(env.get("SEARCH_ENABLED"), True):
        env["SEARCH_ENABLED"] = "false"
        return None
    alias = env.get("SEARCH_INDEX") or f"{prefix}-messages"
    given = env.get("SEARCH_ENDPOINT", "")
    engine = env.get("SEARCH_LOCAL_ENGINE", "") or "sqlite"
    if engine not in ENGINES:
        raise ValueError(f"SEARCH_LOCAL_ENGINE must be one of {', '.join(ENGINES)}, not {engine!r}")
    if given.startswith(SQLITE_SCHEME):
        path = os.path.abspath(given[len(SQLITE_SCHEME) :])
        SqliteSearchIndex(path, alias).ensure()  # a file it cannot use fails the start
        local = LocalSearch(f"{SQLITE_SCHEME}{path}")
    elif given:
        local = LocalSearch(given)
        OpenSearchIndex(local.endpoint, alias).ensure()
    elif engine == "sqlite":
        folder = _own_folder(prefix, state_dir)
        path = os.path.join(folder, f"{alias}.sqlite3")
        SqliteSearchIndex(path, alias).ensure()  # before the consumers' process opens it
        local = LocalSearch(f"{SQLITE_SCHEME}{path}", folder=folder)
    else:
        server = start_osmem()
        local = LocalSearch(server.url, server)
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
